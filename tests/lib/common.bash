# Shared by the bats files: the binary, a passphrase, the registry (started
# by tests/run.sh, or here when a file is run alone), and image helpers.
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HALLMARK=${HALLMARK:-$REPO_ROOT/build/hallmark}
PYTHON=${PYTHON:-/usr/bin/python3}
export HALLMARK_PASSWORD=test-passphrase
unset COSIGN_PASSWORD

hm() { "$HALLMARK" "$@"; }

# Starts a registry and the lying registry for this file when tests/run.sh
# did not (a bats file run alone).
common_setup_file() {
	. "$REPO_ROOT/tests/lib/registry.sh"
	if [ -z "${HM_TEST_REGISTRY:-}" ]; then
		registry_start
		export HM_OWN_REGISTRY=1
	fi
	if [ -z "${HM_TEST_LIAR:-}" ]; then
		liar_start
		export HM_OWN_LIAR=1
	fi
}

common_teardown_file() {
	. "$REPO_ROOT/tests/lib/registry.sh"
	[ -z "${HM_OWN_REGISTRY:-}" ] || registry_stop
	[ -z "${HM_OWN_LIAR:-}" ] || liar_stop
}

# make_image DIR TAG [CONTENT]: a fresh OCI layout DIR holding image TAG
# with one layer whose content makes its digest distinct.
make_image() {
	local dir=$1 tag=$2 content=${3:-$BATS_TEST_NAME.$RANDOM.$RANDOM}
	local root
	root=$(mktemp -d "$BATS_FILE_TMPDIR/root.XXXXXX")
	printf '%s\n' "$content" >"$root/content"
	[ -d "$dir" ] || umoci init --layout "$dir" >/dev/null
	umoci new --image "$dir:$tag" >/dev/null
	umoci insert --image "$dir:$tag" "$root/content" /content >/dev/null
}

# push_image DIR TAG REPO:TAG: copies an image of a layout to the registry.
push_image() {
	skopeo copy --quiet --dest-tls-verify=false "oci:$1:$2" "docker://$HM_TEST_REGISTRY/$3"
}

# digest_of REF: the manifest digest, as the registry computes it.
digest_of() {
	skopeo inspect --tls-verify=false --raw "docker://$1" | sha256sum | sed 's/^/sha256:/; s/ .*//'
}

# fresh REPO: a new image (its content unique) in the file's OCI layout
# ($BATS_FILE_TMPDIR/layout), pushed as REPO:1; prints its digest.
fresh() {
	make_image "$BATS_FILE_TMPDIR/layout" "$1" "$1 $RANDOM$RANDOM"
	push_image "$BATS_FILE_TMPDIR/layout" "$1" "$1:1"
	digest_of "$HM_TEST_REGISTRY/$1:1"
}

# The registry's v2 API base for a repository.
api() { echo "http://$HM_TEST_REGISTRY/v2/$1"; }

# put_blob REPO FILE: uploads FILE as a blob, prints its digest.
put_blob() {
	local repo=$1 file=$2 d loc
	d=sha256:$(sha256sum "$file" | cut -d' ' -f1)
	loc=$(curl -fsS -X POST -D - -o /dev/null "$(api "$repo")/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case $loc in http*) ;; *) loc="http://$HM_TEST_REGISTRY$loc" ;; esac
	case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
	curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$loc" >/dev/null
	echo "$d"
}

# refs_index REPO DIGEST: the referrers tag index of DIGEST (an empty index
# when there is none).
refs_index() {
	local idx=application/vnd.oci.image.index.v1+json
	curl -fsS -H "Accept: $idx" "$(api "$1")/manifests/sha256-${2#sha256:}" 2>/dev/null ||
		echo "{\"schemaVersion\":2,\"mediaType\":\"$idx\",\"manifests\":[]}"
}

# put_refs_index REPO DIGEST FILE: PUTs index FILE as the referrers tag of DIGEST.
put_refs_index() {
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$3" \
		"$(api "$1")/manifests/sha256-${2#sha256:}" >/dev/null
}

# put_manifest REPO REF FILE: PUTs an OCI manifest.
put_manifest() {
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$3" "$(api "$1")/manifests/$2" >/dev/null
}

# get_manifest REPO REF: prints a manifest.
get_manifest() {
	curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$(api "$1")/manifests/$2"
}

# review IMAGE: the AdmissionReview request of the Kubernetes documentation,
# for a Deployment whose container runs IMAGE.
review() {
	cat <<-JSON
	{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
	 "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
	  "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
	  "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
	  "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
	  "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
	  "name": "my-deployment", "namespace": "my-namespace", "operation": "CREATE",
	  "userInfo": {"username": "admin", "uid": "014fbff9a07c", "groups": ["system:authenticated", "my-admin-group"]},
	  "object": {"apiVersion": "apps/v1", "kind": "Deployment",
	   "metadata": {"name": "my-deployment", "namespace": "my-namespace"},
	   "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "$1"}]}}}},
	  "oldObject": null, "dryRun": false,
	  "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}}
	JSON
}
