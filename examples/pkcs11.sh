#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Signing with a key that never leaves a PKCS#11 token, here SoftHSM2 in a
# throw-away directory (a smart card or an HSM works the same way: change
# module-path and token=).
#
#   1. make a token and an ECDSA P-256 key pair on it (softhsm2-util, pkcs11-tool);
#   2. print the token's public key for verifiers without the token;
#   3. sign an image of an OCI layout on the token;
#   4. verify with the exported key, and with the token itself.
#
# usage: examples/pkcs11.sh OCI-LAYOUT[:TAG]
#   e.g. cp -r examples/image /tmp/image && examples/pkcs11.sh /tmp/image:1.0
# needs: softhsm2, opensc (Debian packages)
set -eu
HM=${HALLMARK:-hallmark}
image=oci:$1
module=${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$work/tokens" >"$SOFTHSM2_CONF"
# The PIN lives in a file: a pin-value in the URI would show in `ps`.
printf '1234\n' >"$work/pin"
softhsm2-util --init-token --free --label release --pin "$(cat "$work/pin")" --so-pin 5678 >/dev/null
pkcs11-tool --module "$module" --token-label release --login --pin "$(cat "$work/pin")" \
	--keypairgen --key-type EC:prime256v1 --label signer --id 01 >/dev/null

key="pkcs11:token=release;object=signer?module-path=$module&pin-source=$work/pin"

"$HM" key public --key "$key" >"$work/release.pub"
cat "$work/release.pub"
"$HM" sign --key "$key" "$image"
"$HM" verify --key "$work/release.pub" "$image"
# the token's public key object needs no PIN
"$HM" verify --key "pkcs11:token=release;object=signer?module-path=$module" "$image"
