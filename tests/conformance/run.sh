#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every case of tests/conformance/bundle-verify/ through the conformance
# entry point (hallmark-conformance verify-bundle, exactly the argv the
# sigstore-conformance suite passes: test/client.py build_verify_args), once
# with the artifact's path and once with its sha256:<hex> digest.  A case
# whose name ends in _fail must be refused (exit non-zero), any other
# accepted (exit 0).  Prints one TAP-style "ok"/"not ok" line per run and a
# summary; exits 1 when any run went the wrong way.  HALLMARK: the binary.
here=$(cd "$(dirname "$0")" && pwd)
HALLMARK=${HALLMARK:-$here/../../build/hallmark}
export HALLMARK
shim=$here/hallmark-conformance
identity=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
issuer=https://token.actions.githubusercontent.com
# The suite runs from a copy of its assets: paths are relative to it.
cd "$here" || exit 3
start=$(date +%s.%N)
n=0 passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for dir in bundle-verify/*/; do
	case=$(basename "$dir")
	artifact=bundle-verify/a.txt
	[ -f "$dir/artifact" ] && artifact=$dir/artifact
	set -- --bundle "$dir/bundle.sigstore.json"
	if [ -f "$dir/key.pub" ]; then
		set -- "$@" --key "$dir/key.pub"
	else
		id=$identity iss=$issuer
		[ -f "$dir/identity" ] && id=$(cat "$dir/identity")
		[ -f "$dir/issuer" ] && iss=$(cat "$dir/issuer")
		set -- "$@" --certificate-identity "$id" --certificate-oidc-issuer "$iss"
	fi
	[ -f "$dir/trusted_root.json" ] && set -- "$@" --trusted-root "$dir/trusted_root.json"
	digest=sha256:$(sha256sum "$artifact" | cut -c1-64)
	for form in path digest; do
		subject=$artifact
		[ $form = digest ] && subject=$digest
		n=$((n + 1))
		"$shim" verify-bundle "$@" "$subject" >"$out" 2>&1
		rc=$?
		# The suite asks only for a non-zero exit; hallmark is held to its
		# own codes: 1 for a refused bundle, 3 where the case's key or
		# trusted root file itself is malformed (an unreadable input, as
		# docs/exit-codes.md says), never 2, a crash or a signal.
		case "$case" in
		managed-key-wrong-key_fail | trust-root-tlog-missing-validity-start_fail)
			want="refused (exit 3: malformed input file)"; [ $rc -eq 3 ] && ok=1 || ok=0 ;;
		*_fail) want="refused (exit 1)"; [ $rc -eq 1 ] && ok=1 || ok=0 ;;
		*) want=accepted; [ $rc -eq 0 ] && ok=1 || ok=0 ;;
		esac
		# Under make asan a sanitizer report also exits 1: never a refusal.
		grep -q 'Sanitizer\|runtime error:' "$out" && ok=0
		if [ $ok = 1 ]; then
			passed=$((passed + 1))
			echo "ok $n - conformance $case ($form): $want"
		else
			failed=$((failed + 1))
			echo "not ok $n - conformance $case ($form): should be $want, exit $rc"
			sed 's/^/# /' "$out"
		fi
	done
done
end=$(date +%s.%N)
echo "# conformance: $passed of $n passed ($((n / 2)) cases, by path and by digest) in $(echo "$end - $start" | bc 2>/dev/null || echo "?")s"
[ $failed -eq 0 ]
