#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Registries as people run them: HTTPS on loopback (a port-forward, a
# tunnel) with a CA of their own, found where docker and podman look;
# mutual TLS; --insecure-registry and --tls-verify=false; the plain-HTTP
# fallback; podman's auth files; docker:// references.

load ../lib/common

# pki DIR: a CA, a server certificate for 127.0.0.1 and localhost, another
# CA, and a client certificate issued by a client CA.
pki() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		for ca in ca other-ca client-ca; do
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key \
				-out $ca.crt -subj "/CN=hallmark test $ca" -days 2 \
				-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		done
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
			-subj "/CN=127.0.0.1"
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
			-extfile server.ext
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr \
			-subj "/CN=hallmark test client"
		printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >client.ext
		openssl x509 -req -in client.csr -CA client-ca.crt -CAkey client-ca.key -CAcreateserial \
			-out client.cert -days 2 -extfile client.ext
	) >/dev/null 2>&1
}

# certs_d ROOT HOST FILE...: a certs.d folder ROOT/HOST holding FILEs.
certs_d() {
	local root=$1 host=$2
	shift 2
	mkdir -p "$root/$host"
	cp "$@" "$root/$host/"
}

setup_file() {
	common_setup_file
	. "$REPO_ROOT/tests/lib/registry.sh"
	export PKI=$BATS_FILE_TMPDIR/pki
	pki "$PKI"
	[ -s "$PKI/server.crt" ] && [ -s "$PKI/client.cert" ]
	make_image "$BATS_FILE_TMPDIR/src" v1 "image behind TLS"
	# a TLS registry, and one that wants a client certificate
	registry_start_tls "$PKI/server.crt" "$PKI/server.key"
	export TLS=$HM_TEST_TLS_REGISTRY TLS_PID=$HM_TEST_TLS_REGISTRY_PID TLS_DIR=$HM_TEST_TLS_REGISTRY_DIR
	registry_start_tls "$PKI/server.crt" "$PKI/server.key" "$PKI/client-ca.crt"
	export MTLS=$HM_TEST_TLS_REGISTRY MTLS_PID=$HM_TEST_TLS_REGISTRY_PID MTLS_DIR=$HM_TEST_TLS_REGISTRY_DIR
	skopeo copy --quiet --dest-tls-verify=false \
		"oci:$BATS_FILE_TMPDIR/src:v1" "docker://$TLS/tls/app:v1"
	mkdir -p "$BATS_FILE_TMPDIR/skopeo-client"
	cp "$PKI/client.cert" "$PKI/client.key" "$BATS_FILE_TMPDIR/skopeo-client/"
	skopeo copy --quiet --dest-cert-dir "$BATS_FILE_TMPDIR/skopeo-client" --dest-tls-verify=false \
		"oci:$BATS_FILE_TMPDIR/src:v1" "docker://$MTLS/mtls/app:v1"
	push_image "$BATS_FILE_TMPDIR/src" v1 plain/app:v1
	# no certs.d of this machine and no credentials of whoever runs the tests
	export HALLMARK_CERTS_D=$BATS_FILE_TMPDIR/no-certs.d
	export HOME=$BATS_FILE_TMPDIR/home
	mkdir -p "$HOME"
	unset REGISTRY_AUTH_FILE DOCKER_CONFIG XDG_RUNTIME_DIR XDG_CONFIG_HOME SSL_CERT_FILE SSL_CERT_DIR
}

teardown_file() {
	. "$REPO_ROOT/tests/lib/registry.sh"
	_hm_stop "${TLS_PID:-}" "${TLS_DIR:-}"
	_hm_stop "${MTLS_PID:-}" "${MTLS_DIR:-}"
	[ -z "${HM_TEST_AUTH_REGISTRY_PID:-}" ] || registry_stop_auth
	common_teardown_file
}

@test "HTTPS on loopback without its CA: a certificate error naming the CA sources tried, no plain-HTTP fallback" {
	run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"certificate is not trusted"* ]]
	[[ "$output" == *"CAs tried: the system store"* ]]
	[[ "$output" == *"certs.d folders: $HALLMARK_CERTS_D/$TLS (absent)"* ]]
	[[ "$output" == *"--ca-file FILE or as $HALLMARK_CERTS_D/$TLS/ca.crt"* ]]
	[[ "$output" == *"--insecure-registry $TLS"* ]]
	[[ "$output" != *"HTTP 400"* ]]
	# a CA that did not issue it is named among those tried, and not enough
	run hm tree --ca-file "$PKI/other-ca.crt" "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"CAs tried: the system store"*", --ca-file $PKI/other-ca.crt;"* ]]
}

@test "the CA in a certs.d folder (docker's and podman's layout) is trusted" {
	root=$BATS_TEST_TMPDIR/certs.d
	certs_d "$root" "$TLS" "$PKI/ca.crt"
	HALLMARK_CERTS_D=$root run hm tree -v "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"registry $TLS: HTTPS; CAs: the system store, CA file $root/$TLS/ca.crt; client certificate: none"* ]]
	# any *.crt is a CA; several roots, ':'-separated, all read
	other=$BATS_TEST_TMPDIR/other.d
	certs_d "$other" "$TLS" "$PKI/other-ca.crt"
	mv "$root/$TLS/ca.crt" "$root/$TLS/my-registry.crt"
	HALLMARK_CERTS_D=$other:$root run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	# the folder of another port is not this registry's
	mkdir -p "$BATS_TEST_TMPDIR/wrong.d/127.0.0.1"
	cp "$PKI/ca.crt" "$BATS_TEST_TMPDIR/wrong.d/127.0.0.1/"
	HALLMARK_CERTS_D=$BATS_TEST_TMPDIR/wrong.d run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
}

@test "a broken certs.d folder is an error naming the file" {
	root=$BATS_TEST_TMPDIR/certs.d
	mkdir -p "$root/$TLS"
	echo "not a certificate" >"$root/$TLS/ca.crt"
	HALLMARK_CERTS_D=$root run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"'$root/$TLS/ca.crt': no PEM certificate in it"* ]]
	cp "$PKI/ca.crt" "$root/$TLS/ca.crt"
	cp "$PKI/client.cert" "$root/$TLS/"
	HALLMARK_CERTS_D=$root run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"client certificate '$root/$TLS/client.cert' has no key '$root/$TLS/client.key'"* ]]
}

@test "--ca-file, several times: all trusted; SSL_CERT_FILE and SSL_CERT_DIR too" {
	run hm tree --ca-file "$PKI/other-ca.crt" --ca-file "$PKI/ca.crt" "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	run hm tree --ca-file "$BATS_TEST_TMPDIR/absent.pem" "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"absent.pem"* ]]
	SSL_CERT_FILE=$PKI/ca.crt run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	mkdir -p "$BATS_TEST_TMPDIR/hashed"
	cp "$PKI/ca.crt" "$BATS_TEST_TMPDIR/hashed/"
	openssl rehash "$BATS_TEST_TMPDIR/hashed"
	SSL_CERT_DIR=$BATS_TEST_TMPDIR/hashed run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	SSL_CERT_FILE=$BATS_TEST_TMPDIR/absent.pem run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"SSL_CERT_FILE names '$BATS_TEST_TMPDIR/absent.pem': No such file or directory"* ]]
	# named in the error when they do not hold the CA
	SSL_CERT_FILE=$PKI/other-ca.crt run hm tree "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"CAs tried: SSL_CERT_FILE=$PKI/other-ca.crt"* ]]
}

@test "--insecure-registry HOST and --tls-verify=false accept an unverifiable certificate" {
	run hm tree -v --insecure-registry "$TLS" "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"registry $TLS: HTTPS, certificate not verified (insecure registry)"* ]]
	run hm tree --tls-verify=false "$TLS/tls/app:v1"
	[ "$status" -eq 0 ]
	# another host's insecurity is not this one's
	run hm tree --insecure-registry 127.0.0.2 "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	run hm tree --tls-verify=true "$TLS/tls/app:v1"
	[ "$status" -eq 3 ]
	run hm tree --tls-verify=maybe "$TLS/tls/app:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tls-verify takes true or false, not 'maybe'"* ]]
}

@test "mutual TLS: refused without a client certificate, works with client.cert/client.key in certs.d" {
	root=$BATS_TEST_TMPDIR/certs.d
	certs_d "$root" "$MTLS" "$PKI/ca.crt"
	HALLMARK_CERTS_D=$root run hm tree "$MTLS/mtls/app:v1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no client certificate presented; a registry that requires one finds it as client.cert and client.key in $root/$MTLS/"* ]]
	[[ "$output" != *"HTTP 400"* ]]
	# a client certificate of another CA is refused too
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$root/$MTLS/client.key" \
		-out "$root/$MTLS/client.cert" -subj "/CN=stranger" -days 1 >/dev/null 2>&1
	HALLMARK_CERTS_D=$root run hm tree "$MTLS/mtls/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"client certificate presented: $root/$MTLS/client.cert"* ]]
	cp "$PKI/client.cert" "$PKI/client.key" "$root/$MTLS/"
	HALLMARK_CERTS_D=$root run hm tree -v "$MTLS/mtls/app:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"client certificate: $root/$MTLS/client.cert"* ]]
}

@test "a plain-HTTP registry on loopback still works: HTTPS first, then plain HTTP" {
	run hm tree -v "$HM_TEST_REGISTRY/plain/app:v1"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "hallmark: registry $HM_TEST_REGISTRY: plain HTTP (HTTPS failed: "* ]]
	# docker:// prefix, as skopeo writes it
	run hm tree "docker://$HM_TEST_REGISTRY/plain/app:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$HM_TEST_REGISTRY/plain/app"* ]]
	# and nothing said without -v
	run hm tree "$HM_TEST_REGISTRY/plain/app:v1"
	[[ "$output" != *"plain HTTP"* ]]
}

@test "podman's auth files are found after docker's; a missing --registry-config is an error" {
	. "$REPO_ROOT/tests/lib/registry.sh"
	registry_start_auth alice s3cret
	skopeo copy --quiet --dest-tls-verify=false --dest-creds alice:s3cret \
		"oci:$BATS_FILE_TMPDIR/src:v1" "docker://$HM_TEST_AUTH_REGISTRY/auth/app:v1"
	ref=$HM_TEST_AUTH_REGISTRY/auth/app:v1
	auth=$(printf 'alice:s3cret' | base64)
	run hm tree "$ref"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wants a password"* ]]
	# $XDG_RUNTIME_DIR/containers/auth.json (podman login's file)
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR/containers"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HM_TEST_AUTH_REGISTRY" "$auth" >"$XDG_RUNTIME_DIR/containers/auth.json"
	run hm tree "$ref"
	[ "$status" -eq 0 ]
	# ~/.config/containers/auth.json
	mkdir -p "$HOME/.config/containers"
	mv "$XDG_RUNTIME_DIR/containers/auth.json" "$HOME/.config/containers/auth.json"
	run hm tree "$ref"
	[ "$status" -eq 0 ]
	# docker's file comes first when it knows the registry: wrong password there wins
	mkdir -p "$HOME/.docker"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HM_TEST_AUTH_REGISTRY" "$(printf 'alice:wrong' | base64)" >"$HOME/.docker/config.json"
	run hm tree "$ref"
	[ "$status" -eq 3 ]
	rm -rf "$HOME/.docker" "$HOME/.config/containers"
	# --registry-config names a file that is not there: exit 3, not anonymous
	run hm tree --registry-config "$BATS_TEST_TMPDIR/nope.json" "$HM_TEST_REGISTRY/plain/app:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == "hallmark: --registry-config '$BATS_TEST_TMPDIR/nope.json': No such file or directory" ]]
	registry_stop_auth || true
}
