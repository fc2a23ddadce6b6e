#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Key sources beyond files: PKCS#11 tokens (SoftHSM2 in a temporary
# SOFTHSM2_CONF), env://VAR, KMS schemes refused by name, where passphrases
# come from, and key generate never leaving half a pair.  Everything works on
# OCI layouts: no registry needed.

load ../lib/common

MODULE=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && { MODULE=$m; break; }
done

setup_file() {
	export MODULE SOFTHSM2_CONF=$BATS_FILE_TMPDIR/softhsm2.conf LAYOUT=$BATS_FILE_TMPDIR/layout
	mkdir -p "$BATS_FILE_TMPDIR/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$BATS_FILE_TMPDIR/tokens" >"$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label hm-test --pin 1234 --so-pin 5678 >/dev/null
	pkcs11-tool --module "$MODULE" --token-label hm-test --login --pin 1234 \
		--keypairgen --key-type EC:prime256v1 --label signer --id 01 >/dev/null
	pkcs11-tool --module "$MODULE" --token-label hm-test --login --pin 1234 \
		--keypairgen --key-type rsa:2048 --label rsa-signer --id 02 >/dev/null
	printf '1234\n' >"$BATS_FILE_TMPDIR/pin"
	export URI="pkcs11:token=hm-test;object=signer?module-path=$MODULE&pin-source=$BATS_FILE_TMPDIR/pin"
	export PUBURI="pkcs11:token=hm-test;object=signer?module-path=$MODULE"
	make_image "$LAYOUT" one "token image"
	make_image "$LAYOUT" two "second token image"
}

@test "pkcs11: key public prints the token's public key" {
	run hm key public --key "$URI"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "-----BEGIN PUBLIC KEY-----" ]]
	# the same key pkcs11-tool reads from the token
	pkcs11-tool --module "$MODULE" --token-label hm-test --read-object --type pubkey --label signer \
		-o "$BATS_TEST_TMPDIR/pub.der" >/dev/null 2>&1
	openssl pkey -pubin -inform DER -in "$BATS_TEST_TMPDIR/pub.der" >"$BATS_TEST_TMPDIR/want.pem"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/want.pem")" ]
}

@test "pkcs11: sign on the token, verify with the exported key and with the token" {
	hm key public --key "$URI" >"$BATS_TEST_TMPDIR/tok.pub"
	run hm sign --key "$URI" "oci:$LAYOUT:one"
	[ "$status" -eq 0 ]
	[[ "$output" == "signed oci:$LAYOUT@sha256:"* ]]
	run hm verify --key "$BATS_TEST_TMPDIR/tok.pub" "oci:$LAYOUT:one"
	[ "$status" -eq 0 ]
	run hm verify --key "$PUBURI" "oci:$LAYOUT:one"
	[ "$status" -eq 0 ]
	[[ "$output" == *"key pkcs11:token=hm-test;object=signer"* ]]
	# a signature by another key does not count
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/other" 2>/dev/null
	run hm verify --key "$BATS_TEST_TMPDIR/other.pub" "oci:$LAYOUT:one"
	[ "$status" -eq 1 ]
	# openssl agrees with the token's signature
	hm sign --key "$URI" --format legacy --no-upload --output-signature "$BATS_TEST_TMPDIR/sig" \
		--output-payload "$BATS_TEST_TMPDIR/payload" "oci:$LAYOUT:one" >/dev/null
	base64 -d "$BATS_TEST_TMPDIR/sig" >"$BATS_TEST_TMPDIR/sig.der"
	openssl dgst -sha256 -verify "$BATS_TEST_TMPDIR/tok.pub" -signature "$BATS_TEST_TMPDIR/sig.der" \
		"$BATS_TEST_TMPDIR/payload"
}

@test "pkcs11: an RSA key on the token signs too, selected by id" {
	uri="pkcs11:token=hm-test;id=%02?module-path=$MODULE&pin-value=1234"
	hm key public --key "$uri" >"$BATS_TEST_TMPDIR/rsa.pub"
	hm sign --key "$uri" "oci:$LAYOUT:two" >/dev/null
	run hm verify --key "$BATS_TEST_TMPDIR/rsa.pub" "oci:$LAYOUT:two"
	[ "$status" -eq 0 ]
}

@test "pkcs11: sign-blob signs through the token, verify-blob reads the token's key" {
	printf 'blob\n' >"$BATS_TEST_TMPDIR/blob"
	hm key public --key "$URI" >"$BATS_TEST_TMPDIR/tok.pub"
	hm sign-blob --key "$URI" --bundle "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/blob" >/dev/null
	run hm verify-blob --key "$BATS_TEST_TMPDIR/tok.pub" --bundle "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/blob"
	[ "$status" -eq 0 ]
	run hm verify-blob --key "$PUBURI" --bundle "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/blob"
	[ "$status" -eq 0 ]
}

@test "pkcs11: a wrong PIN is one line, exit 3, and never shows the PIN" {
	run hm sign --key "pkcs11:token=hm-test;object=signer?module-path=$MODULE&pin-value=98765" "oci:$LAYOUT:one"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "hallmark: logging in to 'pkcs11:token=hm-test;object=signer': wrong PIN (PIN from pin-value)" ]
	printf '55555\n' >"$BATS_TEST_TMPDIR/badpin"
	run hm key public --key "pkcs11:token=hm-test;object=signer?module-path=$MODULE&pin-source=file:$BATS_TEST_TMPDIR/badpin"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong PIN (PIN from pin-source '$BATS_TEST_TMPDIR/badpin')" ]]
	[[ "$output" != *55555* ]]
	HALLMARK_PKCS11_PIN=4444 run hm key public --key "$PUBURI"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong PIN (PIN from \$HALLMARK_PKCS11_PIN)" ]]
	[[ "$output" != *4444* ]]
	HALLMARK_PKCS11_PIN=1234 hm key public --key "$PUBURI" >/dev/null
}

@test "pkcs11: verify output never shows a pin-value" {
	hm sign --key "$URI" "oci:$LAYOUT:one" >/dev/null
	run hm verify --output json --key "$PUBURI&pin-value=1234" "oci:$LAYOUT:one"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"key":	"pkcs11:token=hm-test;object=signer"'* ]]
	[[ "$output" != *1234* ]]
}

@test "pkcs11: no such token, no such key, a bad URI, a missing module" {
	run hm key public --key "pkcs11:token=nope;object=signer?module-path=$MODULE&pin-value=1234"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no initialised token matches"* ]]
	run hm sign --key "pkcs11:token=hm-test;object=nope?module-path=$MODULE&pin-value=1234" "oci:$LAYOUT:one"
	[ "$status" -eq 3 ]
	[[ "$output" == *"'pkcs11:token=hm-test;object=nope': no private key matches on the token" ]]
	run hm sign --key "pkcs11:token=hm-test?module-path=$MODULE&pin-value=1234" "oci:$LAYOUT:one"
	[ "$status" -eq 2 ]
	[[ "$output" == *"2 private keys match (add object= or id=)" ]]
	run hm sign --key "pkcs11:token=hm-test;pin-value=1234?module-path=$MODULE" "oci:$LAYOUT:one"
	[ "$status" -eq 2 ]
	[ "$output" = "hallmark: invalid PKCS#11 URI: unknown path attribute 'pin-value'" ]
	run hm sign --key "pkcs11:token=hm-test?module-path=$BATS_TEST_TMPDIR/none.so&pin-value=1234" "oci:$LAYOUT:one"
	[ "$status" -eq 3 ]
	[[ "$output" == *"loading PKCS#11 module"* ]]
	[[ "$output" != *1234* ]]
}

@test "unsupported key sources are refused by name, exit 2" {
	for ref in awskms://alias/release gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k \
		azurekms://vault.example/key hashivault://transit k8s://ns/secret; do
		scheme=${ref%%://*}
		run hm sign --key "$ref" "oci:$LAYOUT:one"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "hallmark: key source $scheme:// ("*") is not supported: use a key file, env://VAR or a pkcs11: URI" ]]
		[[ "$output" != *"No such file"* ]]
		run hm verify --key "$ref" "oci:$LAYOUT:one"
		[ "$status" -eq 2 ]
	done
	run hm key public --key "somevault://x"
	[ "$status" -eq 2 ]
	[ "$output" = "hallmark: key source somevault:// is not supported: use a key file, env://VAR or a pkcs11: URI" ]
}

@test "env://: sign with a key from the environment, verify with a public key from it" {
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/e" 2>/dev/null
	HM_SIGNING_KEY=$(cat "$BATS_TEST_TMPDIR/e.key") run hm sign --key env://HM_SIGNING_KEY "oci:$LAYOUT:two"
	[ "$status" -eq 0 ]
	HM_VERIFY_KEY=$(cat "$BATS_TEST_TMPDIR/e.pub") run hm verify --key env://HM_VERIFY_KEY "oci:$LAYOUT:two"
	[ "$status" -eq 0 ]
	[[ "$output" == *"key env://HM_VERIFY_KEY"* ]]
	run hm sign --key env://HM_UNSET_KEY "oci:$LAYOUT:two"
	[ "$status" -eq 3 ]
	[ "$output" = "hallmark: key 'env://HM_UNSET_KEY': environment variable HM_UNSET_KEY is not set" ]
	HM_SIGNING_KEY=$(cat "$BATS_TEST_TMPDIR/e.key") HALLMARK_PASSWORD=wrong run hm sign --key env://HM_SIGNING_KEY "oci:$LAYOUT:two"
	[ "$status" -eq 3 ]
	[ "$output" = "hallmark: decrypting 'env://HM_SIGNING_KEY': wrong passphrase (from \$HALLMARK_PASSWORD)" ]
}

@test "--passphrase-file wins over the environment; the wrong source is named" {
	printf 'file-pass\n' >"$BATS_TEST_TMPDIR/pf"
	HALLMARK_PASSWORD=env-pass hm key generate --passphrase-file "$BATS_TEST_TMPDIR/pf" \
		--output-prefix "$BATS_TEST_TMPDIR/p" 2>/dev/null
	HALLMARK_PASSWORD=env-pass COSIGN_PASSWORD=other run hm key public --key "$BATS_TEST_TMPDIR/p.key" \
		--passphrase-file "$BATS_TEST_TMPDIR/pf"
	[ "$status" -eq 0 ]
	HALLMARK_PASSWORD=env-pass run hm key public --key "$BATS_TEST_TMPDIR/p.key"
	[ "$status" -eq 3 ]
	[ "$output" = "hallmark: decrypting '$BATS_TEST_TMPDIR/p.key': wrong passphrase (from \$HALLMARK_PASSWORD)" ]
	run env -u HALLMARK_PASSWORD COSIGN_PASSWORD=other "$HALLMARK" key public --key "$BATS_TEST_TMPDIR/p.key"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong passphrase (from \$COSIGN_PASSWORD)" ]]
	printf 'nope\n' >"$BATS_TEST_TMPDIR/wrong"
	HALLMARK_PASSWORD=file-pass run hm key public --key "$BATS_TEST_TMPDIR/p.key" --passphrase-file "$BATS_TEST_TMPDIR/wrong"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong passphrase (from --passphrase-file '$BATS_TEST_TMPDIR/wrong')" ]]
	[[ "$output" != *nope* ]]
}

@test "key generate: Ctrl-C at either passphrase prompt leaves no file behind" {
	for at in 1 2; do
		run env -u HALLMARK_PASSWORD -u COSIGN_PASSWORD "$PYTHON" "$REPO_ROOT/tests/lib/pty_interrupt.py" \
			"$at" secret -- "$HALLMARK" key generate --output-prefix "$BATS_TEST_TMPDIR/int$at"
		[ "$output" = "signal 2" ]
		[ -z "$(ls "$BATS_TEST_TMPDIR" | grep "^int$at")" ]
	done
}

@test "key generate: a full disk or an unwritable .pub leaves no half pair" {
	# a file size limit makes the writes fail as a full disk would (EFBIG):
	# the RSA public key (~600 bytes) fits, the private key does not
	run bash -c "trap '' XFSZ; ulimit -f 1; exec \"\$0\" key generate --type rsa-3072 --output-prefix \"\$1\"" \
		"$HALLMARK" "$BATS_TEST_TMPDIR/full"
	[ "$status" -eq 3 ]
	[[ "$output" == *"writing '$BATS_TEST_TMPDIR/full.key': File too large" ]]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '^full')" ]
	# the .pub cannot take its name (a directory is in the way)
	mkdir "$BATS_TEST_TMPDIR/dir.pub"
	run hm key generate --force --output-prefix "$BATS_TEST_TMPDIR/dir"
	[ "$status" -eq 3 ]
	[ ! -e "$BATS_TEST_TMPDIR/dir.key" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '^dir' | grep -v '^dir.pub$')" ]
	# without --force an existing .pub is refused before the prompt
	touch "$BATS_TEST_TMPDIR/half.pub"
	run hm key generate --output-prefix "$BATS_TEST_TMPDIR/half"
	[ "$status" -eq 3 ]
	[[ "$output" == *"half.pub' exists (use --force to replace it)" ]]
	[ ! -e "$BATS_TEST_TMPDIR/half.key" ]
}
