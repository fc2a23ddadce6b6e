#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Keeps docs/hallmark-*.md in step with --help: the first ```text block
# after "## Usage" in each page is exactly `hallmark CMD --help`.
#   help-docs.sh --check   report pages that are missing or differ (exit 1)
#   help-docs.sh --write   rewrite those blocks from the binary
set -u
HM=${HALLMARK:-build/hallmark}
mode=${1:---check}
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$HM" help | sed -n 's/^  \(.\{24\}\).*/\1/p' | sed 's/ *$//' >"$tmp/commands"
while IFS= read -r cmd; do
	page=docs/hallmark-$(echo "$cmd" | tr ' ' -).md
	# shellcheck disable=SC2086
	"$HM" $cmd --help >"$tmp/help"
	if [ ! -f "$page" ]; then
		echo "help-docs: $page is missing (for 'hallmark $cmd')"
		status=1
		continue
	fi
	awk '/^## Usage/{u=1} u&&/^```text/{p=1;next} p&&/^```/{exit} p' "$page" >"$tmp/doc"
	if ! cmp -s "$tmp/help" "$tmp/doc"; then
		if [ "$mode" = --write ]; then
			awk -v help="$tmp/help" '
				/^## Usage/ { u = 1 }
				u == 1 && /^```text/ { print; while ((getline l < help) > 0) print l; skip = 1; u = 2; next }
				skip && /^```/ { skip = 0 }
				!skip { print }' "$page" >"$tmp/new" && cat "$tmp/new" >"$page"
			echo "help-docs: updated $page"
		else
			echo "help-docs: $page differs from 'hallmark $cmd --help':"
			diff "$tmp/doc" "$tmp/help" | head -n 20
			status=1
		fi
	fi
done <"$tmp/commands"
exit $status
