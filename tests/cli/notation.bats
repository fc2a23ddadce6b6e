#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Notary Project (notation) signatures of images: envelopes made by the
# independent signer tests/interop/notationfmt.py (JWS and COSE), attached
# as notation does (a referrer manifest of artifactType
# application/vnd.cncf.notary.signature whose one layer is the envelope),
# on the test registry through the referrers tag and in an OCI layout.
# Forgeries: a tampered payload, a payload for another digest or size, a
# chain to another root, an identity not trusted, a signature replayed from
# another image, junk in the envelope, a referrer of another subject.

load ../lib/common

MT=application/vnd.oci.image.manifest.v1+json
IDX=application/vnd.oci.image.index.v1+json
AT=application/vnd.cncf.notary.signature
NFMT="$REPO_ROOT/tests/interop/notationfmt.py"

setup_file() {
	common_setup_file
	export PKI=$BATS_FILE_TMPDIR/pki LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY KEYS=$BATS_FILE_TMPDIR/keys
	"$PYTHON" "$NFMT" pki "$PKI" >/dev/null
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	tp "$BATS_FILE_TMPDIR/tp.json" '"x509.subject: C=US, ST=WA, O=acme"'
	tp "$BATS_FILE_TMPDIR/tp-other.json" '"x509.subject: C=US, ST=WA, O=evil"'
	printf '{}' >"$BATS_FILE_TMPDIR/empty.json"
}

teardown_file() { common_teardown_file; }

# tp FILE IDENTITY: a global strict trust policy trusting store ca:test.
tp() {
	cat >"$1" <<-JSON
	{"version":"1.0","trustPolicies":[{"name":"all","registryScopes":["*"],
	 "signatureVerification":{"level":"strict"},"trustStores":["ca:test"],
	 "trustedIdentities":[$2]}]}
	JSON
}

size_of() { skopeo inspect --tls-verify=false --raw "docker://$1" | wc -c; }

# envelope OUT FORMAT DIGEST SIZE [notationfmt options]: signs with the test leaf.
envelope() {
	local out=$1 fmt=$2 d=$3 n=$4
	shift 4
	"$PYTHON" "$NFMT" sign --format "$fmt" --key "$PKI/leaf.key" --chain "$PKI/leaf.crt,$PKI/inter.crt,$PKI/root.crt" \
		--digest "$d" --size "$n" "$@" >"$out"
}

# attach REPO DIGEST ENVELOPE FORMAT [SUBJECT] [old]: uploads the envelope and a
# notation referrer manifest (subject SUBJECT, default DIGEST) listed in the
# referrers tag of DIGEST; "old" puts the artifact type in config.mediaType.
attach() {
	local repo=$1 d=$2 env=$3 fmt=$4 subj=${5:-$2} old=${6:-} lmt ld ls cd md m
	lmt=application/jose+json
	[ "$fmt" = cose ] && lmt=application/cose
	ld=$(put_blob "$repo" "$env")
	ls=$(stat -c %s "$env")
	cd=$(put_blob "$repo" "$BATS_FILE_TMPDIR/empty.json")
	m=$BATS_TEST_TMPDIR/sigm.$RANDOM.json
	if [ "$old" = old ]; then
		jq -nc --arg s "$subj" --arg ld "$ld" --argjson ls "$ls" --arg lmt "$lmt" --arg cd "$cd" --arg at "$AT" --arg mt "$MT" \
			'{schemaVersion:2,mediaType:$mt,config:{mediaType:$at,digest:$cd,size:2},layers:[{mediaType:$lmt,digest:$ld,size:$ls}],subject:{mediaType:$mt,digest:$s,size:1}}' >"$m"
	else
		jq -nc --arg s "$subj" --arg ld "$ld" --argjson ls "$ls" --arg lmt "$lmt" --arg cd "$cd" --arg at "$AT" --arg mt "$MT" \
			'{schemaVersion:2,mediaType:$mt,artifactType:$at,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},layers:[{mediaType:$lmt,digest:$ld,size:$ls}],subject:{mediaType:$mt,digest:$s,size:1}}' >"$m"
	fi
	md=sha256:$(sha256sum "$m" | cut -d' ' -f1)
	put_manifest "$repo" "$md" "$m"
	refs_index "$repo" "$d" | jq -c --arg md "$md" --argjson s "$(stat -c %s "$m")" --arg mt "$MT" --arg at "$AT" \
		'.manifests += [{mediaType:$mt,digest:$md,size:$s,artifactType:$at}]' >"$BATS_TEST_TMPDIR/idx.json"
	put_refs_index "$repo" "$d" "$BATS_TEST_TMPDIR/idx.json"
}

nv() { hm verify --notation-trust-policy "$BATS_FILE_TMPDIR/tp.json" --notation-trust-store "$PKI/store" "$@"; }

@test "JWS and COSE notation signatures on the registry verify; output names format, signer, store, scheme" {
	for fmt in jws cose; do
		d=$(fresh "nt/$fmt")
		n=$(size_of "$R/nt/$fmt:1")
		envelope "$BATS_TEST_TMPDIR/env" "$fmt" "$d" "$n"
		run nv "$R/nt/$fmt:1"
		[ "$status" -eq 1 ]
		attach "nt/$fmt" "$d" "$BATS_TEST_TMPDIR/env" "$fmt"
		run nv "$R/nt/$fmt:1"
		echo "$output"
		[ "$status" -eq 0 ]
		F=JWS
		[ "$fmt" = cose ] && F=COSE
		[[ "$output" == *"1 of 1 signature valid"* ]]
		[[ "$output" == *"valid    sha256:"*"notation $F signer 'C=US, ST=WA, L=Seattle, O=acme, CN=Signer' (trust store $PKI/store ca:test, notary.x509, signed "* ]]
		run nv --output json "$R/nt/$fmt:1"
		[ "$status" -eq 0 ]
		echo "$output" | jq -e --arg f "$fmt" --arg st "$PKI/store" '.images[0].signatures[0] | .valid and .notation.format == $f
			and .notation.signer == "C=US, ST=WA, L=Seattle, O=acme, CN=Signer" and .notation.trustStore == $st
			and .notation.signingScheme == "notary.x509" and (.notation.signingTime | test("Z$"))'
		run hm tree "$R/nt/$fmt:1"
		echo "$output"
		[[ "$output" == *"notation: 1"*"notation  referrers-tag"*"$F envelope, unverified"* ]]
	done
}

@test "--key and notation together: a notation signature counts, and a cosign one too" {
	d=$(fresh nt/both)
	n=$(size_of "$R/nt/both:1")
	envelope "$BATS_TEST_TMPDIR/env" jws "$d" "$n"
	attach nt/both "$d" "$BATS_TEST_TMPDIR/env" jws
	hm sign --key "$KEYS/a.key" "$R/nt/both:1" >/dev/null 2>&1
	run nv --key "$KEYS/a.pub" "$R/nt/both:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 signatures valid"* ]]
	# --key alone: the notation signature is listed, refused, the cosign one counts
	run hm verify --key "$KEYS/a.pub" "$R/nt/both:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 2 signatures valid"*"no notation trust store"* ]]
}

@test "the old form (artifact type as config media type) and an OCI layout verify" {
	d=$(fresh nt/old)
	n=$(size_of "$R/nt/old:1")
	envelope "$BATS_TEST_TMPDIR/env" cose "$d" "$n"
	attach nt/old "$d" "$BATS_TEST_TMPDIR/env" cose "" old
	run nv "$R/nt/old:1"
	echo "$output"
	[ "$status" -eq 0 ]
	# copied with its referrers into a layout
	hm copy "$R/nt/old:1" "oci:$BATS_TEST_TMPDIR/lay:app" >/dev/null 2>&1 || skip "copy to a layout not available"
	run nv "oci:$BATS_TEST_TMPDIR/lay:app"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"notation COSE signer"* ]]
}

@test "forgery: tampered payload, payload for another digest, another size: refused" {
	d=$(fresh nt/tamper)
	n=$(size_of "$R/nt/tamper:1")
	envelope "$BATS_TEST_TMPDIR/e1" jws "$d" "$n" --tamper payload
	envelope "$BATS_TEST_TMPDIR/e2" cose "$d" "$n" --tamper payload
	envelope "$BATS_TEST_TMPDIR/e3" jws "sha256:$(printf x | sha256sum | cut -d' ' -f1)" "$n"
	envelope "$BATS_TEST_TMPDIR/e4" cose "$d" "$((n + 1))"
	envelope "$BATS_TEST_TMPDIR/e5" jws "$d" "$n" --media-type application/vnd.docker.distribution.manifest.v2+json
	attach nt/tamper "$d" "$BATS_TEST_TMPDIR/e1" jws
	attach nt/tamper "$d" "$BATS_TEST_TMPDIR/e2" cose
	attach nt/tamper "$d" "$BATS_TEST_TMPDIR/e3" jws
	attach nt/tamper "$d" "$BATS_TEST_TMPDIR/e4" cose
	attach nt/tamper "$d" "$BATS_TEST_TMPDIR/e5" jws
	run nv "$R/nt/tamper:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 5 signatures valid"* ]]
	[ "$(grep -c invalid <<<"$output")" -eq 5 ]
}

@test "forgery: a chain to another root, a signer not trusted, junk: refused" {
	d=$(fresh nt/chain)
	n=$(size_of "$R/nt/chain:1")
	"$PYTHON" "$NFMT" sign --format jws --key "$PKI/other-leaf.key" --chain "$PKI/other-leaf.crt,$PKI/other-root.crt" \
		--digest "$d" --size "$n" >"$BATS_TEST_TMPDIR/e1"
	attach nt/chain "$d" "$BATS_TEST_TMPDIR/e1" jws
	printf 'not an envelope' >"$BATS_TEST_TMPDIR/junk"
	attach nt/chain "$d" "$BATS_TEST_TMPDIR/junk" cose
	run nv "$R/nt/chain:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 2 signatures valid"* ]]
	# a right signature, but the policy trusts another organisation only
	envelope "$BATS_TEST_TMPDIR/e2" jws "$d" "$n"
	attach nt/chain "$d" "$BATS_TEST_TMPDIR/e2" jws
	run hm verify --notation-trust-policy "$BATS_FILE_TMPDIR/tp-other.json" --notation-trust-store "$PKI/store" "$R/nt/chain:1"
	echo "$output"
	[ "$status" -eq 1 ]
	run nv "$R/nt/chain:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 3 signatures valid"* ]]
	# level audit only logs an untrusted signer: still no signature of anyone trusted
	jq '.trustPolicies[0].signatureVerification.level = "audit"' "$BATS_FILE_TMPDIR/tp-other.json" >"$BATS_TEST_TMPDIR/audit.json"
	run hm verify --notation-trust-policy "$BATS_TEST_TMPDIR/audit.json" --notation-trust-store "$PKI/store" "$R/nt/chain:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not trusted (trust policy 'all' at level audit"* ]]
}

@test "forgery: a notation referrer of another image replayed, and a referrer of another subject" {
	a=$(fresh nt/src)
	n=$(size_of "$R/nt/src:1")
	envelope "$BATS_TEST_TMPDIR/env" jws "$a" "$n"
	b=$(fresh nt/dst)
	# listed for b with its subject fixed up to b: the payload still names a
	attach nt/dst "$b" "$BATS_TEST_TMPDIR/env" jws
	run nv "$R/nt/dst:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 1 signature valid"* ]]
	# listed for b but its subject says a: ignored
	c=$(fresh nt/dst2)
	attach nt/dst2 "$c" "$BATS_TEST_TMPDIR/env" jws "$a"
	run nv "$R/nt/dst2:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0 signatures valid"* ]]
}

@test "usage: neither --key nor notation options; an unreadable trust policy is operational" {
	run hm verify "$R/nt/x:1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--key, --certificate-identity with --certificate-oidc-issuer, or --notation-trust-policy/--notation-trust-store is required"* ]]
	run hm verify --notation-trust-policy /nonexistent/tp.json --notation-trust-store "$PKI/store" "$R/nt/x:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/tp.json"* ]]
}

@test "audit lists a notation signature by its signer; verify-only options work there too" {
	d=$(fresh nt/audit)
	n=$(size_of "$R/nt/audit:1")
	envelope "$BATS_TEST_TMPDIR/env" cose "$d" "$n"
	attach nt/audit "$d" "$BATS_TEST_TMPDIR/env" cose
	run hm audit --notation-trust-policy "$BATS_FILE_TMPDIR/tp.json" --notation-trust-store "$PKI/store" "$R/nt/audit"
	echo "$output"
	[[ "$output" == *"1/1 notation:'C=US, ST=WA, L=Seattle, O=acme, CN=Signer'"* ]]
	run hm audit --notation-trust-policy "$BATS_FILE_TMPDIR/tp.json" --notation-trust-store "$PKI/store" --output json "$R/nt/audit"
	echo "$output" | jq -e '.tags[0].signatures.keys[0].notation == "C=US, ST=WA, L=Seattle, O=acme, CN=Signer"' ||
		echo "$output" | jq -e '[.. | objects | select(has("notation")) | .notation] | index("C=US, ST=WA, L=Seattle, O=acme, CN=Signer") != null'
	# without the trust store it is refused, not counted
	run hm audit "$R/nt/audit"
	echo "$output"
	[[ "$output" == *"0/1"* ]]
	# a signer the trust policy does not name is an unknown signer
	run hm audit --notation-trust-policy "$BATS_FILE_TMPDIR/tp-other.json" --notation-trust-store "$PKI/store" "$R/nt/audit"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0/1"*"unknown-signer"* ]]
}

@test "examples/notation-verify.sh runs against notation's default locations" {
	d=$(fresh nt/example)
	n=$(size_of "$R/nt/example:1")
	envelope "$BATS_TEST_TMPDIR/env" jws "$d" "$n"
	attach nt/example "$d" "$BATS_TEST_TMPDIR/env" jws
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg
	mkdir -p "$XDG_CONFIG_HOME/notation"
	cp "$BATS_FILE_TMPDIR/tp.json" "$XDG_CONFIG_HOME/notation/trustpolicy.json"
	cp -R "$PKI/store" "$XDG_CONFIG_HOME/notation/truststore"
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/release" >/dev/null 2>&1
	cd "$BATS_TEST_TMPDIR"
	run env HALLMARK="$HALLMARK" sh "$REPO_ROOT/examples/notation-verify.sh" "$R/nt/example:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"notation JWS signer"*"trust store $XDG_CONFIG_HOME/notation/truststore ca:test"* ]]
}

# ppolicy FILE THRESHOLD [IDENTITY]: keys release (cosign) and security (a notation trust store).
ppolicy() {
	cat >"$1" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: $KEYS/a.pub }
	  security:
	    notation:
	      trustStore: $PKI/store
	      identities: ["${3:-x509.subject: C=US, ST=WA, O=acme}"]
	rules:
	  - name: r
	    images: ["$R/**"]
	    require:
	      signatures: { keys: [release, security], threshold: $2 }
	YAML
}

@test "policy: 2 of a cosign key and a notation trust store; one alone is not enough; the signer is named" {
	d=$(fresh nt/pol)
	n=$(size_of "$R/nt/pol:1")
	ppolicy "$BATS_TEST_TMPDIR/p.yaml" 2
	hm sign --key "$KEYS/a.key" "$R/nt/pol:1" >/dev/null 2>&1
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/nt/pol@$d"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 2 required keys signed (release)"* ]]
	envelope "$BATS_TEST_TMPDIR/env" cose "$d" "$n"
	attach nt/pol "$d" "$BATS_TEST_TMPDIR/env" cose
	run hm policy check --policy "$BATS_TEST_TMPDIR/p.yaml" "$R/nt/pol@$d"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 required keys signed (release, security (notation signer 'C=US, ST=WA, L=Seattle, O=acme, CN=Signer'))"* ]]
	# threshold 1 met by the notation signature alone on another image
	e=$(fresh nt/pol1)
	envelope "$BATS_TEST_TMPDIR/env1" jws "$e" "$(size_of "$R/nt/pol1:1")"
	attach nt/pol1 "$e" "$BATS_TEST_TMPDIR/env1" jws
	ppolicy "$BATS_TEST_TMPDIR/p1.yaml" 1
	run hm policy check --policy "$BATS_TEST_TMPDIR/p1.yaml" "$R/nt/pol1@$e"
	[ "$status" -eq 0 ]
	# an identity the signer does not match: the notation signature does not count
	ppolicy "$BATS_TEST_TMPDIR/p2.yaml" 1 "x509.subject: C=US, ST=WA, O=evil"
	run hm policy check --policy "$BATS_TEST_TMPDIR/p2.yaml" "$R/nt/pol1@$e"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not among the trustedIdentities"* ]]
}

@test "policy lint: a notation key needs trustStore and identities, and cannot verify attestations" {
	cat >"$BATS_TEST_TMPDIR/p.yaml" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  s1: { notation: { identities: ["*"] } }
	  s2: { notation: { trustStore: $PKI/store } }
	  s3: { notation: { trustStore: $PKI/store, identities: ["x509.subject: O=acme"] } }
	  s4: { notation: { trustStore: $PKI/store, identities: ["*"] } }
	rules:
	  - name: r
	    images: ["**"]
	    require:
	      attestations: [{ type: https://slsa.dev/provenance/v1, keys: [s4] }]
	YAML
	run hm policy lint "$BATS_TEST_TMPDIR/p.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"key 's1' needs 'trustStore'"* ]]
	[[ "$output" == *"'identities'"* ]]
	[[ "$output" == *"key 's3'"* ]]
	[[ "$output" == *"key 's4' is a notation trust store"* ]]
}

# layout_attach DIR ENVELOPE MEDIATYPE SUBJECT_DIGEST SUBJECT_SIZE: writes the
# envelope and a notation referrer manifest into an OCI layout, listed in index.json.
layout_attach() {
	local dir=$1 env=$2 lmt=$3 sd=$4 ss=$5 ld cd m md
	ld=$(sha256sum "$env" | cut -d' ' -f1)
	cp "$env" "$dir/blobs/sha256/$ld"
	printf '{}' >"$dir/blobs/sha256/$(printf '{}' | sha256sum | cut -d' ' -f1)"
	cd=$(printf '{}' | sha256sum | cut -d' ' -f1)
	m=$BATS_TEST_TMPDIR/lm.$RANDOM.json
	jq -nc --arg ld "sha256:$ld" --argjson ls "$(stat -c %s "$env")" --arg lmt "$lmt" --arg cd "sha256:$cd" \
		--arg at "$AT" --arg mt "$MT" --arg sd "$sd" --argjson ss "$ss" \
		'{schemaVersion:2,mediaType:$mt,artifactType:$at,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$cd,size:2},layers:[{mediaType:$lmt,digest:$ld,size:$ls}],subject:{mediaType:$mt,digest:$sd,size:$ss}}' >"$m"
	md=$(sha256sum "$m" | cut -d' ' -f1)
	cp "$m" "$dir/blobs/sha256/$md"
	jq -c --arg md "sha256:$md" --argjson s "$(stat -c %s "$m")" --arg mt "$MT" --arg at "$AT" \
		'.manifests += [{mediaType:$mt,digest:$md,size:$s,artifactType:$at}]' "$dir/index.json" >"$dir/index.json.new"
	mv "$dir/index.json.new" "$dir/index.json"
}

@test "real notation-go signatures (JWS and COSE) of notation-go's test image in an OCI layout" {
	NG=$REPO_ROOT/tests/notation/notation-go
	L=$BATS_TEST_TMPDIR/ng
	cp -R "$NG/oci-layout" "$L"
	chmod -R u+w "$L"
	IMG=sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0
	cat >"$BATS_TEST_TMPDIR/tp.json" <<-JSON
	{"version":"1.0","trustPolicies":[{"name":"ng","registryScopes":["*"],
	 "signatureVerification":{"level":"strict"},"trustStores":["ca:internal-testdata"],
	 "trustedIdentities":["x509.subject: C=US, ST=WA, O=Notary"]}]}
	JSON
	run hm verify --notation-trust-policy "$BATS_TEST_TMPDIR/tp.json" --notation-trust-store "$NG/store" "oci:$L:v2"
	[ "$status" -eq 1 ]
	layout_attach "$L" "$NG/jws_signature.sig" application/jose+json "$IMG" 481
	layout_attach "$L" "$NG/cose_signature.sig" application/cose "$IMG" 481
	run hm verify --notation-trust-policy "$BATS_TEST_TMPDIR/tp.json" --notation-trust-store "$NG/store" "oci:$L:v2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 of 2 signatures valid"* ]]
	[[ "$output" == *"notation JWS signer 'C=US, ST=WA, L=Seattle, O=Notary, CN=alpine'"* ]]
	[[ "$output" == *"notation COSE signer 'C=US, ST=WA, L=Seattle, O=Notary, CN=alpine'"* ]]
	# the same signatures attached to another image of the layout: refused
	make_image "$L" other "other $RANDOM"
	OD=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "other") | .digest' "$L/index.json")
	OS=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "other") | .size' "$L/index.json")
	layout_attach "$L" "$NG/jws_signature.sig" application/jose+json "$OD" "$OS"
	run hm verify --notation-trust-policy "$BATS_TEST_TMPDIR/tp.json" --notation-trust-store "$NG/store" "oci:$L:other"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 1 signature valid"* ]]
}
