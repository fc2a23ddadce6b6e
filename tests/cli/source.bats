#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rules about the source that the compiler cannot enforce.

load ../lib/common

@test "banned functions are not used (strcpy, strcat, sprintf, strtok, gets, strncpy)" {
	cd "$REPO_ROOT"
	run grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|strtok|gets|strncpy)\(' --include='*.c' --include='*.h' \
		$(ls -d core oci crypto sign verify attest policy audit cli tests/unit tests/fuzz 2>/dev/null)
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "library code does not print or exit (only cli/ does)" {
	cd "$REPO_ROOT"
	run grep -rnE '\b(printf|puts|exit|abort)\(|\b(fprintf|fputs|fwrite)\(stdout' --include='*.c' \
		$(ls -d core oci crypto sign verify attest policy audit 2>/dev/null)
	echo "$output"
	[ "$status" -eq 1 ]
}
