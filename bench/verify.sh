#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark verify of one signed image on the loopback registry (resolve,
# find signatures, fetch the payload, check the signature: three requests and
# a signature check) against skopeo inspect --raw of the same image (one
# manifest request), timed in one run by hyperfine.
set -eu
: "${HM_TEST_REGISTRY:?run through bench/run.sh}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
img=$HM_TEST_REGISTRY/bench/verify:1
skopeo copy --quiet --dest-tls-verify=false oci:examples/image:1.0 "docker://$img"
"$HALLMARK" key generate --output-prefix "$tmp/k" 2>/dev/null
"$HALLMARK" sign --key "$tmp/k.key" "$img" >/dev/null
hyperfine --style basic --warmup 5 --runs 200 -N --export-json "$tmp/r.json" \
	-n "hallmark verify" "$HALLMARK verify --key $tmp/k.pub $img" \
	-n "skopeo inspect --raw" "skopeo inspect --raw --tls-verify=false docker://$img" >"$tmp/out" 2>&1 || {
	cat "$tmp/out"; exit 1; }
jq -r '.results[] | [.command, (.mean*1000), (.stddev*1000), (.min*1000)] | @tsv' "$tmp/r.json" |
	awk -F'\t' 'BEGIN { printf "%-24s %10s %10s %10s\n", "command", "mean ms", "stddev", "min ms" }
		{ printf "%-24s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4; m[NR] = $2 }
		END { if (m[2] > 0) printf "hallmark verify takes %.2f of skopeo inspect --raw'"'"'s time (goal: <= 0.5)\n", m[1] / m[2] }'
