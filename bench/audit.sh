#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark audit of a repository of 100 tags and of one of 500 on the
# loopback registry, side by side: wall time and peak RSS (GNU time -v).
# Tags are made cheaply: one image is pushed, then its manifest is PUT again
# under each tag with an annotation that makes its digest its own; one tag
# in five is signed, one in ten shares its digest with another tag.
# Memory should stay flat as the tag count grows (goal: 500 tags under 2 s).
set -eu
: "${HM_TEST_REGISTRY:?run through bench/run.sh}"
[ -x /usr/bin/time ] || { echo "bench/audit.sh: needs GNU time (apt-get install time)" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
"$HALLMARK" key generate --output-prefix "$tmp/k" 2>/dev/null

# fill REPO N: N tags v1.0.<i> in REPO, every fifth signed.
fill() {
	repo=$1 n=$2 api=http://$HM_TEST_REGISTRY/v2/$1
	skopeo copy --quiet --dest-tls-verify=false oci:examples/image:1.0 "docker://$HM_TEST_REGISTRY/$repo:base"
	curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$api/manifests/base" >"$tmp/base.json"
	i=0
	while [ $i -lt "$n" ]; do
		# tags 10k+1 point at the same digest as 10k: shared digests
		a=$i
		[ $((i % 10)) = 1 ] && a=$((i - 1))
		jq -c --arg n "$a" '.annotations = {"bench": $n}' "$tmp/base.json" >"$tmp/m.$i.json"
		echo "$i"
		i=$((i + 1))
	done | xargs -P 8 -I{} curl -fsS -o /dev/null -X PUT \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$tmp/m.{}.json" "$api/manifests/v1.0.{}"
	signed=""
	i=0
	while [ $i -lt "$n" ]; do
		signed="$signed $HM_TEST_REGISTRY/$repo:v1.0.$i"
		i=$((i + 5))
	done
	# shellcheck disable=SC2086
	"$HALLMARK" sign --key "$tmp/k.key" $signed >/dev/null
	rm -f "$tmp"/m.*.json
}

# measure REPO: "seconds kbytes" of one audit (after one warm-up run).
measure() {
	"$HALLMARK" audit --key "$tmp/k.pub" --tags 'v1.0.*' -o json "$HM_TEST_REGISTRY/$1" >/dev/null 2>&1 || true
	/usr/bin/time -v -o "$tmp/time" "$HALLMARK" audit --key "$tmp/k.pub" --tags 'v1.0.*' -o json "$HM_TEST_REGISTRY/$1" \
		>"$tmp/out.json" 2>/dev/null || true
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
	tags=$(jq '.summary.tags' "$tmp/out.json")
	digests=$(jq '.summary.digests' "$tmp/out.json")
	printf '%-22s %6s %8s %10.2f %12s\n' "$1" "$tags" "$digests" "$wall" "$rss"
}

fill bench/audit100 100
fill bench/audit500 500
printf '%-22s %6s %8s %10s %12s\n' repository tags digests "wall s" "peak RSS kB"
measure bench/audit100
measure bench/audit500
