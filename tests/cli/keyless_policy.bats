#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Keyless entries in a policy's keys: an identity and issuer under a trusted
# root (sigstore-js's mock Fulcio, tests/interop/sigstore-js/keyless.mjs
# image) counting toward signatures and attestations like a key, claims in
# `where` as certificate.*, lint of keyless entries.  Refused: another
# identity, another issuer, another root, a claim that differs, a mixed
# threshold of 2 met by one signer only.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/keyless_image

JS=$REPO_ROOT/tests/interop/sigstore-js
ID=https://github.com/myorg/app/.github/workflows/release.yml@refs/tags/v1.4.0
ISS=https://token.actions.githubusercontent.com
SIGN=https://sigstore.dev/cosign/sign/v1
SLSA=https://slsa.dev/provenance/v1
STMT_REPO=kp/app
SHA=0123456789abcdef0123456789abcdef01234567

setup_file() {
	[ -d "$JS/node_modules/@sigstore/mock" ] || sh "$REPO_ROOT/tests/lib/deps.sh" >&2
	common_setup_file
	export D=$BATS_FILE_TMPDIR R=$HM_TEST_REGISTRY
	printf '{}' >"$D/empty.json"
	printf '{"event_name":"push","sha":"%s","workflow":"release","repository":"myorg/app","ref":"refs/tags/v1.4.0"}\n' \
		"$SHA" >"$D/claims.json"
	hm key generate --output-prefix "$D/k" >/dev/null 2>&1
	hm key generate --output-prefix "$D/k2" >/dev/null 2>&1
	export DIG=$(fresh kp/app)
	statement "$D/sign.st" "$DIG" "$SIGN"
	statement "$D/slsa.st" "$DIG" "$SLSA"
	node "$JS/keyless.mjs" image "$D/sign.st" "$D/sign.json" "$D/sign-root.json" "$ID" "$ISS" "$D/claims.json"
	node "$JS/keyless.mjs" image "$D/slsa.st" "$D/slsa.json" "$D/slsa-root.json" "$ID" "$ISS" "$D/claims.json"
	attach_bundle kp/app "$DIG" "$D/sign.json" "$SIGN"
	attach_bundle kp/app "$DIG" "$D/slsa.json" "$SLSA"
	hm sign --key "$D/k.key" "$R/kp/app@$DIG" >/dev/null
	# audit: a git repository whose tag v1.4.0 is the commit the certificate
	# of release 1.4.0 names (sourceRepositoryDigest), and v1.5.0 is not
	export GIT=$D/git
	git init -q "$GIT"
	gitc() { git -C "$GIT" -c user.name=t -c user.email=t@example.com "$@"; }
	gitc commit -q --allow-empty -m one
	export C1=$(git -C "$GIT" rev-parse HEAD)
	gitc commit -q --allow-empty -m two
	export C2=$(git -C "$GIT" rev-parse HEAD)
	gitc tag v1.4.0 "$C1"
	gitc tag v1.5.0 "$C2"
	printf '{"sha":"%s","repository":"myorg/app","ref":"refs/tags/v1.4.0"}\n' "$C1" >"$D/rel-claims.json"
	for v in 1.4.0 1.5.0; do
		make_image "$D/layout" kp/rel "rel $v $RANDOM"
		push_image "$D/layout" kp/rel "kp/rel:$v"
		d=$(digest_of "$R/kp/rel:$v")
		jq -nc --arg d "${d#sha256:}" --arg n "$R/kp/rel" --arg t "$SIGN" \
			'{_type:"https://in-toto.io/Statement/v1",subject:[{name:$n,digest:{sha256:$d}}],predicateType:$t,predicate:{}}' \
			>"$D/rel-$v.st"
		# both certificates name C1: right for 1.4.0, wrong for 1.5.0
		node "$JS/keyless.mjs" image "$D/rel-$v.st" "$D/rel-$v.json" "$D/rel-$v-root.json" "$ID" "$ISS" \
			"$D/rel-claims.json"
		attach_bundle kp/rel "$d" "$D/rel-$v.json" "$SIGN"
	done
}

teardown_file() { common_teardown_file; }

# policy FILE KEYS SIGNATURES [ATTESTATIONS]: a policy for kp/app.
policy() {
	cat >"$1" <<Y
apiVersion: hallmark/v1
kind: Policy
keys:
$2
rules:
  - name: app
    images: ["$R/kp/app*"]
    require:
$3
Y
}

@test "policy: a keyless entry allows the image signed by that identity, naming identity and issuer" {
	policy "$D/p.yaml" "  ci: { issuer: $ISS, subject: $ID, trustedRoot: sign-root.json }" \
		"      signatures: { keys: [ci] }"
	run hm policy lint "$D/p.yaml"
	[ "$status" -eq 0 ]
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 required key signed (ci (identity $ID, issuer $ISS))"* ]]
	# regular expressions and claims, cosign's names
	policy "$D/p.yaml" "  ci: { issuerRegExp: '^https://token\\.actions\\.', subjectRegExp: '^https://github\\.com/myorg/', trustedRoot: sign-root.json, claims: { sourceRepositoryDigest: \"$SHA\", githubWorkflowRef: refs/tags/v1.4.0 } }" \
		"      signatures: { keys: [ci] }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 0 ]
}

@test "forgery: another identity, issuer, root or claim denies, saying what would be accepted" {
	for entry in "{ issuer: $ISS, subject: ${ID%v1.4.0}v9, trustedRoot: sign-root.json }" \
		"{ issuer: https://accounts.google.com, subject: $ID, trustedRoot: sign-root.json }" \
		"{ issuer: $ISS, subject: $ID, trustedRoot: slsa-root.json }" \
		"{ issuer: $ISS, subject: $ID }" \
		"{ issuer: $ISS, subject: $ID, trustedRoot: sign-root.json, claims: { sourceRepositoryDigest: ffff } }"; do
		policy "$D/p.yaml" "  ci: $entry" "      signatures: { keys: [ci] }"
		run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
		echo "$entry: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"0 of 1 required key signed; would accept signatures by 1 of: ci (keyless: identity "* ]]
	done
}

@test "policy: a threshold of 2 over a key and a keyless identity needs both" {
	policy "$D/p.yaml" "  rel: { file: k.pub }
  ci: { issuer: $ISS, subject: $ID, trustedRoot: sign-root.json }" \
		"      signatures: { keys: [rel, ci], threshold: 2 }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 required keys signed (rel, ci (identity $ID"* ]]
	# the key alone (the keyless entry under another root)
	policy "$D/p.yaml" "  rel: { file: k.pub }
  ci: { issuer: $ISS, subject: $ID, trustedRoot: slsa-root.json }" \
		"      signatures: { keys: [rel, ci], threshold: 2 }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 2 required keys signed (rel)"* ]]
	# the identity alone (another key)
	policy "$D/p.yaml" "  rel: { file: k2.pub }
  ci: { issuer: $ISS, subject: $ID, trustedRoot: sign-root.json }" \
		"      signatures: { keys: [rel, ci], threshold: 2 }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 2 required keys signed (ci (identity $ID"* ]]
	# two keyless entries matching the same signature: one attachment, one vote
	policy "$D/p.yaml" "  ci: { issuer: $ISS, subject: $ID, trustedRoot: sign-root.json }
  ci2: { issuerRegExp: token, subjectRegExp: myorg, trustedRoot: sign-root.json }" \
		"      signatures: { keys: [ci, ci2], threshold: 2 }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 2 required keys signed (ci "* ]]
}

@test "policy: where reads the certificate's claims as certificate.*" {
	policy "$D/p.yaml" "  ci: { issuer: $ISS, subject: $ID, trustedRoot: slsa-root.json }" \
		"      attestations:
        - type: $SLSA
          keys: [ci]
          where:
            - { path: certificate.sourceRepositoryURI, equals: https://github.com/myorg/app }
            - { path: certificate.sourceRepositoryDigest, equals: \"$SHA\" }
            - { path: certificate.issuer, equals: $ISS }
            - { path: certificate.subject, equals: $ID }"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 required key attested (ci (identity $ID, issuer $ISS))"* ]]
	sed -i 's|github.com/myorg/app }|github.com/evil/app }|' "$D/p.yaml"
	run hm policy check --policy "$D/p.yaml" "$R/kp/app@$DIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"statement signed by ci (identity $ID, issuer $ISS): "*"certificate.sourceRepositoryURI"* ]]
}

@test "lint: keyless entries: bad regexps, unreadable roots, missing issuer or subject, unknown claims" {
	printf 'not json' >"$D/bad-root.json"
	policy "$D/bad.yaml" "  a: { issuerRegExp: '(', subject: x }
  b: { issuer: $ISS, subjectRegExp: '[z' }
  c: { subject: x }
  d: { issuer: $ISS }
  e: { issuer: $ISS, subject: x, trustedRoot: nowhere.json }
  f: { issuer: $ISS, subject: x, trustedRoot: bad-root.json }
  g: { issuer: $ISS, subject: x, claims: { sourceRepoDigest: y } }
  h: { issuer: $ISS, subject: x, subjectRegExp: y }
  i: { issuer: $ISS, subject: x, file: k.pub }" "      signatures: { keys: [rel] }"
	run hm policy lint "$D/bad.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.yaml:4:"*"key 'a': invalid regular expression '('"* ]]
	[[ "$output" == *"bad.yaml:5:"*"key 'b': invalid regular expression '[z'"* ]]
	[[ "$output" == *"bad.yaml:6:"*"keyless key 'c' needs exactly one of 'issuer' or 'issuerRegExp'"* ]]
	[[ "$output" == *"bad.yaml:7:"*"keyless key 'd' needs exactly one of 'subject' or 'subjectRegExp'"* ]]
	[[ "$output" == *"bad.yaml:8:"*"key 'e': trustedRoot: "* ]]
	[[ "$output" == *"bad.yaml:9:"*"key 'f': trustedRoot: "* ]]
	[[ "$output" == *"bad.yaml:10:"*"unknown claim 'sourceRepoDigest' in key 'g' (expected "*"sourceRepositoryDigest"* ]]
	[[ "$output" == *"bad.yaml:11:"*"keyless key 'h' needs exactly one of 'subject' or 'subjectRegExp'"* ]]
	[[ "$output" == *"bad.yaml:12:"*"key 'i' is keyless (issuer, subject) and so takes no 'file' or 'pem'"* ]]
}

# audit_at VERSION FORMAT: audits kp/rel's tag VERSION under its own root.
audit_at() {
	hm audit --git "$GIT" --tags "$1" --trusted-root "$D/rel-$1-root.json" --certificate-identity "$ID" \
		--certificate-oidc-issuer "$ISS" --output "$2" "$R/kp/rel"
}

@test "audit: a keyless release whose certificate names its git tag's commit passes, showing the signer" {
	# (exit 1: no provenance is attached, an error of its own)
	run --separate-stderr audit_at 1.4.0 json
	echo "$output $stderr"
	[ "$status" -eq 1 ]
	t=$(jq -c '.tags[] | select(.tag == "1.4.0")' <<<"$output")
	[ "$(jq -r '.git.state' <<<"$t")" = match ]
	[ "$(jq -r '.git.commit' <<<"$t")" = "$C1" ]
	[ "$(jq -r '[.findings[] | select(.code == "commit-mismatch")] | length' <<<"$t")" = 0 ]
	[ "$(jq -r '.signatures.keyless[0].identity' <<<"$t")" = "$ID" ]
	[ "$(jq -r '.signatures.keyless[0].issuer' <<<"$t")" = "$ISS" ]
	[ "$(jq -r '.signatures.keyless[0].sourceRepositoryDigest' <<<"$t")" = "$C1" ]
	[ "$(jq -r '.summary.gitMatched' <<<"$output")" = 1 ]
	run --separate-stderr audit_at 1.4.0 table
	[ "$status" -eq 1 ]
	[[ "$output" == *"1/1 $ID"* ]]
	[[ "$output" != *"commit-mismatch"* ]]
	run --separate-stderr audit_at 1.4.0 markdown
	[ "$status" -eq 1 ]
	[[ "$output" == *"1/1 $ID"* ]]
}

@test "audit: a keyless release whose certificate names another commit than its git tag: commit-mismatch" {
	run --separate-stderr audit_at 1.5.0 table
	echo "$output $stderr"
	[ "$status" -eq 1 ]
	[[ "$output" == *"commit-mismatch: the keyless signature's certificate names commit ${C1:0:12} (sourceRepositoryDigest) but git tag 'v1.5.0' points to ${C2:0:12}"* ]]
	# without the identity, the keyless signature is an unknown signer and no commit is compared
	run --separate-stderr hm audit --git "$GIT" --tags 1.5.0 "$R/kp/rel"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown-signer"* ]]
	[[ "$output" != *"commit-mismatch"* ]]
	# the keyless flags follow verify's rules
	run --separate-stderr hm audit --certificate-identity "$ID" "$R/kp/rel"
	[ "$status" -eq 2 ]
}
