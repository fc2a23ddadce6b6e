#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Keyless verification of a file, as `cosign verify-blob` does it: a bundle
# signed in GitHub Actions with a Fulcio certificate, logged in Rekor,
# checked against the Sigstore public-good trusted root built into hallmark.
# Uses a case of the Sigstore conformance suite kept in this repository, so
# it runs offline:  sh examples/keyless-verify-blob.sh  (from the repo root).
set -eu
HM=${HALLMARK:-hallmark}
case=tests/conformance/bundle-verify/happy-path-v0.3
file=tests/conformance/a.txt
identity=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
issuer=https://token.actions.githubusercontent.com

# 1. The exact identity (the workflow that signed, at its ref) and issuer.
"$HM" verify-blob --bundle "$case/bundle.sigstore.json" \
	--certificate-identity "$identity" --certificate-oidc-issuer "$issuer" "$file"

# 2. A family of workflows: anchor the regexp (^...), or an attacker's SAN
#    that merely contains the text would match too, as in cosign.
"$HM" verify-blob --bundle "$case/bundle.sigstore.json" \
	--certificate-identity-regexp '^https://github\.com/sigstore-conformance/' \
	--certificate-oidc-issuer "$issuer" --output json "$file"

# 3. By digest, without the file; with an explicit trusted root (the same
#    public-good one here; a private Sigstore would give its own).
"$HM" verify-blob --bundle "$case/bundle.sigstore.json" \
	--certificate-identity "$identity" --certificate-oidc-issuer "$issuer" \
	--trusted-root sigstore/data/trusted_root.json \
	"sha256:$(sha256sum "$file" | cut -c1-64)"

# 4. Someone else's workflow is refused (exit 1).
if "$HM" verify-blob --bundle "$case/bundle.sigstore.json" \
	--certificate-identity https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main \
	--certificate-oidc-issuer "$issuer" "$file"; then
	echo "example: a foreign identity was accepted" >&2
	exit 1
fi
