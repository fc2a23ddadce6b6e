#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Things a user installs: make install puts the binary, the man pages built
# from docs/ and the shell completion scripts where their tools look.

load ../lib/common

@test "make install DESTDIR installs hallmark, man pages that render, and completions" {
	command -v lowdown >/dev/null || skip "lowdown is not installed (tests/lib/deps.sh installs it)"
	root=$BATS_TEST_TMPDIR/root
	build=$(cd "$(dirname "$HALLMARK")" && pwd)
	run make -C "$REPO_ROOT" --no-print-directory install DESTDIR="$root" PREFIX=/usr BUILD="$build"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -x "$root/usr/bin/hallmark" ]
	[ -f "$root/usr/share/doc/hallmark/LICENSE" ]
	# a page for every command, named as git names its own
	while IFS= read -r cmd; do
		page=$root/usr/share/man/man1/hallmark-$(echo "$cmd" | tr ' ' -).1
		[ -f "$page" ] || { echo "missing $page"; false; }
		# valid roff: groff reports nothing
		out=$(groff -k -man -Tutf8 -z "$page" 2>&1)
		[ -z "$out" ] || { echo "$page: $out"; false; }
	done < <(hm help | sed -n 's/^  \(.\{24\}\).*/\1/p' | sed 's/ *$//')
	[ -f "$root/usr/share/man/man1/hallmark.1" ]
	[ -f "$root/usr/share/man/man5/hallmark-policy.5" ]
	[ -f "$root/usr/share/man/man7/hallmark-cosign.7" ]
	run env MANWIDTH=80 man -l "$root/usr/share/man/man1/hallmark-sign.1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hallmark-sign - Sign images"* ]]
	[[ "$output" == *"-k, --key KEY"* ]]
	[[ "$output" == *EXAMPLES* ]]
	# the completion scripts are the binary's own
	cmp "$root/usr/share/bash-completion/completions/hallmark" <(hm completion bash)
	cmp "$root/usr/share/zsh/site-functions/_hallmark" <(hm completion zsh)
	cmp "$root/usr/share/fish/vendor_completions.d/hallmark.fish" <(hm completion fish)
}

@test "md2man refuses to run without lowdown, saying how to get it" {
	run env PATH=/nonexistent /bin/sh "$REPO_ROOT/tests/lib/md2man.sh" "$REPO_ROOT/docs/hallmark-sign.md" "$BATS_TEST_TMPDIR/x.1" 1 hallmark-sign
	[ "$status" -eq 3 ]
	[[ "$output" == *"apt-get install lowdown"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x.1" ]
}
