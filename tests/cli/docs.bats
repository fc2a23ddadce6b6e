#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Every command has a docs page whose usage block is its --help, and an
# example under examples/.

load ../lib/common

@test "every docs page's usage block matches --help" {
	cd "$REPO_ROOT"
	run env HALLMARK="$HALLMARK" sh tests/lib/help-docs.sh --check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "every command has an example in examples/" {
	cd "$REPO_ROOT"
	missing=""
	while IFS= read -r cmd; do
		grep -rqE "(hallmark|\\\$HM\"?) $cmd( |$)" examples/ || missing="$missing '$cmd'"
	done < <(hm help | sed -n 's/^  \(.\{24\}\).*/\1/p' | sed 's/ *$//')
	echo "no example for:$missing"
	[ -z "$missing" ]
}

@test "hallmark help lists the commands; unknown ones are usage errors" {
	run hm help
	[ "$status" -eq 0 ]
	[[ "$output" == *"verify"* ]]
	run hm frobnicate
	[ "$status" -eq 2 ]
	run hm key
	[ "$status" -eq 2 ]
	run hm
	[ "$status" -eq 2 ]
}
