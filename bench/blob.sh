#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark verify-blob: keyless (a conformance bundle: Rekor entry, Fulcio
# chain, SCT, identity, against the built-in public-good root) beside a key
# bundle (one ECDSA signature), timed in one run by hyperfine; then the wall
# time of the whole Sigstore conformance suite (tests/conformance/run.sh,
# 140 verify-blob runs).  No registry needed.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
case=tests/conformance/bundle-verify/happy-path-v0.3
file=tests/conformance/a.txt
id=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
iss=https://token.actions.githubusercontent.com
"$HALLMARK" key generate --output-prefix "$tmp/k" >/dev/null 2>&1
"$HALLMARK" sign-blob --key "$tmp/k.key" --bundle "$tmp/key.json" "$file" >/dev/null
hyperfine --style basic --warmup 5 --runs 100 -N --export-json "$tmp/r.json" \
	-n "verify-blob keyless" "$HALLMARK verify-blob --bundle $case/bundle.sigstore.json --certificate-identity $id --certificate-oidc-issuer $iss $file" \
	-n "verify-blob --key" "$HALLMARK verify-blob --key $tmp/k.pub --bundle $tmp/key.json $file" >"$tmp/out" 2>&1 || {
	cat "$tmp/out"; exit 1; }
jq -r '.results[] | [.command, (.mean*1000), (.stddev*1000), (.min*1000)] | @tsv' "$tmp/r.json" |
	awk -F'\t' 'BEGIN { printf "%-24s %10s %10s %10s\n", "command", "mean ms", "stddev", "min ms" }
		{ printf "%-24s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4; m[NR] = $2 }
		END { if (m[2] > 0) printf "keyless takes %.2fx the time of a key verify-blob\n", m[1] / m[2] }'
start=$(date +%s%N)
sh tests/conformance/run.sh >"$tmp/conf" 2>&1 || true
end=$(date +%s%N)
printf 'conformance suite: %s, wall %d ms\n' "$(tail -n 1 "$tmp/conf" | sed 's/^# conformance: //; s/ in .*//')" \
	$(((end - start) / 1000000))
