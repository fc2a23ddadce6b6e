#!/bin/sh
# Installs what hallmark needs to build and test on Debian: the -dev
# packages and the test tools.  As root, runs apt-get for whatever is
# missing; otherwise prints the exact command to run.
pkgs="build-essential pkg-config libssl-dev libcurl4-openssl-dev libcjson-dev libyaml-dev
libgit2-dev libsodium-dev libmicrohttpd-dev libcmocka-dev bats docker-registry skopeo umoci
git curl jq python3 python3-cryptography python3-nacl clang libclang-rt-14-dev hyperfine time
apache2-utils"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null || {
		echo "deps: apt-get failed; run: $cmd" >&2; exit 3; }
else
	echo "deps: missing:$missing" >&2
	echo "deps: run as root: $cmd" >&2
	exit 3
fi
