#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark attest / attest provenance / verify-attestation on OCI layouts
# made here (no registry needed), including the forgeries that must fail.

setup() {
	: "${HALLMARK:=$BATS_TEST_DIRNAME/../../build/hallmark}"
	: "${PYTHON:=python3}"
	T=$(mktemp -d)
	export HALLMARK_PASSWORD=test
	"$HALLMARK" key generate --output-prefix "$T/k" >/dev/null
	"$HALLMARK" key generate --output-prefix "$T/other" >/dev/null
	mklayout "$T/img" one
	mklayout "$T/img2" two
	echo '{"hello":"world"}' >"$T/pred.json"
}

teardown() {
	rm -rf "$T"
}

# mklayout DIR SEED: an OCI layout with one small image tagged v1.
mklayout() {
	"$PYTHON" - "$1" "$2" <<'PY'
import hashlib, json, os, sys
d, seed = sys.argv[1], sys.argv[2]
os.makedirs(d + "/blobs/sha256", exist_ok=True)
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "seed": seed}).encode())
layer = put(b"layer " + seed.encode())
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
     "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")]}
md = put(json.dumps(m).encode())
open(d + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(d + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    dict(md, mediaType="application/vnd.oci.image.manifest.v1+json",
         annotations={"org.opencontainers.image.ref.name": "v1"})]}))
PY
}

# mkrepo DIR: a git checkout with a Dockerfile whose base image is $T/img:v1.
mkrepo() {
	mkdir -p "$1"
	(cd "$1" && git init -q -b main . &&
		git remote add origin https://bot:t0ken@git.example.com/org/app.git &&
		printf 'ARG BASE\nFROM ${BASE} AS build\nRUN true\nFROM build\n' >Dockerfile &&
		git add Dockerfile &&
		git -c user.name=t -c user.email=t@e -c commit.gpgsign=false commit -qm one &&
		git tag v1.0.0)
}

@test "attest then verify-attestation" {
	run "$HALLMARK" attest --format legacy --key "$T/k.key" --predicate "$T/pred.json" "oci:$T/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == attested*"https://cosign.sigstore.dev/attestation/v1" ]]
	run "$HALLMARK" verify-attestation --key "$T/k.pub" "oci:$T/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 of 1 attestation valid"* ]]
	run "$HALLMARK" tree "oci:$T/img:v1"
	[[ "$output" == *"attestations: 1"*"https://cosign.sigstore.dev/attestation/v1"* ]]
}

@test "verify-attestation json holds the decoded statement" {
	"$HALLMARK" attest --format legacy --key "$T/k.key" --type spdx --predicate "$T/pred.json" "oci:$T/img:v1"
	run "$HALLMARK" verify-attestation --key "$T/k.pub" --output json "oci:$T/img:v1"
	[ "$status" -eq 0 ]
	echo "$output" | "$PYTHON" -c '
import json, sys
a = json.load(sys.stdin)["images"][0]["attestations"][0]
assert a["valid"] and a["predicateType"] == "https://spdx.dev/Document"
assert a["statement"]["_type"] == "https://in-toto.io/Statement/v1"
assert a["statement"]["predicate"] == {"hello": "world"}'
}

@test "type filter" {
	"$HALLMARK" attest --format legacy --key "$T/k.key" --type vuln --predicate "$T/pred.json" "oci:$T/img:v1"
	run "$HALLMARK" verify-attestation --key "$T/k.pub" --type vuln "oci:$T/img:v1"
	[ "$status" -eq 0 ]
	run "$HALLMARK" verify-attestation --key "$T/k.pub" --type slsaprovenance "oci:$T/img:v1"
	[ "$status" -eq 1 ]
	run "$HALLMARK" verify-attestation --key "$T/k.pub" --type "not a type" "oci:$T/img:v1"
	[ "$status" -eq 2 ]
}

@test "a wrong key is refused" {
	"$HALLMARK" attest --format legacy --key "$T/other.key" --predicate "$T/pred.json" "oci:$T/img:v1"
	run "$HALLMARK" verify-attestation --key "$T/k.pub" "oci:$T/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"NOT VERIFIED"* ]]
}

@test "a tampered payload is refused" {
	"$HALLMARK" attest --format legacy --key "$T/k.key" --predicate "$T/pred.json" "oci:$T/img:v1"
	# rewrite the envelope's payload (keeping the signature), store it as a
	# new blob, and point the .att manifest at it
	"$PYTHON" - "$T/img" <<'PY'
import base64, hashlib, json, os, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
def blob(dg): return open(d + "/blobs/sha256/" + dg.split(":")[1], "rb").read()
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(b)
    return "sha256:" + h, len(b)
for m in idx["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(".att"):
        man = json.loads(blob(m["digest"]))
        env = json.loads(blob(man["layers"][0]["digest"]))
        st = json.loads(base64.b64decode(env["payload"]))
        st["predicate"] = {"hello": "mallory"}
        env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
        man["layers"][0]["digest"], man["layers"][0]["size"] = put(json.dumps(env).encode())
        m["digest"], m["size"] = put(json.dumps(man).encode())
json.dump(idx, open(d + "/index.json", "w"))
PY
	run "$HALLMARK" verify-attestation --key "$T/k.pub" "oci:$T/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid"* ]]
}

@test "an attestation for another image is refused" {
	"$HALLMARK" attest --format legacy --key "$T/k.key" --predicate "$T/pred.json" "oci:$T/img:v1"
	# copy img's .att manifest (and blobs) to img2 under img2's .att tag
	"$PYTHON" - "$T/img" "$T/img2" <<'PY'
import json, shutil, os, sys
a, b = sys.argv[1], sys.argv[2]
ia, ib = json.load(open(a + "/index.json")), json.load(open(b + "/index.json"))
for f in os.listdir(a + "/blobs/sha256"):
    shutil.copy(a + "/blobs/sha256/" + f, b + "/blobs/sha256/" + f)
att = [m for m in ia["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"].endswith(".att")][0]
img2 = [m for m in ib["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "v1"][0]
att = dict(att, annotations={"org.opencontainers.image.ref.name": img2["digest"].replace(":", "-") + ".att"})
ib["manifests"].append(att)
json.dump(ib, open(b + "/index.json", "w"))
PY
	run "$HALLMARK" verify-attestation --key "$T/k.pub" "oci:$T/img2:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"subject is for sha256:"*"not the image"* ]]
}

@test "attest provenance --print" {
	mkrepo "$T/repo"
	run "$HALLMARK" attest provenance --format legacy --git "$T/repo" --build-arg "BASE=oci:$T/img:v1" \
		--builder-id https://ci.example.com/b --print "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
	echo "$output" | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)
assert s["predicateType"] == "https://slsa.dev/provenance/v1"
p = s["predicate"]
e = p["buildDefinition"]["externalParameters"]
assert e["repository"] == "https://git.example.com/org/app.git", e
assert e["ref"] == "refs/tags/v1.0.0"
deps = p["buildDefinition"]["resolvedDependencies"]
assert deps[0]["uri"] == "git+https://git.example.com/org/app.git@refs/tags/v1.0.0"
assert len(deps) == 2 and deps[1]["digest"]["sha256"]
assert p["runDetails"]["builder"]["id"] == "https://ci.example.com/b"'
	[[ "$output" != *t0ken* ]]
}

@test "attest provenance attaches, and verifies as slsaprovenance" {
	mkrepo "$T/repo"
	run "$HALLMARK" attest provenance --format legacy --key "$T/k.key" --git "$T/repo" \
		--build-arg "BASE=oci:$T/img:v1" "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
	run "$HALLMARK" verify-attestation --key "$T/k.pub" --type slsaprovenance "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
}

@test "attest provenance refuses a dirty tree, a non-repository, an unknown base" {
	mkrepo "$T/repo"
	echo x >"$T/repo/new.txt"
	run "$HALLMARK" attest provenance --format legacy --git "$T/repo" --build-arg "BASE=oci:$T/img:v1" --print "oci:$T/img2:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"uncommitted"*"new.txt"* ]]
	run "$HALLMARK" attest provenance --format legacy --allow-dirty --git "$T/repo" --build-arg "BASE=oci:$T/img:v1" --print "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"dirty":'*true* ]]
	rm "$T/repo/new.txt"
	run "$HALLMARK" attest provenance --format legacy --git "$T" --print "oci:$T/img2:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a git repository"* ]]
	run "$HALLMARK" attest provenance --format legacy --git "$T/repo" --build-arg "BASE=oci:$T/nope:v1" --print "oci:$T/img2:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"Dockerfile:2: resolving base image"* ]]
}

# mkrepo_df DIR: a git checkout whose Dockerfile is read from stdin.
mkrepo_df() {
	mkdir -p "$1"
	cat >"$1/Dockerfile"
	(cd "$1" && git init -q -b main . && git add Dockerfile &&
		git -c user.name=t -c user.email=t@e -c commit.gpgsign=false commit -qm one)
}

# deps: "name digest" of each base image of the statement on stdin.
deps() {
	"$PYTHON" -c '
import json, sys
for d in json.load(sys.stdin)["predicate"]["buildDefinition"]["resolvedDependencies"][1:]:
    print(d["name"], "sha256:" + d["digest"]["sha256"])'
}

D1=sha256:1111111111111111111111111111111111111111111111111111111111111111
D2=sha256:2222222222222222222222222222222222222222222222222222222222222222
D3=sha256:3333333333333333333333333333333333333333333333333333333333333333

# Every base image below is on 127.0.0.1:1, where nothing listens: asking it
# fails at once (exit 3), so a success proves no registry was asked.

@test "attest provenance: base images pinned in the Dockerfile (and the syntax frontend) are recorded without a registry" {
	mkrepo_df "$T/repo" <<-EOF
	# syntax=127.0.0.1:1/frontend@$D1
	FROM 127.0.0.1:1/base:1@$D2 AS b
	FROM --platform=linux/arm64 127.0.0.1:1/other@$D3
	COPY --from=b /x /x
	EOF
	for offline in "" --offline; do
		run "$HALLMARK" attest provenance --timeout 2 $offline --git "$T/repo" --print "oci:$T/img2:v1"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | deps)" = "127.0.0.1:1/frontend@$D1 $D1
127.0.0.1:1/base:1@$D2 $D2
127.0.0.1:1/other@$D3 $D3" ]
	done
	# a digest that is not one is no pin: it goes to the registry, and fails
	mkrepo_df "$T/bad" <<-EOF
	FROM 127.0.0.1:1/base@sha256:1234
	EOF
	run "$HALLMARK" attest provenance --timeout 2 --git "$T/bad" --print "oci:$T/img2:v1"
	[ "$status" -ne 0 ]
}

@test "attest provenance: --base-image NAME=DIGEST supplies what the Dockerfile does not pin" {
	mkrepo_df "$T/repo" <<-EOF
	# syntax=127.0.0.1:1/dockerfile:1
	FROM 127.0.0.1:1/base AS b
	FROM 127.0.0.1:1/other@$D3
	COPY --from=b /x /x
	EOF
	# names are compared normalised: "127.0.0.1:1/base" is "...:latest"
	for offline in "" --offline; do
		run "$HALLMARK" attest provenance --timeout 2 $offline --git "$T/repo" --print \
			--base-image "127.0.0.1:1/dockerfile:1=$D1" --base-image "127.0.0.1:1/base:latest=$D2" \
			"oci:$T/img2:v1"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | deps)" = "127.0.0.1:1/dockerfile:1 $D1
127.0.0.1:1/base $D2
127.0.0.1:1/other@$D3 $D3" ]
	done
	# one the Dockerfile does not use is said on stderr, and changes nothing
	run "$HALLMARK" attest provenance --timeout 2 --git "$T/repo" --print --base-image "127.0.0.1:1/dockerfile:1=$D1" \
		--base-image "127.0.0.1:1/base=$D2" --base-image "127.0.0.1:1/unused:2=$D1" "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"--base-image '127.0.0.1:1/unused:2=$D1' names no unpinned image of the Dockerfile"* ]]
	# not supplied and not offline: the registry is asked, as before (and here fails)
	run "$HALLMARK" attest provenance --timeout 2 --git "$T/repo" --print --base-image "127.0.0.1:1/base=$D2" \
		"oci:$T/img2:v1"
	[ "$status" -eq 3 ]
	[[ "$output" == *"Dockerfile:1: resolving base image '127.0.0.1:1/dockerfile:1'"* ]]
}

@test "attest provenance --offline refuses a base image neither pinned nor supplied, naming it and how to supply it" {
	mkrepo_df "$T/repo" <<-EOF
	FROM 127.0.0.1:1/other@$D3 AS b
	FROM 127.0.0.1:1/base:1
	EOF
	run "$HALLMARK" attest provenance --timeout 2 --offline --git "$T/repo" --print "oci:$T/img2:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Dockerfile:2: resolving base image '127.0.0.1:1/base:1': --offline: it is not pinned by digest; pin it in the Dockerfile (127.0.0.1:1/base:1@sha256:...) or give its digest with --base-image '127.0.0.1:1/base:1=sha256:...'"* ]]
	[[ "$output" != *"connect"* ]]
	# the syntax frontend too
	mkrepo_df "$T/syn" <<-EOF
	# syntax=127.0.0.1:1/dockerfile:1
	FROM scratch
	EOF
	run "$HALLMARK" attest provenance --timeout 2 --offline --git "$T/syn" --print "oci:$T/img2:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"resolving base image '127.0.0.1:1/dockerfile:1': --offline"* ]]
	# an OCI layout is no registry: --offline still reads it
	mkrepo "$T/lay"
	run "$HALLMARK" attest provenance --offline --git "$T/lay" --build-arg "BASE=oci:$T/img:v1" --print "oci:$T/img2:v1"
	[ "$status" -eq 0 ]
}

@test "attest provenance --base-image must be NAME=DIGEST" {
	mkrepo "$T/repo"
	for bad in "127.0.0.1:1/base" "=$D1" "127.0.0.1:1/base=sha256:12" "127.0.0.1:1/base=$(echo $D1 | tr 1 A)" \
		"127.0.0.1:1/base@$D2=$D1" "oci:$T/img=$D1" "Not A Name=$D1"; do
		run "$HALLMARK" attest provenance --git "$T/repo" --print --base-image "$bad" "oci:$T/img2:v1"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--base-image"* ]]
	done
	run "$HALLMARK" attest provenance --git "$T/repo" --print --base-image "127.0.0.1:1/b=$D1" \
		--base-image "127.0.0.1:1/b:latest=$D2" "oci:$T/img2:v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"two digests for '127.0.0.1:1/b:latest'"* ]]
}
