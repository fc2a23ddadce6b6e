#!/usr/bin/env bats
# Hostile registries (tests/lib/liar.py): a deadline for the whole command,
# and credentials that stay with their registry.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
}

teardown_file() { common_teardown_file; }

# elapsed CMD...: runs CMD with `run`, and sets $secs to its wall time.
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000))
}

@test "--timeout bounds the whole command: endless quick redirects end at the deadline (exit 3)" {
	# each answer is whole in under a second, so no per-request timeout
	# fires; only the command's deadline ends the chain
	elapsed timeout 60 "$HALLMARK" verify --timeout 2 --key "$KEYS/a.pub" "$HM_TEST_LIAR/slow/app:1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"the 2 s deadline passed while talking to '127.0.0.1'"* ]]
	[ "$secs" -lt 5 ]
}

@test "--timeout bounds a registry dripping one byte a second" {
	elapsed timeout 60 "$HALLMARK" verify --timeout 2 --key "$KEYS/a.pub" "$HM_TEST_LIAR/drip/app:1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"2 s deadline"* ]]
	[ "$secs" -lt 5 ]
}

@test "--timeout is one deadline for every image of a command, and for policy check and tree too" {
	# three images, each slow: the deadline is shared, not per image
	elapsed timeout 60 "$HALLMARK" verify --timeout 3 --key "$KEYS/a.pub" \
		"$HM_TEST_LIAR/slow/a:1" "$HM_TEST_LIAR/slow/b:1" "$HM_TEST_LIAR/slow/c:1"
	[ "$status" -eq 3 ]
	[ "$secs" -lt 7 ]
	cat >"$BATS_TEST_TMPDIR/p.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  a: { file: $KEYS/a.pub }
	rules:
	  - name: all
	    images: ["**"]
	    require:
	      signatures: { keys: [a] }
	YAML
	elapsed timeout 60 "$HALLMARK" policy check --timeout 2 --policy "$BATS_TEST_TMPDIR/p.yaml" "$HM_TEST_LIAR/slow/app:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"2 s deadline"* ]]
	[ "$secs" -lt 5 ]
	elapsed timeout 60 "$HALLMARK" tree --timeout 2 "$HM_TEST_LIAR/slow/app:1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"2 s deadline"* ]]
	[ "$secs" -lt 5 ]
}

@test "--timeout takes whole seconds from 1 to 86400" {
	for bad in 0 -1 x 1.5 86401; do
		run hm verify --timeout "$bad" --key "$KEYS/a.pub" "$HM_TEST_LIAR/slow/app:1"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--timeout takes a whole number of seconds from 1 to 86400"* ]]
	done
}
