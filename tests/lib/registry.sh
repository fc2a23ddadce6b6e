# SPDX-License-Identifier: Apache-2.0
# Test registries on loopback.  Source this file, then:
#
#   registry_start            a docker-registry (CNCF distribution) on a free
#                             127.0.0.1 port with storage in a temp dir;
#                             exports HM_TEST_REGISTRY=127.0.0.1:PORT,
#                             HM_TEST_REGISTRY_PID, HM_TEST_REGISTRY_DIR
#   registry_start_auth U P   the same with htpasswd basic auth for user U,
#                             password P; exports HM_TEST_AUTH_REGISTRY,
#                             HM_TEST_AUTH_REGISTRY_PID, HM_TEST_AUTH_REGISTRY_DIR
#   registry_start_tls CERT KEY [CLIENT_CA]
#                             the same over HTTPS with the server certificate
#                             CERT and key KEY (PEM), requiring a client
#                             certificate issued by CLIENT_CA when given;
#                             exports HM_TEST_TLS_REGISTRY, _PID, _DIR (one
#                             at a time: stop it before starting another)
#   liar_start                tests/lib/liar.py, a hostile registry (modes in
#                             its header); exports HM_TEST_LIAR=127.0.0.1:PORT,
#                             HM_TEST_LIAR_PID, HM_TEST_LIAR_DIR (GET /ports
#                             gives its second port, the redirect target)
#   registry_stop / registry_stop_auth / registry_stop_tls / liar_stop
#
# Nothing listens on anything but 127.0.0.1.  Functions return non-zero
# (and say why on stderr) when a server does not come up within 20 s.

_hm_lib_dir=$(CDPATH= cd -- "$(dirname -- "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)
[ -f "$_hm_lib_dir/liar.py" ] || _hm_lib_dir=$(pwd)/tests/lib

_hm_free_port() {
	"${PYTHON:-python3}" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# _hm_wait_http URL PID: until URL answers at all (any HTTP status), 20 s.
_hm_wait_http() {
	i=0
	while [ $i -lt 200 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null)
		[ -n "$code" ] && [ "$code" != 000 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# _hm_wait_port PORT PID: until 127.0.0.1:PORT accepts a connection, 20 s
# (a TLS registry that wants a client certificate answers nothing else).
_hm_wait_port() {
	i=0
	while [ $i -lt 200 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		"${PYTHON:-python3}" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# _hm_registry_up DIR PORT [HTPASSWD [CERT KEY [CLIENT_CA]]]: writes
# config.yml and starts the registry.
_hm_registry_up() {
	mkdir -p "$1/data"
	{
		echo "version: 0.1"
		echo "log:"
		echo "  level: error"
		echo "  accesslog:"
		# HM_TEST_REGISTRY_ACCESSLOG=1: one line per request in registry.log
		if [ "${HM_TEST_REGISTRY_ACCESSLOG:-}" = 1 ]; then
			echo "    disabled: false"
		else
			echo "    disabled: true"
		fi
		echo "storage:"
		echo "  filesystem:"
		echo "    rootdirectory: $1/data"
		echo "  delete:"
		echo "    enabled: true"
		echo "http:"
		echo "  addr: 127.0.0.1:$2"
		if [ -n "${4:-}" ]; then
			echo "  tls:"
			echo "    certificate: $4"
			echo "    key: $5"
			if [ -n "${6:-}" ]; then
				echo "    clientcas:"
				echo "      - $6"
			fi
		fi
		if [ -n "$3" ]; then
			echo "auth:"
			echo "  htpasswd:"
			echo "    realm: hallmark-test"
			echo "    path: $3"
		fi
	} >"$1/config.yml"
	docker-registry serve "$1/config.yml" </dev/null >"$1/registry.log" 2>&1 3>&- &
	_hm_pid=$!
	if [ -n "${4:-}" ]; then
		_hm_wait_port "$2" $_hm_pid
	else
		_hm_wait_http "http://127.0.0.1:$2/v2/" $_hm_pid
	fi
	if [ $? -ne 0 ]; then
		echo "registry: did not start on 127.0.0.1:$2 (see $1/registry.log)" >&2
		kill $_hm_pid 2>/dev/null
		return 1
	fi
}

registry_start() {
	HM_TEST_REGISTRY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hm-registry.XXXXXX") || return 1
	port=$(_hm_free_port) || return 1
	_hm_registry_up "$HM_TEST_REGISTRY_DIR" "$port" || { rm -rf "$HM_TEST_REGISTRY_DIR"; return 1; }
	HM_TEST_REGISTRY=127.0.0.1:$port
	HM_TEST_REGISTRY_PID=$_hm_pid
	export HM_TEST_REGISTRY HM_TEST_REGISTRY_PID HM_TEST_REGISTRY_DIR
}

registry_start_auth() {
	HM_TEST_AUTH_REGISTRY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hm-registry-auth.XXXXXX") || return 1
	htpasswd -Bbc "$HM_TEST_AUTH_REGISTRY_DIR/htpasswd" "$1" "$2" >/dev/null 2>&1 || {
		echo "registry: htpasswd failed (apt-get install apache2-utils)" >&2
		rm -rf "$HM_TEST_AUTH_REGISTRY_DIR"
		return 1
	}
	port=$(_hm_free_port) || return 1
	_hm_registry_up "$HM_TEST_AUTH_REGISTRY_DIR" "$port" "$HM_TEST_AUTH_REGISTRY_DIR/htpasswd" ||
		{ rm -rf "$HM_TEST_AUTH_REGISTRY_DIR"; return 1; }
	HM_TEST_AUTH_REGISTRY=127.0.0.1:$port
	HM_TEST_AUTH_REGISTRY_PID=$_hm_pid
	export HM_TEST_AUTH_REGISTRY HM_TEST_AUTH_REGISTRY_PID HM_TEST_AUTH_REGISTRY_DIR
}

registry_start_tls() {
	HM_TEST_TLS_REGISTRY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hm-registry-tls.XXXXXX") || return 1
	port=$(_hm_free_port) || return 1
	_hm_registry_up "$HM_TEST_TLS_REGISTRY_DIR" "$port" "" "$1" "$2" "${3:-}" ||
		{ rm -rf "$HM_TEST_TLS_REGISTRY_DIR"; return 1; }
	HM_TEST_TLS_REGISTRY=127.0.0.1:$port
	HM_TEST_TLS_REGISTRY_PID=$_hm_pid
	export HM_TEST_TLS_REGISTRY HM_TEST_TLS_REGISTRY_PID HM_TEST_TLS_REGISTRY_DIR
}

_hm_stop() {
	if [ -n "$1" ]; then
		kill "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	[ -n "$2" ] && rm -rf "$2"
}

registry_stop() {
	_hm_stop "$HM_TEST_REGISTRY_PID" "$HM_TEST_REGISTRY_DIR"
	unset HM_TEST_REGISTRY HM_TEST_REGISTRY_PID HM_TEST_REGISTRY_DIR
}

registry_stop_auth() {
	_hm_stop "$HM_TEST_AUTH_REGISTRY_PID" "$HM_TEST_AUTH_REGISTRY_DIR"
	unset HM_TEST_AUTH_REGISTRY HM_TEST_AUTH_REGISTRY_PID HM_TEST_AUTH_REGISTRY_DIR
}

registry_stop_tls() {
	_hm_stop "$HM_TEST_TLS_REGISTRY_PID" "$HM_TEST_TLS_REGISTRY_DIR"
	unset HM_TEST_TLS_REGISTRY HM_TEST_TLS_REGISTRY_PID HM_TEST_TLS_REGISTRY_DIR
}

liar_start() {
	HM_TEST_LIAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hm-liar.XXXXXX") || return 1
	"${PYTHON:-python3}" "$_hm_lib_dir/liar.py" --port-file "$HM_TEST_LIAR_DIR/port" \
		--lifetime "${HM_LIAR_LIFETIME:-1800}" </dev/null >"$HM_TEST_LIAR_DIR/liar.log" 2>&1 3>&- &
	HM_TEST_LIAR_PID=$!
	i=0
	while [ ! -s "$HM_TEST_LIAR_DIR/port" ] && [ $i -lt 200 ]; do
		kill -0 $HM_TEST_LIAR_PID 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$HM_TEST_LIAR_DIR/port" ]; then
		echo "liar: did not start (see $HM_TEST_LIAR_DIR/liar.log)" >&2
		_hm_stop "$HM_TEST_LIAR_PID" ""
		return 1
	fi
	HM_TEST_LIAR=127.0.0.1:$(head -n 1 "$HM_TEST_LIAR_DIR/port")
	export HM_TEST_LIAR HM_TEST_LIAR_PID HM_TEST_LIAR_DIR
}

liar_stop() {
	_hm_stop "$HM_TEST_LIAR_PID" "$HM_TEST_LIAR_DIR"
	unset HM_TEST_LIAR HM_TEST_LIAR_PID HM_TEST_LIAR_DIR
}
