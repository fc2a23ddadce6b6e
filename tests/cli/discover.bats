#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Discovery asks a registry its independent lookups at once (the referrers
# API, the referrers tag, the .sig and .att tags, then the referrer
# manifests in batches): the list it finds, its order and its errors must
# be those of one lookup after another.  A lookup that fails is an
# operational error (exit 3); junk attached is a refusal.

load ../lib/common

MT=application/vnd.oci.image.manifest.v1+json

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --output-prefix "$KEYS/b" >/dev/null 2>&1
	printf '{}' >"$BATS_FILE_TMPDIR/empty.json"
}

teardown_file() { common_teardown_file; }

@test "legacy, bundle and junk on one image: the same list, in the order of the forms, every time, each lookup once" {
	make_image "$LAYOUT" mix "mix $RANDOM$RANDOM"
	push_image "$LAYOUT" mix dsc/mix:1
	d=$(digest_of "$R/dsc/mix:1")
	hex=${d#sha256:}
	for k in a b; do
		hm sign --format legacy --key "$KEYS/$k.key" "$R/dsc/mix@$d" >/dev/null 2>&1
		hm sign --format bundle --key "$KEYS/$k.key" "$R/dsc/mix@$d" >/dev/null 2>&1
	done
	# junk under .att: the registry stores it, hallmark must refuse it
	cd=$(put_blob dsc/mix "$BATS_FILE_TMPDIR/empty.json")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[],"layers":[]}' \
		"$MT" "$cd" >"$BATS_TEST_TMPDIR/junk.json"
	put_manifest dsc/mix "sha256-$hex.att" "$BATS_TEST_TMPDIR/junk.json"

	# what one lookup after another finds, read here with curl
	curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' "$(api dsc/mix)/manifests/sha256-$hex" | jq -c '[.manifests[].digest]' >"$BATS_TEST_TMPDIR/want.refs"
	get_manifest dsc/mix "sha256-$hex.sig" | jq -c '[.layers[].digest]' >"$BATS_TEST_TMPDIR/want.sigs"
	[ "$(jq length "$BATS_TEST_TMPDIR/want.refs")" -eq 2 ]
	[ "$(jq length "$BATS_TEST_TMPDIR/want.sigs")" -eq 2 ]

	hm tree --output json "$R/dsc/mix@$d" >"$BATS_TEST_TMPDIR/t1.json"
	jq -c '[.bundles[].manifest]' "$BATS_TEST_TMPDIR/t1.json" | cmp - "$BATS_TEST_TMPDIR/want.refs"
	jq -c '[.signatures[].digest]' "$BATS_TEST_TMPDIR/t1.json" | cmp - "$BATS_TEST_TMPDIR/want.sigs"
	jq -e --arg s "tag sha256-$hex.sig" '[.signatures[].source] | all(. == $s)' "$BATS_TEST_TMPDIR/t1.json"
	jq -e '[.bundles[].form] | all(. == "referrers-tag")' "$BATS_TEST_TMPDIR/t1.json"
	jq -e '.attestations | length == 1 and (.[0].refused | test("appears more than once"))' "$BATS_TEST_TMPDIR/t1.json"
	for i in 2 3 4; do
		hm tree --output json "$R/dsc/mix@$d" | cmp - "$BATS_TEST_TMPDIR/t1.json"
	done

	# the requests: each once, the first four before the referrer
	# manifests, in the order asked (not the order answered)
	hm --debug tree "$R/dsc/mix@$d" 2>&1 >/dev/null | sed -n 's/^hallmark: debug: \([A-Z]*\) http[^ ]*\/v2\/dsc\/mix\/\([^ ]*\) -> .*/\1 \2/p' \
		>"$BATS_TEST_TMPDIR/reqs"
	cat "$BATS_TEST_TMPDIR/reqs"
	{
		echo "GET manifests/$d"
		echo "GET referrers/$d"
		echo "GET manifests/sha256-$hex"
		echo "GET manifests/sha256-$hex.sig"
		echo "GET manifests/sha256-$hex.att"
		jq -r '.[] | "GET manifests/" + .' "$BATS_TEST_TMPDIR/want.refs"
	} | diff - "$BATS_TEST_TMPDIR/reqs"
	[ "$(sort "$BATS_TEST_TMPDIR/reqs" | uniq -d | wc -l)" -eq 0 ]

	# verify: the valid signatures count, the junk is only refused
	run hm verify --key "$KEYS/a.pub" "$R/dsc/mix@$d"
	[ "$status" -eq 0 ]
	run hm verify-attestation --key "$KEYS/a.pub" "$R/dsc/mix@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"appears more than once"* ]]
}

@test "a lookup answering 500 (referrers API, referrers tag or .sig tag) is an operational error, exit 3, naming it" {
	for what in referrers tag sig; do
		run hm verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/fail/$what:latest"
		echo "$what: $output"
		[ "$status" -eq 3 ]
		[[ "$output" == *"HTTP 500"* ]]
		[[ "$output" == *"the $what lookup is having a bad day"* ]]
		run hm tree "$HM_TEST_LIAR/fail/$what:latest"
		[ "$status" -eq 3 ]
	done
	# and nothing failing: an unsigned image, exit 1
	run hm verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/fail/none:latest"
	[ "$status" -eq 1 ]
}

@test "a read answered 500 once (a registry caught mid-write) is asked again: the lookup counts, nothing fails" {
	run hm --debug verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/flaky/x:latest"
	echo "$output"
	# unsigned: exit 1, not the operational 3
	[ "$status" -eq 1 ]
	[ "$(grep -c 'flaky/x/manifests/latest -> 500' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'flaky/x/manifests/latest -> 200' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'flaky/x/referrers/sha256:[0-9a-f]* -> 500' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'flaky/x/referrers/sha256:[0-9a-f]* -> 404' <<<"$output")" -eq 1 ]
}
