#!/usr/bin/env bats
# hallmark attest / attest provenance / verify-attestation on OCI layouts
# made here (no registry needed), including the forgeries that must fail.

setup() {
	: "${HALLMARK:=$BATS_TEST_DIRNAME/../../build/hallmark}"
	: "${PYTHON:=python3}"
	T=$(mktemp -d)
	export HALLMARK_PASSWORD=test
	"$HALLMARK" key generate -o "$T/k" >/dev/null
	"$HALLMARK" key generate -o "$T/other" >/dev/null
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
