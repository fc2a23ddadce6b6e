#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# --attachment-repository REPO and cosign's COSIGN_REPOSITORY: signatures,
# attestations and bundles are written to and looked up in REPO instead of
# the image's repository (the option wins over the variable), laid out as
# cosign lays them out there: the tags sha256-<hex>.sig / .att and the
# referrers (here the referrers tag sha256-<hex>: the test registry has no
# referrers API) whose subject is the image's digest, which REPO does not
# hold.  And audit: it lists the tags, so it never asks for a .sig, .att or
# referrers tag that the list shows absent.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --output-prefix "$KEYS/b" >/dev/null 2>&1
	make_image "$LAYOUT" app "attachment repository app"
	push_image "$LAYOUT" app ar/app:1
	export APP=$R/ar/app:1 REPO=$R/ar/sigs
	export D=$(digest_of "$APP")
	export HEX=${D#sha256:}
	echo '{"scanner":"none","result":"clean"}' >"$BATS_FILE_TMPDIR/pred.json"
	# everything is written once, with the option, into REPO
	hm sign --key "$KEYS/a.key" --attachment-repository "$REPO" "$APP" >/dev/null
	hm sign --format legacy --key "$KEYS/a.key" --attachment-repository "$REPO" "$APP" >/dev/null
	COSIGN_REPOSITORY=$REPO hm attest --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$APP" >/dev/null
	COSIGN_REPOSITORY=$REPO hm attest --format legacy --key "$KEYS/a.key" --type vuln \
		--predicate "$BATS_FILE_TMPDIR/pred.json" "$APP" >/dev/null
	cat >"$BATS_FILE_TMPDIR/policy.yaml" <<-EOF
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  a: { file: $KEYS/a.pub }
	rules:
	  - name: signed and attested
	    images: ["$R/ar/**"]
	    require:
	      signatures: { keys: [a] }
	      attestations:
	        - { type: "https://cosign.sigstore.dev/attestation/vuln/v1", keys: [a] }
	EOF
}

teardown_file() {
	. "$REPO_ROOT/tests/lib/registry.sh"
	[ -z "${HM_TEST_AUTH_REGISTRY_PID:-}" ] || registry_stop_auth
	common_teardown_file
}

tags_of() { curl -fsS "$(api "$1")/tags/list" | jq -c '.tags // [] | sort'; }

@test "sign and attest with an attachment repository write there, as cosign does, and nothing next to the image" {
	[ "$(tags_of ar/app)" = '["1"]' ]
	[ "$(tags_of ar/sigs)" = "$(jq -cn --arg h "sha256-$HEX" '[$h, $h + ".att", $h + ".sig"]')" ]
	# the image's repository has no referrers tag either
	run curl -fsS -o /dev/null "$(api ar/app)/manifests/sha256-$HEX"
	[ "$status" -ne 0 ]
	# cosign's tag: simple signing naming the image's repository, not REPO
	sig=$(get_manifest ar/sigs "sha256-$HEX.sig")
	echo "$sig" | jq -e '.layers | length == 1 and .[0].mediaType == "application/vnd.dev.cosign.simplesigning.v1+json"'
	payload=$(curl -fsS "$(api ar/sigs)/blobs/$(echo "$sig" | jq -r '.layers[0].digest')")
	echo "$payload" | jq -e --arg r "$R/ar/app" --arg d "$D" \
		'.critical.identity["docker-reference"] == $r and .critical.image["docker-manifest-digest"] == $d'
	get_manifest ar/sigs "sha256-$HEX.att" | jq -e '.layers[0].mediaType == "application/vnd.dsse.envelope.v1+json"'
	# the referrers: in REPO, their subject the image's digest (not in REPO)
	idx=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' "$(api ar/sigs)/manifests/sha256-$HEX")
	[ "$(echo "$idx" | jq '.manifests | length')" -eq 2 ]
	for m in $(echo "$idx" | jq -r '.manifests[].digest'); do
		get_manifest ar/sigs "$m" | jq -e --arg d "$D" '.subject.digest == $d'
	done
	run curl -fsS -o /dev/null "$(api ar/sigs)/manifests/$D"
	[ "$status" -ne 0 ]
}

@test "verify and verify-attestation find them only with the same setting" {
	run hm verify --key "$KEYS/a.pub" "$APP"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0 signatures valid"* ]]
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$APP"
	[ "$status" -eq 1 ]

	run hm verify --key "$KEYS/a.pub" --attachment-repository "$REPO" "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 signatures valid"* ]]
	COSIGN_REPOSITORY=$REPO run hm verify --key "$KEYS/a.pub" "$APP"
	[ "$status" -eq 0 ]
	COSIGN_REPOSITORY=$REPO run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 attestations valid"* ]]
	# the option wins over the variable, both ways
	COSIGN_REPOSITORY=$R/ar/elsewhere run hm verify --key "$KEYS/a.pub" --attachment-repository "$REPO" "$APP"
	[ "$status" -eq 0 ]
	COSIGN_REPOSITORY=$REPO run hm verify --key "$KEYS/a.pub" --attachment-repository "$R/ar/elsewhere" "$APP"
	[ "$status" -eq 1 ]
	# found there, they are still checked: another key does not verify them
	run hm verify --key "$KEYS/b.pub" --attachment-repository "$REPO" "$APP"
	[ "$status" -eq 1 ]
}

@test "a signature in the attachment repository for another image does not count" {
	make_image "$LAYOUT" other "attachment repository other"
	push_image "$LAYOUT" other ar/other:1
	o=$(digest_of "$R/ar/other:1")
	# REPO holds app's signatures; other (another digest) has none there
	run hm verify --key "$KEYS/a.pub" --attachment-repository "$REPO" "$R/ar/other:1"
	[ "$status" -eq 1 ]
	# a referrer of app's digest listed under other's referrers tag is skipped
	idx=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' "$(api ar/sigs)/manifests/sha256-$HEX")
	echo "$idx" >"$BATS_TEST_TMPDIR/idx.json"
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
		--data-binary "@$BATS_TEST_TMPDIR/idx.json" "$(api ar/sigs)/manifests/sha256-${o#sha256:}" >/dev/null
	run hm verify --key "$KEYS/a.pub" --attachment-repository "$REPO" "$R/ar/other:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0 signatures valid"* ]]
}

@test "tree, policy check and audit read the attachment repository" {
	run hm tree --output json --attachment-repository "$REPO" "$APP"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.signatures | length) == 1 and (.attestations | length) == 1 and (.bundles | length) == 2'
	run hm tree --output json "$APP"
	echo "$output" | jq -e '(.signatures | length) == 0 and (.bundles | length) == 0'
	# -v says where attachments are looked up
	run hm tree -v --attachment-repository "$REPO" "$APP"
	[[ "$output" == *"attachments of $R/ar/app: in $REPO"* ]]

	run hm policy check --policy "$BATS_FILE_TMPDIR/policy.yaml" "$APP"
	[ "$status" -eq 1 ]
	COSIGN_REPOSITORY=$REPO run hm policy check --policy "$BATS_FILE_TMPDIR/policy.yaml" "$APP"
	echo "$output"
	[ "$status" -eq 0 ]

	run hm audit --output json --key "$KEYS/a.pub" --attachment-repository "$REPO" "$R/ar/app"
	echo "$output"
	echo "$output" | jq -e '.summary.verified == 1'
	run hm audit --output json --key "$KEYS/a.pub" "$R/ar/app"
	echo "$output" | jq -e '.summary.verified == 0'
}

@test "copy keeps the attachments in the attachment repository, found for the copy" {
	run hm copy --attachment-repository "$REPO" "$APP" "$R/ar/copy:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tags_of ar/copy)" = '["1"]' ]
	run hm verify --key "$KEYS/a.pub" --attachment-repository "$REPO" "$R/ar/copy:1"
	[ "$status" -eq 0 ]
}

@test "an attachment repository that is not host/path, or with a layout, is a usage error" {
	for bad in "$R" "$R/ar/sigs:v1" "$R/ar/sigs@$D" "oci:$BATS_FILE_TMPDIR/sigs"; do
		run hm verify --key "$KEYS/a.pub" --attachment-repository "$bad" "$APP"
		echo "$bad: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"attachment repository '$bad'"* ]]
	done
	COSIGN_REPOSITORY=$REPO run hm sign --key "$KEYS/a.key" "oci:$LAYOUT:app"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"applies to registry images only"* ]]
	# the image's own repository as REPO: the usual place
	run hm verify --key "$KEYS/a.pub" --attachment-repository "$R/ar/app" "$APP"
	[ "$status" -eq 1 ]
}

# audit_requests REPO [options]: the manifest requests of one audit, "METHOD REF".
audit_requests() {
	local repo=$1
	shift
	hm --debug audit --key "$KEYS/a.pub" -o json "$@" "$R/$repo" 2>&1 >/dev/null |
		sed -n 's/^hallmark: debug: \([A-Z]*\) http[^ ]*\/v2\/[^ ]*\/manifests\/\([^ ]*\) -> .*/\1 \2/p'
}

@test "audit asks for no .sig, .att or referrers tag that the tag list shows absent" {
	# 6 tags of distinct digests, one signed (legacy .sig and a bundle)
	for i in 1 2 3 4 5 6; do
		make_image "$LAYOUT" "n$i" "audit requests $i"
		push_image "$LAYOUT" "n$i" "ar/many:$i"
	done
	s=$(digest_of "$R/ar/many:3")
	hm sign --key "$KEYS/a.key" "$R/ar/many:3" >/dev/null
	hm sign --format legacy --key "$KEYS/a.key" "$R/ar/many:3" >/dev/null
	audit_requests ar/many >"$BATS_TEST_TMPDIR/reqs"
	cat "$BATS_TEST_TMPDIR/reqs"
	# the signed one's are asked for (they are in the list), nothing else
	grep ' sha256-' "$BATS_TEST_TMPDIR/reqs" | sed 's/^[A-Z]* //' | sort -u >"$BATS_TEST_TMPDIR/asked"
	printf '%s\n' "sha256-${s#sha256:}" "sha256-${s#sha256:}.sig" | cmp - "$BATS_TEST_TMPDIR/asked"
	hm audit --key "$KEYS/a.pub" -o json "$R/ar/many" | jq -e '.summary.tags == 6 and .summary.verified == 1'

	# with an attachment repository, its tag list is the one that says
	hm sign --key "$KEYS/a.key" --attachment-repository "$R/ar/many-sigs" "$R/ar/many:5" >/dev/null
	audit_requests ar/many --attachment-repository "$R/ar/many-sigs" >"$BATS_TEST_TMPDIR/reqs"
	cat "$BATS_TEST_TMPDIR/reqs"
	f=$(digest_of "$R/ar/many:5")
	grep ' sha256-' "$BATS_TEST_TMPDIR/reqs" | sed 's/^[A-Z]* //' | sort -u >"$BATS_TEST_TMPDIR/asked"
	printf '%s\n' "sha256-${f#sha256:}" | cmp - "$BATS_TEST_TMPDIR/asked"
	hm audit --key "$KEYS/a.pub" -o json --attachment-repository "$R/ar/many-sigs" "$R/ar/many" |
		jq -e '.summary.verified == 1'
}

# serve_review [serve options...]: starts policy serve on a free port, posts
# one AdmissionReview of APP (by digest) to /validate, prints "allowed"
# from the answer, and stops the server.
serve_review() {
	local port log=$BATS_TEST_TMPDIR/serve.log pid
	port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$HALLMARK" policy serve --policy "$BATS_FILE_TMPDIR/policy.yaml" --tls-cert "$BATS_FILE_TMPDIR/cert.pem" \
		--tls-key "$BATS_FILE_TMPDIR/tls.key" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS --max-time 2 --cacert "$BATS_FILE_TMPDIR/cert.pem" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	review "$R/ar/app@$D" >"$BATS_TEST_TMPDIR/review.json"
	curl -sS --max-time 30 --cacert "$BATS_FILE_TMPDIR/cert.pem" -H 'Content-Type: application/json' \
		--data-binary "@$BATS_TEST_TMPDIR/review.json" "https://127.0.0.1:$port/validate" | jq -r '.response.allowed'
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" || true
}

@test "policy serve: the attachment repository is the server's, from the option or the variable" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$BATS_FILE_TMPDIR/tls.key" -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	[ "$(serve_review)" = false ]
	[ "$(serve_review --attachment-repository "$REPO")" = true ]
	[ "$(COSIGN_REPOSITORY=$REPO serve_review)" = true ]
	[ "$(COSIGN_REPOSITORY=$REPO serve_review --attachment-repository "$R/ar/elsewhere")" = false ]
}

@test "an attachment repository on another registry gets that registry's credentials" {
	. "$REPO_ROOT/tests/lib/registry.sh"
	registry_start_auth alice s3cret
	export HM_TEST_AUTH_REGISTRY_PID
	A=$HM_TEST_AUTH_REGISTRY/sigs/app
	printf '{"auths":{}}' >"$BATS_TEST_TMPDIR/none.json"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HM_TEST_AUTH_REGISTRY" "$(printf 'alice:s3cret' | base64)" 		>"$BATS_TEST_TMPDIR/auth.json"
	run hm sign --key "$KEYS/b.key" --registry-config "$BATS_TEST_TMPDIR/none.json" --attachment-repository "$A" "$APP"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wants a password"* ]]
	run hm sign --format legacy --key "$KEYS/b.key" --registry-config "$BATS_TEST_TMPDIR/auth.json" 		--attachment-repository "$A" "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/b.pub" --registry-config "$BATS_TEST_TMPDIR/auth.json" --attachment-repository "$A" "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 signature valid"* ]]
	[ "$(curl -fsS -u alice:s3cret "http://$HM_TEST_AUTH_REGISTRY/v2/sigs/app/tags/list" | jq -c .tags)" = "[\"sha256-$HEX.sig\"]" ]
	[ "$(tags_of ar/app)" = '["1"]' ]
	registry_stop_auth || true
}

@test "attest provenance attaches to the attachment repository; its base image still resolves where it is" {
	repo=$BATS_TEST_TMPDIR/src
	mkdir -p "$repo"
	(cd "$repo" && git init -q -b main . && git remote add origin https://git.example.com/org/app.git &&
		printf 'FROM %s\n' "$R/ar/app:1" >Dockerfile &&
		git add Dockerfile && git -c user.name=t -c user.email=t@e commit -qm one)
	P=$R/ar/prov-sigs
	run hm attest provenance --key "$KEYS/a.key" --git "$repo" --attachment-repository "$P" "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	COSIGN_REPOSITORY=$P run hm verify-attestation --key "$KEYS/a.pub" --type slsaprovenance --output json "$APP"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b "$HEX" '[.. | objects | select(has("buildDefinition"))][0]
		| [.buildDefinition.resolvedDependencies[].digest.sha256] | index($b) != null'
	[ "$(tags_of ar/prov-sigs)" = "[\"sha256-$HEX\"]" ]
	run hm verify-attestation --key "$KEYS/a.pub" --type slsaprovenance "$APP"
	[ "$status" -eq 1 ]
}
