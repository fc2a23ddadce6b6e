#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the unit test binaries given as arguments (cmocka, TAP output) and,
# unless --unit-only, the Sigstore conformance cases and the CLI tests
# (bats, TAP output), then prints one
# closing line "N passed, N failed".  Exit 0 only when nothing failed.
unit_only=0
[ "$1" = "--unit-only" ] && { unit_only=1; shift; }
log=$(mktemp)
status=0

# One real registry and the liar for the whole run (unless the caller
# already provides them), stopped on every way out.
. "$(dirname "$0")/lib/registry.sh"
started=""
cleanup() {
	case "$started" in *registry*) registry_stop ;; esac
	case "$started" in *liar*) liar_stop ;; esac
	rm -f "$log" "$log.all"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
if [ -z "$HM_TEST_REGISTRY" ]; then
	registry_start && started="$started registry" || { echo "not ok - starting the test registry" | tee -a "$log.all"; status=1; }
fi
if [ -z "$HM_TEST_LIAR" ]; then
	liar_start && started="$started liar" || { echo "not ok - starting the liar" | tee -a "$log.all"; status=1; }
fi
for t in "$@"; do
	echo "# unit: $(basename "$t")"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1 || status=1
	cat "$log"
	cat "$log" >>"$log.all"
done
# The Sigstore conformance cases through the conformance entry point: one
# "ok"/"not ok" line per case and form (tests/conformance/run.sh).
if [ $unit_only = 0 ] && [ -f tests/conformance/run.sh ]; then
	echo "# conformance: tests/conformance/run.sh"
	sh tests/conformance/run.sh >"$log" 2>&1 || status=1
	cat "$log"
	cat "$log" >>"$log.all"
fi
if [ $unit_only = 0 ] && [ -d tests/cli ] && ls tests/cli/*.bats >/dev/null 2>&1; then
	echo "# cli: bats tests/cli"
	bats --tap tests/cli >"$log" 2>&1 || status=1
	cat "$log"
	cat "$log" >>"$log.all"
fi
passed=$(grep -c '^ok ' "$log.all" 2>/dev/null)
failed=$(grep -c '^not ok ' "$log.all" 2>/dev/null)
rm -f "$log.all"
[ "${failed:-0}" -gt 0 ] && status=1
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
