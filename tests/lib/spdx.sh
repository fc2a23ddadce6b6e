#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every .c .h .sh .py .bats file of the project (tracked, or new and not
# ignored) carries the licence identifier on its first line, or on its
# second after a "#!" line:
#   /* SPDX-License-Identifier: Apache-2.0 */   (.c .h)
#   # SPDX-License-Identifier: Apache-2.0       (.sh .py .bats)
#   spdx.sh --check [DIR]   list the files without it (exit 1 if any)
#   spdx.sh --write [DIR]   add it where it is missing (idempotent)
# Run --write after merging branches that add files.
set -u
mode=${1:---check}
dir=${2:-.}
cd "$dir" || exit 3
status=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h' '*.sh' '*.py' '*.bats' |
	tr '\0' '\n' | sort -u >"$tmp.list"
while IFS= read -r f; do
	[ -f "$f" ] || continue # deleted in the work tree
	case $f in
	*.c | *.h) line='/* SPDX-License-Identifier: Apache-2.0 */' ;;
	*) line='# SPDX-License-Identifier: Apache-2.0' ;;
	esac
	first=$(head -n 1 "$f")
	case $first in
	'#!'*) at=2 ;;
	*) at=1 ;;
	esac
	[ "$(sed -n "${at}p" "$f")" = "$line" ] && continue
	if [ "$mode" = --write ]; then
		if [ $at = 2 ]; then
			{ printf '%s\n%s\n' "$first" "$line"; tail -n +2 "$f"; } >"$tmp"
		else
			{ printf '%s\n' "$line"; cat "$f"; } >"$tmp"
		fi
		# keep the file's mode (scripts stay executable)
		cat "$tmp" >"$f"
		echo "spdx: added to $f"
	else
		echo "spdx: $f has no '$line' on line $at"
		status=1
	fi
done <"$tmp.list"
rm -f "$tmp.list"
exit $status
