#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark policy serve: the admission webhook over HTTPS on 127.0.0.1, with
# AdmissionReviews naming images in the real registry.  Every wait is
# bounded, and the server is killed in teardown whatever happened.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	export POLICY=$BATS_FILE_TMPDIR/policy.yaml CERT=$BATS_FILE_TMPDIR/cert.pem TLSKEY=$BATS_FILE_TMPDIR/key.pem
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/release" >/dev/null 2>&1
	for t in signed unsigned; do make_image "$LAYOUT" "$t" "webhook $t"; done
	for t in signed unsigned; do push_image "$LAYOUT" "$t" "wh/app:$t"; done
	hm sign --key "$KEYS/release.key" "$R/wh/app:signed" >/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$TLSKEY" -out "$CERT" 2>/dev/null
	cat >"$POLICY" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: keys/release.pub }
	mutate: digest
	rules:
	  - name: our app
	    images: ["$R/wh/app"]
	    require:
	      digest: true
	      signatures: { keys: [release] }
	YAML
	# a registry of our own whose access log counts the requests
	(
		HM_TEST_REGISTRY_ACCESSLOG=1 registry_start || exit 1
		echo "CR=$HM_TEST_REGISTRY CR_PID=$HM_TEST_REGISTRY_PID CR_DIR=$HM_TEST_REGISTRY_DIR"
	) >"$BATS_FILE_TMPDIR/cr.env"
	read -r cr crpid crdir <"$BATS_FILE_TMPDIR/cr.env"
	export "$cr" "$crpid" "$crdir"
	skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:signed" "docker://$CR/wh/app:signed"
	skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:unsigned" "docker://$CR/wh/app:unsigned"
	hm sign --key "$KEYS/release.key" "$CR/wh/app:signed" >/dev/null
	export CPOLICY=$BATS_FILE_TMPDIR/counted.yaml
	sed "s|$R/wh/app|$CR/wh/app|" "$POLICY" >"$CPOLICY"
}

teardown_file() {
	[ -z "${CR_PID:-}" ] || kill "$CR_PID" 2>/dev/null || true
	[ -z "${CR_DIR:-}" ] || rm -rf "$CR_DIR"
	common_teardown_file
}

# reg_requests: the requests the counting registry has answered so far.
reg_requests() {
	sleep 0.2
	grep -cE '"(GET|HEAD|POST|PUT|PATCH|DELETE) /v2/' "$CR_DIR/registry.log" || true
}

# record CONDITION: some review record of the log satisfies the jq condition.
record() {
	grep '^{' "$LOG" | jq -s -e "any(.[]; $1)" >/dev/null
}

# metric NAME{LABELS}: its value on /metrics.
metric() {
	curl -fsS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

teardown() { stop_server KILL; }

free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server [OPTIONS...]: serves $POLICY on a free 127.0.0.1 port and
# waits (at most 10 s) until /healthz answers, which counts as one request.
start_server() {
	PORT=$(free_port)
	LOG=$BATS_TEST_TMPDIR/server.log
	"$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" \
		--listen "127.0.0.1:$PORT" "$@" >"$LOG" 2>&1 3>&- &
	SERVER_PID=$!
	for _ in $(seq 100); do
		if curl -fsS --max-time 2 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$LOG"
	return 1
}

# wait_server: waits (at most 10 s) for the server to exit; sets
# SERVER_STATUS, or fails when it is still running.
wait_server() {
	for _ in $(seq 100); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID"
			SERVER_STATUS=$?
			SERVER_PID=
			return 0
		fi
		sleep 0.1
	done
	return 1
}

stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$SERVER_PID" 2>/dev/null || true
	wait_server || { kill -KILL "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
}

# post PATH FILE [CONTENT-TYPE]: the response body in $BATS_TEST_TMPDIR/body,
# the HTTP status in CODE.
post() {
	CODE=$(curl -sS --max-time 30 --cacert "$CERT" -H "Content-Type: ${3:-application/json}" \
		--data-binary "@$2" -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "https://127.0.0.1:$PORT$1")
}

# response [PYTHON...]: checks the AdmissionReview response in body (same
# uid), then runs the given Python with resp bound to its "response".
response() {
	"$PYTHON" -c '
import base64, json, sys
r = json.load(open(sys.argv[1]))
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview", r
resp = r["response"]
assert resp["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002", resp
exec(sys.argv[2])' "$BATS_TEST_TMPDIR/body" "$1" "${@:2}"
}

@test "healthz answers ok; the server logs each request and stops on SIGTERM" {
	start_server
	run curl -sS --max-time 10 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# plain HTTP is not served
	run curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz"
	[ "$output" != 200 ]
	stop_server TERM
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q "serving '$POLICY' (1 rule, mutate digest, sha256:[0-9a-f]\{64\}) on https://127.0.0.1:$PORT" "$LOG"
	grep -q "GET /healthz 200" "$LOG"
	grep -q "stopped (SIGTERM)" "$LOG"
}

@test "/validate: a signed image pinned by digest is allowed, same uid, no patch" {
	d=$(digest_of "$R/wh/app:signed")
	review "$R/wh/app@$d" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is True and "patch" not in resp, resp'
	stop_server
	# one JSON record per review
	record '.msg == "review" and .uid == "705ab4f5-6393-11e8-b7cc-42010a800002"
		and .allowed and .decision == "allow" and .rule == "our app" and .mode == "enforce"
		and .operation == "CREATE" and .kind == "Deployment" and .namespace == "my-namespace"
		and .name == "my-deployment" and (.images | length) == 1 and .violations == []
		and .duration_ms >= 0 and .patched == false'
}

@test "/validate: an unsigned image is denied with 403 and every violation" {
	review "$R/wh/app@$(digest_of "$R/wh/app:unsigned")" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response '
assert resp["allowed"] is False and "patch" not in resp, resp
assert resp["status"]["code"] == 403
m = resp["status"]["message"]
assert "container '"'"'web'"'"' of Deployment my-namespace/my-deployment" in m, m
assert "rule '"'"'our app'"'"': signatures:" in m, m'
	stop_server
	record '.uid == "705ab4f5-6393-11e8-b7cc-42010a800002" and .allowed == false
		and .decision == "deny" and (.violations[0] | contains("signatures:"))'
}

@test "/validate: an unknown kind carrying containers is denied unless --allow-unknown-kinds" {
	review "$R/wh/app@$(digest_of "$R/wh/app:signed")" | sed 's/"kind": *"Deployment"/"kind": "Rollout"/' \
		>"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response '
assert resp["allowed"] is False, resp
assert "is a kind hallmark does not know" in resp["status"]["message"], resp'
	stop_server
	start_server --allow-unknown-kinds
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is True, resp'
	stop_server
}

@test "/validate refuses a tag (digest required); /mutate allows it with a patch pinning it" {
	review "$R/wh/app:signed" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is False and "patch" not in resp, resp'
	post /mutate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response '
assert resp["allowed"] is True and resp["patchType"] == "JSONPatch", resp
p = json.loads(base64.b64decode(resp["patch"]))
assert p == [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
              "value": sys.argv[3] + "@" + sys.argv[4]}], p' "$R/wh/app:signed" "$(digest_of "$R/wh/app:signed")"
	# an unsigned image is denied by /mutate too, and gets no patch
	review "$R/wh/app:unsigned" >"$BATS_TEST_TMPDIR/review.json"
	post /mutate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is False and "patch" not in resp, resp'
	stop_server
	record '.route == "mutate" and .allowed and .patched'
}

@test "the same answer as policy check --admission-review" {
	review "$R/wh/app:signed" >"$BATS_TEST_TMPDIR/review.json"
	run hm policy check --policy "$POLICY" --admission-review "$BATS_TEST_TMPDIR/review.json"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/check.json"
	start_server
	post /mutate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	"$PYTHON" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); assert a == b, (a, b)' \
		"$BATS_TEST_TMPDIR/check.json" "$BATS_TEST_TMPDIR/body"
}

@test "malformed requests: 400 with one line; wrong type, method, path, size refused" {
	start_server
	printf 'garbage{' >"$BATS_TEST_TMPDIR/garbage"
	post /validate "$BATS_TEST_TMPDIR/garbage"
	[ "$CODE" = 400 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/body")" -eq 1 ]
	printf '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}}' >"$BATS_TEST_TMPDIR/nouid"
	post /validate "$BATS_TEST_TMPDIR/nouid"
	[ "$CODE" = 400 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = "request body: the AdmissionReview has no request.uid" ]
	printf '{"apiVersion": "v1", "kind": "Pod"}' >"$BATS_TEST_TMPDIR/pod"
	post /mutate "$BATS_TEST_TMPDIR/pod"
	[ "$CODE" = 400 ]
	grep -q "not an admission.k8s.io/v1 AdmissionReview" "$BATS_TEST_TMPDIR/body"
	review "$R/wh/app:signed" >"$BATS_TEST_TMPDIR/review.json"
	post /validate "$BATS_TEST_TMPDIR/review.json" text/plain
	[ "$CODE" = 415 ]
	post /elsewhere "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 404 ]
	run curl -sS --max-time 10 --cacert "$CERT" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/validate"
	[ "$output" = 405 ]
	# over 3 MiB, announced and chunked
	head -c 4000000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	post /validate "$BATS_TEST_TMPDIR/big"
	[ "$CODE" = 413 ]
	CODE=$(curl -sS --max-time 30 --cacert "$CERT" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
		--data-binary "@$BATS_TEST_TMPDIR/big" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/validate")
	[ "$CODE" = 413 ]
	# still serving
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	stop_server
	grep -q 'POST /validate 400 uid=- allowed=- images=0 [0-9.]*ms error="request body: ' "$LOG"
}

@test "an unreachable registry: fail closed" {
	cat >"$BATS_TEST_TMPDIR/closed.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/release.pub }
	rules:
	  - name: closed
	    images: ["127.0.0.1:1/**"]
	    require: { signatures: { keys: [release] } }
	YAML
	POLICY=$BATS_TEST_TMPDIR/closed.yaml
	review "127.0.0.1:1/closed/app:1" >"$BATS_TEST_TMPDIR/review.json"
	start_server --timeout 5
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is False, resp'
}

@test "--max-requests N stops after N requests" {
	start_server --max-requests 3
	run curl -sS --max-time 10 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$output" = ok ]
	run curl -sS --max-time 10 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$output" = ok ]
	wait_server
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q "stopped (--max-requests reached)" "$LOG"
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$status" -ne 0 ]
}

@test "start-up errors: lint problems exit 3 with file:line:col, usage 2, unusable address or files 3" {
	printf 'apiVersion: hallmark/v1\nkind: Policy\nrules:\n  - {name: x, images: [a], mode: strict}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run timeout 10 "$HALLMARK" policy serve --policy "$BATS_TEST_TMPDIR/bad.yaml" --tls-cert "$CERT" --tls-key "$TLSKEY" --listen 127.0.0.1:0
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad.yaml:4:34: 'mode' in rule 'x' must be enforce | warn | audit, not 'strict'"* ]]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT"
	[ "$status" -eq 2 ]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --listen 8443
	[ "$status" -eq 2 ]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --max-requests 0
	[ "$status" -eq 2 ]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --max-per-client 65
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-per-client cannot be above --max-connections"* ]]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --cache-ttl 0
	[ "$status" -eq 2 ]
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$BATS_TEST_TMPDIR/nope" --listen 127.0.0.1:0
	[ "$status" -eq 3 ]
	[[ "$output" == *"nope"* ]]
	# a key that is not the certificate's
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$BATS_TEST_TMPDIR/other.pem" 2>/dev/null
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$BATS_TEST_TMPDIR/other.pem" --listen 127.0.0.1:0
	[ "$status" -eq 3 ]
	[[ "$output" == *"do not match"* ]]
	# the port is taken
	start_server
	run timeout 10 "$HALLMARK" policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --listen "127.0.0.1:$PORT"
	[ "$status" -eq 3 ]
	[[ "$output" == *"serving HTTPS on 127.0.0.1:$PORT"* ]]
}

@test "idle and slow clients cannot take every slot: /healthz keeps answering, slow clients are cut off" {
	start_server --client-timeout 2
	# 70 connections from 127.0.0.1 that never start TLS (more than the 64
	# slots), and one from 127.0.0.3 that sends a request one byte every 0.25 s
	"$PYTHON" - "$PORT" "$CERT" >"$BATS_TEST_TMPDIR/abuse.out" 2>&1 <<-'PY' &
	import socket, ssl, sys, time
	port, cert = int(sys.argv[1]), sys.argv[2]
	idle = []
	for _ in range(70):
	    try:
	        idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
	    except OSError:
	        pass
	ctx = ssl.create_default_context(cafile=cert)
	t0 = time.time()
	# from another address: 127.0.0.1 is at its per-client limit
	raw = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.3", 0))
	slow = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
	slow.settimeout(0.25)
	req = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n" + b" " * 100000
	closed = None
	for b in req:
	    if time.time() - t0 > 15:
	        break
	    try:
	        slow.send(bytes([b]))
	        if slow.recv(1) == b"":
	            closed = time.time() - t0
	            break
	    except socket.timeout:
	        continue
	    except (OSError, ssl.SSLError):
	        closed = time.time() - t0
	        break
	print("slow closed after", closed)
	# every idle connection was closed by the server meanwhile
	open_left = 0
	for s in idle:
	    s.settimeout(0.5)
	    try:
	        while s.recv(64) != b"":  # a TLS alert may come first
	            pass
	    except socket.timeout:
	        open_left += 1
	    except OSError:
	        pass
	print("idle still open", open_left)
	PY
	abuser=$!
	sleep 1
	# another client (127.0.0.2 is loopback too) is served at once
	t0=$(date +%s%N)
	run curl -sS --max-time 3 --interface 127.0.0.2 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ]
	wait "$abuser"
	cat "$BATS_TEST_TMPDIR/abuse.out"
	# cut off by the 2 s client timeout although it kept sending
	secs=$(sed -n 's/^slow closed after \([0-9]*\)\..*/\1/p' "$BATS_TEST_TMPDIR/abuse.out")
	[ -n "$secs" ] && [ "$secs" -lt 5 ]
	grep -q "^idle still open 0$" "$BATS_TEST_TMPDIR/abuse.out"
	# and the abuser's own address is served again
	run curl -sS --max-time 3 --cacert "$CERT" "https://127.0.0.1:$PORT/healthz"
	[ "$output" = ok ]
}

@test "the log escapes what a request says: a uid with a newline and quotes is one line" {
	d=$(digest_of "$R/wh/app:signed")
	review "$R/wh/app@$d" | jq -c '.request.uid = "evil\nhallmark: GET /healthz 200 uid=\"forged\" allowed=true"' \
		>"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	stop_server
	cat "$LOG"
	[ "$(grep -c forged "$LOG")" -eq 1 ]
	record '.uid == "evil\nhallmark: GET /healthz 200 uid=\"forged\" allowed=true"'
	! grep -q '^hallmark: GET /healthz 200 uid="forged"' "$LOG"
}

@test "a review record is one line of ASCII whatever the review held" {
	d=$(digest_of "$R/wh/app:signed")
	review "$R/wh/app@$d" | jq -c '.request.uid = "caf\u00e9\u2028x"' >"$BATS_TEST_TMPDIR/review.json"
	start_server
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	stop_server
	! LC_ALL=C grep -q $'[\x80-\xff]' "$LOG"
	grep -qF '"uid":"caf\u00c3\u00a9\u00e2\u0080\u00a8x"' "$LOG"
}

@test "--timeout is the deadline of one review: a registry dripping pages is cut off, and the review denied in time" {
	cat >"$BATS_TEST_TMPDIR/slow.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/release.pub }
	rules:
	  - name: slow
	    images: ["**"]
	    require: { signatures: { keys: [release] } }
	YAML
	POLICY=$BATS_TEST_TMPDIR/slow.yaml
	review "$HM_TEST_LIAR/slow/app:1" >"$BATS_TEST_TMPDIR/review.json"
	start_server --timeout 2
	t0=$(date +%s%N)
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 4000 ]
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is False and "2 s deadline" in json.dumps(resp), resp'
	run hm policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --timeout 31
	[ "$status" -eq 2 ]
}

@test "the verdict cache: 5 identical admissions make the registry requests of one" {
	POLICY=$CPOLICY
	review "$CR/wh/app:signed" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	n0=$(reg_requests)
	post /mutate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is True and "patch" in resp, resp'
	n1=$(reg_requests)
	[ $((n1 - n0)) -gt 0 ]
	for _ in 1 2 3 4; do
		post /mutate "$BATS_TEST_TMPDIR/review.json"
		[ "$CODE" = 200 ]
		response 'assert resp["allowed"] is True and "patch" in resp, resp'
	done
	n5=$(reg_requests)
	echo "one review: $((n1 - n0)) requests; five: $((n5 - n0))"
	[ "$n5" -eq "$n1" ]
	[ "$(metric 'hallmark_webhook_cache_hits_total{cache="verdicts"}')" = 4 ]
	[ "$(metric 'hallmark_webhook_cache_misses_total{cache="verdicts"}')" = 1 ]
	[ "$(metric 'hallmark_webhook_cache_entries{cache="verdicts"}')" = 1 ]
	stop_server
	# each record says what the cache answered (the tag and the verdict)
	grep '^{' "$LOG" | jq -s -e 'length == 5 and .[0].cache_misses == 2 and .[0].cache_hits == 0 and
		([.[1:][] | .cache_hits == 2 and .cache_misses == 0] | all)' >/dev/null
	# the same five without the cache: five times the requests
	start_server --no-cache
	for _ in 1 2 3 4 5; do post /mutate "$BATS_TEST_TMPDIR/review.json"; [ "$CODE" = 200 ]; done
	n10=$(reg_requests)
	echo "five without the cache: $((n10 - n5))"
	[ $((n10 - n5)) -ge $((4 * (n1 - n0))) ]
	stop_server
}

@test "single flight: 8 concurrent reviews of an image not yet verified make the registry requests of one" {
	POLICY=$CPOLICY
	review "$CR/wh/app@$(digest_of "$CR/wh/app:signed")" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	n0=$(reg_requests)
	post /validate "$BATS_TEST_TMPDIR/review.json"
	[ "$CODE" = 200 ]
	n1=$(reg_requests)
	stop_server
	start_server
	pids=
	for i in 1 2 3 4 5 6 7 8; do
		curl -sS --max-time 30 --cacert "$CERT" -H "Content-Type: application/json" \
			--data-binary "@$BATS_TEST_TMPDIR/review.json" -o "$BATS_TEST_TMPDIR/body.$i" \
			"https://127.0.0.1:$PORT/validate" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	n8=$(reg_requests)
	for i in 1 2 3 4 5 6 7 8; do jq -e '.response.allowed == true' "$BATS_TEST_TMPDIR/body.$i" >/dev/null; done
	echo "one review: $((n1 - n0)) requests; eight at once: $((n8 - n1))"
	[ $((n8 - n1)) -eq $((n1 - n0)) ]
	[ "$(metric 'hallmark_webhook_cache_misses_total{cache="verdicts"}')" = 1 ]
}

@test "a negative verdict is kept for --negative-cache-ttl only; an operational error is never kept" {
	POLICY=$CPOLICY
	review "$CR/wh/app@$(digest_of "$CR/wh/app:unsigned")" >"$BATS_TEST_TMPDIR/review.json"
	start_server --negative-cache-ttl 1
	n0=$(reg_requests)
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False, resp'
	n1=$(reg_requests)
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False and "signatures" in resp["status"]["message"], resp'
	[ "$(reg_requests)" -eq "$n1" ]
	sleep 1.2
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False, resp'
	[ "$(reg_requests)" -gt "$n1" ]
	stop_server
	# a registry that does not answer: every review tries again
	cat >"$BATS_TEST_TMPDIR/down.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/release.pub }
	rules:
	  - name: all
	    images: ["**"]
	    require: { signatures: { keys: [release] } }
	YAML
	POLICY=$BATS_TEST_TMPDIR/down.yaml
	review "127.0.0.1:1/down/app@sha256:$(printf '%064d' 0)" >"$BATS_TEST_TMPDIR/down.json"
	start_server
	for _ in 1 2 3; do
		post /validate "$BATS_TEST_TMPDIR/down.json"
		response 'assert resp["allowed"] is False, resp'
	done
	[ "$(metric 'hallmark_webhook_cache_misses_total{cache="verdicts"}')" = 3 ]
	[ "$(metric 'hallmark_webhook_cache_entries{cache="verdicts"}')" = 0 ]
	[ "$(metric 'hallmark_registry_errors_total')" -ge 3 ]
}

@test "an UPDATE whose images did not change is answered from the cache past its TTL, without the registry" {
	POLICY=$CPOLICY
	review "$CR/wh/app:signed" >"$BATS_TEST_TMPDIR/create.json"
	jq -c '.request.operation = "UPDATE" | .request.oldObject = .request.object
		| .request.object.spec.replicas = 3' "$BATS_TEST_TMPDIR/create.json" >"$BATS_TEST_TMPDIR/update.json"
	jq -c '.request.operation = "UPDATE" | .request.oldObject = .request.object
		| .request.oldObject.spec.template.spec.containers[0].image = "elsewhere/old:1"' \
		"$BATS_TEST_TMPDIR/create.json" >"$BATS_TEST_TMPDIR/changed.json"
	start_server --cache-ttl 1 --tag-cache-ttl 1
	post /mutate "$BATS_TEST_TMPDIR/create.json"
	response 'assert resp["allowed"] is True and "patch" in resp, resp'
	sleep 1.2
	n0=$(reg_requests)
	post /mutate "$BATS_TEST_TMPDIR/update.json"
	response 'assert resp["allowed"] is True and "patch" in resp, resp'
	[ "$(reg_requests)" -eq "$n0" ]
	# an image changed: verified again
	post /mutate "$BATS_TEST_TMPDIR/changed.json"
	response 'assert resp["allowed"] is True, resp'
	[ "$(reg_requests)" -gt "$n0" ]
}

@test "/livez, /readyz and /metrics" {
	start_server
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/livez"
	[ "$output" = ok ]
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/readyz"
	[ "$output" = ok ]
	run curl -sS --max-time 5 --cacert "$CERT" -o /dev/null -w '%{http_code}' -X POST "https://127.0.0.1:$PORT/metrics"
	[ "$output" = 405 ]
	review "$R/wh/app@$(digest_of "$R/wh/app:unsigned")" >"$BATS_TEST_TMPDIR/review.json"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	curl -fsS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/metrics" >"$BATS_TEST_TMPDIR/metrics"
	cat "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_reviews_total{operation="CREATE",kind="Deployment",decision="deny",rule="our app",mode="enforce"} 1' "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_review_duration_seconds_count 1' "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_review_duration_seconds_bucket{le="+Inf"} 1' "$BATS_TEST_TMPDIR/metrics"
	grep -q '^hallmark_registry_requests_total [1-9]' "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_reviews_in_flight 0' "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_reloads_total{what="policy",outcome="ok"} 0' "$BATS_TEST_TMPDIR/metrics"
	grep -qx 'hallmark_webhook_ready 1' "$BATS_TEST_TMPDIR/metrics"
	grep -qx '# TYPE hallmark_webhook_review_duration_seconds histogram' "$BATS_TEST_TMPDIR/metrics"
	# every sample line is NAME{LABELS} VALUE
	! grep -v '^#' "$BATS_TEST_TMPDIR/metrics" | grep -vqE '^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$'
}

# kube_policy DIR FILE: mounts FILE as Kubernetes mounts a ConfigMap: DIR/policy.yaml
# -> ..data/policy.yaml, ..data -> a timestamped directory, swapped atomically.
kube_policy() {
	local ts
	ts=..$(date +%s%N)
	mkdir -p "$1/$ts" && cp "$2" "$1/$ts/policy.yaml"
	[ -d "$1/keys" ] || ln -s "$KEYS" "$1/keys"
	[ -e "$1/policy.yaml" ] || ln -s ..data/policy.yaml "$1/policy.yaml"
	ln -s "$ts" "$1/..data_tmp" && mv -T "$1/..data_tmp" "$1/..data"
}

# frozen MESSAGE: a policy refusing $R/wh/app with MESSAGE.
frozen() {
	printf 'apiVersion: hallmark/v1\nkind: Policy\nrules:\n  - name: our app\n    images: ["%s"]\n    deny: "%s"\n' \
		"$R/wh/app" "$1"
}

# wait_log PATTERN: until the server log has a line matching it (10 s).
wait_log() {
	for _ in $(seq 100); do grep -q "$1" "$LOG" && return 0; sleep 0.1; done
	cat "$LOG"
	return 1
}

@test "reload: a changed policy (a ConfigMap's ..data swap) serves the next reviews; a bad one is refused, the old kept" {
	mnt=$BATS_TEST_TMPDIR/mnt
	sed "s|file: keys/release.pub|file: keys/release.pub|" "$POLICY" >"$BATS_TEST_TMPDIR/good.yaml"
	frozen "frozen for the release" >"$BATS_TEST_TMPDIR/frozen.yaml"
	printf 'apiVersion: hallmark/v1\nkind: Policy\nrules:\n  - name: x\n    images: 3\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	kube_policy "$mnt" "$BATS_TEST_TMPDIR/good.yaml"
	POLICY=$mnt/policy.yaml
	review "$R/wh/app@$(digest_of "$R/wh/app:signed")" >"$BATS_TEST_TMPDIR/review.json"
	start_server --watch-interval 1
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is True, resp'
	kube_policy "$mnt" "$BATS_TEST_TMPDIR/frozen.yaml"
	wait_log "reloaded '$POLICY' (1 rule, sha256:"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False and "frozen for the release" in resp["status"]["message"], resp'
	kube_policy "$mnt" "$BATS_TEST_TMPDIR/bad.yaml"
	wait_log "reload refused: .*still serving the policy loaded before"
	grep -q "policy.yaml:5:" "$LOG"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False and "frozen for the release" in resp["status"]["message"], resp'
	[ "$(metric 'hallmark_webhook_reloads_total{what="policy",outcome="ok"}')" = 1 ]
	[ "$(metric 'hallmark_webhook_reloads_total{what="policy",outcome="refused"}')" = 1 ]
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/readyz"
	[ "$output" = ok ]
}

@test "SIGHUP reloads the policy; a bad one is refused and the old one keeps serving" {
	cp "$POLICY" "$BATS_TEST_TMPDIR/p.yaml"
	sed -i "s|keys/release.pub|$KEYS/release.pub|" "$BATS_TEST_TMPDIR/p.yaml"
	P=$BATS_TEST_TMPDIR/p.yaml
	cp "$P" "$BATS_TEST_TMPDIR/good.yaml"
	POLICY=$P
	review "$R/wh/app@$(digest_of "$R/wh/app:signed")" >"$BATS_TEST_TMPDIR/review.json"
	start_server --watch-interval 3600
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is True, resp'
	printf 'apiVersion: hallmark/v1\nkind: Policy\nrules: 7\n' >"$P"
	kill -HUP "$SERVER_PID"
	wait_log "reload refused"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is True, resp'
	frozen "no more" >"$P"
	kill -HUP "$SERVER_PID"
	wait_log "reloaded '$P'"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is False and "no more" in resp["status"]["message"], resp'
	kill -0 "$SERVER_PID"
}

@test "SIGTERM: not ready, no new connections, the review in flight is answered, then exit 0" {
	cat >"$BATS_TEST_TMPDIR/slow.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/release.pub }
	rules:
	  - name: slow
	    images: ["**"]
	    require: { signatures: { keys: [release] } }
	YAML
	POLICY=$BATS_TEST_TMPDIR/slow.yaml
	review "$HM_TEST_LIAR/slow/app:1" >"$BATS_TEST_TMPDIR/review.json"
	start_server --timeout 3
	post /validate "$BATS_TEST_TMPDIR/review.json" &
	poster=$!
	sleep 1
	[ "$(metric hallmark_webhook_reviews_in_flight)" = 1 ]
	kill -TERM "$SERVER_PID"
	sleep 0.3
	# draining: nothing new is accepted
	run curl -sS --max-time 2 --cacert "$CERT" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/readyz"
	[ "$output" != 200 ]
	wait "$poster"
	[ "$(cat "$BATS_TEST_TMPDIR/body" | jq -r .response.allowed)" = false ]
	wait_server
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q "SIGTERM: not accepting connections, finishing the reviews under way" "$LOG"
	record '.uid == "705ab4f5-6393-11e8-b7cc-42010a800002"'
}

# new_pair PREFIX: a self-signed certificate for 127.0.0.1 and its key.
new_pair() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$1.key" -out "$1.crt" 2>/dev/null
}

# kube_secret DIR CRT KEY: mounts a TLS pair as Kubernetes mounts a Secret
# (DIR/tls.crt -> ..data/tls.crt, ..data swapped atomically).
kube_secret() {
	local ts
	ts=..$(date +%s%N)
	mkdir -p "$1/$ts" && cp "$2" "$1/$ts/tls.crt" && cp "$3" "$1/$ts/tls.key"
	[ -e "$1/tls.crt" ] || { ln -s ..data/tls.crt "$1/tls.crt"; ln -s ..data/tls.key "$1/tls.key"; }
	ln -s "$ts" "$1/..data_tmp" && mv -T "$1/..data_tmp" "$1/..data"
}

@test "a rotated certificate serves new connections; a key that is not the certificate's is refused" {
	s=$BATS_TEST_TMPDIR/secret
	kube_secret "$s" "$CERT" "$TLSKEY"
	CERT=$s/tls.crt TLSKEY=$s/tls.key start_server --watch-interval 1
	new_pair "$BATS_TEST_TMPDIR/new"
	new_pair "$BATS_TEST_TMPDIR/other"
	kube_secret "$s" "$BATS_TEST_TMPDIR/new.crt" "$BATS_TEST_TMPDIR/new.key"
	wait_log "certificate reloaded from"
	run curl -sS --max-time 5 --cacert "$BATS_TEST_TMPDIR/new.crt" "https://127.0.0.1:$PORT/livez"
	[ "$output" = ok ]
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/livez"
	[ "$status" -ne 0 ]
	# a certificate whose key did not come with it
	kube_secret "$s" "$BATS_TEST_TMPDIR/other.crt" "$BATS_TEST_TMPDIR/new.key"
	wait_log "certificate reload refused: .*do not match"
	run curl -sS --max-time 5 --cacert "$BATS_TEST_TMPDIR/new.crt" "https://127.0.0.1:$PORT/livez"
	[ "$output" = ok ]
	[ "$(CERT=$BATS_TEST_TMPDIR/new.crt metric 'hallmark_webhook_reloads_total{what="certificate",outcome="ok"}')" = 1 ]
	[ "$(CERT=$BATS_TEST_TMPDIR/new.crt metric 'hallmark_webhook_reloads_total{what="certificate",outcome="refused"}')" = 1 ]
	# SIGTERM still stops it cleanly
	stop_server TERM
	[ "$SERVER_STATUS" -eq 0 ]
}

@test "--shutdown-delay: after SIGTERM /readyz answers 503 while everything else is still served, then exit 0" {
	start_server --shutdown-delay 2
	kill -TERM "$SERVER_PID"
	sleep 0.5
	run curl -sS --max-time 5 --cacert "$CERT" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/readyz"
	[ "$output" = 503 ]
	run curl -sS --max-time 5 --cacert "$CERT" "https://127.0.0.1:$PORT/livez"
	[ "$output" = ok ]
	review "$R/wh/app@$(digest_of "$R/wh/app:signed")" >"$BATS_TEST_TMPDIR/review.json"
	post /validate "$BATS_TEST_TMPDIR/review.json"
	response 'assert resp["allowed"] is True, resp'
	wait_server
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q "SIGTERM: not ready, serving 2 more seconds" "$LOG"
}

@test "a policy whose keys are keyless identities or a notation store is served (the cache names them without a key)" {
	mkdir -p "$BATS_TEST_TMPDIR/ts/x509/ca/acme"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/C=US/ST=WA/O=acme/CN=ca" -keyout /dev/null \
		-out "$BATS_TEST_TMPDIR/ts/x509/ca/acme/ca.crt" 2>/dev/null
	POLICY=$BATS_TEST_TMPDIR/mixed.yaml
	cat >"$POLICY" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/release.pub }
	  ci: { issuer: https://token.actions.githubusercontent.com, subject: https://github.com/o/r/.github/workflows/r.yml@refs/heads/main }
	  sec: { notation: { trustStore: $BATS_TEST_TMPDIR/ts, identities: ["x509.subject: C=US, ST=WA, O=acme"] } }
	rules:
	  - name: our app
	    images: ["$R/wh/app"]
	    require:
	      signatures: { keys: [release, ci, sec], threshold: 1 }
	YAML
	review "$R/wh/app@$(digest_of "$R/wh/app:signed")" >"$BATS_TEST_TMPDIR/review.json"
	start_server
	for _ in 1 2; do
		post /validate "$BATS_TEST_TMPDIR/review.json"
		[ "$CODE" = 200 ]
		response 'assert resp["allowed"] is True, resp'
	done
	[ "$(metric 'hallmark_webhook_cache_hits_total{cache="verdicts"}')" = 1 ]
	stop_server
}

# vsa_policy FILE KEY: a policy that asks only for a PASSED summary of
# $VSA_SOURCE (by its digest) signed by KEY.
vsa_policy() {
	cat >"$1" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  verifier: { file: $2 }
	rules:
	  - name: summarised
	    images: ["$R/wh/vsa"]
	    require:
	      vsa: { keys: [verifier], policyDigest: "sha256:$(sha256sum "$VSA_SOURCE" | cut -d' ' -f1)", maxAge: 1h }
	YAML
}

@test "--vsa-key --vsa-attach: each digest a review verified gets one signed VSA on the image; require vsa accepts it, another key's is refused" {
	V=$BATS_TEST_TMPDIR
	hm key generate --output-prefix "$V/verifier" >/dev/null 2>&1
	hm key generate --output-prefix "$V/stranger" >/dev/null 2>&1
	push_image "$LAYOUT" signed "wh/vsa:signed"
	push_image "$LAYOUT" unsigned "wh/vsa:unsigned"
	hm sign --key "$KEYS/release.key" "$R/wh/vsa:signed" >/dev/null
	good=$(digest_of "$R/wh/vsa:signed") bad=$(digest_of "$R/wh/vsa:unsigned")
	VSA_SOURCE=$V/source.yaml
	sed "s|$R/wh/app|$R/wh/vsa|" "$POLICY" >"$VSA_SOURCE"
	sed -i "s|keys/release.pub|$KEYS/release.pub|" "$VSA_SOURCE"
	POLICY=$VSA_SOURCE
	start_server --vsa-key "$V/verifier.key" --vsa-attach --vsa-out "$V/out"
	review "$R/wh/vsa@$good" >"$V/good.json"
	review "$R/wh/vsa@$bad" >"$V/bad.json"
	for _ in 1 2 3; do post /validate "$V/good.json"; [ "$CODE" = 200 ]; response 'assert resp["allowed"] is True, resp'; done
	post /validate "$V/bad.json"
	[ "$CODE" = 200 ]
	response 'assert resp["allowed"] is False, resp'
	# made on the writer's thread: one per verified digest, none for the cache hits
	for _ in $(seq 100); do [ "$(metric 'hallmark_vsa_total{outcome="attached"}')" = 2 ] && break; sleep 0.1; done
	[ "$(metric 'hallmark_vsa_total{outcome="attached"}')" = 2 ]
	[ "$(metric 'hallmark_vsa_total{outcome="written"}')" = 2 ]
	[ "$(metric 'hallmark_vsa_total{outcome="failed"}')" = 0 ]
	[ -f "$V/out/sha256-${good#sha256:}.vsa.json" ]
	grep -q "vsa: $R/wh/vsa@$good PASSED: written to .* and attached" "$LOG"
	grep -q "vsa: $R/wh/vsa@$bad FAILED" "$LOG"
	stop_server
	[ "$SERVER_STATUS" -eq 0 ]
	# on the image, signed by the verifier's key and no other
	run hm verify-attestation --type https://slsa.dev/verification_summary/v1 --key "$V/verifier.pub" "$R/wh/vsa@$good"
	echo "$output"
	[ "$status" -eq 0 ]
	run hm verify-attestation --type https://slsa.dev/verification_summary/v1 --key "$V/stranger.pub" "$R/wh/vsa@$good"
	[ "$status" -eq 1 ]
	# a policy requiring the verifier's summary admits the image on its strength alone...
	vsa_policy "$V/summarised.yaml" "$V/verifier.pub"
	run hm policy check --policy "$V/summarised.yaml" "$R/wh/vsa@$good"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   vsa: 1 of 1 required key attested (verifier)"* ]]
	# ...and so does a webhook serving it
	POLICY=$V/summarised.yaml
	start_server
	post /validate "$V/good.json"
	response 'assert resp["allowed"] is True, resp'
	# the FAILED summary of the unsigned image does not
	post /validate "$V/bad.json"
	response 'assert resp["allowed"] is False and "verificationResult" in resp["status"]["message"], resp'
	stop_server
	# a summary signed by another key is refused
	vsa_policy "$V/stranger.yaml" "$V/stranger.pub"
	run hm policy check --policy "$V/stranger.yaml" "$R/wh/vsa@$good"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 1 required key attested"* ]]
}

@test "--vsa-* usage: --vsa-key needs a destination, the others need --vsa-key" {
	run hm policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --vsa-attach
	[ "$status" -eq 2 ]
	[[ "$output" == *"need --vsa-key"* ]]
	run hm policy serve --policy "$POLICY" --tls-cert "$CERT" --tls-key "$TLSKEY" --vsa-key "$KEYS/release.key"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vsa-key needs --vsa-out DIR or --vsa-attach"* ]]
}
