#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# --output json: every command, succeeding and failing, against real layouts
# and the test registry; every document is checked against its JSON Schema
# (docs/schemas, docs/json.md), and the checker is shown to refuse a wrong one.

load ../lib/common
bats_require_minimum_version 1.5.0

setup_file() {
	common_setup_file
	export D=$BATS_FILE_TMPDIR L=$BATS_FILE_TMPDIR/layout
	hm key generate --output-prefix "$D/a" >/dev/null 2>&1
	hm key generate --output-prefix "$D/b" >/dev/null 2>&1
	make_image "$L" v1 "json one"
	make_image "$L" v2 "json two"
	push_image "$L" v1 json/app:v1
	push_image "$L" v2 json/app:v2
	export APP=$HM_TEST_REGISTRY/json/app
	hm sign --key "$D/a.key" "$APP:v1" "oci:$L:v1" >/dev/null
	echo '{"scanner":"none","result":"clean"}' >"$D/pred.json"
	hm attest --key "$D/a.key" --type vuln --predicate "$D/pred.json" "$APP:v1" >/dev/null
	printf 'blob\n' >"$D/blob"
	cat >"$D/policy.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  a: { file: a.pub }
	default: deny
	rules:
	  - name: app
	    images: ["$APP"]
	    require:
	      signatures: { keys: [a] }
	YAML
}

teardown_file() { common_teardown_file; }

# valid: the last `run` printed one document on stdout that its schema accepts.
valid() {
	printf '%s' "$output" | "$PYTHON" "$REPO_ROOT/tests/lib/json-schema.py"
}

# field PATH: jq -r PATH of the document.
field() { jq -r "$1" <<<"$output"; }

@test "the schema check refuses wrong documents" {
	run --separate-stderr hm key public --key "$D/a.key" -o json
	[ "$status" -eq 0 ]
	valid
	good=$output
	for bad in 'del(.schemaVersion)' '.schemaVersion = "1"' '.command = "key  public"' '.fingerprint = "ab"' \
		'.extra = 1' '.ok = "yes"' '.ok = true | .error = "x"' 'del(.publicKey)'; do
		output=$(jq "$bad" <<<"$good")
		run valid
		[ "$status" -eq 1 ] || { echo "accepted: $bad"; false; }
	done
	output='{"schemaVersion": 1, "command": "key public", "ok": true, "error": null}'
	run valid
	[ "$status" -eq 1 ]
	output='not json'
	run valid
	[ "$status" -eq 1 ]
}

@test "every command but completion and policy serve takes -o json" {
	hm help | sed -n 's/^  \([a-z -]*[a-z]\)  .*/\1/p' | sed 's/ *$//' >"$BATS_TEST_TMPDIR/cmds"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cmds")" -ge 16 ]
	while read -r cmd; do
		case $cmd in completion | "policy serve") continue ;; esac
		# shellcheck disable=SC2086
		hm $cmd --help | grep -q -- '-o, --output FORMAT' || { echo "no -o json: $cmd"; false; }
	done <"$BATS_TEST_TMPDIR/cmds"
}

@test "key generate and key public" {
	run --separate-stderr hm key generate --output-prefix "$BATS_TEST_TMPDIR/k" -o json
	[ "$status" -eq 0 ]
	valid
	[ "$(field .publicKey)" = "$BATS_TEST_TMPDIR/k.pub" ]
	fp=$(field .fingerprint)
	run --separate-stderr hm key public --key "$BATS_TEST_TMPDIR/k.key" -ojson
	[ "$status" -eq 0 ]
	valid
	[ "$(field .fingerprint)" = "$fp" ]
	[ "$(field .publicKey)" = "$(cat "$BATS_TEST_TMPDIR/k.pub")" ]
	# failures: the pair exists; the key is unreadable
	run --separate-stderr hm key generate --output-prefix "$BATS_TEST_TMPDIR/k" -o json
	[ "$status" -eq 3 ]
	valid
	[ "$(field .ok)" = false ]
	[[ "$(field .error)" == *"exists"* ]]
	run --separate-stderr hm key public --key "$BATS_TEST_TMPDIR/none.key" -o json
	[ "$status" -eq 3 ]
	valid
	[[ "$(field .error)" == *"none.key"* ]]
}

@test "sign: an entry per image, the failing one with its error, the others signed" {
	run --separate-stderr hm sign --key "$D/b.key" -o json "oci:$L:v2" "oci:$L:missing" "$APP:v2"
	[ "$status" -eq 3 ]
	valid
	[ "$(field '.images | length')" = 3 ]
	[ "$(field '.images[0].reference')" = "oci:$L:v2" ]
	[ "$(field '.images[0].error')" = null ]
	[ "$(field '.images[0].signed[0].added')" = true ]
	[ "$(field '.images[1].reference')" = "oci:$L:missing" ]
	[[ "$(field '.images[1].error')" == *"missing"* ]]
	[ "$(field '.images[2].digest')" = "$(digest_of "$APP:v2")" ]
	[ "$(field .ok)" = false ]
	[ "$(field .fingerprint)" = "$(hm key public -k "$D/b.key" -o json | jq -r .fingerprint)" ]
	# again: nothing added, all well
	run --separate-stderr hm sign --key "$D/b.key" -o json "oci:$L:v2"
	[ "$status" -eq 0 ]
	valid
	[ "$(field '.images[0].signed[0].added')" = false ]
	[ "$(field .ok)" = true ]
	# a key that cannot be read stops before any image: still a document
	run --separate-stderr hm sign --key "$D/none.key" -o json "oci:$L:v2"
	[ "$status" -eq 3 ]
	valid
	[ "$(field 'has("images")')" = false ]
	[[ "$(field .error)" == *"none.key"* ]]
}

@test "verify: verified, refused, unreachable, each with its entry" {
	run --separate-stderr hm verify --key "$D/a.pub" -o json "$APP:v1" "oci:$L:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field '[.images[].verified] | all')" = true ]
	[ "$(field '.images[0].signatures[0].fingerprint')" = "$(hm key public -k "$D/a.key" -o json | jq -r .fingerprint)" ]
	run --separate-stderr hm verify --key "$D/a.pub" -o json "$APP:v1" "$APP:v2" "127.0.0.1:1/x:y"
	[ "$status" -eq 3 ]
	valid
	[ "$(field '.images[0].error')" = null ]
	[ "$(field '.images[1].verified')" = false ]
	[[ "$(field '.images[1].error')" == *"no valid signature"* ]]
	[ "$(field '.images[2].reference')" = "127.0.0.1:1/x:y" ]
	[ "$(field '.images[2].digest')" = null ]
	[[ "$(field '.images[2].error')" == *"127.0.0.1:1"* ]]
	run --separate-stderr hm verify --key "$D/a.pub" -o json "$APP:v2"
	[ "$status" -eq 1 ]
	valid
	run --separate-stderr hm verify --key "$D/none.pub" -o json "$APP:v1"
	[ "$status" -eq 3 ]
	valid
	[[ "$(field .error)" == *"none.pub"* ]]
}

@test "usage errors (exit 2) stay on stderr; stdout is empty" {
	run --separate-stderr hm verify -o json "$APP:v1"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"verify"* ]]
	run --separate-stderr hm verify --key "$D/a.pub" -o yaml "$APP:v1"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "attest and verify-attestation" {
	run --separate-stderr hm attest --key "$D/a.key" --type vuln --predicate "$D/pred.json" -o json "oci:$L:v1" "oci:$L:missing"
	[ "$status" -eq 3 ]
	valid
	[ "$(field '.images[0].added')" = true ]
	[[ "$(field '.images[1].error')" == *"missing"* ]]
	[ "$(field .predicateType)" = https://cosign.sigstore.dev/attestation/vuln/v1 ]
	run --separate-stderr hm verify-attestation --key "$D/a.pub" -o json "$APP:v1" "oci:$L:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field '.images[0].attestations[0].valid')" = true ]
	run --separate-stderr hm verify-attestation --key "$D/b.pub" -o json "$APP:v1" "$APP:v2"
	[ "$status" -eq 1 ]
	valid
	[[ "$(field '.images[0].error')" == *"no valid attestation"* ]]
	[ "$(field '.images | length')" = 2 ]
	run --separate-stderr hm attest --key "$D/a.key" --predicate "$D/none.json" -o json "$APP:v1"
	[ "$status" -eq 3 ]
	valid
}

@test "attest provenance, printed and attached" {
	repo=$BATS_TEST_TMPDIR/src
	mkdir -p "$repo"
	(cd "$repo" && git init -q -b main . && printf 'FROM scratch\n' >Dockerfile &&
		git add Dockerfile && git -c user.name=t -c user.email=t@e commit -qm one)
	run --separate-stderr hm attest provenance --print --git "$repo" -o json "oci:$L:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .statement.predicateType)" = https://slsa.dev/provenance/v1 ]
	run --separate-stderr hm attest provenance --key "$D/a.key" --git "$repo" -o json "oci:$L:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .added)" = true ]
	[ "$(field .reference)" = "oci:$L:v1" ]
	run --separate-stderr hm attest provenance --key "$D/a.key" --git "$repo" -o json "oci:$L:missing"
	[ "$status" -eq 3 ]
	valid
	[ "$(field .ok)" = false ]
	[[ "$(field .error)" == *"missing"* ]]
}

@test "sign-blob and verify-blob" {
	run --separate-stderr hm sign-blob --key "$D/a.key" --bundle "$BATS_TEST_TMPDIR/b.json" -o json "$D/blob"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .kind)" = messageSignature ]
	[ "$(field .digest)" = "sha256:$(sha256sum "$D/blob" | cut -d' ' -f1)" ]
	run --separate-stderr hm verify-blob --key "$D/a.pub" --bundle "$BATS_TEST_TMPDIR/b.json" -o json "$D/blob"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .verified)" = true ]
	run --separate-stderr hm verify-blob --key "$D/b.pub" --bundle "$BATS_TEST_TMPDIR/b.json" -o json "$D/blob"
	[ "$status" -eq 1 ]
	valid
	[ "$(field .verified)" = false ]
	[ -n "$(field .error)" ]
	run --separate-stderr hm verify-blob --key "$D/a.pub" --bundle "$BATS_TEST_TMPDIR/none.json" -o json "$D/blob"
	[ "$status" -eq 3 ]
	valid
	run --separate-stderr hm sign-blob --key "$D/a.key" --bundle "$BATS_TEST_TMPDIR/c.json" -o json "$D/none"
	[ "$status" -eq 3 ]
	valid
}

@test "tree and copy" {
	run --separate-stderr hm tree -o json "$APP:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .reference)" = "$APP:v1" ]
	[ "$(field '.bundles | length')" -ge 2 ]
	run --separate-stderr hm tree -o json "$APP:missing"
	[ "$status" -eq 3 ]
	valid
	run --separate-stderr hm copy -o json "$APP:v1" "oci:$BATS_TEST_TMPDIR/copy:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .reference)" = "$APP:v1" ]
	run --separate-stderr hm copy -o json "$APP:missing" "oci:$BATS_TEST_TMPDIR/copy:v1"
	[ "$status" -eq 3 ]
	valid
	[[ "$(field .error)" == *"missing"* ]]
}

@test "policy lint: valid, with problems, unreadable" {
	run --separate-stderr hm policy lint -o json "$D/policy.yaml"
	[ "$status" -eq 0 ]
	valid
	[ "$(field .valid)" = true ]
	[ "$(field .rules)" = 1 ]
	printf 'apiVersion: hallmark/v1\nkind: Policy\nbogus: 1\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run --separate-stderr hm policy lint -o json "$BATS_TEST_TMPDIR/bad.yaml"
	[ "$status" -eq 1 ]
	valid
	[ "$(field .valid)" = false ]
	[[ "$(field '.problems[0]')" == *"bad.yaml:3:1: unknown key 'bogus'"* ]]
	run --separate-stderr hm policy lint -o json "$BATS_TEST_TMPDIR/none.yaml"
	[ "$status" -eq 3 ]
	valid
}

@test "policy check: allowed, denied, unchecked, each image with its entry" {
	run --separate-stderr hm policy check -p "$D/policy.yaml" -o json "$APP:v1"
	[ "$status" -eq 0 ]
	valid
	[ "$(field '.images[0].reference')" = "$APP:v1" ]
	run --separate-stderr hm policy check -p "$D/policy.yaml" -o json "$APP:v1" "$APP:v2" "other.invalid/x:1"
	[ "$status" -eq 1 ]
	valid
	[ "$(field '[.images[].allowed] | map(tostring) | join(",")')" = true,false,false ]
	[ "$(field .allowed)" = false ]
	run --separate-stderr hm policy check -p "$D/policy.yaml" -o json "$APP:v1" "$APP:missing"
	[ "$status" -eq 3 ]
	valid
	[ -n "$(field '.images[1].error')" ]
	[ "$(field '.images[0].allowed')" = true ]
	run --separate-stderr hm policy check -p "$BATS_TEST_TMPDIR/none.yaml" -o json "$APP:v1"
	[ "$status" -eq 3 ]
	valid
}

@test "policy check -f streams: one image per line, valid JSON as a whole" {
	for i in $(seq 1 50); do
		printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%s}\nspec:\n  containers:\n  - {name: c, image: "other.invalid/x:%s"}\n' "$i" "$i"
	done >"$BATS_TEST_TMPDIR/pods.yaml"
	run --separate-stderr hm policy check -p "$D/policy.yaml" -f "$BATS_TEST_TMPDIR/pods.yaml" -o json
	[ "$status" -eq 1 ]
	valid
	[ "$(field '.images | length')" = 50 ]
	[ "$(grep -c '^{"reference":"other.invalid/x:' <<<"$output")" = 50 ]
}

@test "audit: streamed, valid; an unreachable repository is still a document" {
	run --separate-stderr hm audit --key "$D/a.pub" -o json "$APP"
	[ "$status" -eq 1 ]
	valid
	[ "$(field .reference)" = "$APP" ]
	[ "$(field '[.tags[].tag] | sort | join(",")')" = v1,v2 ]
	[ "$(grep -c '^{"tag":' <<<"$output")" = 2 ]
	[ "$(field '.tags[0].signatures.keys[0].fingerprint | length')" = 64 ]
	run --separate-stderr hm audit -o json --timeout 5 "127.0.0.1:1/nothing"
	[ "$status" -eq 3 ]
	valid
	[ "$(field .ok)" = false ]
}

@test "policy check --admission-review: the AdmissionReview response alone, even when denied" {
	review "$APP:v2" >"$BATS_TEST_TMPDIR/review.json"
	run --separate-stderr hm policy check -p "$D/policy.yaml" --admission-review "$BATS_TEST_TMPDIR/review.json" -o json
	[ "$status" -eq 1 ]
	[ "$(jq -s length <<<"$output")" = 1 ]
	[ "$(jq -r .kind <<<"$output")" = AdmissionReview ]
	[ "$(jq -r .response.allowed <<<"$output")" = false ]
}
