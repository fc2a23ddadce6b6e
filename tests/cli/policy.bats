#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark policy lint / check against a real registry: the allow/deny
# matrix, manifests of every workload kind, and an AdmissionReview.

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	export POLICY=$BATS_FILE_TMPDIR/policy.yaml
	mkdir -p "$KEYS"
	for k in release security stranger; do hm key generate --output-prefix "$KEYS/$k" >/dev/null 2>&1; done
	for t in unsigned one both latest good evil unpinned; do make_image "$LAYOUT" "$t" "policy $t"; done
	for t in unsigned one both latest; do push_image "$LAYOUT" "$t" "pol/app:$t"; done
	for t in good evil unpinned; do push_image "$LAYOUT" "$t" "pol/prov:$t"; done
	hm sign --key "$KEYS/release.key" "$R/pol/app:one" "$R/pol/app:both" "$R/pol/app:latest" >/dev/null
	hm sign --key "$KEYS/security.key" "$R/pol/app:both" "$R/pol/app:latest" >/dev/null
	# one key signing twice still counts once
	hm sign --key "$KEYS/stranger.key" "$R/pol/app:one" >/dev/null
	base=sha256:$(printf base | sha256sum | cut -d' ' -f1)
	provenance "https://ci.example.com/builder" "alpine@$base" >"$BATS_FILE_TMPDIR/good.json"
	provenance "https://evil.example.com/builder" "alpine@$base" >"$BATS_FILE_TMPDIR/evil.json"
	provenance "https://ci.example.com/builder" "alpine:3.19" >"$BATS_FILE_TMPDIR/unpinned.json"
	for t in good evil unpinned; do
		hm attest --key "$KEYS/release.key" --type slsaprovenance --predicate "$BATS_FILE_TMPDIR/$t.json" \
			"$R/pol/prov:$t" >/dev/null
	done
	cat >"$POLICY" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: keys/release.pub }
	  security: { file: keys/security.pub }
	mutate: digest
	rules:
	  - name: two keys
	    images: ["$R/pol/app"]
	    require:
	      tags: { deny: [latest] }
	      signatures: { keys: [release, security], threshold: 2 }
	  - name: provenance
	    images: ["$R/pol/prov"]
	    require:
	      attestations:
	        - type: https://slsa.dev/provenance/v1
	          keys: [release]
	          where:
	            - { path: predicate.runDetails.builder.id, equals: "https://ci.example.com/builder" }
	            - { path: predicate.buildDefinition.externalParameters.ref, matches: "refs/tags/v*" }
	      baseImages: { allow: ["docker.io/library/*"], pinned: true }
	  - name: closed
	    images: ["127.0.0.1:1/closed/**"]
	    require: { signatures: { keys: [release] } }
	  - name: open
	    images: ["127.0.0.1:1/open/**"]
	    on_error: allow
	    require: { signatures: { keys: [release] } }
	  - name: watched
	    images: ["127.0.0.1:1/watched/**"]
	    mode: warn
	    require: { signatures: { keys: [release] } }
	YAML
}

teardown_file() { common_teardown_file; }

# provenance BUILDER BASE: a SLSA v1 predicate from a tagged release.
provenance() {
	cat <<-JSON
	{"buildDefinition": {"buildType": "https://hallmark.dev/docker-build/v1",
	  "externalParameters": {"ref": "refs/tags/v1.0.0"},
	  "resolvedDependencies": [
	    {"uri": "git+https://git.example.com/app@refs/tags/v1.0.0", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}},
	    {"uri": "pkg:docker/alpine@3.19", "name": "$2", "digest": {"sha256": "$(printf base | sha256sum | cut -d' ' -f1)"}}]},
	 "runDetails": {"builder": {"id": "$1"}}}
	JSON
}

check() { hm policy check --policy "$POLICY" "$@"; }

@test "lint: the examples are valid" {
	for f in "$REPO_ROOT"/examples/policies/*.yaml; do
		run hm policy lint "$f"
		[ "$status" -eq 0 ]
		[[ "$output" == *": ok ("* ]]
	done
}

@test "lint: every problem, each with file:line:col, exit 1" {
	printf 'apiVersion: hallmark/v1\nkind: Policy\nkeys: {a: {file: nope.pub}}\nrules:\n  - {name: x, images: [A], mode: strict}\n  - {name: y, images: [z], require: {signatures: {keys: [b], threshold: 2}}}\n' \
		>"$BATS_TEST_TMPDIR/bad.yaml"
	run hm policy lint "$BATS_TEST_TMPDIR/bad.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.yaml:3:18: key 'a': reading"* ]]
	[[ "$output" == *"bad.yaml:5:24: invalid image pattern 'A'"* ]]
	[[ "$output" == *"bad.yaml:5:34: 'mode' in rule 'x' must be enforce | warn | audit, not 'strict'"* ]]
	[[ "$output" == *"bad.yaml:6:58: unknown key name 'b' in 'signatures' (defined: a)"* ]]
	[[ "$output" == *"bad.yaml:6:73: 'threshold' in 'signatures' is 2 but only 1 key is listed"* ]]
	[[ "$output" == *"5 problems"* ]]
	# check lints first: a bad policy is a bad input file
	run hm policy check --policy "$BATS_TEST_TMPDIR/bad.yaml" "$R/pol/app:both"
	[ "$status" -eq 3 ]
}

@test "unsigned: denied, saying what would be accepted" {
	run check "$R/pol/app:unsigned"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  $R/pol/app:unsigned (at $(digest_of "$R/pol/app:unsigned"))"* ]]
	[[ "$output" == *"FAIL signatures: 0 of 2 required keys signed; would accept signatures by 2 of: release, security; no signatures found"* ]]
}

@test "signed by one of two keys (and by a stranger): denied, threshold 2" {
	run check "$R/pol/app:one"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 2 required keys signed (release)"* ]]
	[[ "$output" == *"2 signatures found, 1 refused"* ]]
}

@test "signed by both keys: allowed" {
	run check "$R/pol/app:both"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   signatures: 2 of 2 required keys signed (release, security)"* ]]
	[[ "$output" == *"allowed: 0 of 1 image denied"* ]]
}

@test "latest: denied by the tag rule even when signed" {
	run check "$R/pol/app:latest"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL tags: tag 'latest' is refused"* ]]
	[[ "$output" == *"ok   signatures"* ]]
	run check "$R/pol/app"
	[ "$status" -eq 1 ]
	[[ "$output" == *"tag 'latest' is refused"* ]]
}

@test "an image no rule matches: denied by the default" {
	run check "$R/elsewhere/x:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no rule matches '$R/elsewhere/x:1'; the policy's default is deny"* ]]
}

@test "provenance from the right builder and a tag, pinned base: allowed" {
	run check "$R/pol/prov:good"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   baseImages: 1 base image: alpine@sha256:"* ]]
}

@test "provenance from the wrong builder: denied, naming the value found" {
	run check "$R/pol/prov:evil"
	[ "$status" -eq 1 ]
	[[ "$output" == *'predicate.runDetails.builder.id equals "https://ci.example.com/builder": found "https://evil.example.com/builder"'* ]]
}

@test "an unpinned base image: denied" {
	run check "$R/pol/prov:unpinned"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL baseImages: 'alpine:3.19' is not pinned by digest"* ]]
}

@test "unreachable registry: on_error deny denies (exit 3), on_error allow allows (exit 0)" {
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" 127.0.0.1:1/closed/app:1
	[ "$status" -eq 3 ]
	[[ "$output" == *"DENIED  127.0.0.1:1/closed/app:1"* ]]
	[[ "$output" == *"rule 'closed' (enforce, operational error)"* ]]
	[[ "$output" == *"denied: 1 of 1 image denied (1 of them could not be checked)"* ]]
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" 127.0.0.1:1/open/app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"rule 'open' (enforce, operational error)"* ]]
	# mode warn allows whatever happens: the status follows the decision
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" 127.0.0.1:1/watched/app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNED  127.0.0.1:1/watched/app:1"* ]]
	[[ "$output" == *"rule 'watched' (warn, operational error)"* ]]
}

@test "exit status: a denied image alone is 1, an unchecked one is 3, and 3 wins when both are in one run" {
	run check "$R/pol/app:unsigned"
	[ "$status" -eq 1 ]
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" "$R/pol/app:unsigned" 127.0.0.1:1/closed/app:1
	[ "$status" -eq 3 ]
	[[ "$output" == *"DENIED  $R/pol/app:unsigned"* ]]
	[[ "$output" == *"DENIED  127.0.0.1:1/closed/app:1"* ]]
	[[ "$output" == *"denied: 2 of 2 images denied (1 of them could not be checked)"* ]]
	# the order of the images does not matter
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" 127.0.0.1:1/closed/app:1 "$R/pol/app:unsigned"
	[ "$status" -eq 3 ]
	# an error admitted by on_error: allow does not make the run an error
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" "$R/pol/app:unsigned" 127.0.0.1:1/open/app:1
	[ "$status" -eq 1 ]
	# JSON says the same, and carries the error on the image
	run timeout 30 "$HALLMARK" policy check -o json --policy "$POLICY" "$R/pol/app:unsigned" 127.0.0.1:1/closed/app:1
	[ "$status" -eq 3 ]
	[ "$(printf '%s' "$output" | jq -r '[.images[] | .error != null] | join(",")')" = "false,true" ]
	# a manifest naming both, and an AdmissionReview: the same status
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: "%s"}\n  - {name: b, image: "127.0.0.1:1/closed/app:1"}\n' \
		"$R/pol/app:unsigned" >"$BATS_TEST_TMPDIR/pod.yaml"
	run timeout 30 "$HALLMARK" policy check --policy "$POLICY" -f "$BATS_TEST_TMPDIR/pod.yaml"
	[ "$status" -eq 3 ]
}

@test "manifests of every workload kind; each digest verified once" {
	img=$R/pol/app:both
	m=$BATS_TEST_TMPDIR/all.yaml
	spec="{containers: [{name: c, image: \"$img\"}], initContainers: [{name: i, image: \"$img\"}]}"
	{
		echo "{kind: Pod, metadata: {name: p, namespace: ns}, spec: {containers: [{name: c, image: \"$img\"}], ephemeralContainers: [{name: e, image: \"$img\"}]}}"
		for k in Deployment StatefulSet DaemonSet ReplicaSet ReplicationController Job; do
			echo "---"
			echo "{kind: $k, metadata: {name: ${k,,}}, spec: {template: {spec: $spec}}}"
		done
		echo "---"
		echo "{kind: CronJob, metadata: {name: cj}, spec: {jobTemplate: {spec: {template: {spec: $spec}}}}}"
		echo "---"
		echo "{kind: List, items: [{kind: Pod, metadata: {name: listed}, spec: {containers: [{name: c, image: \"$img\"}]}}]}"
		echo "---"
		echo "{kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}"
	} >"$m"
	run check -f "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"allowed: 0 of 17 images denied, 1 distinct verification"* ]]
	[[ "$output" == *"[container 'e' of Pod ns/p]"* ]]
	[[ "$output" == *"[container 'i' of CronJob cj]"* ]]
	run check -o json -f - <"$m"
	[ "$status" -eq 0 ]
	echo "$output" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); k=sorted({i["kind"] for i in d["images"]}); print(k); assert len(k) == 8 and len(d["images"]) == 17 and d["allowed"]'
	# one unsigned container denies the whole manifest, naming it
	echo "---" >>"$m"
	echo "{kind: Deployment, metadata: {name: bad, namespace: prod}, spec: {template: {spec: {containers: [{name: web, image: \"$R/pol/app:unsigned\"}]}}}}" >>"$m"
	run check -f "$m"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  $R/pol/app:unsigned (at sha256:"*") [container 'web' of Deployment prod/bad]"* ]]
}

@test "objects as Kubernetes reads them: merge keys, unknown kinds, image volumes, layouts" {
	good=$R/pol/app:both bad=$R/pol/app:unsigned
	m=$BATS_TEST_TMPDIR/k.yaml
	# an unsigned image hidden behind a merge key is still checked
	printf 'x: &d {name: c, image: "%s"}\nkind: Pod\nmetadata: {name: merged}\nspec:\n  containers:\n    - <<: *d\n' "$bad" >"$m"
	run check -f "$m"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  $bad"*"[container 'c' of Pod merged]"* ]]
	# an Argo Rollout of signed images: unchecked kind, denied unless allowed
	printf 'kind: Rollout\nmetadata: {name: web, namespace: prod}\nspec: {template: {spec: {containers: [{name: c, image: "%s"}]}}}\n' "$good" >"$m"
	run check -f "$m"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  Rollout prod/web"* ]]
	[[ "$output" == *"FAIL object: Rollout 'web' is a kind hallmark does not know"* ]]
	run check --allow-unknown-kinds -f "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ALLOWED $good"*"[container 'c' of Rollout prod/web]"* ]]
	# ... and with an unsigned image it is denied on that image
	printf 'kind: Rollout\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: c, image: "%s"}]}}}\n' "$bad" >"$m"
	run check --allow-unknown-kinds -f "$m"
	[ "$status" -eq 1 ]
	# an image volume is an image
	printf 'kind: Pod\nmetadata: {name: v}\nspec:\n  containers: [{name: c, image: "%s"}]\n  volumes: [{name: d, image: {reference: "%s"}}]\n' "$good" "$bad" >"$m"
	run check -f "$m"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  $bad"*"[container 'volume d' of Pod v]"* ]]
	# a layout path in an object is refused, never looked up on this machine
	printf 'kind: Pod\nmetadata: {name: l}\nspec: {containers: [{name: c, image: "oci:%s"}]}\n' "$LAYOUT" >"$m"
	run check --allow-unknown-kinds -f "$m"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is an OCI layout path"* ]]
	# the same through an AdmissionReview
	review "$good" | sed 's/"kind": *"Deployment"/"kind": "Rollout"/' >"$BATS_TEST_TMPDIR/review.json"
	grep -q Rollout "$BATS_TEST_TMPDIR/review.json"
	run check --admission-review "$BATS_TEST_TMPDIR/review.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a kind hallmark does not know"* ]]
	run check --allow-unknown-kinds --admission-review "$BATS_TEST_TMPDIR/review.json"
	[ "$status" -eq 0 ]
}

@test "AdmissionReview: allowed, same uid, a JSONPatch pinning the tag" {
	review "$R/pol/app:both" >"$BATS_TEST_TMPDIR/review.json"
	run check --admission-review "$BATS_TEST_TMPDIR/review.json"
	[ "$status" -eq 0 ]
	echo "$output" | "$PYTHON" -c '
import base64, json, sys
r = json.load(sys.stdin)
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview"
resp = r["response"]
assert resp["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002" and resp["allowed"] is True
assert resp["patchType"] == "JSONPatch"
p = json.loads(base64.b64decode(resp["patch"]))
assert p == [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
              "value": sys.argv[1] + "@" + sys.argv[2]}], p' "$R/pol/app:both" "$(digest_of "$R/pol/app:both")"
}

@test "AdmissionReview: denied, status.message names every violation" {
	review "$R/pol/app:unsigned" >"$BATS_TEST_TMPDIR/review.json"
	run check --admission-review "$BATS_TEST_TMPDIR/review.json"
	[ "$status" -eq 1 ]
	echo "$output" | "$PYTHON" -c '
import json, sys
resp = json.load(sys.stdin)["response"]
assert resp["allowed"] is False and "patch" not in resp
assert resp["status"]["code"] == 403
m = resp["status"]["message"]
assert "container '"'"'web'"'"' of Deployment my-namespace/my-deployment" in m, m
assert "rule '"'"'two keys'"'"': signatures: 0 of 2 required keys signed" in m, m'
}

@test "usage errors exit 2" {
	run hm policy check "$R/pol/app:both"
	[ "$status" -eq 2 ]
	run check -f /dev/null "$R/pol/app:both"
	[ "$status" -eq 2 ]
	run check
	[ "$status" -eq 2 ]
	run check -o yaml "$R/pol/app:both"
	[ "$status" -eq 2 ]
}
