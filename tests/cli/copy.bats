#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark copy: registry <-> layout with signatures, attestations,
# referrers and multi-platform indexes, digests unchanged; a lying
# registry refused.  And eight signers at once on one image.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys SRC=$BATS_FILE_TMPDIR/src
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	make_image "$SRC" one "image to copy"
	push_image "$SRC" one cp/app:one
	export APP=$HM_TEST_REGISTRY/cp/app
	echo '{"scanner":"none","result":"clean"}' >"$BATS_FILE_TMPDIR/pred.json"
	hm sign --format legacy --key "$KEYS/a.key" "$APP:one" >/dev/null
	hm attest --format legacy --key "$KEYS/a.key" --type vuln --predicate "$BATS_FILE_TMPDIR/pred.json" "$APP:one" >/dev/null
}

teardown_file() { common_teardown_file; }

@test "signed and attested image: registry -> layout -> second repository, verified offline and on the copy" {
	d=$(digest_of "$APP:one")
	L=$BATS_TEST_TMPDIR/airgap
	run hm copy "$APP:one" "oci:$L:one"
	[ "$status" -eq 0 ]
	[[ "$output" == "copied $APP:one to oci:$L@$d:"* ]]
	[[ "$output" == *"signatures tag sha256-${d#sha256:}.sig"* ]]
	[[ "$output" == *"attestations tag sha256-${d#sha256:}.att"* ]]
	# offline: the layout alone verifies
	run hm verify --key "$KEYS/a.pub" "oci:$L:one"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "verified oci:$L@$d: 1 of 1 signature valid" ]]
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "oci:$L:one"
	[ "$status" -eq 0 ]
	# and back into another repository, same digest
	run hm copy --output json "oci:$L:one" "$HM_TEST_REGISTRY/cp/mirror"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg d "$d" '.digest == $d and .tag == "one" and (.attachments | length) == 2'
	[ "$(digest_of "$HM_TEST_REGISTRY/cp/mirror:one")" = "$d" ]
	run hm verify --key "$KEYS/a.pub" "$HM_TEST_REGISTRY/cp/mirror:one"
	[ "$status" -eq 0 ]
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$HM_TEST_REGISTRY/cp/mirror:one"
	[ "$status" -eq 0 ]
	# the signature manifest is byte for byte the source's
	[ "$(get_manifest cp/app "sha256-${d#sha256:}.sig" | sha256sum)" = \
	  "$(get_manifest cp/mirror "sha256-${d#sha256:}.sig" | sha256sum)" ]
	# a second copy finds everything there
	run hm copy --output json "$APP:one" "$HM_TEST_REGISTRY/cp/mirror:one"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.blobsCopied == 0 and .manifestsCopied == 0'
}

@test "--no-attachments copies the image alone; --only signatures leaves attestations" {
	d=$(digest_of "$APP:one")
	run hm copy --no-attachments "$APP:one" "$HM_TEST_REGISTRY/cp/bare:one"
	[ "$status" -eq 0 ]
	[[ "$output" == *", 0 attachments"* ]]
	[ "$(digest_of "$HM_TEST_REGISTRY/cp/bare:one")" = "$d" ]
	run hm verify --key "$KEYS/a.pub" "$HM_TEST_REGISTRY/cp/bare:one"
	[ "$status" -eq 1 ]
	run hm copy --only signatures "$APP:one" "$HM_TEST_REGISTRY/cp/sigonly:one"
	[ "$status" -eq 0 ]
	hm verify --key "$KEYS/a.pub" "$HM_TEST_REGISTRY/cp/sigonly:one"
	run hm verify-attestation --key "$KEYS/a.pub" --type vuln "$HM_TEST_REGISTRY/cp/sigonly:one"
	[ "$status" -eq 1 ]
	run hm copy --only signatures,bogus "$APP:one" "$HM_TEST_REGISTRY/cp/x"
	[ "$status" -eq 2 ]
	run hm copy --only signatures --no-attachments "$APP:one" "$HM_TEST_REGISTRY/cp/x"
	[ "$status" -eq 2 ]
}

@test "a destination that already has signatures keeps them: the tags are merged" {
	hm key generate --output-prefix "$BATS_TEST_TMPDIR/b" >/dev/null 2>&1
	hm copy --no-attachments "$APP:one" "$HM_TEST_REGISTRY/cp/merge:one" >/dev/null
	hm sign --format legacy --key "$BATS_TEST_TMPDIR/b.key" "$HM_TEST_REGISTRY/cp/merge:one" >/dev/null
	run hm copy --only signatures "$APP:one" "$HM_TEST_REGISTRY/cp/merge:one"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(merged)"* ]]
	run hm verify --key "$KEYS/a.pub" --key "$BATS_TEST_TMPDIR/b.pub" "$HM_TEST_REGISTRY/cp/merge:one"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"2 of 2 signatures valid"* ]]
}

# make_index DIR: a layout holding an index "multi" of two platform images.
make_index() {
	local dir=$1
	make_image "$dir" amd64 "amd64 $RANDOM"
	make_image "$dir" arm64 "arm64 $RANDOM"
	local a b
	a=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "amd64") | {mediaType, digest, size}' "$dir/index.json")
	b=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "arm64") | {mediaType, digest, size}' "$dir/index.json")
	local idx
	idx=$(jq -nc --argjson a "$a" --argjson b "$b" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [($a + {platform: {os: "linux", architecture: "amd64"}}), ($b + {platform: {os: "linux", architecture: "arm64"}})]}')
	local h
	h=$(printf '%s' "$idx" | sha256sum | cut -d' ' -f1)
	printf '%s' "$idx" >"$dir/blobs/sha256/$h"
	jq --arg d "sha256:$h" --argjson s "${#idx}" '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "multi"}}]' "$dir/index.json" >"$dir/index.new"
	mv "$dir/index.new" "$dir/index.json"
	echo "sha256:$h"
}

@test "a multi-platform index is copied with all its children, registry and layout" {
	M=$BATS_TEST_TMPDIR/multi
	idx=$(make_index "$M")
	run hm copy "oci:$M:multi" "$HM_TEST_REGISTRY/cp/multi:v1"
	[ "$status" -eq 0 ]
	[ "$(digest_of "$HM_TEST_REGISTRY/cp/multi:v1")" = "$idx" ]
	for arch in amd64 arm64; do
		child=$(jq -r --arg a $arch '.manifests[] | select(.platform.architecture == $a) | .digest' "$M/blobs/sha256/${idx#sha256:}")
		skopeo inspect --tls-verify=false --raw "docker://$HM_TEST_REGISTRY/cp/multi@$child" >/dev/null
		cfg=$(jq -r .config.digest "$M/blobs/sha256/${child#sha256:}")
		curl -fsS -o /dev/null "$(api cp/multi)/blobs/$cfg"
	done
	# back to a fresh layout: children are blobs, index.json names the index
	run hm copy "$HM_TEST_REGISTRY/cp/multi:v1" "oci:$BATS_TEST_TMPDIR/back"
	[ "$status" -eq 0 ]
	skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/back:v1" | jq -e '.manifests | length == 2'
	skopeo copy --quiet --override-arch arm64 "oci:$BATS_TEST_TMPDIR/back:v1" "oci:$BATS_TEST_TMPDIR/check:x"
	umoci unpack --rootless --image "$BATS_TEST_TMPDIR/check:x" "$BATS_TEST_TMPDIR/unpacked" >/dev/null 2>&1
	grep -q arm64 "$BATS_TEST_TMPDIR/unpacked/rootfs/content"
}

# add_fallback_referrer REPO SUBJECT: an OCI 1.1 referrer (a simple-signing
# layer) listed in the sha256-<hex> referrers tag index, as a client on a
# registry without the referrers API writes it.  Prints its digest.
add_fallback_referrer() {
	local repo=$1 subject=$2 t=$BATS_TEST_TMPDIR
	printf '{}' >"$t/empty"
	printf 'referrer payload %s' "$RANDOM" >"$t/layer"
	local e l size
	e=$(put_blob "$repo" "$t/empty")
	l=$(put_blob "$repo" "$t/layer")
	size=$(skopeo inspect --tls-verify=false --raw "docker://$HM_TEST_REGISTRY/$repo@$subject" | wc -c)
	jq -nc --arg e "$e" --arg l "$l" --argjson ls "$(wc -c <"$t/layer")" --arg s "$subject" --argjson ss "$size" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  artifactType: "application/vnd.dev.cosign.simplesigning.v1+json",
		  config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $e, size: 2},
		  layers: [{mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: $l, size: $ls}],
		  subject: {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $s, size: $ss}}' >"$t/ref.json"
	local rd
	rd=sha256:$(sha256sum <"$t/ref.json" | cut -d' ' -f1)
	put_manifest "$repo" "$rd" "$t/ref.json"
	jq -nc --arg d "$rd" --argjson n "$(wc -c <"$t/ref.json")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $n,
		    artifactType: "application/vnd.dev.cosign.simplesigning.v1+json"}]}' >"$t/idx.json"
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$t/idx.json" \
		"$(api "$repo")/manifests/sha256-${subject#sha256:}" >/dev/null
	echo "$rd"
}

@test "a referrer in the referrers tag index is copied, to a layout and to another repository's index" {
	make_image "$BATS_TEST_TMPDIR/r" img "referred image"
	push_image "$BATS_TEST_TMPDIR/r" img cp/ref:v1
	d=$(digest_of "$HM_TEST_REGISTRY/cp/ref:v1")
	rd=$(add_fallback_referrer cp/ref "$d")
	run hm copy --only signatures "$HM_TEST_REGISTRY/cp/ref:v1" "oci:$BATS_TEST_TMPDIR/rl"
	[ "$status" -eq 0 ]
	[[ "$output" == *"signatures referrer $rd of $d"* ]]
	# in the layout: an untagged entry with its artifactType
	jq -e --arg rd "$rd" '.manifests[] | select(.digest == $rd) | .artifactType == "application/vnd.dev.cosign.simplesigning.v1+json"' \
		"$BATS_TEST_TMPDIR/rl/index.json"
	# layout -> registry: the referrer lands in the destination's referrers tag
	run hm copy "oci:$BATS_TEST_TMPDIR/rl:v1" "$HM_TEST_REGISTRY/cp/ref2:v1"
	[ "$status" -eq 0 ]
	get_manifest cp/ref2 "$rd" >/dev/null
	curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' "$(api cp/ref2)/manifests/sha256-${d#sha256:}" |
		jq -e --arg rd "$rd" '[.manifests[] | select(.digest == $rd)] | length == 1'
	# --only attestations leaves it
	run hm copy --only attestations "$HM_TEST_REGISTRY/cp/ref:v1" "oci:$BATS_TEST_TMPDIR/rl2"
	[ "$status" -eq 0 ]
	! jq -e --arg rd "$rd" '.manifests[] | select(.digest == $rd)' "$BATS_TEST_TMPDIR/rl2/index.json"
}

@test "a referrer listed for an image whose subject is another image is skipped" {
	make_image "$BATS_TEST_TMPDIR/s" a "subject a"
	make_image "$BATS_TEST_TMPDIR/s" b "subject b"
	push_image "$BATS_TEST_TMPDIR/s" a cp/forged:a
	push_image "$BATS_TEST_TMPDIR/s" b cp/forged:b
	da=$(digest_of "$HM_TEST_REGISTRY/cp/forged:a")
	db=$(digest_of "$HM_TEST_REGISTRY/cp/forged:b")
	rd=$(add_fallback_referrer cp/forged "$da")
	# list a's referrer under b's referrers tag
	curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' "$(api cp/forged)/manifests/sha256-${da#sha256:}" >"$BATS_TEST_TMPDIR/i.json"
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$BATS_TEST_TMPDIR/i.json" \
		"$(api cp/forged)/manifests/sha256-${db#sha256:}" >/dev/null
	run hm copy "$HM_TEST_REGISTRY/cp/forged:b" "oci:$BATS_TEST_TMPDIR/fl"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 referrers skipped"* ]]
	! jq -e --arg rd "$rd" '.manifests[] | select(.digest == $rd)' "$BATS_TEST_TMPDIR/fl/index.json"
}

@test "a registry lying about a blob is refused, exit 3, nothing tagged" {
	run hm copy "$HM_TEST_LIAR/badblob/app:latest" "oci:$BATS_TEST_TMPDIR/lie"
	[ "$status" -eq 3 ]
	[[ "$output" == *"digest mismatch"* ]]
	[ "${#lines[@]}" -eq 1 ]
	! jq -e '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest")' "$BATS_TEST_TMPDIR/lie/index.json"
	# a blob longer than its descriptor says is cut off
	run hm copy "$HM_TEST_LIAR/longblob/app:latest" "oci:$BATS_TEST_TMPDIR/lie2"
	[ "$status" -eq 3 ]
	[[ "$output" == *"larger than the"* ]]
	# and a manifest that is not what its digest says
	run hm copy "$HM_TEST_LIAR/mismatch/app@sha256:$(printf x | sha256sum | cut -d' ' -f1)" "oci:$BATS_TEST_TMPDIR/lie3"
	[ "$status" -eq 3 ]
}

@test "eight signers at once on one image: verify finds all eight" {
	make_image "$BATS_TEST_TMPDIR/race" r "raced image"
	push_image "$BATS_TEST_TMPDIR/race" r cp/race:r
	keys=()
	for i in 1 2 3 4 5 6 7 8; do
		hm key generate --type ed25519 --output-prefix "$BATS_TEST_TMPDIR/k$i" >/dev/null 2>&1
		keys+=(--key "$BATS_TEST_TMPDIR/k$i.pub")
	done
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		hm sign --format legacy --key "$BATS_TEST_TMPDIR/k$i.key" "$HM_TEST_REGISTRY/cp/race:r" >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	cat "$BATS_TEST_TMPDIR"/out*
	[ "$failed" -eq 0 ]
	run hm verify "${keys[@]}" "$HM_TEST_REGISTRY/cp/race:r"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *": 8 of 8 signatures valid" ]]
}

@test "copy --help is the docs page's Usage" {
	hm copy --help | grep -q '^usage: hallmark copy \[options\] SRC DST$'
}

@test "a layout whose layer blob was tampered with is refused, exit 3" {
	T=$BATS_TEST_TMPDIR/tampered
	make_image "$T" t "to be tampered with"
	layer=$(jq -r '.layers[0].digest' "$T/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/index.json" | cut -d: -f2)")
	chmod u+w "$T/blobs/sha256/${layer#sha256:}"
	printf 'x' >>"$T/blobs/sha256/${layer#sha256:}"
	run hm copy "oci:$T:t" "$HM_TEST_REGISTRY/cp/tampered:t"
	[ "$status" -eq 3 ]
	[[ "$output" == *"larger than the"* ]]
	run skopeo inspect --tls-verify=false --raw "docker://$HM_TEST_REGISTRY/cp/tampered:t"
	[ "$status" -ne 0 ]
}
