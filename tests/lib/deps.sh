#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what hallmark needs to build and test on Debian: the -dev
# packages and the test tools.  As root, runs apt-get for whatever is
# missing; otherwise prints the exact command to run.  Then installs the
# pinned sigstore-js packages of the interop tests with npm ci.
pkgs="build-essential pkg-config libssl-dev libcurl4-openssl-dev libcjson-dev libyaml-dev
libgit2-dev libsodium-dev libmicrohttpd-dev libcmocka-dev bats docker-registry skopeo umoci
git curl jq python3 python3-cryptography python3-nacl clang libclang-rt-14-dev hyperfine time
apache2-utils libp11-kit-dev softhsm2 opensc zsh fish lowdown python3-yaml wrk python3-jsonschema"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# nodejs and npm may come from elsewhere (nodesource ships npm inside nodejs)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
# kubectl kustomize renders examples/kubernetes: Debian's kubernetes-client,
# unless a kubectl is already there
command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"

# The sigstore-js interop tests run from their own node_modules, pinned by
# package-lock.json.
npm_deps() {
	dir=$(dirname "$0")/../interop/sigstore-js
	[ -d "$dir/node_modules/@sigstore/mock" ] && return 0
	echo "deps: npm ci in tests/interop/sigstore-js"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null) || {
		echo "deps: npm ci failed in $dir" >&2; exit 3; }
}

if [ -z "$missing" ]; then
	npm_deps
	exit 0
fi
cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null || {
		echo "deps: apt-get failed; run: $cmd" >&2; exit 3; }
	npm_deps
else
	echo "deps: missing:$missing" >&2
	echo "deps: run as root: $cmd" >&2
	exit 3
fi
