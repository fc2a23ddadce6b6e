#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark verify of one image in an OCI layout (notation-go's test image,
# tests/notation): a Notary Project JWS signature (notation-go's own, RSA
# chain to a pinned certificate, trust policy and trust store read) beside a
# cosign key signature (ECDSA, a Sigstore bundle referrer) on the same image, timed in
# one run by hyperfine.  Each run is a whole process: discovery, the
# envelope or payload read and hashed, the verification.  No registry needed.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
ng=tests/notation/notation-go
L=$tmp/layout
img=sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0
cp -R "$ng/oci-layout" "$L"
chmod -R u+w "$L"
# the JWS envelope as a notation referrer of the image
ld=$(sha256sum "$ng/jws_signature.sig" | cut -d' ' -f1)
cp "$ng/jws_signature.sig" "$L/blobs/sha256/$ld"
cd=$(printf '{}' | sha256sum | cut -d' ' -f1)
printf '{}' >"$L/blobs/sha256/$cd"
jq -nc --arg ld "sha256:$ld" --argjson ls "$(stat -c %s "$ng/jws_signature.sig")" --arg cd "sha256:$cd" --arg img "$img" \
	'{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",artifactType:"application/vnd.cncf.notary.signature",
	  config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},
	  layers:[{mediaType:"application/jose+json",digest:$ld,size:$ls}],
	  subject:{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$img,size:481}}' >"$tmp/m.json"
md=$(sha256sum "$tmp/m.json" | cut -d' ' -f1)
cp "$tmp/m.json" "$L/blobs/sha256/$md"
jq -c --arg md "sha256:$md" --argjson s "$(stat -c %s "$tmp/m.json")" \
	'.manifests += [{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$md,size:$s,artifactType:"application/vnd.cncf.notary.signature"}]' \
	"$L/index.json" >"$tmp/i.json"
mv "$tmp/i.json" "$L/index.json"
cat >"$tmp/tp.json" <<JSON
{"version":"1.0","trustPolicies":[{"name":"ng","registryScopes":["*"],
 "signatureVerification":{"level":"strict"},"trustStores":["ca:internal-testdata"],
 "trustedIdentities":["x509.subject: C=US, ST=WA, O=Notary"]}]}
JSON
"$HALLMARK" key generate --output-prefix "$tmp/k" >/dev/null 2>&1
"$HALLMARK" sign --key "$tmp/k.key" "oci:$L:v2" >/dev/null
notation="$HALLMARK verify --notation-trust-policy $tmp/tp.json --notation-trust-store $ng/store oci:$L:v2"
key="$HALLMARK verify --key $tmp/k.pub oci:$L:v2"
# both must verify before they are timed (each also sees, and refuses, the other kind)
$notation >/dev/null && $key >/dev/null
hyperfine --style basic --warmup 5 --runs 100 -N --export-json "$tmp/r.json" \
	-n "verify notation (JWS)" "$notation" -n "verify --key (cosign)" "$key" >"$tmp/out" 2>&1 || {
	cat "$tmp/out"; exit 1; }
jq -r '.results[] | [.command, (.mean*1000), (.stddev*1000), (.min*1000)] | @tsv' "$tmp/r.json" |
	awk -F'\t' 'BEGIN { printf "%-24s %10s %10s %10s\n", "command", "mean ms", "stddev", "min ms" }
		{ printf "%-24s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4; m[NR] = $2 }
		END { if (m[2] > 0) printf "a notation verification takes %.2fx the time of a cosign key one\n", m[1] / m[2] }'
