#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Spellings of a registry and tags beside digests: no spelling of a host
# skips a rule that names another, and the tag of "repo:tag@digest" chooses
# no rule (docs/references.md, docs/policy.md).

load ../lib/common

setup_file() {
	common_setup_file
	export KEYS=$BATS_FILE_TMPDIR/keys LAYOUT=$BATS_FILE_TMPDIR/layout R=$HM_TEST_REGISTRY
	export POLICY=$BATS_FILE_TMPDIR/policy.yaml
	mkdir -p "$KEYS"
	hm key generate --output-prefix "$KEYS/release" >/dev/null 2>&1
	for t in trusted evil; do make_image "$LAYOUT" "$t" "names $t"; done
	push_image "$LAYOUT" trusted names/app:trusted
	push_image "$LAYOUT" evil names/app:evil
	hm sign --key "$KEYS/release.key" "$R/names/app:trusted" >/dev/null
	# Deny rules and a default of allow: nothing here needs the network
	# except the rules on $R.
	cat >"$POLICY" <<-YAML
	apiVersion: hallmark/v1
	kind: Policy
	keys:
	  release: { file: keys/release.pub }
	default: allow
	rules:
	  - name: hub library
	    images: ["docker.io/library/**"]
	    deny: "official images come from the mirror"
	  - name: prod
	    images: ["registry.example.com/prod/**"]
	    exclude: ["registry.example.com/prod/sandbox/**"]
	    deny: "prod images come from CI"
	  - name: tmp
	    images: ["registry.example.com/tmp"]
	    exclude: ["registry.example.com/tmp:trusted"]
	    deny: "only the trusted tag"
	  - name: trusted tag
	    images: ["$R/names/app:trusted"]
	  - name: signed
	    images: ["$R/names/app"]
	    require: { signatures: { keys: [release] } }
	YAML
}

teardown_file() { common_teardown_file; }

check() { hm policy check --policy "$POLICY" "$@"; }

@test "every spelling of Docker Hub meets a deny rule for docker.io/library/**" {
	for ref in alpine alpine:3.19 docker.io/alpine docker.io/library/alpine \
		index.docker.io/library/alpine registry-1.docker.io/library/alpine registry-1.docker.io/alpine \
		registry.hub.docker.com/library/alpine DOCKER.IO/alpine docker.io:443/alpine \
		Index.Docker.IO:443/library/alpine:3.19; do
		run check "$ref"
		echo "$ref: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"rule 'hub library'"* ]]
		[[ "$output" == *"official images come from the mirror"* ]]
	done
}

@test "host case and :443 do not skip a deny rule, nor an exclude" {
	for ref in registry.example.com/prod/app REGISTRY.example.com/prod/app registry.example.com:443/prod/app \
		Registry.Example.COM:443/prod/app:v1; do
		run check "$ref"
		echo "$ref: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"prod images come from CI"* ]]
	done
	# the exclude meets every spelling too: these fall to the default (allow)
	for ref in registry.example.com/prod/sandbox/x REGISTRY.EXAMPLE.COM:443/prod/sandbox/x; do
		run check "$ref"
		echo "$ref: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"no rule matches"* ]]
	done
	# another port is another registry
	run check registry.example.com:8443/prod/app
	[ "$status" -eq 0 ]
}

@test "spellings that would alias another name are invalid references: denied" {
	for ref in registry.example.com./prod/app registry.example.com:0443/prod/app \
		0x7f.0.0.1:5000/app 127.1:5000/app docker.io:5000/alpine registry.example.com/Prod/app; do
		run check "$ref"
		echo "$ref: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"FAIL reference: invalid reference '$ref'"* ]]
	done
	run check registry.example.com./prod/app
	[[ "$output" == *"a trailing '.' is not allowed"* ]]
	# and a usage error where a reference is an argument
	run hm verify --key "$KEYS/release.pub" registry.example.com./prod/app
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid reference 'registry.example.com./prod/app'"* ]]
}

@test "lint: a pattern with a trailing dot, or a tag beside a digest, is an error" {
	sed 's|"docker.io/library/\*\*"|"docker.io./library/**"|' "$POLICY" >"$BATS_FILE_TMPDIR/bad.yaml"
	printf '  - name: both\n    images: ["ghcr.io/x:v1@sha256:%064d"]\n    deny: no\n' 0 >>"$BATS_FILE_TMPDIR/bad.yaml"
	run hm policy lint "$BATS_FILE_TMPDIR/bad.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid image pattern 'docker.io./library/**': invalid registry host: a trailing '.'"* ]]
	[[ "$output" == *"cannot also name a tag"* ]]
}

@test "a tag beside a digest does not choose the permissive rule" {
	local evil trusted
	evil=$(digest_of "$R/names/app:evil")
	trusted=$(digest_of "$R/names/app:trusted")
	# the tag alone chooses its rule
	run check "$R/names/app:trusted"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rule 'trusted tag'"* ]]
	# the digest of another image, dressed in the trusted tag: the signed rule decides
	run check "$R/names/app:trusted@$evil"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DENIED  $R/names/app:trusted@$evil"* ]]
	[[ "$output" == *"rule 'signed'"* ]]
	[[ "$output" == *"tag 'trusted' ignored: the reference is pinned by digest"* ]]
	[[ "$output" == *"FAIL signatures"* ]]
	# the signed image passes whatever its tag says
	run check "$R/names/app:evil@$trusted"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   signatures"* ]]
}

@test "a tag beside a digest does not dodge a deny through an exclude" {
	run check "registry.example.com/tmp:trusted@sha256:$(printf '%064d' 0)"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"only the trusted tag"* ]]
}
