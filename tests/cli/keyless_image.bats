#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Keyless signatures and attestations of images: Sigstore bundles made by
# sigstore-js against @sigstore/mock's Fulcio, CT log, Rekor and TSA
# (tests/interop/sigstore-js/keyless.mjs image, in-process, no socket),
# attached as OCI 1.1 referrers through the referrers tag, and checked by
# hallmark verify and verify-attestation with cosign's keyless flags.
# Forgeries: another identity, another issuer, another trusted root, a
# tampered statement, a statement of another image, a keyless bundle where
# only a key was given and a key bundle where only an identity was.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/keyless_image

JS=$REPO_ROOT/tests/interop/sigstore-js
ID=https://github.com/myorg/app/.github/workflows/release.yml@refs/tags/v1.4.0
ISS=https://token.actions.githubusercontent.com
SIGN=https://sigstore.dev/cosign/sign/v1
SLSA=https://slsa.dev/provenance/v1
STMT_REPO=ki/app

setup_file() {
	[ -d "$JS/node_modules/@sigstore/mock" ] || sh "$REPO_ROOT/tests/lib/deps.sh" >&2
	common_setup_file
	export D=$BATS_FILE_TMPDIR R=$HM_TEST_REGISTRY
	printf '{}' >"$D/empty.json"
	hm key generate --output-prefix "$D/k" >/dev/null 2>&1
	export DIG=$(fresh ki/app) OTHER=$(fresh ki/other)
	statement "$D/sign.st" "$DIG" "$SIGN"
	statement "$D/slsa.st" "$DIG" "$SLSA"
	statement "$D/other.st" "$OTHER" "$SIGN"
	node "$JS/keyless.mjs" image "$D/sign.st" "$D/sign.json" "$D/sign-root.json" "$ID" "$ISS"
	node "$JS/keyless.mjs" image "$D/slsa.st" "$D/slsa.json" "$D/slsa-root.json" "$ID" "$ISS"
	node "$JS/keyless.mjs" image "$D/other.st" "$D/other.json" "$D/other-root.json" "$ID" "$ISS"
	attach_bundle ki/app "$DIG" "$D/sign.json" "$SIGN"
	attach_bundle ki/app "$DIG" "$D/slsa.json" "$SLSA"
	# the bundle of another image replayed as a referrer of this one
	attach_bundle ki/app "$DIG" "$D/other.json" "$SIGN"
	# a tampered statement: the payload changed, the signature kept
	jq -c '.dsseEnvelope.payload |= (@base64d | fromjson | .predicate = {"evil":true} | tojson | @base64)' \
		"$D/sign.json" >"$D/tampered.json"
	export KEYED=$(fresh ki/keyed)
	hm sign --key "$D/k.key" "$R/ki/keyed:1" >/dev/null
	attach_bundle ki/keyed "$KEYED" "$D/slsa.json" "$SLSA"
}

teardown_file() { common_teardown_file; }

kl() { hm "$@" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"; }

@test "verify: a keyless bundle of the image verifies with identity, issuer and trusted root, naming them" {
	run kl verify --trusted-root "$D/sign-root.json" "$R/ki/app@$DIG"
	[ "$status" -eq 0 ]
	[[ "$output" == "verified $R/ki/app@$DIG: 1 of 2 signatures valid"* ]]
	[[ "$output" == *"valid    sha256:"*" identity $ID, issuer $ISS, log index "*", signed at 20"* ]]
	# the bundle of the other image is listed and refused
	[[ "$output" == *"invalid"* ]]
	HALLMARK_TRUSTED_ROOT=$D/sign-root.json run kl verify --output json "$R/ki/app@$DIG"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.images[0].signatures[] | select(.valid)] | length' <<<"$output")" = 1 ]
	[ "$(jq -r '.images[0].signatures[] | select(.valid) | .identity' <<<"$output")" = "$ID" ]
	[ "$(jq -r '.images[0].signatures[] | select(.valid) | .issuer' <<<"$output")" = "$ISS" ]
	[ "$(jq -r '.images[0].signatures[] | select(.valid) | .logIndex | type' <<<"$output")" = number ]
	[[ "$(jq -r '.images[0].signatures[] | select(.valid) | .signedAt' <<<"$output")" == 20*Z ]]
}

@test "forgery: another identity, another issuer, another trusted root, the built-in root are refused" {
	run hm verify --trusted-root "$D/sign-root.json" --certificate-identity "${ID%v1.4.0}v9" \
		--certificate-oidc-issuer "$ISS" "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match"* ]]
	run hm verify --trusted-root "$D/sign-root.json" --certificate-identity "$ID" \
		--certificate-oidc-issuer https://accounts.google.com "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"issuer"*"does not match"* ]]
	run kl verify --trusted-root "$D/slsa-root.json" "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	run kl verify "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
}

@test "forgery: a tampered statement is refused" {
	d=$(fresh ki/tamper)
	attach_bundle ki/tamper "$d" "$D/tampered.json" "$SIGN"
	run kl verify --trusted-root "$D/sign-root.json" "$R/ki/tamper@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid"* ]]
}

@test "forgery: the statement of another image is refused, under its own root too" {
	run kl verify --trusted-root "$D/other-root.json" "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid"* ]]
}

@test "a keyless bundle with only a key given is refused, saying which flags are missing" {
	run hm verify --key "$D/k.pub" "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keyless signature: give --certificate-identity and --certificate-oidc-issuer"* ]]
}

@test "a key signature with only an identity given is refused; key OR identity counts when both are given" {
	run kl verify --trusted-root "$D/sign-root.json" "$R/ki/keyed@$KEYED"
	[ "$status" -eq 1 ]
	run kl verify --trusted-root "$D/sign-root.json" --key "$D/k.pub" --output json "$R/ki/keyed@$KEYED"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.images[0].signatures[0].key' <<<"$output")" = "$D/k.pub" ]
	run kl verify --trusted-root "$D/sign-root.json" --key "$D/k.pub" "$R/ki/app@$DIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"identity $ID"* ]]
}

@test "verify: identity flags follow cosign's rules" {
	run hm verify --certificate-identity "$ID" "$R/ki/app@$DIG"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--certificate-oidc-issuer"* ]]
	run hm verify --certificate-identity-regexp '(' --certificate-oidc-issuer "$ISS" "$R/ki/app@$DIG"
	[ "$status" -eq 2 ]
	run hm verify "$R/ki/app@$DIG"
	[ "$status" -eq 2 ]
	run kl verify --trusted-root "$D/nonexistent.json" "$R/ki/app@$DIG"
	[ "$status" -eq 3 ]
}

@test "verify-attestation: a keyless SLSA bundle verifies; the wrong identity, root or a key-only check refuse it" {
	run kl verify-attestation --trusted-root "$D/slsa-root.json" --type slsaprovenance "$R/ki/app@$DIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"*"$SLSA"*"identity $ID, issuer $ISS, log index"* ]]
	run kl verify-attestation --trusted-root "$D/slsa-root.json" --output json "$R/ki/app@$DIG"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.images[0].attestations[] | select(.valid) | .identity' <<<"$output")" = "$ID" ]
	run kl verify-attestation --trusted-root "$D/sign-root.json" --type slsaprovenance "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	run hm verify-attestation --trusted-root "$D/slsa-root.json" --certificate-identity-regexp '^https://github\.com/other/' \
		--certificate-oidc-issuer "$ISS" --type slsaprovenance "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	run hm verify-attestation --key "$D/k.pub" --type slsaprovenance "$R/ki/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keyless signature: give --certificate-identity"* ]]
}

# legacy_sig REPO DIGEST EDIT: cosign v2's keyless layer under the tag
# sha256-<hex>.sig, made from a mock-Fulcio message bundle over the
# simple-signing payload (its certificate, signature and Rekor v1 entry with
# the SET), with the annotations edited by jq EDIT.
legacy_sig() {
	local repo=$1 d=$2 edit=${3:-.} t=$BATS_TEST_TMPDIR pd cd
	jq -nc --arg r "$R/$repo" --arg d "$d" \
		'{critical:{identity:{"docker-reference":$r},image:{"docker-manifest-digest":$d},type:"cosign container image signature"},optional:null}' >"$t/payload"
	node "$JS/keyless.mjs" message "$t/payload" "$t/b.json" "$t/root.json" "$ID" "$ISS"
	jq -r '.verificationMaterial.x509CertificateChain.certificates[0].rawBytes' "$t/b.json" | base64 -d |
		openssl x509 -inform DER -outform PEM >"$t/cert.pem"
	jq -c --arg id "$(jq -r '.verificationMaterial.tlogEntries[0].logId.keyId' "$t/b.json" | base64 -d | od -An -v -tx1 | tr -d ' \n')" \
		'.verificationMaterial.tlogEntries[0] | {SignedEntryTimestamp:.inclusionPromise.signedEntryTimestamp,
		Payload:{body:.canonicalizedBody,integratedTime:(.integratedTime|tonumber),logIndex:(.logIndex|tonumber),logID:$id}}' \
		"$t/b.json" >"$t/rekor.json"
	pd=$(put_blob "$repo" "$t/payload")
	cd=$(put_blob "$repo" "$D/empty.json")
	jq -nc --arg pd "$pd" --arg cd "$cd" --argjson s "$(stat -c %s "$t/payload")" \
		--arg sig "$(jq -r .messageSignature.signature "$t/b.json")" --rawfile cert "$t/cert.pem" --rawfile rekor "$t/rekor.json" \
		"{schemaVersion:2,mediaType:\"$MT\",config:{mediaType:\"application/vnd.oci.image.config.v1+json\",digest:\$cd,size:2},
		  layers:[{mediaType:\"application/vnd.dev.cosign.simplesigning.v1+json\",digest:\$pd,size:\$s,
		  annotations:({\"dev.cosignproject.cosign/signature\":\$sig,\"dev.sigstore.cosign/certificate\":\$cert,
		  \"dev.sigstore.cosign/chain\":\"\",\"dev.sigstore.cosign/bundle\":(\$rekor|rtrimstr(\"\\n\"))} | $edit)}]}" >"$t/m.json"
	put_manifest "$repo" "sha256-${d#sha256:}.sig" "$t/m.json"
}

@test "cosign v2's keyless layer (certificate, rekor bundle with SET) verifies with identity and issuer; forgeries refused" {
	d=$(fresh ki/legacy)
	legacy_sig ki/legacy "$d"
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/root.json" "$R/ki/legacy@$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"*"identity $ID, issuer $ISS, log index"*"signed at 20"* ]]
	run hm verify --key "$D/k.pub" "$R/ki/legacy@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keyless signature: give --certificate-identity and --certificate-oidc-issuer"* ]]
	run hm verify --trusted-root "$BATS_TEST_TMPDIR/root.json" --certificate-identity "${ID%v1.4.0}v9" \
		--certificate-oidc-issuer "$ISS" "$R/ki/legacy@$d"
	[ "$status" -eq 1 ]
	run kl verify --trusted-root "$D/sign-root.json" "$R/ki/legacy@$d"
	[ "$status" -eq 1 ]
	# a SET that does not cover the entry: integratedTime moved
	d=$(fresh ki/legacy2)
	legacy_sig ki/legacy2 "$d" '.["dev.sigstore.cosign/bundle"] |= (fromjson | .Payload.integratedTime -= 60 | tojson)'
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/root.json" "$R/ki/legacy2@$d"
	[ "$status" -eq 1 ]
	# no rekor bundle at all
	d=$(fresh ki/legacy3)
	legacy_sig ki/legacy3 "$d" 'del(.["dev.sigstore.cosign/bundle"])'
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/root.json" "$R/ki/legacy3@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"without a transparency log entry"* ]]
}
