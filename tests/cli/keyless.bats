#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark verify-blob keyless, end to end, on bundles that hallmark did not
# make: sigstore-js (@sigstore/sign) signing against @sigstore/mock's Fulcio,
# CT log, Rekor and TSA, answered in-process (tests/interop/sigstore-js/
# keyless.mjs, no socket), with the trusted root of those mock services.
# Every check has a forgery or a wrong expectation that must be refused.

bats_require_minimum_version 1.5.0
load ../lib/common

JS=$REPO_ROOT/tests/interop/sigstore-js
CONF=$REPO_ROOT/tests/conformance/bundle-verify
ID=https://github.com/myorg/app/.github/workflows/release.yml@refs/tags/v1.4.0
ISS=https://token.actions.githubusercontent.com
EVIL=https://evil.example/fork?https://github.com/myorg/app/.github/workflows/release.yml

keyless() { node "$JS/keyless.mjs" "$@"; }

setup_file() {
	[ -d "$JS/node_modules/@sigstore/mock" ] || sh "$REPO_ROOT/tests/lib/deps.sh" >&2
	export D=$BATS_FILE_TMPDIR
	printf 'release artifact\n' >"$D/app.tar"
	printf 'release artifact, changed\n' >"$D/changed.tar"
	export SUM=sha256:$(sha256sum "$D/app.tar" | cut -c1-64)
	printf '{"event_name":"push","sha":"0123abcd","workflow":"release","repository":"myorg/app","ref":"refs/tags/v1.4.0"}\n' >"$D/claims.json"
	keyless message "$D/app.tar" "$D/msg.json" "$D/msg-root.json" "$ID" "$ISS"
	keyless dsse "$D/app.tar" "$D/dsse.json" "$D/dsse-root.json" "$ID" "$ISS" "$D/claims.json"
	keyless message "$D/app.tar" "$D/evil.json" "$D/evil-root.json" "$EVIL" "$ISS"
	hm key generate --output-prefix "$D/k" >/dev/null 2>&1
	hm sign-blob --key "$D/k.key" --bundle "$D/key.json" "$D/app.tar" >/dev/null
}

# verify-blob keyless of bundle B (with its root R) and the artifact, plus flags
kv() {
	local b=$1 r=$2
	shift 2
	hm verify-blob --bundle "$b" --trusted-root "$r" "$@"
}

@test "a mock-Fulcio message bundle verifies with its identity, issuer and trusted root, by path and digest" {
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == "verified $D/app.tar ($SUM): message signature, identity $ID, issuer $ISS, log index "*", signed at 20"* ]]
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$SUM"
	[ "$status" -eq 0 ]
	# the trusted root from the environment
	HALLMARK_TRUSTED_ROOT=$D/msg-root.json run hm verify-blob --bundle "$D/msg.json" \
		--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 0 ]
}

@test "--output json names the identity, issuer, claims, log index and times that verified" {
	run kv "$D/dsse.json" "$D/dsse-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" \
		--output json "$D/app.tar"
	[ "$status" -eq 0 ]
	[ "$(jq -r .verified <<<"$output")" = true ]
	[ "$(jq -r .keyless <<<"$output")" = true ]
	[ "$(jq -r .identity <<<"$output")" = "$ID" ]
	[ "$(jq -r .issuer <<<"$output")" = "$ISS" ]
	[ "$(jq -r .claims.githubWorkflowRepository <<<"$output")" = myorg/app ]
	[ "$(jq -r .predicateType <<<"$output")" = https://slsa.dev/provenance/v1 ]
	[ "$(jq -r '.logIndex | type' <<<"$output")" = number ]
	# one time from the TSA, one from the log's signed entry timestamp
	[ "$(jq -r '.times | length' <<<"$output")" = 2 ]
	[[ "$(jq -r '.times[0]' <<<"$output")" == 20*Z ]]
	[ "$(jq -r 'has("key")' <<<"$output")" = false ]
}

@test "the same bundle is refused with the public-good root (the default)" {
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keyless: "* ]]
	# and with another mock instance's root
	run kv "$D/msg.json" "$D/dsse-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
}

@test "another identity or another issuer is refused" {
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "${ID%v1.4.0}v1.4.1" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"certificate identity '$ID' does not match the expected identity"* ]]
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer https://accounts.google.com "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"certificate issuer '$ISS' does not match"* ]]
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer-regexp '^https://accounts\.' "$D/app.tar"
	[ "$status" -eq 1 ]
}

@test "regexps are cosign's: unanchored matches an attacker's SAN, anchored refuses it" {
	# cosign's meaning: the pattern may match anywhere in the SAN
	run kv "$D/evil.json" "$D/evil-root.json" --certificate-identity-regexp 'https://github\.com/myorg/app/' \
		--certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 0 ]
	# anchored, the attacker's subject is refused and the real one accepted
	run kv "$D/evil.json" "$D/evil-root.json" --certificate-identity-regexp '^https://github\.com/myorg/app/' \
		--certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match the identity regexp"* ]]
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity-regexp '^https://github\.com/myorg/app/' \
		--certificate-oidc-issuer-regexp '^https://token\.actions\.githubusercontent\.com$' "$D/app.tar"
	[ "$status" -eq 0 ]
}

@test "a changed artifact or statement subject is refused" {
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/changed.tar"
	[ "$status" -eq 1 ]
	run kv "$D/dsse.json" "$D/dsse-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/changed.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"subjects do not include"* ]]
	# the messageDigest rewritten to the changed file's: the signature no longer binds
	alt=$(openssl dgst -sha256 -binary "$D/changed.tar" | base64)
	jq --arg d "$alt" '.messageSignature.messageDigest.digest = $d' "$D/msg.json" >"$BATS_TEST_TMPDIR/m.json"
	run kv "$BATS_TEST_TMPDIR/m.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/changed.tar"
	[ "$status" -eq 1 ]
	# a DSSE payload edited after signing
	jq '.dsseEnvelope.payload |= (@base64d | sub("app.tar"; "app.taz") | @base64)' "$D/dsse.json" >"$BATS_TEST_TMPDIR/p.json"
	run kv "$BATS_TEST_TMPDIR/p.json" "$D/dsse-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
}

@test "a removed or altered transparency log entry is refused" {
	t=$BATS_TEST_TMPDIR
	run_k() { kv "$1" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"; }
	jq '.verificationMaterial.tlogEntries = []' "$D/msg.json" >"$t/1.json"
	run run_k "$t/1.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no transparency log entry"* ]]
	jq '.verificationMaterial.tlogEntries[0].logIndex |= (tonumber + 1 | tostring)' "$D/msg.json" >"$t/2.json"
	run run_k "$t/2.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signed entry timestamp of log entry"*"does not verify"* ]]
	jq '.verificationMaterial.tlogEntries[0].integratedTime |= (tonumber - 60 | tostring)' "$D/msg.json" >"$t/3.json"
	run run_k "$t/3.json"
	[ "$status" -eq 1 ]
	jq '.verificationMaterial.tlogEntries[0].canonicalizedBody |= (@base64d | sub("sha256"; "sha256 ") | @base64)' "$D/msg.json" >"$t/4.json"
	run run_k "$t/4.json"
	[ "$status" -eq 1 ]
	# v0.2: the inclusion proof is required, a promise is not enough
	jq 'del(.verificationMaterial.tlogEntries[0].inclusionProof)' "$D/msg.json" >"$t/5.json"
	run run_k "$t/5.json"
	[ "$status" -eq 1 ]
	jq '.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope |= sub("\n1\n"; "\n2\n")' "$D/msg.json" >"$t/6.json"
	run run_k "$t/6.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"checkpoint carries no valid signature"* ]]
	# the timestamps removed: the signed entry timestamp still gives a time
	jq 'del(.verificationMaterial.timestampVerificationData)' "$D/msg.json" >"$t/7.json"
	run run_k "$t/7.json"
	[ "$status" -eq 0 ]
	# another signing's log entry (same identity, other instance) does not bind this one
	jq --slurpfile o "$D/evil.json" '.verificationMaterial.tlogEntries = $o[0].verificationMaterial.tlogEntries
		| del(.verificationMaterial.timestampVerificationData)' "$D/msg.json" >"$t/8.json"
	run kv "$t/8.json" "$D/evil-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"transparency log entry (hashedrekord) records a different signature"* ]]
}

@test "--certificate-github-workflow-* compare the legacy GitHub extensions exactly" {
	ok() { kv "$D/dsse.json" "$D/dsse-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$@" "$D/app.tar"; }
	run ok --certificate-github-workflow-trigger push --certificate-github-workflow-sha 0123abcd \
		--certificate-github-workflow-name release --certificate-github-workflow-repository myorg/app \
		--certificate-github-workflow-ref refs/tags/v1.4.0
	[ "$status" -eq 0 ]
	for f in trigger=pull_request sha=0123abce name=build repository=myorg/app2 ref=refs/heads/main; do
		run ok "--certificate-github-workflow-${f%%=*}" "${f#*=}"
		[ "$status" -eq 1 ]
		[[ "$output" == *"certificate claim githubWorkflow"* ]]
	done
	# a certificate without the extension fails a flag that names it
	run kv "$D/msg.json" "$D/msg-root.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" \
		--certificate-github-workflow-repository myorg/app "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(absent)"* ]]
}

@test "a bare public key where a certificate is expected is refused (GHSA-fx35-mq7g-6g98)" {
	run hm verify-blob --bundle "$D/key.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signed with a public key, not a Fulcio certificate"* ]]
	run hm verify-blob --bundle "$CONF/managed-key-happy-path/bundle.sigstore.json" \
		--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$CONF/../a.txt"
	[ "$status" -eq 1 ]
}

@test "a key bundle's log entries are verified too; an offline key bundle needs none" {
	b=$CONF/managed-key-happy-path/bundle.sigstore.json
	run hm verify-blob --bundle "$b" --key "$CONF/managed-key-happy-path/key.pub" "$CONF/../a.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *", key $CONF/managed-key-happy-path/key.pub, log index 771488337, signed at 2025-12-18T"* ]]
	jq '.verificationMaterial.tlogEntries[0].logIndex = "771488338"' "$b" >"$BATS_TEST_TMPDIR/k.json"
	run hm verify-blob --bundle "$BATS_TEST_TMPDIR/k.json" --key "$CONF/managed-key-happy-path/key.pub" "$CONF/../a.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"key bundle: transparency log entry 0"* ]]
	# its log is not in the mock's root
	run hm verify-blob --bundle "$b" --key "$CONF/managed-key-happy-path/key.pub" --trusted-root "$D/msg-root.json" "$CONF/../a.txt"
	[ "$status" -eq 1 ]
	# the entry records this key: another key with a valid signature cannot borrow it
	run hm verify-blob --bundle "$D/key.json" --key "$D/k.pub" --output json "$D/app.tar"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'has("logIndex")' <<<"$output")" = false ]
}

@test "keyless usage errors exit 2, an unreadable or invalid trusted root 3" {
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" "$D/app.tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"keyless verification needs --certificate-oidc-issuer"* ]]
	run hm verify-blob --bundle "$D/msg.json" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm verify-blob --bundle "$D/msg.json" --certificate-github-workflow-ref refs/tags/v1 "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm verify-blob --bundle "$D/msg.json" --key "$D/k.pub" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" --certificate-identity-regexp x --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 2 ]
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity-regexp '(' --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid regular expression"* ]]
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --trusted-root "$D/none.json" "$D/app.tar"
	[ "$status" -eq 3 ]
	run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" --trusted-root "$D/app.tar" "$D/app.tar"
	[ "$status" -eq 3 ]
	HALLMARK_TRUSTED_ROOT=$D/none.json run hm verify-blob --bundle "$D/msg.json" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$D/app.tar"
	[ "$status" -eq 3 ]
}

@test "the conformance shim maps verify-bundle and refuses what it cannot do" {
	s=$REPO_ROOT/tests/conformance/hallmark-conformance
	HALLMARK=$HALLMARK run "$s" verify-bundle --bundle "$D/msg.json" --certificate-identity "$ID" \
		--certificate-oidc-issuer "$ISS" --trusted-root "$D/msg-root.json" "$SUM"
	[ "$status" -eq 0 ]
	HALLMARK=$HALLMARK run "$s" verify-bundle --staging --bundle "$D/msg.json" --certificate-identity "$ID" \
		--certificate-oidc-issuer "$ISS" "$SUM"
	[ "$status" -eq 2 ]
	HALLMARK=$HALLMARK run "$s" sign-bundle --identity-token x --bundle "$D/x.json" "$D/app.tar"
	[ "$status" -eq 2 ]
}

@test "examples/keyless-verify-blob.sh runs" {
	cd "$REPO_ROOT"
	HALLMARK=$HALLMARK run sh examples/keyless-verify-blob.sh
	[ "$status" -eq 0 ]
	[[ "$output" == *"identity https://github.com/sigstore-conformance/"* ]]
}
