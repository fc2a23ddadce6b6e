#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make demo: generate keys, sign the example image (an OCI layout, no
# registry, no network), verify it, show a verification with the wrong key
# being refused, sign and verify a file as a Sigstore bundle, attach and verify SLSA provenance, apply a policy that
# allows it and one that denies it, and audit every tag.  Works on a copy in demo-out/, so examples/ stays clean.
set -eu
HM=${HALLMARK:-build/hallmark}
out=demo-out
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$out"
mkdir -p "$out"
cp -R examples/image "$out/image"
img="oci:$out/image:1.0"
export HALLMARK_PASSWORD=demo-passphrase

step "generate a release key and a stranger's key (private keys encrypted, 0600)"
show "$HM" key generate --output-prefix "$out/release"
show "$HM" key generate --type ed25519 --output-prefix "$out/stranger"
ls -l "$out"/*.key "$out"/*.pub
show "$HM" key public --key "$out/release.key"

step "sign the example image: a Sigstore bundle stored as an OCI 1.1 referrer (cosign v3's format, the default)"
show "$HM" sign --key "$out/release.key" -a release=1.0 "$img"

step "verify it with the release key"
show "$HM" verify --key "$out/release.pub" -a release=1.0 "$img"

step "verify it with the stranger's key: refused"
if "$HM" verify --key "$out/stranger.pub" "$img"; then
	echo "demo: verification with the wrong key was accepted" >&2
	exit 1
else
	echo "(exit status $?: verification failed, as it should)"
fi

step "sign a release file into a Sigstore bundle (cosign v3's format) and verify it, by file and by digest"
cp examples/Dockerfile "$out/Dockerfile"
show "$HM" sign-blob --key "$out/release.key" --bundle "$out/Dockerfile.sigstore.json" "$out/Dockerfile"
show "$HM" verify-blob --key "$out/release.pub" --bundle "$out/Dockerfile.sigstore.json" "$out/Dockerfile"
show "$HM" verify-blob --key "$out/release.pub" --bundle "$out/Dockerfile.sigstore.json" \
	"sha256:$(sha256sum "$out/Dockerfile" | cut -c1-64)"
echo "# changed" >>"$out/Dockerfile"
if "$HM" verify-blob --key "$out/release.pub" --bundle "$out/Dockerfile.sigstore.json" "$out/Dockerfile"; then
	echo "demo: a changed file verified" >&2
	exit 1
else
	echo "(exit status $?: the file changed after signing, refused as it should be)"
fi

step "attach SLSA provenance generated from this project's git checkout and examples/Dockerfile (a bundle referrer too)"
show "$HM" attest provenance --key "$out/release.key" --git . --dockerfile examples/Dockerfile \
	--builder-id https://ci.example.com/builder --allow-dirty "$img"

step "verify the provenance and show the verified statement"
show "$HM" verify-attestation --key "$out/release.pub" --type slsaprovenance "$img"
"$HM" verify-attestation --key "$out/release.pub" --type slsaprovenance --output json "$img" |
	jq '.. | objects | select(has("buildDefinition")) | {externalParameters: .buildDefinition.externalParameters,
		resolvedDependencies: .buildDefinition.resolvedDependencies, builder: .runDetails.builder}' 

step "apply a policy: release signature plus provenance from the CI builder"
cat >"$out/policy.yaml" <<POLICY
apiVersion: hallmark/v1
kind: Policy
keys:
  release: { file: release.pub }
  stranger: { file: stranger.pub }
rules:
  - name: demo images
    images: ["**"]
    require:
      signatures: { keys: [release] }
      attestations:
        - type: https://slsa.dev/provenance/v1
          keys: [release]
          where:
            - { path: predicate.runDetails.builder.id, equals: "https://ci.example.com/builder" }
POLICY
cat "$out/policy.yaml"
show "$HM" policy lint "$out/policy.yaml"
show "$HM" policy check --policy "$out/policy.yaml" "$img"

step "the same image under a policy that wants the stranger's signature too: denied, and why"
sed 's/keys: \[release\] }/keys: [release, stranger], threshold: 2 }/' "$out/policy.yaml" >"$out/strict.yaml"
if "$HM" policy check --policy "$out/strict.yaml" "$img"; then
	echo "demo: the strict policy allowed the image" >&2
	exit 1
else
	echo "(exit status $?: denied, as it should be)"
fi

step "also sign in cosign v2's legacy format (tag sha256-<hex>.sig) for verifiers that read only tags"
show "$HM" sign --format legacy --key "$out/release.key" "$img"

step "what is attached to the image: each attachment with its kind and storage form (bundles: predicate type unverified)"
show "$HM" tree "$img"

step "copy the image with its signature and provenance to another layout (e.g. for an air gap), verify the copy"
show "$HM" copy "$img" "oci:$out/airgap:1.0"
show "$HM" verify --key "$out/release.pub" "oci:$out/airgap:1.0"

step "audit every tag of the example: signatures, provenance, findings"
show "$HM" audit --key "$out/release.pub" "oci:$out/image" ||
	echo "(exit status $?: some tag has an error finding, e.g. no provenance attached)"
