#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
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
	[ "$status" -eq 3 ]
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

# seen KEY: what the liar's second port has counted (tests/lib/liar.py).
seen() { curl -s --max-time 5 "http://$HM_TEST_LIAR/seen" | jq -r ".$1"; }

# creds: a registry config holding alice:secret for the liar's main port only.
creds() {
	jq -n --arg h "$HM_TEST_LIAR" '{auths: {($h): {auth: "YWxpY2U6c2VjcmV0"}}}' >"$BATS_TEST_TMPDIR/auth.json"
	echo "$BATS_TEST_TMPDIR/auth.json"
}

@test "credentials go to the token realm their registry names, even on another host (as Docker Hub's)" {
	before=$(seen realm_auth)
	run hm tree --registry-config "$(creds)" "$HM_TEST_LIAR/xrealm/app:latest"
	[ "$status" -eq 0 ]
	[ "$(seen realm_auth)" -gt "$before" ]
}

@test "credentials never go to a realm named by another registry, nor across a redirect to it" {
	realm=$(seen realm_auth)
	redirected=$(seen redirect_auth)
	hits=$(seen redirect_hits)
	# the liar redirects to its second port, which asks for a token from its own realm
	run hm tree --registry-config "$(creds)" "$HM_TEST_LIAR/hop/app:latest"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"denied"* ]]
	[ "$(seen redirect_hits)" -gt "$hits" ]
	[ "$(seen redirect_auth)" -eq "$redirected" ]
	[ "$(seen realm_auth)" -eq "$realm" ]
	# asked directly, the second port is another registry: the liar's
	# credentials do not go to it or to its realm
	other=127.0.0.1:$(curl -s "http://$HM_TEST_LIAR/ports" | jq -r .other)
	run hm tree --registry-config "$(creds)" "$other/hop/app:latest"
	[ "$status" -eq 3 ]
	[ "$(seen redirect_auth)" -eq "$redirected" ]
	[ "$(seen realm_auth)" -eq "$realm" ]
}

@test "credentials never go over plain HTTP to a realm on a host that is not insecure" {
	run hm tree --registry-config "$(creds)" "$HM_TEST_LIAR/httprealm/app:latest"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"refusing plain http to 'hallmark-realm.invalid'"* ]]
}
