#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Attestations against the real registry: attach, verify, filter, forgeries,
# provenance whose base image resolves through the registry, and an
# attestation written by an independent implementation of the formats.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --output-prefix "$KEYS/b" >/dev/null 2>&1
	make_image "$LAYOUT" base "base image"
	make_image "$LAYOUT" app "app image"
	push_image "$LAYOUT" base att/base:1
	push_image "$LAYOUT" app att/app:1
	export APP=$HM_TEST_REGISTRY/att/app:1
	echo '{"scanner":"none","result":"clean"}' >"$BATS_FILE_TMPDIR/pred.json"
}

teardown_file() { common_teardown_file; }

@test "attest on the registry: stored as cosign does, verified, listed by tree" {
	run hm attest --format legacy --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$APP"
	[ "$status" -eq 0 ]
	d=$(digest_of "$APP")
	m=$(get_manifest att/app "sha256-${d#sha256:}.att")
	echo "$m" | jq -e '.layers[0].mediaType == "application/vnd.dsse.envelope.v1+json"'
	echo "$m" | jq -e '.layers[0].annotations.predicateType == "https://cosign.sigstore.dev/attestation/vuln/v1"'
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$APP"
	[ "$status" -eq 0 ]
	run hm tree "$APP"
	[[ "$output" == *"attestations: 1"* ]]
	[[ "$output" == *"https://cosign.sigstore.dev/attestation/vuln/v1"* ]]
}

@test "attesting the same statement again with the same key adds nothing; another key appends" {
	run hm attest --format legacy --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$APP"
	[ "$status" -eq 0 ]
	[[ "$output" == "already attested "* ]]
	hm attest --format legacy --key "$KEYS/b.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$APP"
	run hm tree "$APP"
	[[ "$output" == *"attestations: 2"* ]]
	run hm verify-attestation --key "$KEYS/a.pub" --key "$KEYS/b.pub" "$APP"
	[[ "${lines[0]}" == *"2 of 2 attestations valid" ]]
}

@test "verify-attestation: wrong key and absent type fail with exit 1" {
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/c" 2>/dev/null
	run hm verify-attestation --key "$BATS_TEST_TMPDIR/c.pub" "$APP"
	[ "$status" -eq 1 ]
	run hm verify-attestation --key "$KEYS/a.pub" --type spdx "$APP"
	[ "$status" -eq 1 ]
}

@test "attest provenance resolves the Dockerfile's base image through the registry" {
	repo=$BATS_TEST_TMPDIR/src
	mkdir -p "$repo"
	(cd "$repo" && git init -q -b main . && git remote add origin https://git.example.com/org/app.git &&
		printf 'FROM %s AS build\nRUN make\nFROM build\n' "$HM_TEST_REGISTRY/att/base:1" >Dockerfile &&
		git add Dockerfile && git -c user.name=t -c user.email=t@e commit -qm one &&
		git -c user.name=t -c user.email=t@e tag -a v1.0.0 -m release)
	run hm attest provenance --format legacy --key "$KEYS/a.key" --git "$repo" --builder-id https://ci.example.com/b "$APP"
	[ "$status" -eq 0 ]
	run hm verify-attestation --key "$KEYS/a.pub" --type slsaprovenance --output json "$APP"
	[ "$status" -eq 0 ]
	base=$(digest_of "$HM_TEST_REGISTRY/att/base:1")
	commit=$(git -C "$repo" rev-parse HEAD)
	echo "$output" | jq -e --arg b "${base#sha256:}" --arg c "$commit" '
		[.. | objects | select(has("buildDefinition"))][0] as $p
		| ($p.buildDefinition.externalParameters.ref == "refs/tags/v1.0.0")
		and ($p.buildDefinition.resolvedDependencies[0].digest.gitCommit == $c)
		and ([$p.buildDefinition.resolvedDependencies[].digest.sha256] | index($b) != null)
		and ($p.runDetails.builder.id == "https://ci.example.com/b")'
}

@test "attest provenance: a base image missing from the registry is a one-line error naming it" {
	repo=$BATS_TEST_TMPDIR/src
	mkdir -p "$repo"
	(cd "$repo" && git init -q -b main . &&
		printf 'FROM %s\n' "$HM_TEST_REGISTRY/att/nothere:1" >Dockerfile &&
		git add Dockerfile && git -c user.name=t -c user.email=t@e commit -qm one)
	run hm attest provenance --format legacy --key "$KEYS/a.key" --git "$repo" "$APP"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"Dockerfile:1"*"att/nothere:1"* ]]
}

@test "interop: an in-toto v0.1 attestation signed and attached by an independent implementation verifies" {
	py="$PYTHON $REPO_ROOT/tests/interop/cosignfmt.py"
	COSIGN_PASSWORD=x $py genkey "$BATS_TEST_TMPDIR/ext"
	make_image "$LAYOUT" ext "externally attested"
	push_image "$LAYOUT" ext att/ext:1
	d=$(digest_of "$HM_TEST_REGISTRY/att/ext:1")
	jq -nc --arg h "${d#sha256:}" --arg n "$HM_TEST_REGISTRY/att/ext" \
		'{_type:"https://in-toto.io/Statement/v0.1",predicateType:"https://slsa.dev/provenance/v0.2",
		  subject:[{name:$n,digest:{sha256:$h}}],predicate:{builder:{id:"https://ext.example.com"}}}' >"$BATS_TEST_TMPDIR/st.json"
	COSIGN_PASSWORD=x $py dsse-sign --key "$BATS_TEST_TMPDIR/ext.key" --type application/vnd.in-toto+json \
		"$BATS_TEST_TMPDIR/st.json" >"$BATS_TEST_TMPDIR/env.json"
	ed=$(put_blob att/ext "$BATS_TEST_TMPDIR/env.json")
	printf '{}' >"$BATS_TEST_TMPDIR/config"
	cd=$(put_blob att/ext "$BATS_TEST_TMPDIR/config")
	jq -nc --arg ed "$ed" --argjson es "$(stat -c %s "$BATS_TEST_TMPDIR/env.json")" --arg cd "$cd" \
		'{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
		  config:{mediaType:"application/vnd.oci.image.config.v1+json",size:2,digest:$cd},
		  layers:[{mediaType:"application/vnd.dsse.envelope.v1+json",size:$es,digest:$ed,
		           annotations:{predicateType:"https://slsa.dev/provenance/v0.2"}}]}' >"$BATS_TEST_TMPDIR/m.json"
	put_manifest att/ext "sha256-${d#sha256:}.att" "$BATS_TEST_TMPDIR/m.json"
	run hm verify-attestation --key "$BATS_TEST_TMPDIR/ext.pub" --type slsaprovenance02 "$HM_TEST_REGISTRY/att/ext:1"
	[ "$status" -eq 0 ]
	# and the other implementation verifies an envelope hallmark attached
	hm attest --format legacy --key "$KEYS/a.key" --type custom --predicate "$BATS_FILE_TMPDIR/pred.json" "$HM_TEST_REGISTRY/att/ext:1"
	get_manifest att/ext "sha256-${d#sha256:}.att" | jq -r '.layers[1].digest' >"$BATS_TEST_TMPDIR/ours"
	curl -fsS "$(api att/ext)/blobs/$(cat "$BATS_TEST_TMPDIR/ours")" >"$BATS_TEST_TMPDIR/our-env.json"
	$py dsse-verify --key "$KEYS/a.pub" "$BATS_TEST_TMPDIR/our-env.json" | jq -e '._type == "https://in-toto.io/Statement/v1"'
}
