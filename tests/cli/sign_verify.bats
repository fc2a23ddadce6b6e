#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark key / sign / verify / tree against a real registry and real OCI
# layouts.  Every verify path has a forgery that must be refused.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --type ed25519 --output-prefix "$KEYS/b" >/dev/null 2>&1
	hm key generate --type rsa-3072 --output-prefix "$KEYS/c" >/dev/null 2>&1
	make_image "$LAYOUT" one "first image"
	make_image "$LAYOUT" two "second image"
	push_image "$LAYOUT" one sv/app:one
	push_image "$LAYOUT" two sv/app:two
	export APP=$HM_TEST_REGISTRY/sv/app
}

teardown_file() { common_teardown_file; }

@test "key generate writes an encrypted 0600 private key and a PEM public key" {
	[ "$(stat -c %a "$KEYS/a.key")" = 600 ]
	grep -q 'BEGIN ENCRYPTED SIGSTORE PRIVATE KEY' "$KEYS/a.key"
	grep -q 'BEGIN PUBLIC KEY' "$KEYS/a.pub"
	! grep -q 'BEGIN PRIVATE KEY' "$KEYS/a.key"
}

@test "key generate refuses to overwrite without --force" {
	run hm key generate --output-prefix "$KEYS/a"
	[ "$status" -eq 3 ]
	[[ "$output" == *"exists (use --force"* ]]
	cp "$KEYS/a.pub" "$BATS_TEST_TMPDIR/before.pub"
	cmp "$KEYS/a.pub" "$BATS_TEST_TMPDIR/before.pub"
}

@test "key generate --force replaces, key public prints the public key" {
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/k" 2>/dev/null
	hm key generate --force --output-prefix "$BATS_TEST_TMPDIR/k" 2>/dev/null
	run hm key public --key "$BATS_TEST_TMPDIR/k.key"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/k.pub")" ]
}

@test "an unknown key type is a usage error" {
	run hm key generate --type dsa --output-prefix "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/x.key" ]
}

@test "wrong passphrase: one line, exit 3" {
	HALLMARK_PASSWORD=wrong run hm sign --format legacy --key "$KEYS/a.key" "$APP:one"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"wrong passphrase"* ]]
}

@test "COSIGN_PASSWORD and --passphrase-file work too" {
	printf 'test-passphrase' >"$BATS_TEST_TMPDIR/pass"
	COSIGN_PASSWORD=test-passphrase run env -u HALLMARK_PASSWORD "$HALLMARK" key public --key "$KEYS/a.key"
	[ "$status" -eq 0 ]
	env -u HALLMARK_PASSWORD "$HALLMARK" key public --key "$KEYS/a.key" --passphrase-file "$BATS_TEST_TMPDIR/pass" >/dev/null
}

@test "sign then verify on the registry" {
	run hm sign --format legacy --key "$KEYS/a.key" "$APP:one"
	[ "$status" -eq 0 ]
	[[ "$output" == "signed $APP@sha256:"* ]]
	run hm verify --key "$KEYS/a.pub" "$APP:one"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "verified $APP@$(digest_of "$APP:one"): 1 of 1 signature valid" ]]
	[[ "$output" == *"key $KEYS/a.pub"* ]]
}

@test "cosign's layout: tag sha256-<hex>.sig, simple-signing layer, signature annotation" {
	d=$(digest_of "$APP:one")
	m=$(get_manifest sv/app "sha256-${d#sha256:}.sig")
	echo "$m" | grep -q '"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json"'
	echo "$m" | grep -q '"dev.cosignproject.cosign/signature":"'
	payload=$(echo "$m" | sed 's/.*"layers":\[{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/')
	run curl -fsS "$(api sv/app)/blobs/$payload"
	[ "$output" = "{\"critical\":{\"identity\":{\"docker-reference\":\"$APP\"},\"image\":{\"docker-manifest-digest\":\"$d\"},\"type\":\"cosign container image signature\"},\"optional\":null}" ]
}

@test "signing again with the same key adds nothing; another key appends" {
	run hm sign --format legacy --key "$KEYS/a.key" "$APP:one"
	[ "$output" = "already signed $APP@$(digest_of "$APP:one")" ]
	hm sign --format legacy --key "$KEYS/b.key" "$APP:one"
	run hm tree "$APP:one"
	[[ "$output" == *"signatures: 2"* ]]
	run hm verify --key "$KEYS/a.pub" --key "$KEYS/b.pub" "$APP:one"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"2 of 2 signatures valid" ]]
}

@test "verify with the wrong key fails with exit 1" {
	run hm verify --key "$KEYS/c.pub" "$APP:one"
	[ "$status" -eq 1 ]
	[[ "$output" == *"NOT VERIFIED"* ]]
	[[ "$output" == *"signature does not verify with the key"* ]]
}

@test "an unsigned image fails with exit 1" {
	run hm verify --key "$KEYS/a.pub" "$APP:two"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 of 0 signatures valid"* ]]
}

@test "json output lists each signature with its verdict" {
	run hm verify --key "$KEYS/a.pub" --output json "$APP:one"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.images[0].verified == true'
	echo "$output" | jq -e '[.images[0].signatures[] | select(.valid)] | length == 1'
	echo "$output" | jq -e '[.images[0].signatures[] | select(.valid | not)][0].reason | test("does not verify")'
	echo "$output" | jq -e '.images[0].signatures[] | select(.valid) | .payload.critical.type == "cosign container image signature"'
}

@test "annotations are signed and can be required" {
	hm sign --format legacy --key "$KEYS/c.key" -a env=prod -a 'team=a<b&c' "$APP:two"
	run hm verify --key "$KEYS/c.pub" -a env=prod "$APP:two"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/c.pub" -a env=dev "$APP:two"
	[ "$status" -eq 1 ]
	[[ "$output" == *"annotation env=dev is not in the payload"* ]]
	run hm sign --format legacy --key "$KEYS/c.key" -a novalue "$APP:two"
	[ "$status" -eq 2 ]
}

@test "forgery: a tampered payload is refused" {
	make_image "$LAYOUT" three "third image"
	push_image "$LAYOUT" three sv/tamper:1
	hm sign --format legacy --key "$KEYS/a.key" "$HM_TEST_REGISTRY/sv/tamper:1"
	d=$(digest_of "$HM_TEST_REGISTRY/sv/tamper:1")
	tag="sha256-${d#sha256:}.sig"
	get_manifest sv/tamper "$tag" >"$BATS_TEST_TMPDIR/m.json"
	old=$(jq -r '.layers[0].digest' "$BATS_TEST_TMPDIR/m.json")
	curl -fsS "$(api sv/tamper)/blobs/$old" | sed 's/"optional":null/"optional":{"x":"y"}/' >"$BATS_TEST_TMPDIR/p.json"
	new=$(put_blob sv/tamper "$BATS_TEST_TMPDIR/p.json")
	size=$(stat -c %s "$BATS_TEST_TMPDIR/p.json")
	jq -c --arg d "$new" --argjson s "$size" '.layers[0].digest=$d | .layers[0].size=$s' "$BATS_TEST_TMPDIR/m.json" >"$BATS_TEST_TMPDIR/m2.json"
	put_manifest sv/tamper "$tag" "$BATS_TEST_TMPDIR/m2.json"
	run hm verify --key "$KEYS/a.pub" "$HM_TEST_REGISTRY/sv/tamper:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not verify"* ]]
}

@test "forgery: a signature replayed from another image is refused" {
	d1=$(digest_of "$APP:one")
	d2=$(digest_of "$APP:two")
	make_image "$LAYOUT" four "fourth image"
	push_image "$LAYOUT" four sv/app:four
	d4=$(digest_of "$APP:four")
	get_manifest sv/app "sha256-${d1#sha256:}.sig" >"$BATS_TEST_TMPDIR/m.json"
	put_manifest sv/app "sha256-${d4#sha256:}.sig" "$BATS_TEST_TMPDIR/m.json"
	run hm verify --key "$KEYS/a.pub" "$APP:four"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature is for $d1, not this image"* ]]
}

@test "bad references are usage errors (exit 2)" {
	for ref in 'Upper/Case:1' 'app:tag with space' 'app@sha256:1234' '' 'a//b' "app:$(printf 'x%.0s' $(seq 200))"; do
		run hm verify --key "$KEYS/a.pub" "$ref"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"invalid reference"* ]]
	done
}

@test "bad key files: missing, garbage, private key where a public one is wanted" {
	run hm verify --key /nonexistent.pub "$APP:one"
	[ "$status" -eq 3 ]
	[[ "$output" == *"/nonexistent.pub"* ]]
	echo garbage >"$BATS_TEST_TMPDIR/bad.pub"
	run hm verify --key "$BATS_TEST_TMPDIR/bad.pub" "$APP:one"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	head -c 300 "$KEYS/a.key" >"$BATS_TEST_TMPDIR/trunc.key"
	run hm sign --format legacy --key "$BATS_TEST_TMPDIR/trunc.key" "$APP:one"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "an unreachable registry is an operational error (exit 3), quickly" {
	run timeout 20 "$HALLMARK" verify --key "$KEYS/a.pub" 127.0.0.1:1/x/y:1
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"127.0.0.1:1"* ]]
}

@test "a missing tag is an operational error naming it" {
	run hm verify --key "$KEYS/a.pub" "$APP:nope"
	[ "$status" -eq 3 ]
	[[ "$output" == *"nope"* ]]
}

@test "usage errors: no key, unknown option, no image" {
	run hm verify "$APP:one"
	[ "$status" -eq 2 ]
	run hm verify --key "$KEYS/a.pub" --bogus "$APP:one"
	[ "$status" -eq 2 ]
	run hm sign --format legacy --key "$KEYS/a.key"
	[ "$status" -eq 2 ]
}

@test "OCI layout: sign, verify, refuse another key, tree" {
	cp -R "$REPO_ROOT/examples/image" "$BATS_TEST_TMPDIR/img"
	run hm sign --format legacy --key "$KEYS/a.key" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/a.pub" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 0 ]
	run hm verify --key "$KEYS/b.pub" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 1 ]
	jq -e '.manifests | length == 2' "$BATS_TEST_TMPDIR/img/index.json"
	run hm tree "oci:$BATS_TEST_TMPDIR/img:1.0"
	[[ "$output" == *"signatures: 1"* ]]
}

@test "OCI layout: a malformed signature manifest is a refused signature (exit 1), and sign will not replace it" {
	cp -R "$REPO_ROOT/examples/image" "$BATS_TEST_TMPDIR/img"
	d=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/img/index.json")
	printf '{"schemaVersion":2,"layers":[{"digest":12}]}' >"$BATS_TEST_TMPDIR/bad.json"
	bd=$(sha256sum "$BATS_TEST_TMPDIR/bad.json" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/bad.json" "$BATS_TEST_TMPDIR/img/blobs/sha256/$bd"
	jq -c --arg d "sha256:$bd" --arg t "sha256-${d#sha256:}.sig" \
		'.manifests += [{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":$d,"size":44,"annotations":{"org.opencontainers.image.ref.name":$t}}]' \
		"$BATS_TEST_TMPDIR/img/index.json" >"$BATS_TEST_TMPDIR/index.json"
	cp "$BATS_TEST_TMPDIR/index.json" "$BATS_TEST_TMPDIR/img/index.json"
	run hm verify --key "$KEYS/a.pub" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid  sha256:$(echo "$bd" | cut -c1-12)... (tag sha256-${d#sha256:}.sig): manifest sha256:$bd: config is missing"* ]]
	run hm sign --format legacy --key "$KEYS/a.key" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"sha256:$bd: config is missing"* ]]
}

@test "OCI layout: a blob whose bytes do not match its digest is refused" {
	cp -R "$REPO_ROOT/examples/image" "$BATS_TEST_TMPDIR/img"
	hm sign --format legacy --key "$KEYS/a.key" "oci:$BATS_TEST_TMPDIR/img:1.0"
	for f in "$BATS_TEST_TMPDIR"/img/blobs/sha256/*; do
		if grep -q '"critical"' "$f"; then sed -i 's/cosign container/COSIGN container/' "$f"; fi
	done
	run hm verify --key "$KEYS/a.pub" "oci:$BATS_TEST_TMPDIR/img:1.0"
	[ "$status" -eq 3 ]
	[[ "$output" == *"digest mismatch"* ]]
}

@test "interop: an independent implementation of cosign's format verifies hallmark's signature" {
	hm sign --format legacy --key "$KEYS/a.key" --no-upload --output-signature "$BATS_TEST_TMPDIR/sig" \
		--output-payload "$BATS_TEST_TMPDIR/payload" "$APP:two"
	"$PYTHON" "$REPO_ROOT/tests/interop/cosignfmt.py" verify-blob --key "$KEYS/a.pub" \
		--signature "$(cat "$BATS_TEST_TMPDIR/sig")" "$BATS_TEST_TMPDIR/payload"
	# and it decrypts hallmark's private key
	COSIGN_PASSWORD=test-passphrase "$PYTHON" "$REPO_ROOT/tests/interop/cosignfmt.py" pubkey "$KEYS/a.key" >"$BATS_TEST_TMPDIR/p.pub"
	cmp "$BATS_TEST_TMPDIR/p.pub" "$KEYS/a.pub"
}

@test "interop: a signature made and attached by an independent implementation verifies in hallmark" {
	py="$PYTHON $REPO_ROOT/tests/interop/cosignfmt.py"
	COSIGN_PASSWORD=test-passphrase $py genkey "$BATS_TEST_TMPDIR/cosign"
	make_image "$LAYOUT" five "fifth image"
	push_image "$LAYOUT" five sv/foreign:1
	d=$(digest_of "$HM_TEST_REGISTRY/sv/foreign:1")
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
		"$HM_TEST_REGISTRY/sv/foreign" "$d" >"$BATS_TEST_TMPDIR/payload"
	sig=$(COSIGN_PASSWORD=test-passphrase $py sign-blob --key "$BATS_TEST_TMPDIR/cosign.key" "$BATS_TEST_TMPDIR/payload")
	pd=$(put_blob sv/foreign "$BATS_TEST_TMPDIR/payload")
	printf '{}' >"$BATS_TEST_TMPDIR/config"
	cd=$(put_blob sv/foreign "$BATS_TEST_TMPDIR/config")
	jq -nc --arg pd "$pd" --argjson ps "$(stat -c %s "$BATS_TEST_TMPDIR/payload")" --arg cd "$cd" --arg sig "$sig" \
		'{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
		  config:{mediaType:"application/vnd.oci.image.config.v1+json",size:2,digest:$cd},
		  layers:[{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",size:$ps,digest:$pd,
		           annotations:{"dev.cosignproject.cosign/signature":$sig}}]}' >"$BATS_TEST_TMPDIR/m.json"
	put_manifest sv/foreign "sha256-${d#sha256:}.sig" "$BATS_TEST_TMPDIR/m.json"
	run hm verify --key "$BATS_TEST_TMPDIR/cosign.pub" "$HM_TEST_REGISTRY/sv/foreign:1"
	[ "$status" -eq 0 ]
	# and hallmark signs with the key the other implementation made
	COSIGN_PASSWORD=test-passphrase env -u HALLMARK_PASSWORD "$HALLMARK" sign --format legacy --key "$BATS_TEST_TMPDIR/cosign.key" "$APP:two"
	hm verify --key "$BATS_TEST_TMPDIR/cosign.pub" "$APP:two"
}

@test "sign --recursive signs an index and every manifest it lists" {
	L=$BATS_TEST_TMPDIR/multi
	make_image "$L" amd64 "amd64 image"
	make_image "$L" arm64 "arm64 image"
	d1=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="amd64") | .digest' "$L/index.json")
	d2=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="arm64") | .digest' "$L/index.json")
	s1=$(stat -c %s "$L/blobs/sha256/${d1#sha256:}")
	s2=$(stat -c %s "$L/blobs/sha256/${d2#sha256:}")
	jq -nc --arg d1 "$d1" --arg d2 "$d2" --argjson s1 "$s1" --argjson s2 "$s2" \
		'{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:[
		  {mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d1,size:$s1,platform:{os:"linux",architecture:"amd64"}},
		  {mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d2,size:$s2,platform:{os:"linux",architecture:"arm64"}}]}' >"$BATS_TEST_TMPDIR/idx.json"
	di=$(sha256sum "$BATS_TEST_TMPDIR/idx.json" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/idx.json" "$L/blobs/sha256/$di"
	jq -c --arg d "sha256:$di" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/idx.json")" \
		'.manifests += [{mediaType:"application/vnd.oci.image.index.v1+json",digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"multi"}}]' \
		"$L/index.json" >"$BATS_TEST_TMPDIR/index.json" && cp "$BATS_TEST_TMPDIR/index.json" "$L/index.json"
	run hm sign --format legacy --recursive --key "$KEYS/a.key" "oci:$L:multi"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	hm verify --key "$KEYS/a.pub" "oci:$L:multi" "oci:$L@$d1" "oci:$L@$d2"
	# pushed to the registry, the index and its children verify there too
	skopeo copy --quiet --all --dest-tls-verify=false "oci:$L:multi" "docker://$HM_TEST_REGISTRY/sv/multi:1"
	hm sign --format legacy --recursive --key "$KEYS/b.key" "$HM_TEST_REGISTRY/sv/multi:1"
	hm verify --key "$KEYS/b.pub" "$HM_TEST_REGISTRY/sv/multi:1" "$HM_TEST_REGISTRY/sv/multi@$d1" "$HM_TEST_REGISTRY/sv/multi@$d2"
}

@test "forgery: a registry returning bytes that do not match the digest is refused (exit 3)" {
	d=sha256:$(printf 'anything' | sha256sum | cut -d' ' -f1)
	run timeout 30 "$HALLMARK" verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/mismatch/app@$d"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"digest mismatch"* ]]
	run timeout 30 "$HALLMARK" verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/mismatch/app:1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "hostile registries: oversized manifest, stalled response, server errors: one line, exit 3, no hang" {
	for repo in big/app bigchunked/app errors/app denied/app; do
		run timeout 30 "$HALLMARK" verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/$repo:1"
		[ "$status" -eq 3 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	run timeout 30 "$HALLMARK" verify --timeout 2 --key "$KEYS/a.pub" "$HM_TEST_LIAR/stall/app:1"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
}

# relayer_sig LAYOUT JQ: rewrites the .sig manifest of the layout's 1.0 image
# with the jq filter, storing the new manifest and pointing its tag at it.
relayer_sig() {
	local L=$1 filter=$2 d t old new size
	d=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1.0") | .digest' "$L/index.json")
	t="sha256-${d#sha256:}.sig"
	old=$(jq -r --arg t "$t" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$L/index.json")
	jq -c "$filter" "$L/blobs/sha256/${old#sha256:}" >"$BATS_TEST_TMPDIR/m.json"
	new=$(sha256sum "$BATS_TEST_TMPDIR/m.json" | cut -d' ' -f1)
	size=$(stat -c %s "$BATS_TEST_TMPDIR/m.json")
	cp "$BATS_TEST_TMPDIR/m.json" "$L/blobs/sha256/$new"
	jq -c --arg t "$t" --arg d "sha256:$new" --argjson s "$size" \
		'(.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t)) |= (.digest=$d | .size=$s)' \
		"$L/index.json" >"$BATS_TEST_TMPDIR/index.json"
	cp "$BATS_TEST_TMPDIR/index.json" "$L/index.json"
}

@test "forgery: a signature layer over the size cap, or whose blob is missing, is refused (exit 1), not fetched" {
	L=$BATS_TEST_TMPDIR/img
	cp -R "$REPO_ROOT/examples/image" "$L"
	hm sign --format legacy --key "$KEYS/a.key" "oci:$L:1.0"
	relayer_sig "$L" '.layers[0].size = 2000000'
	run hm verify --key "$KEYS/a.pub" "oci:$L:1.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"larger than the 1048576-byte limit"* ]]

	rm -rf "$L"
	cp -R "$REPO_ROOT/examples/image" "$L"
	hm sign --format legacy --key "$KEYS/a.key" "oci:$L:1.0"
	relayer_sig "$L" '.layers[0].digest = "sha256:'"$(printf missing | sha256sum | cut -d' ' -f1)"'"'
	run hm verify --key "$KEYS/a.pub" "oci:$L:1.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is missing"* ]]
}

# add_referrer LAYOUT SUBJECT PAYLOAD SIG: stores an OCI 1.1 referrer of
# SUBJECT (a digest in the layout) carrying one cosign signature layer.
add_referrer() {
	local L=$1 subject=$2 payload=$3 sig=$4 pd cd md ss
	pd=$(sha256sum "$payload" | cut -d' ' -f1)
	cp "$payload" "$L/blobs/sha256/$pd"
	printf '{}' >"$BATS_TEST_TMPDIR/empty"
	cd=$(sha256sum "$BATS_TEST_TMPDIR/empty" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/empty" "$L/blobs/sha256/$cd"
	ss=$(stat -c %s "$L/blobs/sha256/${subject#sha256:}")
	jq -nc --arg pd "sha256:$pd" --argjson ps "$(stat -c %s "$payload")" --arg cd "sha256:$cd" \
		--arg sig "$(cat "$sig")" --arg sd "$subject" --argjson ss "$ss" \
		'{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
		  artifactType:"application/vnd.dev.cosign.artifact.sig.v1+json",
		  config:{mediaType:"application/vnd.oci.empty.v1+json",size:2,digest:$cd},
		  layers:[{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",size:$ps,digest:$pd,
		           annotations:{"dev.cosignproject.cosign/signature":$sig}}],
		  subject:{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$sd,size:$ss}}' \
		>"$BATS_TEST_TMPDIR/ref.json"
	md=$(sha256sum "$BATS_TEST_TMPDIR/ref.json" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/ref.json" "$L/blobs/sha256/$md"
	jq -c --arg d "sha256:$md" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/ref.json")" \
		'.manifests += [{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
		                 artifactType:"application/vnd.dev.cosign.artifact.sig.v1+json"}]' \
		"$L/index.json" >"$BATS_TEST_TMPDIR/index.json"
	cp "$BATS_TEST_TMPDIR/index.json" "$L/index.json"
}

@test "OCI 1.1 referrers: a signature attached as a referrer verifies; one replayed from another image is refused" {
	L=$BATS_TEST_TMPDIR/img
	cp -R "$REPO_ROOT/examples/image" "$L"
	d=$(jq -r '.manifests[0].digest' "$L/index.json")
	hm sign --format legacy --key "$KEYS/a.key" --no-upload --output-signature "$BATS_TEST_TMPDIR/sig" \
		--output-payload "$BATS_TEST_TMPDIR/payload" "oci:$L:1.0"
	add_referrer "$L" "$d" "$BATS_TEST_TMPDIR/payload" "$BATS_TEST_TMPDIR/sig"
	run hm verify --key "$KEYS/a.pub" "oci:$L:1.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(referrer sha256:"* ]]
	run hm verify --key "$KEYS/b.pub" "oci:$L:1.0"
	[ "$status" -eq 1 ]

	# a payload signed for another image, attached as this image's referrer
	make_image "$L" other "another image"
	hm sign --format legacy --key "$KEYS/b.key" --no-upload --output-signature "$BATS_TEST_TMPDIR/sig2" \
		--output-payload "$BATS_TEST_TMPDIR/payload2" "oci:$L:other"
	add_referrer "$L" "$d" "$BATS_TEST_TMPDIR/payload2" "$BATS_TEST_TMPDIR/sig2"
	run hm verify --key "$KEYS/b.pub" "oci:$L:1.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not this image"* ]]
}
