#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark policy check of a Kubernetes manifest with 200 containers over 20
# distinct signed images on the loopback registry (10 Deployments of 20
# containers; each image is used by 10 containers, so each digest must be
# verified once, not ten times), against skopeo inspect --raw of the same 20
# images run one after another (what a naive gate that only resolves digests
# would cost), timed in one run by hyperfine; peak RSS from GNU time.
# Images are made cheaply: the example image is pushed to bench/pol-N, then
# its manifest is PUT again under tag 1 with an annotation that gives each
# image a digest of its own.  Goal: policy check under 100 ms.
set -eu
: "${HM_TEST_REGISTRY:?run through bench/run.sh}"
[ -x /usr/bin/time ] || { echo "bench/policy.sh: needs GNU time (apt-get install time)" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HALLMARK_PASSWORD=bench
n=20
R=$HM_TEST_REGISTRY

seq 0 $((n - 1)) | xargs -P 8 -I{} skopeo copy --quiet --dest-tls-verify=false \
	oci:examples/image:1.0 "docker://$R/bench/pol-{}:base"
curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$R/v2/bench/pol-0/manifests/base" >"$tmp/base.json"
for i in $(seq 0 $((n - 1))); do
	jq -c --arg n "$i" '.annotations = {"bench.policy": $n}' "$tmp/base.json" >"$tmp/m.$i.json"
done
seq 0 $((n - 1)) | xargs -P 8 -I{} curl -fsS -o /dev/null -X PUT \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$tmp/m.{}.json" "http://$R/v2/bench/pol-{}/manifests/1"

"$HALLMARK" key generate --output-prefix "$tmp/k" 2>/dev/null
imgs=""
for i in $(seq 0 $((n - 1))); do imgs="$imgs $R/bench/pol-$i:1"; done
# shellcheck disable=SC2086
"$HALLMARK" sign --key "$tmp/k.key" $imgs >/dev/null

cat >"$tmp/policy.yaml" <<EOF
apiVersion: hallmark/v1
kind: Policy
keys:
  bench: { file: k.pub }
default: deny
rules:
  - name: bench images signed
    images: ["$R/bench/**"]
    require:
      signatures: { keys: [bench] }
EOF

# 10 Deployments x 20 containers; container c of deployment d runs image
# (c + d) mod 20, so every image appears in every Deployment.
for d in $(seq 0 9); do
	cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: bench-$d, namespace: bench }
spec:
  replicas: 1
  selector: { matchLabels: { app: bench-$d } }
  template:
    metadata: { labels: { app: bench-$d } }
    spec:
      containers:
EOF
	for c in $(seq 0 19); do
		printf '        - { name: c%d, image: "%s/bench/pol-%d:1" }\n' "$c" "$R" $(((c + d) % n))
	done
done >"$tmp/manifest.yaml"

check="$HALLMARK policy check --policy $tmp/policy.yaml -f $tmp/manifest.yaml"
$check >"$tmp/check.out" 2>&1 || {
	echo "bench/policy.sh: policy check did not allow the manifest:" >&2
	tail -20 "$tmp/check.out" >&2
	exit 1
}
# shellcheck disable=SC2016 # $i expands in the generated script
printf '#!/bin/sh\nfor i in $(seq 0 %d); do skopeo inspect --raw --tls-verify=false "docker://%s/bench/pol-$i:1" >/dev/null || exit 1; done\n' \
	$((n - 1)) "$R" >"$tmp/inspect.sh"

hyperfine --style basic --warmup 3 --runs 20 -N --export-json "$tmp/r.json" \
	-n "hallmark policy check" "$check" \
	-n "skopeo inspect --raw x20" "sh $tmp/inspect.sh" >"$tmp/out" 2>&1 || {
	cat "$tmp/out"; exit 1; }

rss() {
	/usr/bin/time -f %M -o "$tmp/time" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$tmp/time"
}
# shellcheck disable=SC2086 # $check is a command line
rss_check=$(rss $check)
# the peer is a loop of processes: its figure is the largest one skopeo's
rss_peer=$(rss skopeo inspect --raw --tls-verify=false "docker://$R/bench/pol-0:1")

echo "200 containers over $n distinct signed images, 10 Deployments"
jq -r '.results[] | [.command, (.mean*1000), (.stddev*1000), (.min*1000)] | @tsv' "$tmp/r.json" |
	awk -F'\t' -v r1="$rss_check" -v r2="$rss_peer" '
		BEGIN { printf "%-26s %10s %10s %10s %14s\n", "command", "mean ms", "stddev", "min ms", "peak RSS KiB"; r[1] = r1; r[2] = r2 }
		{ printf "%-26s %10.2f %10.2f %10.2f %14s\n", $1, $2, $3, $4, r[NR]; m[NR] = $2 }
		END { printf "hallmark policy check: %.2f ms mean (goal: under 100 ms)", m[1]
			if (m[2] > 0) printf "; %.2f of the sequential skopeo loop'"'"'s time", m[1] / m[2]
			printf "\n(skopeo peak RSS is one inspect process of the loop)\n" }'
