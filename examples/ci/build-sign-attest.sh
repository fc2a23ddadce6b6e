#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A CI step: build, push, sign, attest provenance, and check it, for one
# image, from the top of a clean git checkout.  In hallmark's own
# repository (gitlab-ci.yml, github-actions.yml) that image is hallmark's
# runtime image, the one `hallmark policy serve` runs in, built from the
# Dockerfile at the top.
#
#   IMAGE          registry.example.com/team/app (the registry is logged in
#                  already: docker login writes ~/.docker/config.json, which
#                  hallmark reads too)
#   VERSION        the git tag being released
#   HALLMARK_KEY   the signing key: a file OUTSIDE the checkout (a CI file
#                  variable or secret written to a temporary directory), so
#                  that it is never built into the image nor makes the tree dirty
#   HALLMARK_PASSWORD  its passphrase
#   HALLMARK_PUB   the public key to check with (default: release.pub, committed)
#   CI_BUILDER_ID  the builder, recorded as runDetails.builder.id
#   BUILD_STARTED  when the job started (RFC 3339; default: now)
#   DOCKERFILE     the Dockerfile (default: Dockerfile, at the top)
#   PROVENANCE_ARGS  more options for hallmark attest provenance, e.g.
#                  --base-image debian:bookworm-slim=sha256:... to record the
#                  digest the build used rather than the one the tag names now
set -eu
: "${IMAGE:?}" "${VERSION:?}" "${HALLMARK_KEY:?}"
pub=${HALLMARK_PUB:-release.pub}
ref="$IMAGE:$VERSION"
case $(realpath "$HALLMARK_KEY") in
"$(pwd -P)"/*) echo "build-sign-attest: keep HALLMARK_KEY out of the checkout" >&2; exit 2 ;;
esac

dockerfile=${DOCKERFILE:-Dockerfile}
docker build -f "$dockerfile" --build-arg VERSION="$VERSION" -t "$ref" .
docker push "$ref"
# Work on the digest from here on: a tag can move, a digest cannot.
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$ref" | sed 's/.*@//')
pinned="$IMAGE@$digest"

hallmark sign --yes --key "$HALLMARK_KEY" "$pinned"
# shellcheck disable=SC2086
hallmark attest provenance --key "$HALLMARK_KEY" --git . --dockerfile "$dockerfile" \
	--build-arg VERSION="$VERSION" ${PROVENANCE_ARGS:-} \
	--builder-id "${CI_BUILDER_ID:-https://ci.example.com/builder}" \
	--started-on "${BUILD_STARTED:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" \
	"$pinned"
hallmark verify --key "$pub" "$pinned"
hallmark verify-attestation --key "$pub" --type slsaprovenance "$pinned"
echo "released $pinned"
