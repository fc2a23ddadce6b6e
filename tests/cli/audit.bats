#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hallmark audit against a real registry and a git repository made here:
# releases signed and unsigned, provenance that matches its git tag and
# provenance that does not, a moved git tag, an annotated tag, a registry
# tag with no git tag, a git tag with no image, a signature copied from
# another repository, a stranger's signature.

load ../lib/common

gitc() { git -C "$GIT" -c user.name=t -c user.email=t@example.com "$@"; }

# release TAG COMMIT KEY [attest options]: pushes a fresh image as TAG, signs
# it with KEY (none: "-"), and attests provenance from the checkout at COMMIT
# (none: "-").
release() {
	local tag=$1 commit=$2 key=$3
	shift 3
	make_image "$LAYOUT" "$tag" "image $tag"
	push_image "$LAYOUT" "$tag" "audit/app:$tag"
	[ "$key" = - ] || hm sign --key "$KEYS/$key.key" "$APP:$tag" >/dev/null
	if [ "$commit" != - ]; then
		git -C "$GIT" checkout -q "$commit"
		hm attest provenance --key "$KEYS/a.key" --git "$GIT" "$@" "$APP:$tag" >/dev/null
	fi
}

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout GIT=$BATS_FILE_TMPDIR/git
	export APP=$HM_TEST_REGISTRY/audit/app OUT=$BATS_FILE_TMPDIR/audit.json
	mkdir -p "$KEYS" "$GIT"
	hm key generate --output-prefix "$KEYS/a" >/dev/null 2>&1
	hm key generate --output-prefix "$KEYS/stranger" >/dev/null 2>&1

	git -C "$GIT" init -q .
	printf 'FROM scratch\nCOPY x /x\n' >"$GIT/Dockerfile"
	echo one >"$GIT/x"
	gitc add . && gitc commit -qm one
	export C1=$(git -C "$GIT" rev-parse HEAD)
	echo two >"$GIT/x" && gitc commit -qam two
	export C2=$(git -C "$GIT" rev-parse HEAD)
	echo three >"$GIT/x" && gitc commit -qam three
	export C3=$(git -C "$GIT" rev-parse HEAD)
	gitc tag v1.0.0 "$C1"                 # lightweight; registry tag 1.0.0
	gitc tag -a -m "release" v1.1.0 "$C2" # annotated; registry tag v1.1.0
	gitc tag v1.2.0 "$C2"                 # moved to C3 after the build
	gitc tag 1.3.0 "$C2"                  # the image was built from C3
	gitc tag v1.4.0 "$C1"
	gitc tag v9.0.0 "$C3"                 # never released
	gitc tag not-a-release "$C3"

	release 1.0.0 "$C1" a
	release v1.1.0 "$C2" a
	release 1.2.0 "$C2" a
	gitc tag -f v1.2.0 "$C3" >/dev/null
	release 1.3.0 "$C3" a
	release 1.4.0 "$C1" stranger
	release 2.0.0 - -
	# latest: another name for 1.0.0
	skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false \
		"docker://$APP:1.0.0" "docker://$APP:latest"
	# 1.5.0: promoted from a staging repository with its signature
	make_image "$LAYOUT" staged "staged image"
	push_image "$LAYOUT" staged audit/staging:rc
	hm sign --format legacy --key "$KEYS/a.key" "$HM_TEST_REGISTRY/audit/staging:rc" >/dev/null
	d=$(digest_of "$HM_TEST_REGISTRY/audit/staging:rc")
	skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false \
		"docker://$HM_TEST_REGISTRY/audit/staging:rc" "docker://$APP:1.5.0"
	skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false \
		"docker://$HM_TEST_REGISTRY/audit/staging:sha256-${d#sha256:}.sig" \
		"docker://$APP:sha256-${d#sha256:}.sig"
	# 1.6.0: built from a dirty tree, FROM a base image named by tag
	make_image "$LAYOUT" base "base image"
	push_image "$LAYOUT" base audit/base:1
	printf 'FROM %s/audit/base:1\nCOPY x /x\n' "$HM_TEST_REGISTRY" >"$GIT/Dockerfile.base"
	release 1.6.0 "$C3" a --allow-dirty -f "$GIT/Dockerfile.base"
	rm "$GIT/Dockerfile.base"
	git -C "$GIT" checkout -q "$C3"

	hm audit --key "$KEYS/a.pub" --git "$GIT" --output json "$APP" >"$OUT" || echo $? >"$OUT.status"
}

teardown_file() { common_teardown_file; }

# tagq TAG FILTER: jq FILTER over the report of TAG.
tagq() { jq -r --arg t "$1" ".tags[] | select(.tag == \$t) | $2" "$OUT"; }
# allf TAG [FILE]: what is said of TAG's digest (under .digests, once per
# digest) and of TAG itself, as one array.
allf() {
	jq -c --arg t "$1" '[(.digests[] | select(any(.tags[]; . == $t)) | .findings[]),
		(.tags[] | select(.tag == $t) | .findings[])]' "${2:-$OUT}"
}
codes() { allf "$1" | jq -r '[.[] | .code + ":" + .severity] | join(" ")'; }

@test "the audit exits 1: some tags have error findings" {
	[ "$(cat "$OUT.status")" = 1 ]
	jq -e '.repository and (.tags | type == "array") and .summary.tags == 9' "$OUT"
}

@test "cosign's sha256-*.sig and .att tags are not audited" {
	run jq -r '.tags[].tag' "$OUT"
	[[ "$output" != *sha256-* ]]
	[ "$(jq '.tags | length' "$OUT")" = 9 ]
}

@test "a signed release whose provenance commit is its git tag's commit passes" {
	[ "$(codes 1.0.0)" = "shared-digest:info" ]
	[ "$(tagq 1.0.0 .git.state)" = match ]
	[ "$(tagq 1.0.0 .git.tag)" = v1.0.0 ]
	[ "$(tagq 1.0.0 .attestations.provenance.commit)" = "$C1" ]
	[[ "$(tagq 1.0.0 .signatures.keys[0].fingerprint)" =~ ^[0-9a-f]{64}$ ]]
	[ "$(tagq 1.0.0 .signatures.keys[0].key)" = "$KEYS/a.pub" ]
	[ "$(tagq 1.0.0 .attestations.provenance.builderId)" = https://hallmark.dev/local-builder ]
	[ "$(tagq 1.0.0 .attestations.provenance.dirty)" = false ]
	[ "$(tagq 1.0.0 .digest)" = "$(digest_of "$APP:1.0.0")" ]
	[ "$(tagq 1.0.0 .mediaType)" = application/vnd.oci.image.manifest.v1+json ]
}

@test "an annotated git tag is peeled to its commit" {
	[ "$(tagq v1.1.0 .git.state)" = match ]
	[ "$(tagq v1.1.0 .git.commit)" = "$C2" ]
	[ "$(codes v1.1.0)" = "" ]
}

@test "a moved git tag: commit-mismatch" {
	[ "$(tagq 1.2.0 .git.state)" = mismatch ]
	[ "$(codes 1.2.0)" = "commit-mismatch:error" ]
	tagq 1.2.0 '.findings[0].message' | grep -q "${C2:0:12}.*${C3:0:12}"
}

@test "provenance from another commit than the git tag: commit-mismatch" {
	[ "$(tagq 1.3.0 .git.tag)" = 1.3.0 ]
	[ "$(codes 1.3.0)" = "commit-mismatch:error" ]
}

@test "a stranger's signature: unknown-signer" {
	[ "$(codes 1.4.0)" = "unknown-signer:error" ]
	[ "$(tagq 1.4.0 .signatures.count)" = 1 ]
	[ "$(tagq 1.4.0 .signatures.valid)" = 0 ]
}

@test "unsigned, no provenance, no git tag" {
	[ "$(codes 2.0.0)" = "unsigned:error provenance-missing:error no-git-tag:warning" ]
	[ "$(tagq 2.0.0 .git.state)" = no-tag ]
}

@test "a dirty work tree and a base image named by tag: warnings only" {
	[ "$(codes 1.6.0)" = "dirty-tree:warning unpinned-base-image:warning no-git-tag:warning" ]
	[ "$(tagq 1.6.0 .attestations.provenance.dirty)" = true ]
	[ "$(tagq 1.6.0 '.attestations.provenance.unpinnedBaseImages[0]')" = "$HM_TEST_REGISTRY/audit/base:1" ]
}

@test "several tags with one digest: shared-digest (info); latest needs no git tag" {
	[ "$(codes latest)" = "shared-digest:info no-git-tag:info" ]
	[ "$(tagq latest .digest)" = "$(tagq 1.0.0 .digest)" ]
}

@test "a signature naming another repository: reference-mismatch" {
	run codes 1.5.0
	[[ "$output" == *"reference-mismatch:warning"* ]]
	tagq 1.5.0 .signatures.identities[0] | grep -q 'audit/staging$'
}

@test "a git release tag with no image is listed; other git tags are not" {
	run jq -r '.findings[] | .code + " " + .message' "$OUT"
	[[ "$output" == *"no-image-for-git-tag git tag 'v9.0.0'"* ]]
	[[ "$output" != *not-a-release* ]]
	[[ "$output" != *v1.4.0* ]]
}

@test "--tags selects; only passing tags selected: exit 0" {
	run hm audit --key "$KEYS/a.pub" --git "$GIT" --tags '1.0.*' --tags latest -o json "$APP"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.tags[].tag] | join(",")')" = "1.0.0,latest" ]
	# git tags the patterns do not select are not expected to have images
	[ "$(echo "$output" | jq '.findings | length')" = 0 ]
}

@test "the table is aligned and lists the findings; --jobs 1 gives the same report" {
	run hm audit --key "$KEYS/a.pub" --git "$GIT" --jobs 1 "$APP"
	[ "$status" -eq 1 ]
	echo "$output" | grep -E '^TAG +DIGEST +SIGNATURES +PROVENANCE +GIT +FINDINGS$'
	col=$(echo "$output" | grep '^TAG' | awk '{print index($0, "DIGEST")}')
	for t in 1.0.0 v1.1.0 2.0.0 latest; do
		line=$(echo "$output" | grep "^$t ")
		[ "${line:$((col - 1)):7}" = sha256: ]
	done
	echo "$output" | grep -q "error    1.2.0: commit-mismatch: provenance names commit"
	echo "$output" | grep -q "^9 tags (8 digests): 4 passed, 5 failed"
	hm audit --key "$KEYS/a.pub" --git "$GIT" --jobs 1 -o json "$APP" | jq -S . >"$BATS_TEST_TMPDIR/one.json"
	jq -S . "$OUT" | cmp - "$BATS_TEST_TMPDIR/one.json"
}

@test "markdown for a release page" {
	run hm audit --key "$KEYS/a.pub" -o markdown --tags 'v1.1.0' "$APP"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "## Audit of \`$APP\`" ]]
	echo "$output" | grep -qF '| `v1.1.0` | `sha256:'
}

@test "an OCI layout is audited the same way" {
	run hm audit --key "$KEYS/a.pub" -o json "oci:$LAYOUT"
	[ "$status" -eq 1 ]
	echo "$output" >"$BATS_TEST_TMPDIR/out.json"
	[ "$(allf 2.0.0 "$BATS_TEST_TMPDIR/out.json" | jq -r '.[0].code')" = unsigned ]
}

@test "usage errors exit 2; an unreachable registry exits 3" {
	run hm audit "$APP:1.0.0"
	[ "$status" -eq 2 ]
	run hm audit --jobs 0 "$APP"
	[ "$status" -eq 2 ]
	run hm audit -o xml "$APP"
	[ "$status" -eq 2 ]
	run hm audit --git "$BATS_TEST_TMPDIR" "$APP"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not a git repository"* ]]
	port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run hm audit --timeout 2 "127.0.0.1:$port/nothing/here"
	[ "$status" -eq 3 ]
}

@test "an index: its media type and the platforms of its manifests" {
	local m='' d s
	for t in 1.0.0 v1.1.0; do
		skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false \
			"docker://$APP:$t" "docker://$HM_TEST_REGISTRY/audit/multi:$t"
		d=$(digest_of "$APP:$t")
		s=$(skopeo inspect --tls-verify=false --raw "docker://$APP:$t" | wc -c)
		[ "$t" = 1.0.0 ] && p='{"os":"linux","architecture":"amd64"}' ||
			p='{"os":"linux","architecture":"arm64","variant":"v8"}'
		m="$m${m:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$d\",\"size\":$s,\"platform\":$p}"
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$m" \
		>"$BATS_TEST_TMPDIR/index.json"
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
		--data-binary "@$BATS_TEST_TMPDIR/index.json" "$(api audit/multi)/manifests/multi" >/dev/null
	run hm audit --key "$KEYS/a.pub" --tags multi -o json "$HM_TEST_REGISTRY/audit/multi"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r '.tags[0].mediaType')" = application/vnd.oci.image.index.v1+json ]
	[ "$(echo "$output" | jq -r '.tags[0].platforms | join(",")')" = "linux/amd64,linux/arm64/v8" ]
	[ "$(echo "$output" | jq -r '.digests[0].findings[0].code')" = unsigned ]
}

@test "a progress bar on stderr only when it is a terminal" {
	hm audit --key "$KEYS/a.pub" "oci:$LAYOUT" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || true
	! grep -q resolving "$BATS_TEST_TMPDIR/err"
	command -v script >/dev/null || skip "no script(1) to make a terminal"
	run script -qec "'$HALLMARK' audit --key '$KEYS/a.pub' 'oci:$LAYOUT' >/dev/null" /dev/null
	[[ "$output" == *"resolving  ["*"checking   ["* ]]
}

# policy FILE KEY: a policy requiring, for the audited repository, a
# signature by KEY (a key file in $KEYS).
policy() {
	cat >"$1" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  signer: { file: $KEYS/$2.pub }
	rules:
	  - name: signed by $2
	    images: ["$APP"]
	    require:
	      signatures: { keys: [signer] }
	YAML
}

@test "--policy: tags signed by the required key pass, the others are policy-denied" {
	policy "$BATS_TEST_TMPDIR/p.yaml" a
	run hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/p.yaml" --tags 1.0.0 --tags 2.0.0 \
		--tags 1.4.0 -o json "$APP"
	[ "$status" -eq 1 ]
	echo "$output" >"$BATS_TEST_TMPDIR/out.json"
	q() { jq -r --arg t "$1" ".tags[] | select(.tag == \$t) | $2" "$BATS_TEST_TMPDIR/out.json"; }
	[ "$(q 1.0.0 .decision.allowed)" = true ]
	[ "$(q 1.0.0 .decision.rule)" = "signed by a" ]
	[ "$(q 1.0.0 '.decision.violations | length')" = 0 ]
	[ "$(allf 1.0.0 "$BATS_TEST_TMPDIR/out.json" | jq -r '[.[].code] | join(" ")')" = "" ]
	for t in 2.0.0 1.4.0; do
		[ "$(q $t .decision.allowed)" = false ]
		[ "$(q $t '.decision.violations | length')" = 1 ]
		[[ "$(q $t '.decision.violations[0]')" == signatures:* ]]
		[ "$(allf $t "$BATS_TEST_TMPDIR/out.json" | jq -r '.[] | select(.code == "policy-denied") | .severity')" = error ]
		allf $t "$BATS_TEST_TMPDIR/out.json" | jq -r '.[] | select(.code == "policy-denied") | .message' |
			grep -q "^policy rule 'signed by a': signatures: "
	done
	# without --policy there is no decision
	[ "$(jq '[.tags[].decision] | unique' "$OUT" | jq -c .)" = "[null]" ]
}

@test "--policy alone fails a tag that otherwise passes: a wrong key is refused" {
	run hm audit --key "$KEYS/a.pub" --tags v1.1.0 "$APP"
	[ "$status" -eq 0 ]
	policy "$BATS_TEST_TMPDIR/p.yaml" stranger
	run hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/p.yaml" --tags v1.1.0 -o json "$APP"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r '[.digests[0].findings[].code, .tags[0].findings[].code] | join(" ")')" = policy-denied ]
	[ "$(echo "$output" | jq -r '.tags[0].decision.allowed')" = false ]
}

@test "--policy: the table and Markdown gain a policy column; --jobs 1 decides the same" {
	policy "$BATS_TEST_TMPDIR/p.yaml" a
	run hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/p.yaml" --tags 1.0.0 --tags 2.0.0 "$APP"
	[ "$status" -eq 1 ]
	echo "$output" | grep -E '^TAG +DIGEST +SIGNATURES +PROVENANCE +GIT +POLICY +FINDINGS$'
	echo "$output" | grep -E '^1\.0\.0 .* allowed \(signed by a\) +ok$'
	echo "$output" | grep -E '^2\.0\.0 .* denied \(signed by a\) +unsigned, provenance-missing, policy-denied$'
	echo "$output" | grep -q "error    2.0.0: policy-denied: policy rule 'signed by a': signatures: "
	run hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/p.yaml" --tags 1.0.0 -o markdown "$APP"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qF '| Tag | Digest | Signatures | Provenance | Git | Policy | Findings |'
	echo "$output" | grep -qF '|---|---|---|---|---|---|---|'
	echo "$output" | grep -qF '| allowed (signed by a) | ok |'
	for j in 1 8; do
		hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/p.yaml" --jobs $j -o json "$APP" |
			jq -S '[.tags[] | {tag, decision}]' >"$BATS_TEST_TMPDIR/jobs$j.json" || true
	done
	cmp "$BATS_TEST_TMPDIR/jobs1.json" "$BATS_TEST_TMPDIR/jobs8.json"
	[ "$(jq '[.[] | select(.decision.allowed)] | length' "$BATS_TEST_TMPDIR/jobs1.json")" -ge 1 ]
}

@test "--policy with a lint error: exit 3, each problem as file:line:col" {
	printf 'apiVersion: hallmark/v1\nkind: Policy\nrules:\n  - {name: x, images: ["%s"], mode: strict}\n' "$APP" \
		>"$BATS_TEST_TMPDIR/bad.yaml"
	run hm audit --key "$KEYS/a.pub" --policy "$BATS_TEST_TMPDIR/bad.yaml" "$APP"
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad.yaml:4:"*": 'mode' in rule 'x' must be enforce | warn | audit, not 'strict'"* ]]
	[[ "$output" != *TAG* ]]
	run hm audit --policy "$BATS_TEST_TMPDIR/missing.yaml" "$APP"
	[ "$status" -eq 3 ]
}

@test "tags sorted as versions; a key signing twice named once with its count; a digest's findings once, with its tags" {
	local V=$HM_TEST_REGISTRY/audit/ver t
	make_image "$LAYOUT" ver "versions"
	for t in 0.10.0 latest 1.0.0 0.9.0 v1.0.1 1.0.0-rc.1 edge 1.0.0-rc.10 1.0.0-rc.2; do
		push_image "$LAYOUT" ver "audit/ver:$t"
	done
	# one key, two payloads: two signatures
	hm sign --key "$KEYS/a.key" -a build=1 "$V:1.0.0" >/dev/null
	hm sign --key "$KEYS/a.key" -a build=2 "$V:1.0.0" >/dev/null
	# an attestation that is not provenance: provenance is "missing", not "unverified"
	echo '{"spdxVersion": "SPDX-2.3"}' >"$BATS_TEST_TMPDIR/sbom.json"
	hm attest --key "$KEYS/stranger.key" --type spdxjson --predicate "$BATS_TEST_TMPDIR/sbom.json" "$V:1.0.0" >/dev/null
	want="0.9.0,0.10.0,1.0.0-rc.1,1.0.0-rc.2,1.0.0-rc.10,1.0.0,v1.0.1,edge,latest"

	run hm audit --key "$KEYS/a.pub" -o json "$V"
	[ "$status" -eq 1 ]
	echo "$output" >"$BATS_TEST_TMPDIR/v.json"
	[ "$(jq -r '[.tags[].tag] | join(",")' "$BATS_TEST_TMPDIR/v.json")" = "$want" ]
	n=$(jq '.tags[0].signatures.count' "$BATS_TEST_TMPDIR/v.json")
	[ "$n" -eq 2 ] # two signatures by one key ...
	[ "$(jq -c '[.tags[0].signatures.keys[] | {key, count}]' "$BATS_TEST_TMPDIR/v.json")" = \
		"[{\"key\":\"$KEYS/a.pub\",\"count\":2}]" ] # ... listed once
	# one digest: its findings once, with all its tags; none repeated on the tags
	[ "$(jq '.digests | length' "$BATS_TEST_TMPDIR/v.json")" = 1 ]
	[ "$(jq -r '.digests[0].tags | join(",")' "$BATS_TEST_TMPDIR/v.json")" = "$want" ]
	[ "$(jq -r '[.digests[0].findings[].code] | join(" ")' "$BATS_TEST_TMPDIR/v.json")" = "provenance-missing shared-digest" ]
	[ "$(jq '[.tags[].findings[]] | length' "$BATS_TEST_TMPDIR/v.json")" = 0 ]
	[ "$(jq -r '.digests[0].findings[0].message' "$BATS_TEST_TMPDIR/v.json")" = "no SLSA provenance is attached" ]
	[ "$(jq '.summary.errors, .summary.infos' "$BATS_TEST_TMPDIR/v.json" | paste -sd,)" = "1,1" ]

	run hm audit --key "$KEYS/a.pub" "$V"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | awk '/^TAG/ {on = 1; next} on && NF == 0 {exit} on {print $1}' | paste -sd,)" = "$want" ]
	echo "$output" | grep -E "^0\.9\.0 .* 2/2 a ×2 +missing "
	# "×" is one column: PROVENANCE stays aligned with its heading
	echo "$output" | "$PYTHON" -c '
import sys
lines = sys.stdin.buffer.read().decode().splitlines()
head = next(l for l in lines if l.startswith("TAG "))
row = next(l for l in lines if l.startswith("0.9.0 "))
assert head.index("PROVENANCE") == row.index("missing"), (head, row)'
	[[ "$output" != *unverified* ]]
	[ "$(echo "$output" | grep -c 'provenance-missing: ')" = 1 ]
	echo "$output" | grep -qF "  error    ${want//,/, }: provenance-missing: no SLSA provenance is attached"
	echo "$output" | grep -qF "  info     ${want//,/, }: shared-digest: 9 tags point to"

	run hm audit --key "$KEYS/a.pub" -o markdown "$V"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | grep -o '^| `[^`]*`' | cut -c4- | tr -d '`' | paste -sd,)" = "$want" ]
	echo "$output" | grep -qF '| 2/2 a ×2 | missing |'
	[ "$(echo "$output" | grep -c '^- \*\*error\*\* .*`provenance-missing`')" = 1 ]
	md=$(echo "$want" | sed 's/[^,]*/`&`/g; s/,/, /g')
	echo "$output" | grep -qF -- "- **error** $md \`provenance-missing\`: no SLSA provenance is attached"
}
