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
}

teardown_file() { common_teardown_file; }

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
	grep -q "serving '$POLICY' (1 rule, mutate digest) on https://127.0.0.1:$PORT" "$LOG"
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
	grep -q "POST /validate 200 uid=705ab4f5-6393-11e8-b7cc-42010a800002 allowed=true images=1 [0-9.]*ms" "$LOG"
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
	grep -q "uid=705ab4f5-6393-11e8-b7cc-42010a800002 allowed=false" "$LOG"
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
	grep -q "POST /mutate 200 uid=705ab4f5-6393-11e8-b7cc-42010a800002 allowed=true images=1 patched" "$LOG"
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
	grep -q 'POST /validate 200 uid=evil\\nhallmark:\\x20GET\\x20/healthz\\x20200\\x20uid=\\"forged\\"\\x20allowed=true allowed=true images=1' "$LOG"
	! grep -q '^hallmark: GET /healthz 200 uid="forged"' "$LOG"
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
