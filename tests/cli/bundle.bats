#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cosign v3's storage: Sigstore bundles as OCI 1.1 referrers.  The test
# registry (distribution 2.8) has no referrers API, so everything here goes
# through the referrers tag sha256-<hex>; layouts answer referrers
# themselves.  Forgeries: a bundle replayed from another image, a referrer
# of another subject, an annotation lying about the predicate type, a junk
# bundle under on_error: allow, a message-signature bundle.

load ../lib/common

MT=application/vnd.oci.image.manifest.v1+json
IDX=application/vnd.oci.image.index.v1+json
BUNDLE=application/vnd.dev.sigstore.bundle.v0.3+json

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	mkdir -p "$KEYS"
	for k in a b c d e f g h; do hm key generate --output-prefix "$KEYS/$k" >/dev/null 2>&1; done
	echo '{"scanner":"none","result":"clean"}' >"$BATS_FILE_TMPDIR/pred.json"
	printf '{}' >"$BATS_FILE_TMPDIR/empty.json"
}

teardown_file() { common_teardown_file; }

# policy FILE REQUIRE...: a policy for $R/** with keys a, b and the require block.
policy() {
	local f=$1
	shift
	{
		printf 'apiVersion: hallmark/v1\nkind: Policy\nkeys:\n  a: { file: %s }\n  b: { file: %s }\nrules:\n  - name: r\n    images: ["%s/**"]\n    on_error: allow\n    require:\n' \
			"$KEYS/a.pub" "$KEYS/b.pub" "$R"
		printf '      %s\n' "$@"
	} >"$f"
}

# add_referrer REPO DIGEST FILE [ENTRY_JQ]: stores manifest FILE by digest and
# lists it in the referrers tag of DIGEST (descriptor edited by ENTRY_JQ).
add_referrer() {
	local repo=$1 d=$2 f=$3 edit=${4:-.} md
	md=sha256:$(sha256sum "$f" | cut -d' ' -f1)
	put_manifest "$repo" "$md" "$f"
	refs_index "$repo" "$d" | jq -c --arg md "$md" --argjson s "$(stat -c %s "$f")" --slurpfile m "$f" --arg mt "$MT" \
		".manifests += [({mediaType:\$mt,digest:\$md,size:\$s,artifactType:\$m[0].artifactType,annotations:\$m[0].annotations}) | $edit]" \
		>"$BATS_TEST_TMPDIR/idx.json"
	put_refs_index "$repo" "$d" "$BATS_TEST_TMPDIR/idx.json"
}

# first_referrer REPO DIGEST: prints the first referrer manifest of DIGEST.
first_referrer() {
	get_manifest "$1" "$(refs_index "$1" "$2" | jq -r '.manifests[0].digest')"
}

@test "sign and attest in bundle format (the default): stored as cosign v3 does, seen by verify, verify-attestation, policy, tree, audit" {
	d=$(fresh bu/app)
	run hm sign --key "$KEYS/a.key" "$R/bu/app:1"
	[ "$status" -eq 0 ]
	run hm attest --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$R/bu/app:1"
	[ "$status" -eq 0 ]
	# no cosign v2 tag; the referrers tag lists two bundles
	! get_manifest bu/app "sha256-${d#sha256:}.sig"
	idx=$(refs_index bu/app "$d")
	echo "$idx" | jq -e '.manifests | length == 2'
	m=$(first_referrer bu/app "$d")
	echo "$m" | jq -e --arg b "$BUNDLE" --arg d "$d" '.artifactType == $b and .layers[0].mediaType == $b and
		.config.mediaType == "application/vnd.oci.empty.v1+json" and .config.size == 2 and
		.config.digest == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" and
		.subject.digest == $d and .annotations["dev.sigstore.bundle.content"] == "dsse-envelope" and
		.annotations["dev.sigstore.bundle.predicateType"] == "https://sigstore.dev/cosign/sign/v1"'
	# the statement is cosign v3's: subject = the digest, empty predicate
	b=$(curl -fsS "$(api bu/app)/blobs/$(echo "$m" | jq -r '.layers[0].digest')")
	echo "$b" | jq -r '.dsseEnvelope.payload' | base64 -d | jq -e --arg h "${d#sha256:}" \
		'._type == "https://in-toto.io/Statement/v1" and .subject == [{"digest":{"sha256":$h}}] and
		 .predicateType == "https://sigstore.dev/cosign/sign/v1" and .predicate == {}'
	echo "$b" | jq -e '.mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json" and .verificationMaterial.publicKey.hint != null'
	run hm verify --key "$KEYS/a.pub" "$R/bu/app:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 signature valid"* ]]
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$R/bu/app:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 attestation valid"* ]]
	policy "$BATS_TEST_TMPDIR/p.yaml" 'signatures: { keys: [a] }' 'attestations: [{ type: "https://cosign.sigstore.dev/attestation/vuln/v1", keys: [a], where: [{ path: predicate.result, equals: clean }] }]'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/app@$d"
	[ "$status" -eq 0 ]
	run hm tree "$R/bu/app:1"
	[[ "$output" == *"bundles: 2"* ]]
	[[ "$output" == *"sigstore-bundle  referrers-tag"*"predicate type unverified (annotation, a hint: https://sigstore.dev/cosign/sign/v1)"* ]]
	hm tree --output json "$R/bu/app:1" | jq -e '[.bundles[] | select(.form == "referrers-tag" and .predicateType == "unverified")] | length == 2'
	run hm audit --key "$KEYS/a.pub" "$R/bu/app"
	[[ "$output" == *"1 signature"* ]] || [[ "$output" == *"signed"* ]]
	hm audit --key "$KEYS/a.pub" --output json "$R/bu/app" | jq -e '.. | objects | select(has("signatures")) | .signatures | length >= 1' >/dev/null
	# signing again with the same key adds nothing
	run hm sign --key "$KEYS/a.key" "$R/bu/app:1"
	[[ "$output" == "already signed "* ]]
	refs_index bu/app "$d" | jq -e '.manifests | length == 2'
}

@test "legacy and bundle signatures count toward one threshold, one vote per key" {
	d=$(fresh bu/mixed)
	hm sign --key "$KEYS/a.key" "$R/bu/mixed:1" >/dev/null
	policy "$BATS_TEST_TMPDIR/p.yaml" 'signatures: { keys: [a, b], threshold: 2 }'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/mixed@$d"
	[ "$status" -eq 1 ]
	hm sign --format legacy --key "$KEYS/a.key" "$R/bu/mixed:1" >/dev/null
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/mixed@$d"
	[ "$status" -eq 1 ] # a twice is still one vote
	hm sign --format legacy --key "$KEYS/b.key" "$R/bu/mixed:1" >/dev/null
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/mixed@$d"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/a.pub" --key "$KEYS/b.pub" "$R/bu/mixed:1"
	[[ "$output" == *"3 of 3 signatures valid"* ]]
}

@test "a cosign/sign/v1 bundle is no attestation, and an attestation bundle no signature" {
	d=$(fresh bu/cross)
	hm sign --key "$KEYS/a.key" "$R/bu/cross:1" >/dev/null
	run hm verify-attestation --key "$KEYS/a.pub" "$R/bu/cross:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0 attestations"* ]]
	policy "$BATS_TEST_TMPDIR/p.yaml" 'attestations: [{ type: "https://slsa.dev/provenance/v1", keys: [a] }]'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/cross@$d"
	[ "$status" -eq 1 ]
	d2=$(fresh bu/cross2)
	hm attest --key "$KEYS/a.key" --type slsaprovenance --predicate "$BATS_FILE_TMPDIR/pred.json" "$R/bu/cross2:1" >/dev/null
	run hm verify --key "$KEYS/a.pub" "$R/bu/cross2:1"
	[ "$status" -eq 1 ]
	policy "$BATS_TEST_TMPDIR/p.yaml" 'signatures: { keys: [a] }'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/cross2@$d2"
	[ "$status" -eq 1 ]
}

@test "forgery: the referrer's annotation lies about the predicate type; the signed statement decides" {
	d=$(fresh bu/lie)
	hm attest --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$R/bu/lie:1" >/dev/null
	first_referrer bu/lie "$d" | jq -c '.annotations["dev.sigstore.bundle.predicateType"] = "https://slsa.dev/provenance/v1"' >"$BATS_TEST_TMPDIR/m.json"
	add_referrer bu/lie "$d" "$BATS_TEST_TMPDIR/m.json" '.'
	# only the lying one is listed
	refs_index bu/lie "$d" | jq -c '.manifests |= [.[-1]]' >"$BATS_TEST_TMPDIR/idx.json"
	put_refs_index bu/lie "$d" "$BATS_TEST_TMPDIR/idx.json"
	policy "$BATS_TEST_TMPDIR/p.yaml" 'attestations: [{ type: "https://slsa.dev/provenance/v1", keys: [a] }]'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/lie@$d"
	[ "$status" -eq 1 ]
	run hm verify-attestation --key "$KEYS/a.pub" --type slsaprovenance "$R/bu/lie:1"
	[ "$status" -eq 1 ]
	run hm tree "$R/bu/lie:1"
	[[ "$output" == *"a hint: https://slsa.dev/provenance/v1"* ]]
}

@test "forgery: a bundle of another image replayed as a referrer of this one (subject fixed up) is refused" {
	d1=$(fresh bu/victim)
	d2=$(fresh bu/victim)
	hm sign --key "$KEYS/a.key" "$R/bu/victim@$d1" >/dev/null
	first_referrer bu/victim "$d1" | jq -c --arg d "$d2" '.subject.digest = $d' >"$BATS_TEST_TMPDIR/m.json"
	add_referrer bu/victim "$d2" "$BATS_TEST_TMPDIR/m.json"
	run hm verify --key "$KEYS/a.pub" "$R/bu/victim@$d2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"subjects do not include $d2"* ]]
	policy "$BATS_TEST_TMPDIR/p.yaml" 'signatures: { keys: [a] }'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/victim@$d2"
	[ "$status" -eq 1 ]
}

@test "a referrer manifest whose subject is another digest is ignored" {
	d1=$(fresh bu/other)
	d2=$(fresh bu/other)
	hm sign --key "$KEYS/a.key" "$R/bu/other@$d1" >/dev/null
	first_referrer bu/other "$d1" >"$BATS_TEST_TMPDIR/m.json"
	add_referrer bu/other "$d2" "$BATS_TEST_TMPDIR/m.json"
	run hm tree "$R/bu/other@$d2"
	[[ "$output" == *"bundles: 0"* ]]
	run hm verify --key "$KEYS/a.pub" "$R/bu/other@$d2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0"* ]]
}

@test "a junk bundle referrer beside an unsigned image under on_error: allow is denied" {
	d=$(fresh bu/junk)
	echo 'not a bundle' >"$BATS_TEST_TMPDIR/junk"
	bd=$(put_blob bu/junk "$BATS_TEST_TMPDIR/junk")
	cd=$(put_blob bu/junk "$BATS_FILE_TMPDIR/empty.json")
	jq -nc --arg mt "$MT" --arg b "$BUNDLE" --arg bd "$bd" --arg cd "$cd" --arg d "$d" \
		'{schemaVersion:2,mediaType:$mt,artifactType:$b,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},
		  layers:[{mediaType:$b,digest:$bd,size:12}],subject:{mediaType:$mt,digest:$d,size:1}}' >"$BATS_TEST_TMPDIR/m.json"
	add_referrer bu/junk "$d" "$BATS_TEST_TMPDIR/m.json"
	policy "$BATS_TEST_TMPDIR/p.yaml" 'signatures: { keys: [a] }'
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/bu/junk@$d"
	[ "$status" -eq 1 ]
	run hm verify --key "$KEYS/a.pub" "$R/bu/junk@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bundle"* ]]
}

@test "a message-signature bundle is refused for an image, saying why" {
	d=$(fresh bu/msg)
	bd=$(put_blob bu/msg "$REPO_ROOT/tests/fixtures/bundles/v01-message-key.json")
	cd=$(put_blob bu/msg "$BATS_FILE_TMPDIR/empty.json")
	jq -nc --arg mt "$MT" --arg b "$BUNDLE" --arg bd "$bd" --arg cd "$cd" --arg d "$d" \
		--argjson s "$(stat -c %s "$REPO_ROOT/tests/fixtures/bundles/v01-message-key.json")" \
		'{schemaVersion:2,mediaType:$mt,artifactType:$b,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},
		  layers:[{mediaType:"application/vnd.dev.sigstore.bundle+json;version=0.1",digest:$bd,size:$s}],subject:{mediaType:$mt,digest:$d,size:1}}' >"$BATS_TEST_TMPDIR/m.json"
	add_referrer bu/msg "$d" "$BATS_TEST_TMPDIR/m.json"
	run hm verify --key "$REPO_ROOT/tests/fixtures/bundles/key.pub" "$R/bu/msg@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"message-signature bundle"*"cosign signs images with a https://sigstore.dev/cosign/sign/v1 statement"* ]]
}

@test "a referrers-tag descriptor with artifactType application/vnd.oci.empty.v1+json is still found by its layer" {
	d=$(fresh bu/empty)
	hm sign --key "$KEYS/a.key" "$R/bu/empty:1" >/dev/null
	refs_index bu/empty "$d" | jq -c '.manifests[0].artifactType = "application/vnd.oci.empty.v1+json" | del(.manifests[0].annotations)' >"$BATS_TEST_TMPDIR/idx.json"
	put_refs_index bu/empty "$d" "$BATS_TEST_TMPDIR/idx.json"
	run hm verify --key "$KEYS/a.pub" "$R/bu/empty:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 signature valid"* ]]
}

@test "a layout as cosign save writes it (kind annotations, no tags) verifies" {
	L=$BATS_TEST_TMPDIR/save
	cp -R "$REPO_ROOT/examples/image" "$L"
	d=$(jq -r '.manifests[0].digest' "$L/index.json")
	hm sign --format legacy --key "$KEYS/a.key" "oci:$L:1.0" >/dev/null
	hm attest --format legacy --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "oci:$L:1.0" >/dev/null
	# what cosign save leaves: the image, its .sig and .att manifests, no tags, "kind" annotations
	jq -c --arg d "$d" '.manifests |= map(
		(.annotations["org.opencontainers.image.ref.name"] // "") as $n |
		del(.annotations["org.opencontainers.image.ref.name"]) |
		.annotations.kind = (if ($n | endswith(".sig")) then "dev.cosignproject.cosign/sigs"
			elif ($n | endswith(".att")) then "dev.cosignproject.cosign/atts"
			else "dev.cosignproject.cosign/image" end))' "$L/index.json" >"$BATS_TEST_TMPDIR/i.json"
	cp "$BATS_TEST_TMPDIR/i.json" "$L/index.json"
	jq -e '[.manifests[].annotations.kind] | sort == ["dev.cosignproject.cosign/atts","dev.cosignproject.cosign/image","dev.cosignproject.cosign/sigs"]' "$L/index.json"
	run hm verify --key "$KEYS/a.pub" "oci:$L"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 signature valid"*"(layout entry dev.cosignproject.cosign/sigs)"* ]]
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "oci:$L@$d"
	[ "$status" -eq 0 ]
	run hm tree "oci:$L"
	[[ "$output" == *"simple-signing  cosign-save-layout"* ]]
	# another key is refused
	run hm verify --key "$KEYS/b.pub" "oci:$L"
	[ "$status" -eq 1 ]
}

@test "a layout with a Docker schema 1 entry still verifies its other image (bundle in a layout referrer)" {
	L=$BATS_TEST_TMPDIR/s1
	cp -R "$REPO_ROOT/examples/image" "$L"
	printf '{"schemaVersion":1,"name":"x/y","tag":"old","architecture":"amd64","fsLayers":[],"history":[]}' >"$BATS_TEST_TMPDIR/s1.json"
	h=$(sha256sum "$BATS_TEST_TMPDIR/s1.json" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/s1.json" "$L/blobs/sha256/$h"
	jq -c --arg d "sha256:$h" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/s1.json")" \
		'.manifests += [{mediaType:"application/vnd.docker.distribution.manifest.v1+prettyjws",digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"old"}}]' \
		"$L/index.json" >"$BATS_TEST_TMPDIR/i.json"
	cp "$BATS_TEST_TMPDIR/i.json" "$L/index.json"
	run hm sign --key "$KEYS/a.key" "oci:$L"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/a.pub" "oci:$L:1.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 signature valid"* ]]
	run hm tree "oci:$L:1.0"
	[[ "$output" == *"sigstore-bundle  layout-referrer"* ]]
	run hm verify --key "$KEYS/a.pub" "oci:$L:old"
	[ "$status" -ne 0 ]
}

@test "8 concurrent bundle signers with 8 keys on one image (referrers tag): verify finds all 8" {
	d=$(fresh bu/many)
	for k in a b c d e f g h; do
		{ hm sign --key "$KEYS/$k.key" "$R/bu/many@$d" >"$BATS_TEST_TMPDIR/$k.out" 2>&1; echo "exit $?" >>"$BATS_TEST_TMPDIR/$k.out"; } &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/?.out
	args=()
	for k in a b c d e f g h; do args+=(--key "$KEYS/$k.pub"); done
	run hm verify "${args[@]}" "$R/bu/many@$d"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"8 of 8 signatures valid"* ]]
}
