#!/bin/sh
# A CI step: build, push, sign, attest provenance, and check it, for one
# image.  Expects IMAGE (registry.example.com/team/app), VERSION (the git
# tag being released), the signing key in $HALLMARK_KEY (a file) with its
# passphrase in $HALLMARK_PASSWORD, and the public key in release.pub.
set -eu
ref="$IMAGE:$VERSION"

docker build --build-arg VERSION="$VERSION" -t "$ref" .
docker push "$ref"
# Work on the digest from here on: a tag can move, a digest cannot.
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$ref" | sed 's/.*@//')
pinned="$IMAGE@$digest"

hallmark sign --key "$HALLMARK_KEY" "$pinned"
hallmark attest provenance --key "$HALLMARK_KEY" --git . \
	--build-arg VERSION="$VERSION" \
	--builder-id "${CI_BUILDER_ID:-https://ci.example.com/builder}" \
	--started-on "${BUILD_STARTED:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" \
	"$pinned"
hallmark verify --key release.pub "$pinned"
hallmark verify-attestation --key release.pub --type slsaprovenance "$pinned"
