#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# md2man.sh PAGE.md OUT SECTION NAME: a man page from a docs/ page, with
# lowdown (Debian package lowdown).  The page's "# title" and the line
# after it become the NAME section ("NAME - first sentence"); its "##"
# sections become the man page's sections.
set -eu
src=$1 out=$2 section=$3 name=$4
command -v lowdown >/dev/null 2>&1 || {
	echo "md2man: lowdown is not installed (apt-get install lowdown, or sh tests/lib/deps.sh)" >&2
	exit 3
}
tmp=$out.md.tmp
# The summary: the first non-empty line after the title, without its full stop.
summary=$(awk 'NR > 1 && NF { sub(/\.$/, ""); print; exit }' "$src")
{
	printf '# NAME\n\n%s - %s\n\n' "$name" "$summary"
	# drop the title and the summary paragraph; "## X" becomes "# X" (.SH)
	awk 'NR == 1 { next }
	     !started && NF && !seen { seen = 1; next }
	     !started && seen && !NF { started = 1; next }
	     started && /^```/ { code = !code }
	     started && !code && /^##/ { sub(/^#/, ""); if (/^# /) $0 = toupper($0) }
	     started { print }' "$src"
} >"$tmp"
date=$(git log -1 --format=%cs -- "$src" 2>/dev/null || true)
lowdown -s -Tman -M "title=$name" -M "section=$section" ${date:+-M "date=$date"} \
	-M "source=hallmark" "$tmp" >"$out.tmp"
rm -f "$tmp"
mv "$out.tmp" "$out"
