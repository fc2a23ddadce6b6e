#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# examples/kubernetes: each overlay renders offline with kubectl kustomize,
# has what a production webhook needs (tests/lib/check-k8s.py), carries a
# policy hallmark accepts; gen-certs.sh makes a chain the API server would
# trust; the Dockerfile builds as a non-root, read-only image.

load ../lib/common

K=$REPO_ROOT/examples/kubernetes

@test "every overlay renders and has what a production webhook needs" {
	for o in enforce audit; do
		kubectl kustomize "$K/overlays/$o" >"$BATS_TEST_TMPDIR/$o.yaml"
		"$PYTHON" "$REPO_ROOT/tests/lib/check-k8s.py" "$o" <"$BATS_TEST_TMPDIR/$o.yaml"
		# the policy in the ConfigMap is one hallmark serves
		mkdir -p "$BATS_TEST_TMPDIR/$o"
		"$PYTHON" -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap":
        for k, v in d["data"].items():
            open(sys.argv[2] + "/" + k, "w").write(v)' "$BATS_TEST_TMPDIR/$o.yaml" "$BATS_TEST_TMPDIR/$o"
		hm policy lint "$BATS_TEST_TMPDIR/$o/policy.yaml"
	done
}

@test "the check refuses manifests that lack what production needs" {
	kubectl kustomize "$K/overlays/enforce" >"$BATS_TEST_TMPDIR/good.yaml"
	for bad in 's/failurePolicy: Fail/failurePolicy: Ignore/' 's/replicas: 2/replicas: 1/' \
		's/timeoutSeconds: 10/timeoutSeconds: 5/' 's/path: \/readyz/path: \/healthz/' \
		's/reinvocationPolicy: IfNeeded/reinvocationPolicy: Never/' 's/- kube-system/- default/' \
		's/caBundle: .*/caBundle: bm90IGEgY2VydA==/' 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/'; do
		sed "$bad" "$BATS_TEST_TMPDIR/good.yaml" >"$BATS_TEST_TMPDIR/bad.yaml"
		! cmp -s "$BATS_TEST_TMPDIR/good.yaml" "$BATS_TEST_TMPDIR/bad.yaml"
		run "$PYTHON" "$REPO_ROOT/tests/lib/check-k8s.py" enforce <"$BATS_TEST_TMPDIR/bad.yaml"
		echo "$bad: $output"
		[ "$status" -eq 1 ]
	done
}

@test "gen-certs.sh: a serving certificate for the Service, signed by the CA it prints for caBundle" {
	run sh "$K/gen-certs.sh" "$BATS_TEST_TMPDIR/certs" 30
	[ "$status" -eq 0 ]
	openssl verify -CAfile "$BATS_TEST_TMPDIR/certs/ca.crt" "$BATS_TEST_TMPDIR/certs/tls.crt"
	openssl x509 -in "$BATS_TEST_TMPDIR/certs/tls.crt" -noout -ext subjectAltName | grep -q 'DNS:hallmark-webhook.hallmark.svc'
	[[ "$output" == *"$(base64 -w0 <"$BATS_TEST_TMPDIR/certs/ca.crt")"* ]]
	# a second run renews the serving certificate under the same CA
	cp "$BATS_TEST_TMPDIR/certs/ca.crt" "$BATS_TEST_TMPDIR/ca.before"
	sh "$K/gen-certs.sh" "$BATS_TEST_TMPDIR/certs" 30 >/dev/null
	cmp "$BATS_TEST_TMPDIR/certs/ca.crt" "$BATS_TEST_TMPDIR/ca.before"
	openssl verify -CAfile "$BATS_TEST_TMPDIR/certs/ca.crt" "$BATS_TEST_TMPDIR/certs/tls.crt"
}

# the FROM ... stages of the Dockerfile and the packages each installs
dockerfile_packages() {
	"$PYTHON" -c '
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stage = -1
for line in text.splitlines():
    if line.startswith("FROM "):
        stage += 1
    m = re.search(r"apt-get install -y --no-install-recommends ([^&]*)", line)
    if m and stage == int(sys.argv[2]):
        print("\n".join(m.group(1).split()))' "$REPO_ROOT/Dockerfile" "$1"
}

@test "the Dockerfile: Debian stages, a non-root runtime that holds every library hallmark links, nothing fetched from elsewhere" {
	df=$REPO_ROOT/Dockerfile
	[ "$(grep -c '^FROM debian:bookworm-slim' "$df")" -eq 2 ]
	grep -q '^COPY --from=build /src/build/hallmark /usr/local/bin/hallmark$' "$df"
	grep -q '^USER 65532:65532$' "$df"
	! grep -Eq '^(ADD|RUN .*(curl|wget) )' "$df"
	# the build stage installs what tests/lib/deps.sh builds with
	for p in $(dockerfile_packages 0); do grep -qw -- "$p" "$REPO_ROOT/tests/lib/deps.sh"; done
	# every shared library hallmark needs comes from a package of the runtime stage
	runtime=$(dockerfile_packages 1)
	# (the libraries it loads on first use too; sanitizer runtimes of make asan are the build's own)
	for lib in $(objdump -p "$HALLMARK" | awk '/NEEDED/ { print $2 }' | grep -v '^lib\(a\|ub\)san\.') \
		$(strings "$HALLMARK" | grep -E '^lib(git2|microhttpd)\.so\.[0-9.]+$' | sort -u); do
		pkgs=$(dpkg -S "*/$lib" | cut -d: -f1 | tr ', ' '\n\n' | sed '/^$/d' | sort -u)
		echo "$pkgs" | grep -qx libc6 || echo "$pkgs" | grep -qxF -f <(echo "$runtime") ||
			{ echo "$lib ($pkgs) is not installed by the runtime stage"; false; }
	done
	for p in $runtime; do apt-cache show "$p" >/dev/null; done
	# the build context leaves out what the image does not need
	grep -qx build "$REPO_ROOT/.dockerignore"
	grep -qx .git "$REPO_ROOT/.dockerignore"
}
