#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Verification summaries: policy check --vsa-key writes and attaches a SLSA
# VSA v1 for each digest it decided, and a policy that requires a VSA from
# that verifier accepts it in place of the checks it summarises; a FAILED,
# stale, foreign-policy, foreign-key or foreign-image summary is refused.

load ../lib/common

VSA=https://slsa.dev/verification_summary/v1

setup_file() {
	export K=$BATS_FILE_TMPDIR/keys L=$BATS_FILE_TMPDIR/layout
	mkdir -p "$K"
	for k in signer verifier stranger; do hm key generate --output-prefix "$K/$k" >/dev/null 2>&1; done
	for t in app bad old strange victim; do make_image "$L" "$t" "vsa $t"; done
	hm sign --key "$K/signer.key" "oci:$L:app" >/dev/null
	cat >"$BATS_FILE_TMPDIR/signed.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  signer: { file: keys/signer.pub }
	rules:
	  - name: signed
	    images: ["**"]
	    require:
	      signatures: { keys: [signer] }
	YAML
	export PD=sha256:$(sha256sum "$BATS_FILE_TMPDIR/signed.yaml" | cut -d' ' -f1)
	# summarised.yaml: a VSA from the verifier for signed.yaml is all it asks
	summarised "$BATS_FILE_TMPDIR/summarised.yaml" "$PD"
}

# summarised FILE POLICY_DIGEST [KEY]
summarised() {
	cat >"$1" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  verifier: { file: keys/verifier.pub }
	  signer: { file: keys/signer.pub }
	rules:
	  - name: summarised
	    images: ["**"]
	    require:
	      vsa: { keys: [${3:-verifier}], policyDigest: "$2", maxAge: 24h }
	YAML
}

layout_digest() { skopeo inspect --raw "oci:$L:$1" | sha256sum | sed 's/^/sha256:/; s/ .*//'; }

# payload FILE: the statement in a DSSE envelope file.
payload() {
	"$PYTHON" -c 'import base64, json, sys; print(base64.b64decode(json.load(open(sys.argv[1]))["payload"]).decode())' "$1"
}

summarise() {
	hm policy check --policy "$BATS_FILE_TMPDIR/signed.yaml" --vsa-key "$K/verifier.key" "$@"
}

@test "policy check --vsa-key: a signed VSA per digest, written and attached, verified by verify-attestation" {
	d=$(layout_digest app)
	run summarise --vsa-out "$BATS_TEST_TMPDIR/out" --vsa-attach -o json "oci:$L:app"
	[ "$status" -eq 0 ]
	f=$BATS_TEST_TMPDIR/out/sha256-${d#sha256:}.vsa.json
	[ -f "$f" ]
	# the JSON output names the VSA of the image
	echo "$output" | "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)["images"][0]["vsa"]
assert v == {"digest": sys.argv[1], "verificationResult": "PASSED", "file": sys.argv[2], "attached": True}, v' "$d" "$f"
	# the statement: every field of the spec, the policy by its bytes, the signature used
	payload "$f" | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
d, pd, policy = sys.argv[1], sys.argv[2], sys.argv[3]
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["predicateType"] == "https://slsa.dev/verification_summary/v1"
assert st["subject"][0]["digest"] == {"sha256": d[7:]}
p = st["predicate"]
assert p["verifier"]["id"] == "https://github.com/hallmark-dev/hallmark"
assert "hallmark" in p["verifier"]["version"]
assert p["resourceUri"].endswith("@" + d)
assert p["policy"] == {"uri": "file://" + policy, "digest": {"sha256": pd[7:]}}, p["policy"]
assert p["verificationResult"] == "PASSED" and p["verifiedLevels"] == []
assert len(p["inputAttestations"]) == 1
ia = p["inputAttestations"][0]
assert len(ia["digest"]["sha256"]) == 64 and ia["uri"].endswith("@sha256:" + ia["digest"]["sha256"])
assert p["timeVerified"].endswith("Z")' "$d" "$PD" "$(realpath "$BATS_FILE_TMPDIR/signed.yaml")"
	# the envelope file verifies with the verifier's key, not another
	run hm verify-attestation --key "$K/verifier.pub" --type "$VSA" "oci:$L:app"
	[ "$status" -eq 0 ]
	[[ "$output" == *"verification_summary/v1"* ]]
	run hm verify-attestation --key "$K/stranger.pub" --type "$VSA" "oci:$L:app"
	[ "$status" -eq 1 ]
	# the envelope file's signature over PAE(type, payload) verifies with the verifier's key
	"$PYTHON" - "$f" "$BATS_TEST_TMPDIR" <<-'PY'
	import base64, json, sys
	e = json.load(open(sys.argv[1]))
	assert e["payloadType"] == "application/vnd.in-toto+json" and len(e["signatures"]) == 1
	t, body = e["payloadType"].encode(), base64.b64decode(e["payload"])
	open(sys.argv[2] + "/pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
	open(sys.argv[2] + "/sig", "wb").write(base64.b64decode(e["signatures"][0]["sig"]))
	PY
	openssl dgst -sha256 -verify "$K/verifier.pub" -signature "$BATS_TEST_TMPDIR/sig" "$BATS_TEST_TMPDIR/pae"
	run openssl dgst -sha256 -verify "$K/stranger.pub" -signature "$BATS_TEST_TMPDIR/sig" "$BATS_TEST_TMPDIR/pae"
	[ "$status" -ne 0 ]
}

@test "require vsa: the verifier's PASSED summary admits the image with no other signature" {
	summarise --vsa-attach "oci:$L:app" >/dev/null
	run hm policy lint "$BATS_FILE_TMPDIR/summarised.yaml"
	[ "$status" -eq 0 ]
	run hm policy check --policy "$BATS_FILE_TMPDIR/summarised.yaml" "oci:$L:app"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   vsa: 1 of 1 required key attested (verifier)"* ]]
	# the verifier named by verifierId must be the one in the summary
	sed 's/maxAge: 24h/maxAge: 24h, verifierId: "https:\/\/other.example"/' "$BATS_FILE_TMPDIR/summarised.yaml" \
		>"$BATS_FILE_TMPDIR/other-verifier.yaml"
	run hm policy check --policy "$BATS_FILE_TMPDIR/other-verifier.yaml" "oci:$L:app"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verifier.id is 'https://github.com/hallmark-dev/hallmark', not 'https://other.example'"* ]]
	summarise --vsa-attach --vsa-verifier-id https://other.example "oci:$L:app" >/dev/null
	run hm policy check --policy "$BATS_FILE_TMPDIR/other-verifier.yaml" "oci:$L:app"
	[ "$status" -eq 0 ]
}

@test "require vsa: refused when FAILED, too old, for another policy, by another key, for another image" {
	summarise --vsa-out "$BATS_TEST_TMPDIR/out" --vsa-attach "oci:$L:app" >/dev/null
	p="$BATS_FILE_TMPDIR/summarised.yaml"
	# FAILED: the unsigned image's summary says so
	run summarise --vsa-attach -o json "oci:$L:bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"verificationResult":"FAILED"'* ]]
	run hm policy check --policy "$p" "oci:$L:bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verificationResult is 'FAILED', not PASSED"* ]]
	# a PASSED predicate to forge the others from
	payload "$BATS_TEST_TMPDIR"/out/*.vsa.json | "$PYTHON" -c '
import json, sys
p = json.load(sys.stdin)["predicate"]
json.dump(p, open(sys.argv[1] + "/fresh.json", "w"))
p["timeVerified"] = "2020-01-01T00:00:00Z"
json.dump(p, open(sys.argv[1] + "/old.json", "w"))' "$BATS_TEST_TMPDIR"
	# too old
	hm attest --key "$K/verifier.key" --type "$VSA" --predicate "$BATS_TEST_TMPDIR/old.json" "oci:$L:old" >/dev/null
	run hm policy check --policy "$p" "oci:$L:old"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verified at 2020-01-01T00:00:00Z, more than the maxAge of 86400s ago"* ]]
	# signed by another key
	hm attest --key "$K/stranger.key" --type "$VSA" --predicate "$BATS_TEST_TMPDIR/fresh.json" "oci:$L:strange" >/dev/null
	run hm policy check --policy "$p" "oci:$L:strange"
	[ "$status" -eq 1 ]
	[[ "$output" == *"none verified with these keys"* ]]
	# for another policy
	summarised "$BATS_FILE_TMPDIR/another.yaml" "sha256:$(printf other | sha256sum | cut -d' ' -f1)"
	run hm policy check --policy "$BATS_FILE_TMPDIR/another.yaml" "oci:$L:app"
	[ "$status" -eq 1 ]
	[[ "$output" == *"policy.digest.sha256 is '${PD#sha256:}', not the policy sha256:"* ]]
	# for another image: app's verified summary (legacy .att tag) put under victim's tag
	hm attest --format legacy --key "$K/verifier.key" --type "$VSA" --predicate "$BATS_TEST_TMPDIR/fresh.json" \
		"oci:$L:app" >/dev/null
	a=$(layout_digest app) v=$(layout_digest victim)
	skopeo copy --quiet "oci:$L:sha256-${a#sha256:}.att" "oci:$L:sha256-${v#sha256:}.att"
	run hm policy check --policy "$p" "oci:$L:victim"
	[ "$status" -eq 1 ]
	[[ "$output" == *"subject is for $a, not the image"* ]]
}

@test "policy check --vsa-*: usage errors" {
	run hm policy check --policy "$BATS_FILE_TMPDIR/signed.yaml" --vsa-out "$BATS_TEST_TMPDIR/o" "oci:$L:app"
	[ "$status" -eq 2 ]
	[[ "$output" == *"need --vsa-key"* ]]
	run summarise "oci:$L:app"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vsa-key needs --vsa-out DIR or --vsa-attach"* ]]
	run hm policy check --policy "$BATS_FILE_TMPDIR/signed.yaml" --vsa-key "$BATS_TEST_TMPDIR/none.key" \
		--vsa-out "$BATS_TEST_TMPDIR/o" "oci:$L:app"
	[ "$status" -eq 3 ]
}

@test "policy check --vsa-out: one summary per distinct digest, shared by the images naming it" {
	a=$(layout_digest app) b=$(layout_digest bad)
	run summarise --vsa-out "$BATS_TEST_TMPDIR/out" -o json "oci:$L:app" "oci:$L@$a" "oci:$L:bad"
	[ "$status" -eq 1 ]
	[ "$(ls "$BATS_TEST_TMPDIR/out" | wc -l)" -eq 2 ]
	echo "$output" | "$PYTHON" -c '
import json, sys
im = json.load(sys.stdin)["images"]
a, b = sys.argv[1], sys.argv[2]
assert im[0]["vsa"] == im[1]["vsa"] and im[0]["vsa"]["digest"] == a and im[0]["vsa"]["verificationResult"] == "PASSED"
assert im[2]["vsa"]["digest"] == b and im[2]["vsa"]["verificationResult"] == "FAILED"
assert "attached" not in im[2]["vsa"]' "$a" "$b"
	# text output: one line per summary
	run summarise --vsa-out "$BATS_TEST_TMPDIR/out" "oci:$L:app" "oci:$L@$a"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^vsa ' <<<"$output")" -eq 1 ]
	[[ "$output" == *"vsa $a PASSED written to $BATS_TEST_TMPDIR/out/sha256-${a#sha256:}.vsa.json"* ]]
}
