#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Moving a signed image into an air-gapped registry, signatures included.
#
#   connected side:  hallmark copy pulls the image (every platform of an
#                    index), its cosign .sig/.att/.sbom tags and its OCI 1.1
#                    referrers into an OCI layout directory;
#   (carry the directory across)
#   offline side:    verify from the layout, with no network, then push the
#                    same bytes (same digests) into the internal registry.
#
# usage: examples/airgap.sh SOURCE-IMAGE INTERNAL-REPOSITORY PUBLIC-KEY
#   e.g. examples/airgap.sh registry.example.com/team/app:1.4 registry.internal:5000/team/app release.pub
set -eu
HM=${HALLMARK:-hallmark}
src=$1 dst=$2 key=$3
dir=${AIRGAP_DIR:-airgap-layout}

# connected side
"$HM" copy "$src" "oci:$dir"

# offline side: the layout alone is enough to check the signature...
"$HM" verify --key "$key" "oci:$dir"
# ...and the copy into the internal registry keeps digests, signatures and attestations
# (an oci: source named without a tag and a DST without one: the copy is tagged latest)
"$HM" copy --output json "oci:$dir" "$dst" | jq '{digest, attachments: [.attachments[] | {kind, source}]}'
"$HM" verify --key "$key" "$dst"
