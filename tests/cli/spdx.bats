#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Every source file says its licence (Apache-2.0, LICENSE) in an SPDX line.

load ../lib/common

@test "every .c .h .sh .py .bats file has an SPDX-License-Identifier line" {
	run sh "$REPO_ROOT/tests/lib/spdx.sh" --check "$REPO_ROOT"
	echo "$output" | head -n 20
	[ "$status" -eq 0 ]
	grep -q "Apache License" "$REPO_ROOT/LICENSE"
	grep -q "Version 2.0, January 2004" "$REPO_ROOT/LICENSE"
}

@test "spdx.sh finds a file without the line, and --write adds it after a #! line, once" {
	d=$BATS_TEST_TMPDIR/repo
	mkdir -p "$d/src" "$d/tests"
	git -C "$d" init -q
	printf 'int x;\n' >"$d/src/a.c"
	printf '#!/bin/sh\necho hi\n' >"$d/tests/run.sh"
	chmod +x "$d/tests/run.sh"
	printf '# SPDX-License-Identifier: Apache-2.0\nprint(1)\n' >"$d/ok.py"
	printf '# SPDX-License-Identifier: MIT\nprint(1)\n' >"$d/other.py"
	run sh "$REPO_ROOT/tests/lib/spdx.sh" --check "$d"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"src/a.c"* ]]
	[[ "$output" == *"tests/run.sh"* ]]
	[[ "$output" == *"other.py"* ]]
	[[ "$output" != *"ok.py"* ]]
	run sh "$REPO_ROOT/tests/lib/spdx.sh" --write "$d"
	[ "$status" -eq 0 ]
	[ "$(head -n 1 "$d/src/a.c")" = '/* SPDX-License-Identifier: Apache-2.0 */' ]
	[ "$(sed -n 2p "$d/src/a.c")" = 'int x;' ]
	[ "$(head -n 1 "$d/tests/run.sh")" = '#!/bin/sh' ]
	[ "$(sed -n 2p "$d/tests/run.sh")" = '# SPDX-License-Identifier: Apache-2.0' ]
	[ -x "$d/tests/run.sh" ]
	run sh "$REPO_ROOT/tests/lib/spdx.sh" --check "$d"
	[ "$status" -eq 0 ]
	sum=$(cat "$d/src/a.c" "$d/tests/run.sh" | sha256sum)
	sh "$REPO_ROOT/tests/lib/spdx.sh" --write "$d"
	[ "$(cat "$d/src/a.c" "$d/tests/run.sh" | sha256sum)" = "$sum" ]
}
