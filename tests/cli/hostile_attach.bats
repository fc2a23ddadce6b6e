#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Attachments written by an attacker (anyone who can push next to an image):
# a .sig/.att manifest that does not parse, holds too many layers, or names
# a blob larger than its descriptor says.  Each must be a refused signature
# or attestation (exit 1, with the reason and where it was found), never an
# operational error that a rule's on_error: allow would turn into an
# admission; a valid signature beside it still counts.  And a manifest at
# the 4 MiB cap is handled in bounded time.

load ../lib/common

MT=application/vnd.oci.image.manifest.v1+json
SIMPLE=application/vnd.dev.cosign.simplesigning.v1+json
DSSE=application/vnd.dsse.envelope.v1+json

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	export POLICY=$BATS_FILE_TMPDIR/policy.yaml
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --output-prefix "$KEYS/b" >/dev/null 2>&1
	printf '{}' >"$BATS_FILE_TMPDIR/empty.json"
	cat >"$POLICY" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  a: { file: keys/a.pub }
	rules:
	  - name: attested
	    images: ["$R/ha/att*"]
	    on_error: allow
	    require:
	      attestations:
	        - { type: https://slsa.dev/provenance/v1, keys: [a] }
	  - name: open
	    images: ["$R/ha/**"]
	    on_error: allow
	    require:
	      signatures: { keys: [a] }
	YAML
}

teardown_file() { common_teardown_file; }

# sig_layer REPO DIGEST KEY [SIZE_DELTA]: signs REPO@DIGEST with KEY without
# uploading, pushes the payload blob, prints the layer descriptor (its size
# off by SIZE_DELTA).
sig_layer() {
	local repo=$1 d=$2 key=$3 delta=${4:-0} t pd size
	t=$(mktemp -d "$BATS_TEST_TMPDIR/sig.XXXXXX")
	hm sign --format legacy --key "$KEYS/$key.key" --no-upload --output-signature "$t/sig" --output-payload "$t/payload" \
		"$R/$repo@$d" >/dev/null 2>&1
	pd=$(put_blob "$repo" "$t/payload")
	size=$(($(stat -c %s "$t/payload") + delta))
	jq -nc --arg mt "$SIMPLE" --arg d "$pd" --argjson s "$size" --arg sig "$(cat "$t/sig")" \
		'{mediaType:$mt,digest:$d,size:$s,annotations:{"dev.cosignproject.cosign/signature":$sig}}'
}

# attached REPO LAYERS_JSON_ARRAY: an attached manifest (printed) whose
# config is the empty blob, pushed to REPO.
attached() {
	local cd
	cd=$(put_blob "$1" "$BATS_FILE_TMPDIR/empty.json")
	jq -nc --arg mt "$MT" --arg cd "$cd" --argjson layers "$2" \
		'{schemaVersion:2,mediaType:$mt,config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:2},layers:$layers}'
}

# push_attached REPO DIGEST SUFFIX FILE: PUTs FILE under sha256-<hex>.SUFFIX.
push_attached() {
	put_manifest "$1" "sha256-${2#sha256:}.$3" "$4"
}

# junk_manifest REPO: a manifest the registry stores (Go reads the last of
# duplicate members) and hallmark must refuse (readers disagree on it).
junk_manifest() {
	local cd
	cd=$(put_blob "$1" "$BATS_FILE_TMPDIR/empty.json")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[],"layers":[]}' \
		"$MT" "$cd"
}

@test "a junk .sig manifest next to an unsigned image: denied despite on_error: allow, the reason names it" {
	d=$(fresh ha/junk)
	junk_manifest ha/junk >"$BATS_TEST_TMPDIR/m.json"
	md=sha256:$(sha256sum "$BATS_TEST_TMPDIR/m.json" | cut -d' ' -f1)
	push_attached ha/junk "$d" sig "$BATS_TEST_TMPDIR/m.json"
	run hm policy check --policy "$POLICY" "$R/ha/junk@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL signatures"* ]]
	[[ "$output" == *"manifest $md: layers appears more than once (tag sha256-${d#sha256:}.sig)"* ]]
	[[ "$output" != *"operational error"* ]]
	run hm verify --key "$KEYS/a.pub" "$R/ha/junk@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid  ${md:0:19}... (tag sha256-${d#sha256:}.sig): manifest $md: layers appears more than once"* ]]
	hm verify --output json --key "$KEYS/a.pub" "$R/ha/junk@$d" 2>/dev/null >"$BATS_TEST_TMPDIR/v.json" || true
	jq -e <"$BATS_TEST_TMPDIR/v.json" --arg s "tag sha256-${d#sha256:}.sig" \
		'.images[0].signatures[0] | .valid == false and .source == $s and (.reason | test("appears more than once"))'
	run hm tree "$R/ha/junk@$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"signatures: 0 (and 1 refused)"* ]]
	[[ "$output" == *"refused  tag sha256-${d#sha256:}.sig: manifest $md: layers appears more than once"* ]]
	hm tree --output json "$R/ha/junk@$d" | jq -e '.signatures[0].refused | test("appears more than once")'
	run hm audit --key "$KEYS/a.pub" --output json "$R/ha/junk"
	[ "$status" -eq 1 ]
	hm audit --key "$KEYS/a.pub" --output json "$R/ha/junk" 2>/dev/null | jq -e '[.. | strings | select(test("layers appears more than once .tag sha256-"))] | length > 0'
}

@test "a .sig manifest with more layers than the cap: refused as a whole, even with a valid signature in it" {
	d=$(fresh ha/layers)
	good=$(sig_layer ha/layers "$d" a)
	bad=$(sig_layer ha/layers "$d" b)
	layers=$(jq -nc --argjson g "$good" --argjson b "$bad" '[$g] + [range(0; 300) as $i | $b | .annotations.n = ($i | tostring)]')
	attached ha/layers "$layers" >"$BATS_TEST_TMPDIR/m.json"
	push_attached ha/layers "$d" sig "$BATS_TEST_TMPDIR/m.json"
	run hm policy check --policy "$POLICY" "$R/ha/layers@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has 301 layers, more than the 256 allowed in an attached manifest (the cap) (tag sha256-${d#sha256:}.sig)"* ]]
	run hm verify --key "$KEYS/a.pub" "$R/ha/layers@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than the 256 allowed in an attached manifest (the cap)"* ]]
}

@test "a signature blob larger than its descriptor says is refused; a valid signature beside it still counts" {
	d=$(fresh ha/size)
	short=$(sig_layer ha/size "$d" a -1)
	attached ha/size "[$short]" >"$BATS_TEST_TMPDIR/m.json"
	push_attached ha/size "$d" sig "$BATS_TEST_TMPDIR/m.json"
	run hm policy check --policy "$POLICY" "$R/ha/size@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is larger than the "*" bytes its descriptor says"* ]]
	run hm verify --key "$KEYS/a.pub" "$R/ha/size@$d"
	[ "$status" -eq 1 ]

	# the same lie beside a valid signature: the valid one counts
	d=$(fresh ha/size2)
	short=$(sig_layer ha/size2 "$d" b -1)
	good=$(sig_layer ha/size2 "$d" a)
	attached ha/size2 "[$short,$good]" >"$BATS_TEST_TMPDIR/m.json"
	push_attached ha/size2 "$d" sig "$BATS_TEST_TMPDIR/m.json"
	run hm verify --key "$KEYS/a.pub" "$R/ha/size2@$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 2 signatures valid"* ]]
	[[ "$output" == *"bytes its descriptor says"* ]]
	run hm policy check --policy "$POLICY" "$R/ha/size2@$d"
	[ "$status" -eq 0 ]
}

@test "a junk .att manifest: verify-attestation and an attestation rule with on_error: allow deny, naming it" {
	d=$(fresh ha/att)
	junk_manifest ha/att >"$BATS_TEST_TMPDIR/m.json"
	md=sha256:$(sha256sum "$BATS_TEST_TMPDIR/m.json" | cut -d' ' -f1)
	push_attached ha/att "$d" att "$BATS_TEST_TMPDIR/m.json"
	run hm verify-attestation --key "$KEYS/a.pub" --type slsaprovenance "$R/ha/att@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest $md: layers appears more than once"* ]]
	run hm policy check --policy "$POLICY" "$R/ha/att@$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest $md: layers appears more than once (tag sha256-${d#sha256:}.att)"* ]]
	run hm tree "$R/ha/att@$d"
	[[ "$output" == *"attestations: 0 (and 1 refused)"* ]]
}

@test "OCI layout: a junk .sig manifest beside a valid referrer signature: the valid one counts" {
	L=$BATS_TEST_TMPDIR/img
	cp -R "$REPO_ROOT/examples/image" "$L"
	d=$(jq -r '.manifests[0].digest' "$L/index.json")
	hm sign --format legacy --key "$KEYS/a.key" --no-upload --output-signature "$BATS_TEST_TMPDIR/sig" \
		--output-payload "$BATS_TEST_TMPDIR/payload" "oci:$L:1.0" >/dev/null 2>&1
	pd=$(sha256sum "$BATS_TEST_TMPDIR/payload" | cut -d' ' -f1)
	cp "$BATS_TEST_TMPDIR/payload" "$L/blobs/sha256/$pd"
	cd=$(sha256sum "$BATS_FILE_TMPDIR/empty.json" | cut -d' ' -f1)
	cp "$BATS_FILE_TMPDIR/empty.json" "$L/blobs/sha256/$cd"
	jq -nc --arg pd "sha256:$pd" --argjson ps "$(stat -c %s "$BATS_TEST_TMPDIR/payload")" --arg cd "sha256:$cd" \
		--arg sig "$(cat "$BATS_TEST_TMPDIR/sig")" --arg sd "$d" --arg mt "$MT" --arg smt "$SIMPLE" \
		'{schemaVersion:2,mediaType:$mt,artifactType:"application/vnd.dev.cosign.artifact.sig.v1+json",
		  config:{mediaType:"application/vnd.oci.empty.v1+json",size:2,digest:$cd},
		  layers:[{mediaType:$smt,size:$ps,digest:$pd,annotations:{"dev.cosignproject.cosign/signature":$sig}}],
		  subject:{mediaType:$mt,digest:$sd,size:1}}' >"$BATS_TEST_TMPDIR/ref.json"
	printf '{"schemaVersion":2,"layers":[],"layers":[]}' >"$BATS_TEST_TMPDIR/junk.json"
	for f in ref junk; do
		h=$(sha256sum "$BATS_TEST_TMPDIR/$f.json" | cut -d' ' -f1)
		cp "$BATS_TEST_TMPDIR/$f.json" "$L/blobs/sha256/$h"
		name=$([ $f = junk ] && echo "sha256-${d#sha256:}.sig" || echo "")
		jq -c --arg d "sha256:$h" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/$f.json")" --arg mt "$MT" --arg n "$name" \
			'.manifests += [{mediaType:$mt,digest:$d,size:$s} + (if $n == "" then {} else {annotations:{"org.opencontainers.image.ref.name":$n}} end)]' \
			"$L/index.json" >"$BATS_TEST_TMPDIR/index.json"
		cp "$BATS_TEST_TMPDIR/index.json" "$L/index.json"
	done
	run hm verify --key "$KEYS/a.pub" "oci:$L:1.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 2 signatures valid"* ]]
	[[ "$output" == *"valid    "*"(referrer sha256:"* ]]
	[[ "$output" == *"(tag sha256-${d#sha256:}.sig): manifest sha256:"*"layers appears more than once"* ]]
}

@test "a .sig manifest at the 4 MiB cap is handled in bounded time (annotations, duplicate layers)" {
	d=$(fresh ha/huge)
	good=$(sig_layer ha/huge "$d" a)
	cd=$(put_blob ha/huge "$BATS_FILE_TMPDIR/empty.json")
	# (1) 4 MiB of tiny annotations on one layer: far over the annotation cap;
	# (2) 10000 annotations (the cap) padded to 4 MiB over the cap of layers,
	#     all the same layer: one signature, after de-duplication
	for kind in many padded; do
		"$PYTHON" - "$kind" "$cd" "$good" >"$BATS_TEST_TMPDIR/m.json" <<-'PY'
		import json, sys
		kind, cd, good = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
		cap = 4 << 20
		m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": 2}}
		if kind == "many":
		    ann = dict(good["annotations"])
		    room = cap - 1024 - len(json.dumps(dict(m, layers=[good])))
		    i = 0
		    while room > 32:
		        k = "k%x" % i
		        ann[k] = ""
		        room -= len(k) + 8  # "k": "",
		        i += 1
		    m["layers"] = [dict(good, annotations=ann)]
		else:
		    per = 10000 // 256 - 1
		    layers = []
		    for i in range(256):
		        ann = dict(good["annotations"])
		        ann.update({"k%d" % k: "" for k in range(per)})
		        layers.append(dict(good, annotations=ann))
		    m["layers"] = layers
		    pad = cap - 1024 - len(json.dumps(m))
		    m["annotations"] = {"pad": "x" * pad}
		sys.stdout.write(json.dumps(m))
		PY
		size=$(stat -c %s "$BATS_TEST_TMPDIR/m.json")
		[ "$size" -gt $((4000 * 1024)) ] && [ "$size" -le $((4 << 20)) ]
		push_attached ha/huge "$d" sig "$BATS_TEST_TMPDIR/m.json"
		run timeout 10 "$HALLMARK" verify --key "$KEYS/a.pub" "$R/ha/huge@$d"
		if [ $kind = many ]; then
			[ "$status" -eq 1 ]
			[[ "$output" == *"more than 10000 annotations (the cap)"* ]]
		else
			[ "$status" -eq 0 ]
			[[ "$output" == *"1 of 1 signature valid"* ]]
		fi
	done
}

@test "a registry paging referrers or tags without end: referrers refused (exit 1), tags over the cap (exit 3), both naming the cap" {
	d=$(curl -fsS -H "Accept: $MT" "http://$HM_TEST_LIAR/v2/pages/flood/manifests/latest" | sha256sum | cut -d' ' -f1)
	run timeout 60 "$HALLMARK" verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/pages/flood@sha256:$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(referrers of sha256:$d): "*"more than 1000 referrers (the cap)"* ]]
	run timeout 60 "$HALLMARK" verify --key "$KEYS/a.pub" "$HM_TEST_LIAR/pages/empty@sha256:$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than 100 pages (the cap)"* ]]
	run timeout 60 "$HALLMARK" audit --key "$KEYS/a.pub" "$HM_TEST_LIAR/pages/flood"
	[ "$status" -eq 3 ]
	[[ "$output" == *"more than 100000 tags (the cap)"* ]]
}
