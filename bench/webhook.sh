#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hallmark policy serve under load: wrk POSTs AdmissionReviews (a Pod of 1
# container, and of 10 containers running 10 distinct signed images, each
# pinned by digest, with managedFields and status as the API server sends
# them) at concurrency 1, 8 and 64, over HTTPS on loopback, against the
# real registry on loopback; "cached" is the server as it runs (verdicts
# kept), "cold" the same with --no-cache (every review verified, as before
# the cache).  Reviews/s, p50/p99 latency, the server's peak RSS and the
# registry requests per review (from its /metrics).  Beside it, what a
# gate without a server costs: hallmark policy check --admission-review,
# one process per review (hyperfine).  And hm_admission_parse on an 18 KB
# review (build/bench/admission_parse).  BENCH_LONG=1 adds a soak of
# ~1M cached reviews sampling the server's memory (see below).
set -eu
: "${HM_TEST_REGISTRY:?run through bench/run.sh}"
command -v wrk >/dev/null || { echo "bench/webhook.sh: needs wrk (apt-get install wrk)" >&2; exit 3; }
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export HALLMARK_PASSWORD=bench
R=$HM_TEST_REGISTRY
SECS=${BENCH_SECONDS:-5}
PY=${PYTHON:-python3}

# 10 signed images with digests of their own (the example image, its
# manifest PUT again under tag 1 with an annotation)
seq 0 9 | xargs -P 8 -I{} skopeo copy --quiet --dest-tls-verify=false \
	oci:examples/image:1.0 "docker://$R/bench/wh-{}:base"
curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$R/v2/bench/wh-0/manifests/base" >"$tmp/base.json"
for i in $(seq 0 9); do
	jq -c --arg n "$i" '.annotations = {"bench.webhook": $n}' "$tmp/base.json" >"$tmp/m.$i.json"
	curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$tmp/m.$i.json" "http://$R/v2/bench/wh-$i/manifests/1"
done
"$HALLMARK" key generate --output-prefix "$tmp/k" 2>/dev/null
imgs=""
for i in $(seq 0 9); do imgs="$imgs $R/bench/wh-$i:1"; done
# shellcheck disable=SC2086
"$HALLMARK" sign --key "$tmp/k.key" $imgs >/dev/null
digest() {
	curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$R/v2/bench/wh-$1/manifests/1" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
printf 'apiVersion: hallmark/v1\nkind: Policy\nkeys:\n  bench: { file: k.pub }\ndefault: deny\nrules:\n' >"$tmp/policy.yaml"
printf '  - name: bench images signed\n    images: ["%s/bench/**"]\n    require:\n      signatures: { keys: [bench] }\n' \
	"$R" >>"$tmp/policy.yaml"
"$PY" bench/review.py "$R/bench/wh-0@$(digest 0)" 1 --managed >"$tmp/r1.json"
# ten containers, ten digests
"$PY" bench/review.py "$R/bench/wh-{i}@DIGEST{i}" 10 --managed >"$tmp/r10.json"
for i in $(seq 0 9); do sed -i "s|DIGEST$i\"|$(digest "$i")\"|g" "$tmp/r10.json"; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
	printf '%s\n' 'local f = io.open(os.getenv("REVIEW"), "rb")' 'wrk.method = "POST"' 'wrk.body = f:read("*a")' \
		'wrk.headers["Content-Type"] = "application/json"' 'f:close()' \
		'done = function(summary, latency, requests)' \
		'  io.write(string.format("RESULT %d %d %.3f %.3f %d %d\n", summary.requests, summary.duration,' \
		'    latency:percentile(50) / 1000, latency:percentile(99) / 1000,' \
		'    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,' \
		'    summary.errors.status))' 'end'
} >"$tmp/post.lua"

# metric NAME: its value on /metrics (summed over its label sets)
metric() {
	curl -fsS --max-time 5 --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/metrics" |
		awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { print s + 0 }'
}
start() {
	"$HALLMARK" policy serve --policy "$tmp/policy.yaml" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" \
		--listen "127.0.0.1:$port" --max-connections 256 --max-per-client 128 "$@" >"$tmp/server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS --max-time 1 --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$tmp/server.log" >&2
	exit 1
}
stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

echo "policy serve: AdmissionReviews of a Pod with managedFields, images pinned, registry on loopback; wrk ${SECS}s each"
printf '%-7s %-10s %5s %10s %9s %9s %7s %13s %9s\n' mode review conc "reviews/s" "p50 ms" "p99 ms" "errors" \
	"registry/rev" "RSS KiB"
for mode in ${BENCH_MODES:-cached cold}; do
	[ "$mode" != none ] || continue
	if [ $mode = cached ]; then start; else start --no-cache; fi
	for r in r1 r10; do
		# the first review fills the cache (and the connection pool)
		curl -fsS --max-time 30 --cacert "$tmp/tls.crt" -H 'Content-Type: application/json' --data-binary "@$tmp/$r.json" \
			"https://127.0.0.1:$port/validate" | jq -e '.response.allowed' >/dev/null
		for c in 1 8 64; do
			q0=$(metric hallmark_registry_requests_total)
			n0=$(metric hallmark_webhook_reviews_total)
			REVIEW=$tmp/$r.json wrk -t $((c < 2 ? c : 2)) -c "$c" -d "${SECS}s" --timeout 10s -s "$tmp/post.lua" \
				"https://127.0.0.1:$port/validate" >"$tmp/wrk.out" 2>&1 || true
			kill -0 "$pid" 2>/dev/null || { echo "bench/webhook.sh: the server died:" >&2; tail -20 "$tmp/server.log" >&2; wait "$pid"; echo "exit $?" >&2; exit 1; }
			q1=$(metric hallmark_registry_requests_total)
			n1=$(metric hallmark_webhook_reviews_total)
			rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
			res=$(sed -n 's/^RESULT //p' "$tmp/wrk.out" | head -n 1)
			[ -n "$res" ] || { cat "$tmp/wrk.out" >&2; continue; }
			echo "$res" | awk -v m=$mode -v r="$r" -v c="$c" -v q=$((q1 - q0)) -v rv=$((n1 - n0)) -v rss="$rss" '{
				printf "%-7s %-10s %5d %10.0f %9.2f %9.2f %7d %13.2f %9d\n", m,
					(r == "r1" ? "1 image" : "10 images"), c, $1 / ($2 / 1e6), $3, $4, $5 + $6,
					(rv ? q / rv : 0), rss }'
		done
	done
	stop
done

# BENCH_LONG=1: the soak.  ~1M cached reviews (BENCH_SOAK_REVIEWS) of 1
# image at concurrency 8, the server's VmRSS sampled every 5 s: memory
# must stay flat.
if [ "${BENCH_LONG:-0}" = 1 ]; then
	N=${BENCH_SOAK_REVIEWS:-1000000}
	start
	curl -fsS --max-time 30 --cacert "$tmp/tls.crt" -H 'Content-Type: application/json' --data-binary "@$tmp/r1.json" \
		"https://127.0.0.1:$port/validate" >/dev/null
	echo "soak: $N cached reviews (1 image, c=8); the server's VmRSS every 5 s"
	printf '%8s %10s %10s %10s\n' seconds reviews "reviews/s" "RSS KiB"
	REVIEW=$tmp/r1.json wrk -t 2 -c 8 -d 3600s --timeout 10s -s "$tmp/post.lua" \
		"https://127.0.0.1:$port/validate" >"$tmp/soak.out" 2>&1 &
	wrk_pid=$!
	t=0 prev=0
	: >"$tmp/soak.tsv"
	while :; do
		sleep 5
		t=$((t + 5))
		kill -0 "$pid" 2>/dev/null || { echo "bench/webhook.sh: the server died in the soak" >&2; tail -20 "$tmp/server.log" >&2; break; }
		n=$(metric hallmark_webhook_reviews_total)
		rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
		printf '%8d %10d %10d %10d\n' "$t" "$n" $(((n - prev) / 5)) "$rss" | tee -a "$tmp/soak.tsv"
		prev=$n
		[ "$n" -lt "$N" ] && [ "$t" -lt 3600 ] || break
	done
	kill "$wrk_pid" 2>/dev/null || true
	wait "$wrk_pid" 2>/dev/null || true
	awk 'NR == 1 { s = $4 } { r[NR] = $4 } END { m = r[int((NR + 1) / 2)];
		printf "soak: VmRSS start %d KiB, middle %d KiB, end %d KiB (%+d KiB over %d reviews)\n", s, m, $4, $4 - s, $2 }' \
		"$tmp/soak.tsv"
	stop
fi

# the same reviews, one process each
hyperfine --style basic --warmup 2 --runs 20 -N --export-json "$tmp/h.json" \
	-n "policy check, 1 image" "$HALLMARK policy check --policy $tmp/policy.yaml --admission-review $tmp/r1.json" \
	-n "policy check, 10 images" "$HALLMARK policy check --policy $tmp/policy.yaml --admission-review $tmp/r10.json" \
	>"$tmp/h.out" 2>&1 || { cat "$tmp/h.out"; exit 1; }
jq -r '.results[] | [.command, (.mean*1000), (1/.mean)] | @tsv' "$tmp/h.json" |
	awk -F'\t' '{ printf "%-24s %8.2f ms per review (%5.0f reviews/s, one process each)\n", $1, $2, $3 }'

if [ -x "${BENCH_BIN:-build/bench}/admission_parse" ]; then
	"$PY" bench/review.py "registry.example.com/app@sha256:$(printf '%064d' 0)" 1 --managed >"$tmp/review-18k.json"
	"${BENCH_BIN:-build/bench}/admission_parse" "$tmp/review-18k.json" 2000 | sed "s|$tmp/||"
fi
