# SPDX-License-Identifier: Apache-2.0
# Keyless material for images, shared by the keyless bats files: in-toto
# statements about an image, and a Sigstore bundle attached as an OCI 1.1
# referrer listed in the referrers tag (as cosign v3 stores it on a
# registry without the referrers API).  Needs $R (the registry), $D (a
# folder holding empty.json) and STMT_REPO (the repository the statements
# name, under $R).
MT=application/vnd.oci.image.manifest.v1+json
IDX=application/vnd.oci.image.index.v1+json
BUNDLE=application/vnd.dev.sigstore.bundle.v0.3+json

# statement FILE DIGEST TYPE: an in-toto statement of TYPE about image DIGEST.
statement() {
	jq -nc --arg d "${2#sha256:}" --arg t "$3" --arg n "$R/$STMT_REPO" \
		'{_type:"https://in-toto.io/Statement/v1",subject:[{name:$n,digest:{sha256:$d}}],predicateType:$t,
		  predicate:(if $t == "https://slsa.dev/provenance/v1" then {buildDefinition:{buildType:"x"}} else {} end)}' >"$1"
}

# attach_bundle REPO DIGEST BUNDLE TYPE: stores BUNDLE as a referrer of DIGEST
# (as cosign v3 does) and lists it in the referrers tag.
attach_bundle() {
	local repo=$1 d=$2 f=$3 t=$4 bd cd md idx
	bd=$(put_blob "$repo" "$f")
	cd=$(put_blob "$repo" "$D/empty.json")
	jq -nc --arg mt "$MT" --arg b "$BUNDLE" --arg bd "$bd" --arg cd "$cd" --arg d "$d" --arg t "$t" \
		--argjson s "$(stat -c %s "$f")" \
		'{schemaVersion:2,mediaType:$mt,artifactType:$b,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},
		  layers:[{mediaType:$b,digest:$bd,size:$s}],subject:{mediaType:$mt,digest:$d,size:1},
		  annotations:{"dev.sigstore.bundle.predicateType":$t}}' >"$BATS_TEST_TMPDIR/m.json"
	md=sha256:$(sha256sum "$BATS_TEST_TMPDIR/m.json" | cut -d' ' -f1)
	put_manifest "$repo" "$md" "$BATS_TEST_TMPDIR/m.json"
	idx=$(refs_index "$repo" "$d")
	jq -c --arg md "$md" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/m.json")" --arg mt "$MT" --arg b "$BUNDLE" --arg t "$t" \
		'.manifests += [{mediaType:$mt,digest:$md,size:$s,artifactType:$b,annotations:{"dev.sigstore.bundle.predicateType":$t}}]' \
		<<<"$idx" >"$BATS_TEST_TMPDIR/idx.json"
	put_refs_index "$repo" "$d" "$BATS_TEST_TMPDIR/idx.json"
}

