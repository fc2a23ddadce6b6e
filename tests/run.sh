#!/bin/sh
# Runs the unit test binaries given as arguments (cmocka, TAP output) and,
# unless --unit-only, the CLI tests (bats, TAP output), then prints one
# closing line "N passed, N failed".  Exit 0 only when nothing failed.
unit_only=0
[ "$1" = "--unit-only" ] && { unit_only=1; shift; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for t in "$@"; do
	echo "# unit: $(basename "$t")"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1 || status=1
	cat "$log"
	cat "$log" >>"$log.all"
done
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
