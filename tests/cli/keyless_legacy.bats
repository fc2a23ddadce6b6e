#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cosign v2's legacy keyless layers with their RFC 3161 timestamp: the
# attestation layer (sha256-<hex>.att, a DSSE envelope logged as intoto
# 0.0.1) and the signature layer (sha256-<hex>.sig), made from @sigstore/mock's
# Fulcio certificate, Rekor v1 entry (with SET) and TSA by
# tests/interop/sigstore-js/keyless.mjs legacy-att|legacy-sig, and checked by
# hallmark verify-attestation / verify with cosign's keyless flags.
# Forgeries: another identity, a tampered envelope, the Rekor entry of
# another envelope, a timestamp over other bytes, a TSA not in the root.

bats_require_minimum_version 1.5.0
load ../lib/common

JS=$REPO_ROOT/tests/interop/sigstore-js
MT=application/vnd.oci.image.manifest.v1+json
ID=https://github.com/myorg/app/.github/workflows/release.yml@refs/tags/v1.4.0
ISS=https://token.actions.githubusercontent.com
SLSA=https://slsa.dev/provenance/v1

setup_file() {
	[ -d "$JS/node_modules/@sigstore/mock" ] || sh "$REPO_ROOT/tests/lib/deps.sh" >&2
	common_setup_file
	export D=$BATS_FILE_TMPDIR R=$HM_TEST_REGISTRY
	printf '{}' >"$D/empty.json"
}

teardown_file() { common_teardown_file; }

kl() { hm "$@" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"; }

# put_layer REPO TAG FILE MEDIATYPE ANNOTATIONS-JSON: a one-layer manifest
# of FILE under REPO:TAG, as cosign v2 writes its .sig and .att.
put_layer() {
	local repo=$1 tag=$2 f=$3 mt=$4 ann=$5 ld cd
	ld=$(put_blob "$repo" "$f")
	cd=$(put_blob "$repo" "$D/empty.json")
	jq -nc --arg ld "$ld" --arg cd "$cd" --arg mt "$mt" --argjson s "$(stat -c %s "$f")" --argjson ann "$ann" \
		"{schemaVersion:2,mediaType:\"$MT\",config:{mediaType:\"application/vnd.oci.image.config.v1+json\",digest:\$cd,size:2},
		  layers:[{mediaType:\$mt,digest:\$ld,size:\$s,annotations:\$ann}]}" >"$BATS_TEST_TMPDIR/m.json"
	put_manifest "$repo" "$tag" "$BATS_TEST_TMPDIR/m.json"
}

# annotations DIR REKOR TS SIG: cosign's keyless annotations from DIR (made
# by keyless.mjs), with the Rekor bundle file REKOR and timestamp file TS
# ("" for none) and the signature annotation SIG.
annotations() {
	jq -nc --rawfile cert "$1/cert.pem" --rawfile rekor "$1/$2" --arg ts "${3:+$(cat "$1/$3")}" --arg sig "$4" \
		--arg t "$SLSA" \
		'{"dev.cosignproject.cosign/signature":$sig,predicateType:$t,"dev.sigstore.cosign/certificate":$cert,
		  "dev.sigstore.cosign/chain":"","dev.sigstore.cosign/bundle":$rekor}
		 + (if $ts == "" then {} else {"dev.sigstore.cosign/rfc3161timestamp":$ts} end)'
}

# legacy_att REPO DIGEST [REKOR] [TS] [EDIT]: a keyless SLSA attestation of
# DIGEST under REPO:sha256-<hex>.att, its envelope edited by jq EDIT;
# keyless.mjs's output stays in $BATS_TEST_TMPDIR/a (root.json among it).
legacy_att() {
	local repo=$1 d=$2 rekor=${3:-rekor.json} ts=${4-ts.json} edit=${5:-.} a=$BATS_TEST_TMPDIR/a env=envelope.json
	mkdir -p "$a"
	jq -nc --arg d "${d#sha256:}" --arg n "$R/$repo" --arg t "$SLSA" \
		'{_type:"https://in-toto.io/Statement/v1",subject:[{name:$n,digest:{sha256:$d}}],predicateType:$t,
		  predicate:{buildDefinition:{buildType:"x"}}}' >"$a/st.json"
	node "$JS/keyless.mjs" legacy-att "$a/st.json" "$a" "$a/root.json" "$ID" "$ISS"
	if [ "$edit" != . ]; then
		jq -jc "$edit" "$a/envelope.json" >"$a/edited.json"
		env=edited.json
	fi
	put_layer "$repo" "sha256-${d#sha256:}.att" "$a/$env" application/vnd.dsse.envelope.v1+json \
		"$(annotations "$a" "$rekor" "$ts" "")"
}

@test "cosign v2's keyless attestation layer (intoto 0.0.1, timestamp over the envelope) verifies with identity and issuer" {
	d=$(fresh kl/att)
	legacy_att kl/att "$d"
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" --type slsaprovenance "$R/kl/att@$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"*"$SLSA"*"identity $ID, issuer $ISS, log index"* ]]
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" --output json "$R/kl/att@$d"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.images[0].attestations[] | select(.valid) | .identity' <<<"$output")" = "$ID" ]
	# another identity, another issuer, a key only: refused
	run hm verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" --certificate-identity "${ID%v1.4.0}v9" \
		--certificate-oidc-issuer "$ISS" "$R/kl/att@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match"* ]]
	run hm verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" --certificate-identity "$ID" \
		--certificate-oidc-issuer https://accounts.google.com "$R/kl/att@$d"
	[ "$status" -eq 1 ]
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/k" >/dev/null 2>&1
	run hm verify-attestation --key "$BATS_TEST_TMPDIR/k.pub" "$R/kl/att@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keyless signature: give --certificate-identity"* ]]
}

@test "forgery: a tampered envelope of a keyless attestation layer is refused" {
	d=$(fresh kl/tamper)
	legacy_att kl/tamper "$d" rekor.json ts.json \
		'.payload |= (@base64d | fromjson | .predicate = {"evil":true} | tojson | @base64)'
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" "$R/kl/tamper@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid"* ]]
	# the same envelope, only re-serialized (keyid added): the Rekor entry
	# records another envelope hash
	d=$(fresh kl/tamper2)
	legacy_att kl/tamper2 "$d" rekor.json "" '.signatures[0].keyid = "x"'
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" "$R/kl/tamper2@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"envelope hash"* ]]
}

@test "forgery: the Rekor entry of another envelope (same payload, signature, certificate) is refused" {
	d=$(fresh kl/other)
	legacy_att kl/other "$d" rekor-other.json ""
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" "$R/kl/other@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"intoto"*"envelope hash"* ]]
	# without the timestamp the attestation still verifies (the SET gives the time)
	d=$(fresh kl/nots)
	legacy_att kl/nots "$d" rekor.json ""
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" "$R/kl/nots@$d"
	[ "$status" -eq 0 ]
}

@test "forgery: an attestation timestamp over the raw signature, or from a TSA not in the root, is refused" {
	d=$(fresh kl/ts)
	legacy_att kl/ts "$d" rekor.json ts-other.json
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/a/root.json" "$R/kl/ts@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timestamp"* ]]
	d=$(fresh kl/ts2)
	legacy_att kl/ts2 "$d"
	jq '.timestampAuthorities = []' "$BATS_TEST_TMPDIR/a/root.json" >"$BATS_TEST_TMPDIR/notsa.json"
	run kl verify-attestation --trusted-root "$BATS_TEST_TMPDIR/notsa.json" "$R/kl/ts2@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timestamp"* ]]
}

# legacy_sig REPO DIGEST TS [ROOT-EDIT]: cosign v2's keyless signature layer
# of DIGEST with the timestamp file TS, under REPO:sha256-<hex>.sig.
legacy_sig() {
	local repo=$1 d=$2 ts=$3 s=$BATS_TEST_TMPDIR/s
	mkdir -p "$s"
	jq -nc --arg r "$R/$repo" --arg d "$d" \
		'{critical:{identity:{"docker-reference":$r},image:{"docker-manifest-digest":$d},type:"cosign container image signature"},optional:null}' >"$s/payload"
	node "$JS/keyless.mjs" legacy-sig "$s/payload" "$s" "$s/root.json" "$ID" "$ISS"
	put_layer "$repo" "sha256-${d#sha256:}.sig" "$s/payload" application/vnd.dev.cosign.simplesigning.v1+json \
		"$(annotations "$s" rekor.json "$ts" "$(cat "$s/sig")" | jq -c 'del(.predicateType)')"
}

@test "cosign v2's keyless signature layer with an RFC 3161 timestamp over the raw signature verifies; other bytes or another TSA refused" {
	d=$(fresh kl/sig)
	legacy_sig kl/sig "$d" ts.json
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/s/root.json" "$R/kl/sig@$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"*"identity $ID, issuer $ISS"* ]]
	jq '.timestampAuthorities = []' "$BATS_TEST_TMPDIR/s/root.json" >"$BATS_TEST_TMPDIR/notsa.json"
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/notsa.json" "$R/kl/sig@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timestamp"* ]]
	# a timestamp over the signature's base64 text, not its bytes
	d=$(fresh kl/sig2)
	legacy_sig kl/sig2 "$d" ts-other.json
	run kl verify --trusted-root "$BATS_TEST_TMPDIR/s/root.json" "$R/kl/sig2@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timestamp"* ]]
}
