#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The command line people already know: -v/--debug on every command (and
# never a secret in them), attached short values, "did you mean", shell
# completion, cosign's CI flags.

load ../lib/common
bats_require_minimum_version 1.5.0

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# creds: a registry credentials file for the liar's alice:secret.
creds() {
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HM_TEST_LIAR" "$(printf alice:secret | base64)" >auth.json
	echo "$BATS_TEST_TMPDIR/auth.json"
}

# No secret of the liar's in $output: password, basic value, token, header.
no_secrets() {
	[[ "$output" != *secret* ]]
	[[ "$output" != *"$(printf alice:secret | base64)"* ]]
	[[ "$output" != *good-token* ]]
	[[ "$output" != *[Aa]uthorization* ]]
}

# --- 1. -v/--verbose and --debug --------------------------------------------

@test "every command lists -v/--verbose and --debug in its help" {
	while IFS= read -r cmd; do
		# shellcheck disable=SC2086
		out=$(hm $cmd --help)
		[[ "$out" == *"-v, --verbose"* ]] || { echo "no -v in $cmd"; false; }
		[[ "$out" == *"--debug"* ]] || { echo "no --debug in $cmd"; false; }
	done < <(hm help | sed -n 's/^  \(.\{24\}\).*/\1/p' | sed 's/ *$//')
}

@test "--debug logs each request with method, URL and status, never the bearer token or password" {
	run hm tree --debug --registry-config "$(creds)" "$HM_TEST_LIAR/token/app:latest"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"debug: GET http://$HM_TEST_LIAR/v2/token/app/manifests/latest -> 401"* ]]
	[[ "$output" == *"debug: GET http://$HM_TEST_LIAR/v2/token/app/manifests/latest -> 200 (bearer token sent)"* ]]
	[[ "$output" == *"bearer auth"* ]]
	[[ "$output" == *"credentials for $HM_TEST_LIAR: a username and password from"* ]]
	no_secrets
}

@test "--debug with basic auth names the scheme, never the credentials" {
	run hm --debug tree --registry-config "$(creds)" "$HM_TEST_LIAR/basic/app:latest"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"basic auth"* ]]
	[[ "$output" == *"-> 200 (credentials sent)"* ]]
	no_secrets
}

@test "--debug drops the query of a URL on another host (a redirect may be a signed URL)" {
	run hm tree --debug --registry-config "$(creds)" "$HM_TEST_LIAR/xrealm/app:latest"
	echo "$output"
	[[ "$output" == *"/token?... -> 200"* ]]
	[[ "$output" != *"scope="* ]]
	no_secrets
}

@test "-v says which registry, scheme and CA; without it nothing is logged" {
	make_image img v1
	push_image img v1 cli/verbose:v1
	run hm -v tree "$HM_TEST_REGISTRY/cli/verbose:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"registry $HM_TEST_REGISTRY: plain HTTP (HTTPS failed"* ]]
	[[ "$output" != *"debug:"* ]]
	run hm tree "$HM_TEST_REGISTRY/cli/verbose:v1"
	[ "$status" -eq 0 ]
	[[ "$output" != *"registry $HM_TEST_REGISTRY:"* ]]
	# which CA and client certificate: tests/cli/registries.bats, against TLS registries
}

@test "policy check -v reports a cache hit for a digest seen twice" {
	make_image img v1
	push_image img v1 cli/cache:v1
	hm key generate --output-prefix k >/dev/null 2>&1
	hm sign -k k.key "$HM_TEST_REGISTRY/cli/cache:v1" >/dev/null
	cat >policy.yaml <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  k: { file: k.pub }
	rules:
	  - name: signed
	    images: ["**"]
	    require:
	      signatures: { keys: [k] }
	YAML
	run hm policy check -v -p policy.yaml "$HM_TEST_REGISTRY/cli/cache:v1" "$HM_TEST_REGISTRY/cli/cache:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cache hit: $HM_TEST_REGISTRY/cli/cache@sha256:"* ]]
}

# --- 2. short options -------------------------------------------------------

@test "short options take attached values; boolean short flags combine" {
	make_image img v1
	hm key generate --output-prefix k >/dev/null 2>&1
	run hm sign -kk.key -r oci:img:v1
	[ "$status" -eq 0 ]
	run hm verify -kk.pub -ojson oci:img:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"valid":'*true*'"fingerprint"'* ]]
	run hm verify --key=k.pub --output=json oci:img:v1
	[ "$status" -eq 0 ]
	run --separate-stderr hm key generate -fojson --output-prefix k2 -tecdsa-p256
	[ "$status" -eq 0 ]
	[ "$(jq -r .publicKey <<<"$output")" = k2.pub ]
	[ -f k2.key ] && [ -f k2.pub ]
	# -rk FILE: a value option may end a group of flags
	run hm sign -rvk k.key oci:img:v1
	[ "$status" -eq 0 ]
	[[ "$output" == *"already signed"* ]]
}

@test "a flag that takes no value refuses one; a value option wants one" {
	run hm sign --recursive=yes -k x oci:x
	[ "$status" -eq 2 ]
	[[ "$output" == *"'--recursive' takes no value"* ]]
	run hm sign -k
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs a value"* ]]
	run hm sign -rz -k x oci:x
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '-z' in '-rz'"* ]]
}

# --- 3. did you mean --------------------------------------------------------

@test "a mistyped command gets the closest one" {
	run hm sing
	[ "$status" -eq 2 ]
	[[ "$output" == *"no command 'sing' (did you mean 'sign'?)"* ]]
	run hm verfy-attestation
	[[ "$output" == *"did you mean 'verify-attestation'?"* ]]
	run hm key genrate
	[ "$status" -eq 2 ]
	[[ "$output" == *"did you mean 'key generate'?"* ]]
	run hm plicy
	[[ "$output" == *"did you mean 'policy'?"* ]]
	run hm help sigh
	[[ "$output" == *"did you mean 'sign'?"* ]]
	# nothing close: no guess
	run hm frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" != *"did you mean"* ]]
}

@test "a mistyped option gets the closest one" {
	run hm sign --keys k.key oci:x
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--keys'; did you mean '--key'?"* ]]
	run hm verify --outptu=json -k k oci:x
	[[ "$output" == *"did you mean '--output'?"* ]]
	run hm sign -key k.key oci:x
	[[ "$output" == *"unknown option '-key'; did you mean '--key'?"* ]]
	run hm sign --zzzzzz oci:x
	[ "$status" -eq 2 ]
	[[ "$output" != *"did you mean"* ]]
}

# --- 4. completion ----------------------------------------------------------

@test "completion bash is valid bash and completes commands, subcommands, options and files" {
	hm completion bash >c.bash
	bash -n c.bash
	touch some.key
	run bash -c 'source c.bash
		COMP_WORDS=(hallmark si); COMP_CWORD=1; _hallmark; echo "1:${COMPREPLY[*]}"
		COMP_WORDS=(hallmark sign --rec); COMP_CWORD=2; _hallmark; echo "2:${COMPREPLY[*]}"
		COMP_WORDS=(hallmark --debug key gen); COMP_CWORD=3; _hallmark; echo "3:${COMPREPLY[*]}"
		COMP_WORDS=(hallmark sign --key so); COMP_CWORD=3; _hallmark; echo "4:${COMPREPLY[*]}"
		COMP_WORDS=(hallmark completion ""); COMP_CWORD=2; _hallmark; echo "5:${COMPREPLY[*]}"
		complete -p hallmark'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1:sign sign-blob"* ]]
	[[ "$output" == *"2:--recursive"* ]]
	[[ "$output" == *"3:generate"* ]]
	[[ "$output" == *"4:some.key"* ]]
	[[ "$output" == *"5:bash zsh fish"* ]]
	[[ "$output" == *"-F _hallmark hallmark"* ]]
}

@test "completion zsh is valid zsh and offers commands and options" {
	command -v zsh >/dev/null || skip "zsh is not installed (tests/lib/deps.sh installs it)"
	hm completion zsh >_hallmark
	zsh -n _hallmark
	# zsh's completion system is stubbed: what matters is what we hand it
	run zsh -fc 'compdef() { :; }; _describe() { local n=${@[-1]}; print -l -- ${(P)n}; }
		_arguments() { print -l -- "$@"; }
		source ./_hallmark
		words=(hallmark si); CURRENT=2; _hallmark | grep "^si"
		words=(hallmark -v sign --rec); CURRENT=4; _hallmark | grep -e "--rec"
		words=(hallmark policy ch); CURRENT=3; _hallmark | grep "^ch"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sign:sign images"* ]]
	[[ "$output" == *"sign-blob:"* ]]
	[[ "$output" == *"--recursive[also sign every manifest of an index]"* ]]
	[[ "$output" == *"check:decide by policy"* ]]
}

@test "completion fish is valid fish and completes commands and options" {
	command -v fish >/dev/null || skip "fish is not installed (tests/lib/deps.sh installs it)"
	hm completion fish >hallmark.fish
	fish --no-execute hallmark.fish
	run env HOME="$BATS_TEST_TMPDIR" XDG_CONFIG_HOME="$BATS_TEST_TMPDIR" fish -N -c 'source hallmark.fish
		complete -C "hallmark si"; complete -C "hallmark sign --rec"; complete -C "hallmark key gen"
		complete -C "hallmark completion "'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sign-blob"$'\t'"sign a file"* ]]
	[[ "$output" == *"--recursive"$'\t'"also sign"* ]]
	[[ "$output" == *"generate"$'\t'* ]]
	[[ "$output" == *zsh* ]]
}

@test "completion of an unknown shell is a usage error" {
	run hm completion tcsh
	[ "$status" -eq 2 ]
	[[ "$output" == *"bash, zsh or fish"* ]]
}

# --- 5. cosign's CI flags ----------------------------------------------------

@test "cosign's -y and --tlog-upload=false are accepted and noted" {
	make_image img v1
	hm key generate --output-prefix k >/dev/null 2>&1
	run hm sign -y --tlog-upload=false -k k.key oci:img:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"note: ignoring cosign's '-y'"* ]]
	[[ "$output" == *"note: ignoring cosign's '--tlog-upload=false'"* ]]
	[[ "$output" == *"signed oci:"* ]]
	run hm verify --yes=true --insecure-ignore-tlog=true -k k.pub oci:img:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ignoring cosign's '--insecure-ignore-tlog'"* ]]
}

@test "cosign's flags that would weaken a check are refused, saying why" {
	run hm sign --tlog-upload -k k.key oci:img:v1
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing cosign's '--tlog-upload': hallmark never uploads to a transparency log"* ]]
	run hm sign --tlog-upload=true -k k.key oci:img:v1
	[ "$status" -eq 2 ]
	run hm verify --allow-insecure-registry -k k.pub oci:img:v1
	[ "$status" -eq 2 ]
	[[ "$output" == *"never turns off TLS certificate checks"* ]]
	run hm verify --allow-http-registry -k k.pub oci:img:v1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--insecure-registry HOST"* ]]
	# without --key, the log entry and SCT are part of the check
	run hm policy check --insecure-ignore-tlog -p p.yaml img
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing cosign's '--insecure-ignore-tlog' without --key"* ]]
	run hm policy check --insecure-ignore-sct=true -p p.yaml img
	[ "$status" -eq 2 ]
	[[ "$output" == *"SCT"* ]]
	run hm sign --yes=maybe -k k.key oci:img:v1
	[ "$status" -eq 2 ]
	[[ "$output" == *"takes true or false"* ]]
}

# --- 8. examples/ci ----------------------------------------------------------

# A project checkout as CI sees it: a Dockerfile, the public key committed,
# a release tag.  The signing key is made outside it.
ci_checkout() {
	mkdir -p secrets proj
	(cd secrets && hm key generate --output-prefix release >/dev/null 2>&1)
	cp secrets/release.pub proj/
	cp "$REPO_ROOT/examples/Dockerfile" proj/
	echo "hello from $BATS_TEST_NAME $RANDOM" >proj/motd
	git -C proj init -q
	git -C proj -c user.name=ci -c user.email=ci@example.com add .
	git -C proj -c user.name=ci -c user.email=ci@example.com commit -qm release
	git -C proj tag v1.2.0
	git -C proj remote add origin https://git.example.com/team/app.git
	mkdir -p bin
	ln -sf "$HALLMARK" bin/hallmark
	ln -sf "$REPO_ROOT/tests/lib/fake-docker/docker" bin/docker
}

@test "examples/ci/build-sign-attest.sh runs end to end against the registry" {
	ci_checkout
	cd proj
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" FAKE_DOCKER_STATE="$BATS_TEST_TMPDIR/docker" \
		IMAGE="$HM_TEST_REGISTRY/ci/app" VERSION=v1.2.0 HALLMARK_KEY="$BATS_TEST_TMPDIR/secrets/release.key" \
		CI_BUILDER_ID=https://ci.example.com/team/app/pipelines \
		sh "$REPO_ROOT/examples/ci/build-sign-attest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"released $HM_TEST_REGISTRY/ci/app@sha256:"* ]]
	digest=$(digest_of "$HM_TEST_REGISTRY/ci/app:v1.2.0")
	# what the pipeline left can be checked by anyone with the public key
	run hm verify-attestation -k release.pub -t slsaprovenance -o json "$HM_TEST_REGISTRY/ci/app@$digest"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"https://ci.example.com/team/app/pipelines"* ]]
	[[ "$output" == *"refs/tags/v1.2.0"* ]]
	# and the image holds no key
	[ -z "$(git status --porcelain)" ]
}

@test "examples/ci/build-sign-attest.sh releases hallmark's own runtime image: the root Dockerfile built, pushed, signed, attested, verified" {
	ci_checkout
	# hallmark's checkout as its pipelines see it: the webhook's Dockerfile at the top
	cp "$REPO_ROOT/Dockerfile" proj/Dockerfile
	git -C proj -c user.name=ci -c user.email=ci@example.com commit -qam "the webhook image"
	git -C proj tag -f v1.2.0 >/dev/null
	cd proj
	base=sha256:$(printf 'debian:bookworm-slim as the build pulled it' | sha256sum | cut -d' ' -f1)
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" FAKE_DOCKER_STATE="$BATS_TEST_TMPDIR/docker" \
		IMAGE="$HM_TEST_REGISTRY/ci/hallmark" VERSION=v1.2.0 DOCKERFILE=Dockerfile \
		HALLMARK_KEY="$BATS_TEST_TMPDIR/secrets/release.key" PROVENANCE_ARGS="--base-image debian:bookworm-slim=$base" \
		sh "$REPO_ROOT/examples/ci/build-sign-attest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fake docker: built $HM_TEST_REGISTRY/ci/hallmark:v1.2.0 from Dockerfile"* ]]
	[[ "$output" == *"released $HM_TEST_REGISTRY/ci/hallmark@sha256:"* ]]
	digest=$(digest_of "$HM_TEST_REGISTRY/ci/hallmark:v1.2.0")
	run hm verify -k release.pub "$HM_TEST_REGISTRY/ci/hallmark@$digest"
	[ "$status" -eq 0 ]
	# the provenance names the root Dockerfile and the base image the build used, by digest
	run hm verify-attestation -k release.pub -t slsaprovenance -o json "$HM_TEST_REGISTRY/ci/hallmark@$digest"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | "$PYTHON" -c '
import json, sys
doc = json.dumps(json.load(sys.stdin))
assert "refs/tags/v1.2.0" in doc, doc
assert sys.argv[1][7:] in doc and "bookworm-slim" in doc, doc
assert "\"Dockerfile\"" in doc, doc' "$base"
	# another key does not verify it
	(cd "$BATS_TEST_TMPDIR" && hm key generate --output-prefix other >/dev/null 2>&1)
	run hm verify -k "$BATS_TEST_TMPDIR/other.pub" "$HM_TEST_REGISTRY/ci/hallmark@$digest"
	[ "$status" -eq 1 ]
}

@test "examples/ci/build-sign-attest.sh refuses a signing key inside the checkout" {
	ci_checkout
	cp secrets/release.key proj/
	cd proj
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" FAKE_DOCKER_STATE="$BATS_TEST_TMPDIR/docker" \
		IMAGE="$HM_TEST_REGISTRY/ci/app" VERSION=v1.2.0 HALLMARK_KEY=release.key \
		sh "$REPO_ROOT/examples/ci/build-sign-attest.sh"
	[ "$status" -eq 2 ]
	[[ "$output" == *"keep HALLMARK_KEY out of the checkout"* ]]
	[ ! -d "$BATS_TEST_TMPDIR/docker" ]
}

@test "the CI pipelines parse, log in, keep the key out of the checkout and run the script" {
	cd "$REPO_ROOT/examples/ci"
	run "$PYTHON" - <<-'PY'
	import yaml
	gl = yaml.safe_load(open("gitlab-ci.yml"))["release"]
	steps = " ".join(gl["before_script"] + gl["script"])
	assert "docker login" in steps and "--password-stdin" in steps, steps
	assert gl["image"], "a job image"
	assert "HALLMARK_KEY=\"$HALLMARK_SIGNING_KEY\" sh examples/ci/build-sign-attest.sh" in steps, steps
	# hallmark's own release: built from this checkout, its image from the root Dockerfile
	assert "make install" in steps and "HALLMARK_SRC" not in steps and "clone" not in steps, steps
	assert gl["variables"]["DOCKERFILE"] == "Dockerfile", gl["variables"]
	gh = yaml.safe_load(open("github-actions.yml"))
	job = gh["jobs"]["release"]
	runs = "\n".join(s.get("run", "") for s in job["steps"])
	assert "docker login ghcr.io" in runs and "--password-stdin" in runs
	assert "$RUNNER_TEMP/release.key" in runs and "sh examples/ci/build-sign-attest.sh" in runs
	assert "sudo make install" in runs and all("repository" not in s.get("with", {}) for s in job["steps"]), runs
	assert job["env"]["DOCKERFILE"] == "Dockerfile", job["env"]
	assert gh[True]["push"]["tags"] == ["v*"]  # YAML 1.1 reads "on" as true
	print("ok")
	PY
	echo "$output"
	[ "$status" -eq 0 ]
}
