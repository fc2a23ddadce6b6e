#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark sign-blob / verify-blob: Sigstore bundles, checked against
# sigstore-js (tests/interop/sigstore-js) in both directions.  Every check
# has a forgery that both sides must refuse.

bats_require_minimum_version 1.5.0
load ../lib/common

JS=$REPO_ROOT/tests/interop/sigstore-js
SLSA=https://slsa.dev/provenance/v1
COSIGN_SIGN=https://sigstore.dev/cosign/sign/v1

js_sign() { node "$JS/sign.mjs" "$@"; }
js_verify() { node "$JS/verify.mjs" "$@"; }

setup_file() {
	[ -d "$JS/node_modules/@sigstore/verify" ] || sh "$REPO_ROOT/tests/lib/deps.sh" >&2
	export D=$BATS_FILE_TMPDIR
	hm key generate --output-prefix "$D/a" >/dev/null 2>&1
	hm key generate --output-prefix "$D/b" >/dev/null 2>&1
	hm key generate --type ed25519 --output-prefix "$D/ed" >/dev/null 2>&1
	# sigstore-js signs with a plain PKCS#8 key, which hallmark reads too
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/n.key" 2>/dev/null
	openssl pkey -in "$D/n.key" -pubout -out "$D/n.pub"
	printf 'release artifact\n' >"$D/app.tar"
	printf 'another artifact\n' >"$D/other.tar"
	export SUM=sha256:$(sha256sum "$D/app.tar" | cut -c1-64)
	hm sign-blob --key "$D/a.key" --bundle "$D/hm-msg.json" "$D/app.tar" >/dev/null
	hm sign-blob --key "$D/a.key" --bundle "$D/hm-dsse.json" --type "$COSIGN_SIGN" "$D/app.tar" >/dev/null
	hm sign-blob --key "$D/a.key" --bundle "$D/hm-slsa.json" --type slsaprovenance "$D/app.tar" >/dev/null
	js_sign message "$D/n.key" "$D/app.tar" "$D/js-msg.json"
	js_sign dsse "$D/n.key" "$D/app.tar" "$D/js-dsse.json"
	js_sign dsse "$D/n.key" "$D/app.tar" "$D/js-slsa.json" "$SLSA"
}

@test "sign-blob writes a v0.3 message-signature bundle whose hint is base64(sha256(SPKI))" {
	[ "$(jq -r .mediaType "$D/hm-msg.json")" = application/vnd.dev.sigstore.bundle.v0.3+json ]
	hint=$(openssl pkey -pubin -in "$D/a.pub" -outform DER | openssl dgst -sha256 -binary | base64)
	[ "$(jq -r .verificationMaterial.publicKey.hint "$D/hm-msg.json")" = "$hint" ]
	[ "$(jq -r .messageSignature.messageDigest.algorithm "$D/hm-msg.json")" = SHA2_256 ]
	[ "$(jq -r .messageSignature.messageDigest.digest "$D/hm-msg.json" | base64 -d | od -An -tx1 | tr -d ' \n')" = "${SUM#sha256:}" ]
	[ "$(jq '.verificationMaterial | has("tlogEntries")' "$D/hm-msg.json")" = false ]
	[ "$(jq -r '.dsseEnvelope.signatures[0].keyid' "$D/hm-dsse.json")" = "$hint" ]
}

@test "hallmark bundles verify in hallmark and in sigstore-js" {
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-msg.json" "$D/app.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == "verified $D/app.tar ($SUM): message signature, key $D/a.pub" ]]
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-dsse.json" "$D/app.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"statement of type $COSIGN_SIGN"* ]]
	js_verify "$D/a.pub" "$D/hm-msg.json" "$D/app.tar"
	js_verify "$D/a.pub" "$D/hm-dsse.json" "$D/app.tar"
	js_verify "$D/a.pub" "$D/hm-slsa.json" "$D/app.tar" "$SLSA"
}

@test "sigstore-js bundles (v0.2 message signature, v0.3 DSSE) verify in hallmark, by file and by digest" {
	[ "$(jq -r .mediaType "$D/js-msg.json")" = "application/vnd.dev.sigstore.bundle+json;version=0.2" ]
	hm verify-blob --key "$D/n.pub" --bundle "$D/js-msg.json" "$D/app.tar"
	hm verify-blob --key "$D/n.pub" --bundle "$D/js-msg.json" "$SUM"
	hm verify-blob --key "$D/n.pub" --bundle "$D/js-dsse.json" "$D/app.tar"
	hm verify-blob --key "$D/n.pub" --bundle "$D/js-dsse.json" "$SUM"
	hm verify-blob --key "$D/n.pub" --bundle "$D/js-slsa.json" --type slsaprovenance "$D/app.tar"
	# and the sigstore-js key signs hallmark bundles that sigstore-js accepts
	hm sign-blob --key "$D/n.key" --bundle "$BATS_TEST_TMPDIR/n.json" "$D/app.tar"
	js_verify "$D/n.pub" "$BATS_TEST_TMPDIR/n.json" "$D/app.tar"
	cmp <(jq -r .verificationMaterial.publicKey.hint "$BATS_TEST_TMPDIR/n.json") \
	    <(jq -r .verificationMaterial.publicKey.hint "$D/js-msg.json")
}

@test "a tampered DSSE payload is refused by both" {
	for b in hm-dsse js-dsse; do
		jq '.dsseEnvelope.payload |= (@base64d | sub("Statement/v1"; "Statement/v1 ") | @base64)' \
			"$D/$b.json" >"$BATS_TEST_TMPDIR/$b.json"
		key=$D/a.pub; [ $b = js-dsse ] && key=$D/n.pub
		run hm verify-blob --key "$key" --bundle "$BATS_TEST_TMPDIR/$b.json" "$D/app.tar"
		[ "$status" -eq 1 ]
		[[ "$output" == *"the DSSE signature does not verify"* ]]
		run js_verify "$key" "$BATS_TEST_TMPDIR/$b.json" "$D/app.tar"
		[ "$status" -eq 1 ]
	done
}

@test "a tampered file or message digest is refused by both" {
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-msg.json" "$D/other.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"messageDigest is not the artifact's digest"* ]]
	run js_verify "$D/a.pub" "$D/hm-msg.json" "$D/other.tar"
	[ "$status" -eq 1 ]
	# a digest rewritten to the other file's: the signature still fails
	other=$(openssl dgst -sha256 -binary "$D/other.tar" | base64)
	jq --arg d "$other" '.messageSignature.messageDigest.digest = $d' "$D/js-msg.json" >"$BATS_TEST_TMPDIR/m.json"
	run hm verify-blob --key "$D/n.pub" --bundle "$BATS_TEST_TMPDIR/m.json" "$D/other.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"message signature does not verify"* ]]
	run js_verify "$D/n.pub" "$BATS_TEST_TMPDIR/m.json" "$D/other.tar"
	[ "$status" -eq 1 ]
	run hm verify-blob --key "$D/n.pub" --bundle "$D/js-msg.json" "sha256:$(sha256sum "$D/other.tar" | cut -c1-64)"
	[ "$status" -eq 1 ]
}

@test "a wrong key is refused by both" {
	for b in hm-msg hm-dsse; do
		run hm verify-blob --key "$D/b.pub" --bundle "$D/$b.json" "$D/app.tar"
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not verify with the given key"* ]]
		run js_verify "$D/b.pub" "$D/$b.json" "$D/app.tar"
		[ "$status" -eq 1 ]
	done
	run hm verify-blob --key "$D/a.pub" --bundle "$D/js-dsse.json" "$D/app.tar"
	[ "$status" -eq 1 ]
	# one of several keys is enough, and the right one is named
	run hm verify-blob --key "$D/b.pub" --key "$D/a.pub" --bundle "$D/hm-msg.json" "$D/app.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"key $D/a.pub" ]]
}

@test "a statement for another digest is refused by both" {
	js_sign dsse "$D/n.key" "$D/app.tar" "$BATS_TEST_TMPDIR/x.json" "$COSIGN_SIGN" \
		"$(sha256sum "$D/other.tar" | cut -c1-64)"
	run hm verify-blob --key "$D/n.pub" --bundle "$BATS_TEST_TMPDIR/x.json" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the statement's subjects do not include $SUM"* ]]
	run js_verify "$D/n.pub" "$BATS_TEST_TMPDIR/x.json" "$D/app.tar"
	[ "$status" -eq 1 ]
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-dsse.json" "$D/other.tar"
	[ "$status" -eq 1 ]
	run js_verify "$D/a.pub" "$D/hm-dsse.json" "$D/other.tar"
	[ "$status" -eq 1 ]
}

@test "a cosign/sign/v1 statement is not an attestation of another type, and the reverse" {
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-dsse.json" --type slsaprovenance "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"predicate type is $COSIGN_SIGN, not $SLSA"* ]]
	run js_verify "$D/a.pub" "$D/hm-dsse.json" "$D/app.tar" "$SLSA"
	[ "$status" -eq 1 ]
	run hm verify-blob --key "$D/n.pub" --bundle "$D/js-slsa.json" --type "$COSIGN_SIGN" "$D/app.tar"
	[ "$status" -eq 1 ]
	run js_verify "$D/n.pub" "$D/js-slsa.json" "$D/app.tar" "$COSIGN_SIGN"
	[ "$status" -eq 1 ]
	# a message signature is no attestation either
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-msg.json" --type "$SLSA" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"message signature, not an attestation"* ]]
}

@test "a certificate bundle is refused with --key, naming what keyless needs" {
	jq '.verificationMaterial = {certificate: {rawBytes: "MIIB"}}' "$D/hm-msg.json" >"$BATS_TEST_TMPDIR/c.json"
	run hm verify-blob --key "$D/a.pub" --bundle "$BATS_TEST_TMPDIR/c.json" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bundle carries a certificate; keyless verification needs --certificate-identity and --certificate-oidc-issuer"* ]]
}

@test "a key hint that disagrees with the DSSE keyid is refused" {
	jq '.verificationMaterial.publicKey.hint = "c29tZW9uZSBlbHNl"' "$D/hm-dsse.json" >"$BATS_TEST_TMPDIR/h.json"
	run hm verify-blob --key "$D/a.pub" --bundle "$BATS_TEST_TMPDIR/h.json" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"publicKey.hint 'c29tZW9uZSBlbHNl' disagrees with the DSSE signature keyid"* ]]
	# an empty keyid is no disagreement
	jq '.dsseEnvelope.signatures[0].keyid = ""' "$BATS_TEST_TMPDIR/h.json" >"$BATS_TEST_TMPDIR/h2.json"
	hm verify-blob --key "$D/a.pub" --bundle "$BATS_TEST_TMPDIR/h2.json" "$D/app.tar"
}

@test "malformed bundles are refused with the field path" {
	t=$BATS_TEST_TMPDIR
	jq '.mediaType = "application/vnd.dev.sigstore.bundle.v0.4+json"' "$D/hm-msg.json" >"$t/1.json"
	jq '.dsseEnvelope.signatures += .dsseEnvelope.signatures' "$D/hm-dsse.json" >"$t/2.json"
	jq 'del(.messageSignature.signature)' "$D/hm-msg.json" >"$t/3.json"
	jq '.verificationMaterial = {x509CertificateChain: {certificates: [{rawBytes: "MIIB"}]}}' "$D/hm-msg.json" >"$t/4.json"
	jq '.verificationMaterial.tlogEntries = [{logIndex: "1", logId: {keyId: "AAAA"}, kindVersion: {kind: "hashedrekord", version: "0.0.1"}}]' \
		"$D/hm-msg.json" >"$t/5.json"
	jq '.messageSignature.messageDigest.digest = 7' "$D/hm-msg.json" >"$t/6.json"
	printf '[1]' >"$t/7.json"
	want=("mediaType: unknown media type"
	      "dsseEnvelope.signatures: must hold exactly one signature, not 2"
	      "messageSignature.signature: required"
	      "verificationMaterial.x509CertificateChain: not allowed in bundle v0.3"
	      "verificationMaterial.tlogEntries[0].inclusionProof: required from bundle v0.2 on"
	      "messageSignature.messageDigest.digest: must be a base64 string"
	      "bundle: not a JSON object")
	for i in 1 2 3 4 5 6 7; do
		run hm verify-blob --key "$D/a.pub" --bundle "$t/$i.json" "$D/app.tar"
		[ "$status" -eq 1 ]
		[[ "$output" == *"${want[$((i - 1))]}"* ]] || { echo "$i: $output"; false; }
	done
}

@test "verify-blob --output json reports the verdict, refused or not" {
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-slsa.json" --output json "$D/app.tar"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .verified)" = true ]
	[ "$(echo "$output" | jq -r .kind)" = dsseStatement ]
	[ "$(echo "$output" | jq -r .predicateType)" = "$SLSA" ]
	[ "$(echo "$output" | jq -r .digest)" = "$SUM" ]
	[ "$(echo "$output" | jq -r .bundleVersion)" = 0.3 ]
	[ "$(echo "$output" | jq -r .statement.subject[0].name)" = app.tar ]
	run --separate-stderr hm verify-blob --key "$D/b.pub" --bundle "$D/hm-msg.json" -o json "$D/app.tar"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .verified)" = false ]
	[[ "$(echo "$output" | jq -r .error)" == *"does not verify"* ]]
}

@test "usage errors exit 2, unreadable files 3" {
	run hm verify-blob --key "$D/a.pub" "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm verify-blob --key "$D/a.pub" --bundle "$D/hm-msg.json" sha256:xyz
	[ "$status" -eq 2 ]
	run hm sign-blob --key "$D/a.key" "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm sign-blob --key "$D/a.key" --bundle "$BATS_TEST_TMPDIR/p.json" --predicate "$D/app.tar" "$D/app.tar"
	[ "$status" -eq 2 ]
	# Ed25519 signs the message itself: it cannot check a digest
	hm sign-blob --key "$D/ed.key" --bundle "$BATS_TEST_TMPDIR/ed.json" "$D/app.tar"
	hm verify-blob --key "$D/ed.pub" --bundle "$BATS_TEST_TMPDIR/ed.json" "$D/app.tar"
	run hm verify-blob --key "$D/ed.pub" --bundle "$BATS_TEST_TMPDIR/ed.json" "$SUM"
	[ "$status" -eq 2 ]
	run hm verify-blob --key "$D/a.pub" --bundle "$D/missing.json" "$D/app.tar"
	[ "$status" -eq 3 ]
}
