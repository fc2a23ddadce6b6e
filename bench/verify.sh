#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark verify of one image signed in cosign v2's legacy form (tag .sig)
# and of one signed as a cosign v3 bundle (a referrer, found through the
# referrers tag sha256-<hex>: docker-registry 2.8 has no referrers API),
# side by side in one hyperfine run with two peers doing less:
#  - skopeo inspect --raw of the image (one manifest request), and
#  - one curl process making three GETs on one connection: the image's
#    manifest, the .sig manifest and the signed payload blob (the least any
#    verifier of the legacy form has to read).
# Then the requests each verify makes (--debug prints one line each).
set -eu
: "${HM_TEST_REGISTRY:?run through bench/run.sh}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
leg=$HM_TEST_REGISTRY/bench/legacy:1
bun=$HM_TEST_REGISTRY/bench/bundle:1
skopeo copy --quiet --dest-tls-verify=false oci:examples/image:1.0 "docker://$leg"
skopeo copy --quiet --dest-tls-verify=false oci:examples/image:1.0 "docker://$bun"
"$HALLMARK" key generate --output-prefix "$tmp/k" 2>/dev/null
"$HALLMARK" sign --format legacy --key "$tmp/k.key" "$leg" >/dev/null
"$HALLMARK" sign --format bundle --key "$tmp/k.key" "$bun" >/dev/null
# the three URLs curl reads: manifest, .sig manifest, payload blob
base=http://$HM_TEST_REGISTRY/v2/bench/legacy
acc='Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json'
dig=$(curl -fsS -o /dev/null -D - -H "$acc" "$base/manifests/1" | tr -d '\r' |
	awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
sig=$(echo "$dig" | tr : -).sig
blob=$(curl -fsS -H "$acc" "$base/manifests/$sig" | jq -r '.layers[0].digest')
hyperfine --style basic --warmup 5 --runs 200 -N --export-json "$tmp/r.json" \
	-n "hallmark verify (legacy)" "$HALLMARK verify --key $tmp/k.pub $leg" \
	-n "hallmark verify (bundle)" "$HALLMARK verify --key $tmp/k.pub $bun" \
	-n "skopeo inspect --raw" "skopeo inspect --raw --tls-verify=false docker://$leg" \
	-n "curl: 3 GETs" "curl -fsS -o /dev/null -o /dev/null -o /dev/null -H '$acc' $base/manifests/1 $base/manifests/$sig $base/blobs/$blob" \
	>"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
jq -r '.results[] | [.command, (.mean*1000), (.stddev*1000), (.min*1000)] | @tsv' "$tmp/r.json" |
	awk -F'\t' 'BEGIN { printf "%-26s %10s %10s %10s\n", "command", "mean ms", "stddev", "min ms" }
		{ printf "%-26s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4; m[NR] = $2 }
		END { for (i = 1; i <= 2; i++)
			printf "%s: %.2f of skopeo (goal <= 0.5), %.2f of curl (goal <= 1.0)\n",
			       i == 1 ? "legacy" : "bundle", m[i] / m[3], m[i] / m[4] }'
for i in legacy bundle; do
	n=$("$HALLMARK" --debug verify --key "$tmp/k.pub" "$HM_TEST_REGISTRY/bench/$i:1" 2>&1 |
		grep -c ': debug: [A-Z]* http' || true)
	echo "requests of hallmark verify ($i): $n"
done
