#!/bin/sh
# make demo: generate keys, sign the example image (an OCI layout, no
# registry, no network), verify it, and show a verification with the wrong
# key being refused.  Works on a copy in demo-out/, so examples/ stays clean.
set -eu
HM=${HALLMARK:-build/hallmark}
out=demo-out
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$out"
mkdir -p "$out"
cp -R examples/image "$out/image"
img="oci:$out/image:1.0"
export HALLMARK_PASSWORD=demo-passphrase

step "generate a release key and a stranger's key (private keys encrypted, 0600)"
show "$HM" key generate --output-prefix "$out/release"
show "$HM" key generate --type ed25519 --output-prefix "$out/stranger"
ls -l "$out"/*.key "$out"/*.pub
show "$HM" key public --key "$out/release.key"

step "sign the example image"
show "$HM" sign --key "$out/release.key" -a release=1.0 "$img"

step "verify it with the release key"
show "$HM" verify --key "$out/release.pub" -a release=1.0 "$img"

step "verify it with the stranger's key: refused"
if "$HM" verify --key "$out/stranger.pub" "$img"; then
	echo "demo: verification with the wrong key was accepted" >&2
	exit 1
else
	echo "(exit status $?: verification failed, as it should)"
fi

step "what is attached to the image"
show "$HM" tree "$img"
