#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Verifying images signed with notation (Notary Project), with the trust
# policy and trust store notation itself uses: nothing to convert.
#
#   sh examples/notation-verify.sh registry.example.com/team/app:1.4
#
# notation's set-up (`notation cert add --type ca --store acme root.crt`,
# `notation policy import trustpolicy.json`) lives in
# ${XDG_CONFIG_HOME:-~/.config}/notation/:
#
#   trustpolicy.json
#     {"version": "1.0", "trustPolicies": [{"name": "acme-images",
#       "registryScopes": ["*"], "signatureVerification": {"level": "strict"},
#       "trustStores": ["ca:acme"],
#       "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme"]}]}
#   truststore/x509/ca/acme/root.crt
set -eu
HM=${HALLMARK:-hallmark}
image=${1:?usage: notation-verify.sh IMAGE}
conf=${XDG_CONFIG_HOME:-$HOME/.config}/notation

# 1. notation's own files, named explicitly.
"$HM" verify --notation-trust-policy "$conf/trustpolicy.json" \
	--notation-trust-store "$conf/truststore" "$image"

# 2. The same: the trust store defaults to notation's location. JSON names
#    the format (jws/cose), signer subject, trust store, scheme and times.
"$HM" verify --notation-trust-policy "$conf/trustpolicy.json" --output json "$image"

# 3. During a move from cosign: a cosign signature by release.pub or a
#    notation signature trusted by the policy, either counts.
"$HM" verify --key release.pub --notation-trust-policy "$conf/trustpolicy.json" "$image"

# 4. What is attached (unverified), and every tag of the repository, each
#    notation signature named by its signer (exit 1 when audit finds errors,
#    such as no provenance).
"$HM" tree "$image"
"$HM" audit --notation-trust-policy "$conf/trustpolicy.json" "${image%:*}" || echo "audit: exit $?"
