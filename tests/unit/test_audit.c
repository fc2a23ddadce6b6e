/* SPDX-License-Identifier: Apache-2.0 */
/* audit/: tag selection, v1.2.3/1.2.3 pairing, provenance reading, and the
 * findings computed from a tag's results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "core/error.h"
#include "core/json.h"
#include "policy/eval.h"
#include "tests/unit/testdir.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX64
#define COMMIT "1111111111111111111111111111111111111111"
#define OTHER "2222222222222222222222222222222222222222"
#define REPO "127.0.0.1:5000/team/app"

static void test_tag_selected(void **state)
{
	const char *pats[] = {"v1.*", "release-*"};

	(void)state;
	assert_true(hm_audit_tag_selected("v1.2.3", NULL, 0));
	assert_true(hm_audit_tag_selected("latest", NULL, 0));
	assert_false(hm_audit_tag_selected("sha256-" HEX64 ".sig", NULL, 0));
	assert_false(hm_audit_tag_selected("sha256-" HEX64 ".att", NULL, 0));
	assert_false(hm_audit_tag_selected("sha256-" HEX64, NULL, 0));
	/* only cosign's exact scheme is skipped */
	assert_true(hm_audit_tag_selected("sha256-abc.sig", NULL, 0));
	assert_true(hm_audit_tag_selected("v1.2.3", pats, 2));
	assert_true(hm_audit_tag_selected("release-7", pats, 2));
	assert_false(hm_audit_tag_selected("v2.0.0", pats, 2));
	assert_false(hm_audit_tag_selected("latest", pats, 2));
	assert_false(hm_audit_tag_selected("sha256-" HEX64 ".sig", (const char *[]){"*"}, 1));
}

static void test_is_release(void **state)
{
	(void)state;
	assert_true(hm_audit_is_release("v1.2.3"));
	assert_true(hm_audit_is_release("1.2.3"));
	assert_true(hm_audit_is_release("1.2"));
	assert_true(hm_audit_is_release("v1.2.3-rc.1"));
	assert_true(hm_audit_is_release("1.2.3+build.5"));
	assert_true(hm_audit_is_release("1.2.3-beta+exp.sha.5114f85"));
	assert_false(hm_audit_is_release("latest"));
	assert_false(hm_audit_is_release("v1"));
	assert_false(hm_audit_is_release("1.2.3."));
	assert_false(hm_audit_is_release("1.2.3-"));
	assert_false(hm_audit_is_release("1.2.3-rc..1"));
	assert_false(hm_audit_is_release("version-1.2.3"));
	assert_false(hm_audit_is_release(""));
}

static int by_version(const void *a, const void *b)
{
	return hm_audit_tag_compare(*(const char *const *)a, *(const char *const *)b);
}

static void test_tag_order(void **state)
{
	/* in the order they must come out, from every starting order */
	static const char *const want[] = {
	    "0.9.0", "0.10.0", "v0.10.1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
	    "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.0.0", "1.0.1", "1.2", "1.2.1",
	    "v1.2.3", "1.10.0", "2.0.0-rc.1+build.5", "2.0.0", "10.0.0", "99999999999999999999.0.0",
	    "latest", "main", "v1", "v1.2.x"};
	enum { N = sizeof(want) / sizeof(want[0]) };
	const char *v[N];

	(void)state;
	for (size_t shift = 0; shift < N; shift++) {
		for (size_t i = 0; i < N; i++)
			v[i] = want[(i * 7 + shift) % N]; /* 7 is prime to N: a permutation */
		qsort(v, N, sizeof(*v), by_version);
		for (size_t i = 0; i < N; i++)
			assert_string_equal(v[i], want[i]);
	}
	/* the cases that matter, one by one */
	assert_true(hm_audit_tag_compare("0.9.0", "0.10.0") < 0);
	assert_true(hm_audit_tag_compare("v1.2.3", "1.2.4") < 0);
	assert_true(hm_audit_tag_compare("1.2.4", "v1.2.3") > 0);
	assert_true(hm_audit_tag_compare("1.0.0-rc.1", "1.0.0") < 0);
	assert_true(hm_audit_tag_compare("1.0.0-rc.2", "1.0.0-rc.10") < 0);
	assert_true(hm_audit_tag_compare("1.0.0-1", "1.0.0-a") < 0);  /* numeric before alphanumeric */
	assert_true(hm_audit_tag_compare("1.0.0-rc", "1.0.0-rc.1") < 0); /* a prefix first */
	assert_true(hm_audit_tag_compare("1.0.0+b", "1.0.0+a") > 0);  /* build ignored, then by name */
	assert_true(hm_audit_tag_compare("1.2", "1.2.0") < 0);        /* equal as versions, then by name */
	assert_true(hm_audit_tag_compare("010.0.0", "9.0.0") > 0);    /* leading zeros */
	assert_true(hm_audit_tag_compare("latest", "0.1.0") > 0);     /* not a version: after */
	assert_true(hm_audit_tag_compare("edge", "latest") < 0);
	assert_int_equal(hm_audit_tag_compare("1.0.0", "1.0.0"), 0);
}

static void test_finding_scope(void **state)
{
	(void)state;
	assert_true(hm_audit_finding_per_tag(HM_AUDIT_NO_GIT_TAG));
	assert_true(hm_audit_finding_per_tag(HM_AUDIT_COMMIT_MISMATCH));
	assert_false(hm_audit_finding_per_tag(HM_AUDIT_UNSIGNED));
	assert_false(hm_audit_finding_per_tag(HM_AUDIT_SHARED_DIGEST));
	assert_false(hm_audit_finding_per_tag(HM_AUDIT_POLICY_DENIED));
	assert_false(hm_audit_finding_per_tag(HM_AUDIT_UNPINNED_BASE));
}

static void test_pairing(void **state)
{
	hm_git_tag_entry e[] = {{"1.0.0", COMMIT}, {"v1.0.0", OTHER}, {"v2.0.0", OTHER}, {"vnext", COMMIT}};
	hm_git_tags tags = {e, 4};

	(void)state;
	assert_true(hm_audit_tags_pair("v1.2.3", "1.2.3"));
	assert_true(hm_audit_tags_pair("1.2.3", "v1.2.3"));
	assert_true(hm_audit_tags_pair("v1.2.3", "v1.2.3"));
	assert_false(hm_audit_tags_pair("v1.2.3", "1.2.4"));
	assert_false(hm_audit_tags_pair("vnext", "next"));
	assert_false(hm_audit_tags_pair("vv1.0", "v1.0"));
	/* an exact name wins over its twin */
	assert_string_equal(hm_audit_git_find(&tags, "v1.0.0")->commit, OTHER);
	assert_string_equal(hm_audit_git_find(&tags, "1.0.0")->commit, COMMIT);
	assert_string_equal(hm_audit_git_find(&tags, "2.0.0")->name, "v2.0.0");
	assert_null(hm_audit_git_find(&tags, "3.0.0"));
	assert_null(hm_audit_git_find(&tags, "next"));
}

static void test_identity(void **state)
{
	(void)state;
	assert_true(hm_audit_identity_matches(REPO, REPO));
	assert_true(hm_audit_identity_matches(REPO ":v1", REPO));
	assert_true(hm_audit_identity_matches(REPO "@" DIGEST, REPO));
	assert_true(hm_audit_identity_matches("index.docker.io/library/alpine", "docker.io/library/alpine"));
	assert_true(hm_audit_identity_matches("docker.io/alpine", "index.docker.io/library/alpine"));
	assert_true(hm_audit_identity_matches("index.docker.io/me/x:1", "docker.io/me/x"));
	/* the spellings references and policy patterns share */
	assert_true(hm_audit_identity_matches("alpine", "docker.io/library/alpine"));
	assert_true(hm_audit_identity_matches("REGISTRY.example.com:443/app@sha256:0", "registry.example.com/app"));
	assert_true(hm_audit_identity_matches("registry-1.docker.io/alpine:3", "docker.io/library/alpine"));
	assert_false(hm_audit_identity_matches("registry.example.com:8443/app", "registry.example.com/app"));
	assert_false(hm_audit_identity_matches("127.0.0.1:5000/team/other", REPO));
	assert_false(hm_audit_identity_matches("127.0.0.1:5001/team/app", REPO));
	assert_false(hm_audit_identity_matches("docker.io/library/alpine", "docker.io/me/alpine"));
	assert_true(hm_audit_identity_matches("oci:/tmp/layout", "oci:/tmp/layout"));
}

/* A statement as attest/ writes it (see docs/formats.md). */
static const char *statement_json =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"https://slsa.dev/provenance/v1\","
    "\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" HEX64 "\"}}],"
    "\"predicate\":{\"buildDefinition\":{\"buildType\":\"https://hallmark.dev/buildtypes/dockerfile/v1\","
    "\"externalParameters\":{\"repository\":\"https://git.example/app.git\",\"ref\":\"refs/tags/v1.0.0\","
    "\"dockerfile\":\"Dockerfile\",\"context\":\".\"},"
    "\"internalParameters\":{\"dirty\":true,\"dirtyPaths\":[\"a\"]},"
    "\"resolvedDependencies\":[{\"uri\":\"git+https://git.example/app@refs/tags/v1.0.0\","
    "\"digest\":{\"gitCommit\":\"" COMMIT "\"}},"
    "{\"uri\":\"pkg:docker/alpine@3.19\",\"name\":\"alpine:3.19\",\"digest\":{\"sha256\":\"" HEX64 "\"}},"
    "{\"uri\":\"pkg:docker/debian@sha256:" HEX64 "\",\"name\":\"debian@sha256:" HEX64 "\","
    "\"digest\":{\"sha256\":\"" HEX64 "\"}},"
    "{\"uri\":\"pkg:docker/busybox@latest\",\"name\":\"busybox\",\"digest\":{}}]},"
    "\"runDetails\":{\"builder\":{\"id\":\"https://ci.example/builder\"}}}}";

static void test_provenance_read(void **state)
{
	cJSON *st = hm_json_parse(statement_json, strlen(statement_json), "test");
	hm_audit_provenance p;

	(void)state;
	assert_non_null(st);
	assert_int_equal(hm_audit_provenance_read(&p, st), HM_OK);
	assert_true(p.present);
	assert_string_equal(p.builder_id, "https://ci.example/builder");
	assert_string_equal(p.source, "https://git.example/app.git");
	assert_string_equal(p.ref, "refs/tags/v1.0.0");
	assert_string_equal(p.commit, COMMIT);
	assert_int_equal(p.dirty, 1);
	assert_int_equal(p.unpinned.n, 2);
	assert_string_equal(p.unpinned.v[0], "alpine:3.19");
	assert_string_equal(p.unpinned.v[1], "busybox");
	hm_audit_provenance_release(&p);
	cJSON_Delete(st);

	/* buildkit-style: source only in the git dependency, sha1 digest */
	st = cJSON_Parse("{\"predicate\":{\"buildDefinition\":{\"resolvedDependencies\":"
			 "[{\"uri\":\"git+https://github.com/o/r@refs/heads/main\",\"digest\":{\"sha1\":\"" OTHER
			 "\"}}]}}}");
	assert_int_equal(hm_audit_provenance_read(&p, st), HM_OK);
	assert_string_equal(p.source, "https://github.com/o/r");
	assert_string_equal(p.commit, OTHER);
	assert_null(p.builder_id);
	assert_null(p.ref);
	assert_int_equal(p.dirty, -1);
	hm_audit_provenance_release(&p);
	cJSON_Delete(st);
}

/* An image with one valid signature by key 0 naming REPO and a clean
 * provenance of COMMIT. */
static void good_image(hm_audit_image *img, hm_audit_sig *sig)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->digest, sizeof(img->digest), "%s", DIGEST);
	sig->valid = 1;
	sig->key_index = 0;
	sig->identity = (char *)REPO;
	sig->reason = NULL;
	sig->unknown_key = 0;
	sig->signer = sig->issuer = sig->source_commit = NULL;
	img->sigs = sig;
	img->n_sigs = img->n_valid_sigs = 1;
	img->decision.allowed = -1;
	img->prov.present = 1;
	img->prov.commit = (char *)COMMIT;
	img->prov.dirty = 0;
}

static void tag_init(hm_audit_tag *t, const char *name, const char *git_tag, const char *commit)
{
	memset(t, 0, sizeof(*t));
	t->tag = (char *)name;
	t->git = git_tag || commit ? HM_AUDIT_GIT_NO_TAG : HM_AUDIT_GIT_OFF;
	if (git_tag) {
		t->git = HM_AUDIT_GIT_UNKNOWN;
		t->git_tag = (char *)git_tag;
		snprintf(t->git_commit, sizeof(t->git_commit), "%s", commit);
	}
}

static int has(const hm_audit_tag *t, const char *code, enum hm_audit_severity sev)
{
	for (size_t i = 0; i < t->findings.n; i++)
		if (strcmp(t->findings.v[i].code, code) == 0 && t->findings.v[i].severity == sev)
			return 1;
	return 0;
}

static void test_findings_clean(void **state)
{
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &sig);
	tag_init(&t, "1.0.0", "v1.0.0", COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.findings.n, 0);
	assert_int_equal(t.git, HM_AUDIT_GIT_MATCH);
	hm_audit_findings_release(&t.findings);

	/* an abbreviated provenance commit still matches */
	img.prov.commit = (char *)"1111111";
	tag_init(&t, "1.0.0", "v1.0.0", COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.git, HM_AUDIT_GIT_MATCH);
	hm_audit_findings_release(&t.findings);
}

/* The commit a keyless signature's certificate names (sourceRepositoryDigest)
 * is held against the git tag like the provenance's, and with no provenance
 * it alone decides. */
static void test_findings_keyless_commit(void **state)
{
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &sig);
	sig.signer = (char *)"https://github.com/o/a/.github/workflows/r.yml@refs/tags/v1.0.0";
	sig.issuer = (char *)"https://token.actions.githubusercontent.com";
	sig.source_commit = (char *)COMMIT;
	assert_string_equal(hm_audit_keyless_commit(&img), COMMIT);
	tag_init(&t, "1.0.0", "v1.0.0", COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.git, HM_AUDIT_GIT_MATCH);
	assert_false(has(&t, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR));
	hm_audit_findings_release(&t.findings);

	/* the provenance agrees with the tag, the certificate does not */
	sig.source_commit = (char *)"2222222222222222222222222222222222222222";
	tag_init(&t, "1.0.0", "v1.0.0", COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.git, HM_AUDIT_GIT_MISMATCH);
	assert_true(has(&t, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR));
	hm_audit_findings_release(&t.findings);

	/* no provenance commit: the certificate's alone */
	img.prov.commit = NULL;
	tag_init(&t, "1.0.0", "v1.0.0", COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.git, HM_AUDIT_GIT_MISMATCH);
	assert_true(has(&t, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR));
	hm_audit_findings_release(&t.findings);

	/* an invalid signature's claim is never read */
	sig.valid = 0;
	assert_null(hm_audit_keyless_commit(&img));
}

static void test_findings_unsigned_and_missing(void **state)
{
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &sig);
	img.n_sigs = img.n_valid_sigs = 0;
	memset(&img.prov, 0, sizeof(img.prov));
	tag_init(&t, "latest", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_UNSIGNED, HM_AUDIT_ERROR));
	assert_true(has(&t, HM_AUDIT_PROVENANCE_MISSING, HM_AUDIT_ERROR));
	assert_int_equal(t.findings.n, 2);
	hm_audit_findings_release(&t.findings);

	/* an SBOM attestation is not provenance: "nothing attached", never
	 * "unverified" */
	{
		hm_audit_att att = {(char *)"https://spdx.dev/Document", 0, -1, (char *)"unknown key"};

		img.atts = &att;
		img.n_atts = 1;
		assert_int_equal(hm_audit_provenance_attached(&img), 0);
		assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
		assert_string_equal(t.findings.v[1].message, "no SLSA provenance is attached");
		hm_audit_findings_release(&t.findings);
		att.predicate_type = (char *)"https://slsa.dev/provenance/v1";
		assert_int_equal(hm_audit_provenance_attached(&img), 1);
		assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
		assert_string_equal(t.findings.v[1].message,
				    "1 provenance attestation found, none verified with the given keys");
		hm_audit_findings_release(&t.findings);
	}
}

static void test_findings_signers(void **state)
{
	hm_audit_sig sigs[3] = {
	    {0, -1, NULL, (char *)"signature does not verify with the key", 1, NULL, NULL, NULL},
	    {0, 0, (char *)REPO, (char *)"payload names sha256:other, not this image", 0, NULL, NULL, NULL},
	    {1, 0, (char *)"127.0.0.1:5000/staging/app", NULL, 0, NULL, NULL, NULL},
	};
	hm_audit_image img;
	hm_audit_sig one;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &one);
	img.sigs = sigs;
	img.n_sigs = 2;
	img.n_valid_sigs = 0;
	tag_init(&t, "v1", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_UNKNOWN_SIGNER, HM_AUDIT_ERROR));
	assert_true(has(&t, HM_AUDIT_INVALID_SIGNATURE, HM_AUDIT_ERROR));
	assert_false(has(&t, HM_AUDIT_UNSIGNED, HM_AUDIT_ERROR));
	hm_audit_findings_release(&t.findings);

	/* with a valid signature as well, the others are warnings; the valid
	 * one names a staging repository */
	img.n_sigs = 3;
	img.n_valid_sigs = 1;
	tag_init(&t, "v1", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_UNKNOWN_SIGNER, HM_AUDIT_WARNING));
	assert_true(has(&t, HM_AUDIT_INVALID_SIGNATURE, HM_AUDIT_WARNING));
	assert_true(has(&t, HM_AUDIT_REFERENCE_MISMATCH, HM_AUDIT_WARNING));
	hm_audit_findings_release(&t.findings);
}

static void test_findings_git(void **state)
{
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &sig);
	/* moved git tag: the provenance commit is not where the tag points */
	tag_init(&t, "v1.0.0", "v1.0.0", OTHER);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR));
	assert_int_equal(t.git, HM_AUDIT_GIT_MISMATCH);
	hm_audit_findings_release(&t.findings);

	/* no git tag: a warning for a release, info for "latest" */
	tag_init(&t, "v9.9.9", NULL, COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_NO_GIT_TAG, HM_AUDIT_WARNING));
	hm_audit_findings_release(&t.findings);
	tag_init(&t, "latest", NULL, COMMIT);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_NO_GIT_TAG, HM_AUDIT_INFO));
	hm_audit_findings_release(&t.findings);

	/* without --git nothing is said about git */
	tag_init(&t, "v9.9.9", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.findings.n, 0);
	assert_int_equal(t.git, HM_AUDIT_GIT_OFF);
	hm_audit_findings_release(&t.findings);
}

static void test_findings_provenance(void **state)
{
	hm_audit_att att = {(char *)"https://slsa.dev/provenance/v1", 0, -1, (char *)"no key"};
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	good_image(&img, &sig);
	img.prov.dirty = 1;
	hm_strv_push(&img.prov.unpinned, "alpine:3.19");
	img.decision.allowed = 0;
	img.decision.rule = (char *)"prod";
	hm_strv_push(&img.decision.violations, "signatures: 0 of 1 required keys signed (missing: release)");
	tag_init(&t, "v1.0.0", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 3, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_DIRTY_TREE, HM_AUDIT_WARNING));
	assert_true(has(&t, HM_AUDIT_UNPINNED_BASE, HM_AUDIT_WARNING));
	assert_true(has(&t, HM_AUDIT_POLICY_DENIED, HM_AUDIT_ERROR));
	assert_true(has(&t, HM_AUDIT_SHARED_DIGEST, HM_AUDIT_INFO));
	for (size_t i = 0; i < t.findings.n; i++)
		if (strcmp(t.findings.v[i].code, HM_AUDIT_POLICY_DENIED) == 0)
			assert_string_equal(t.findings.v[i].message,
					    "policy rule 'prod': signatures: 0 of 1 required keys signed (missing: release)");
	hm_audit_findings_release(&t.findings);
	hm_strv_free(&img.prov.unpinned);
	hm_strv_free(&img.decision.violations);

	/* a provenance that did not verify is missing, and says so */
	memset(&img.prov, 0, sizeof(img.prov));
	img.decision.allowed = -1;
	img.decision.rule = NULL;
	img.atts = &att;
	img.n_atts = 1;
	tag_init(&t, "v1.0.0", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_true(has(&t, HM_AUDIT_PROVENANCE_MISSING, HM_AUDIT_ERROR));
	assert_non_null(strstr(t.findings.v[0].message, "none verified"));
	hm_audit_findings_release(&t.findings);
}

/* A policy's decision on one image, reduced to the verdict, the rule and
 * one line per failed check; allowed in warn mode keeps its violations but
 * is no finding. */
static void test_decision_from_policy(void **state)
{
	hm_check checks[] = {{(char *)"digest", 1, (char *)"pinned at " DIGEST},
			     {(char *)"signatures", 0, (char *)"0 of 1 keys signed (missing: a)"},
			     {(char *)"attestation provenance", 0, (char *)"none found"}};
	hm_image_decision d;
	hm_audit_decision out = HM_AUDIT_DECISION_INIT;
	hm_audit_image img;
	hm_audit_sig sig;
	hm_audit_tag t;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.rule_name = (char *)"release";
	d.checks = checks;
	d.n_checks = 3;
	assert_int_equal(hm_audit_decision_from_policy(&out, &d), HM_OK);
	assert_int_equal(out.allowed, 0);
	assert_string_equal(out.rule, "release");
	assert_int_equal(out.violations.n, 2);
	assert_string_equal(out.violations.v[0], "signatures: 0 of 1 keys signed (missing: a)");
	assert_string_equal(out.violations.v[1], "attestation provenance: none found");

	good_image(&img, &sig);
	img.decision = out;
	tag_init(&t, "v1.0.0", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.findings.n, 1);
	assert_string_equal(t.findings.v[0].code, HM_AUDIT_POLICY_DENIED);
	assert_string_equal(t.findings.v[0].message,
			    "policy rule 'release': signatures: 0 of 1 keys signed (missing: a)");
	hm_audit_findings_release(&t.findings);

	/* warn mode: allowed, violations kept, no finding */
	d.allowed = 1;
	d.violated = 1;
	assert_int_equal(hm_audit_decision_from_policy(&img.decision, &d), HM_OK);
	assert_int_equal(img.decision.allowed, 1);
	assert_int_equal(img.decision.violations.n, 2);
	tag_init(&t, "v1.0.0", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_int_equal(t.findings.n, 0);
	hm_audit_findings_release(&t.findings);

	/* no rule matched: the default decided */
	memset(&d, 0, sizeof(d));
	checks[0] = (hm_check){(char *)"default", 0, (char *)"no rule matches; the policy's default is deny"};
	d.checks = checks;
	d.n_checks = 1;
	assert_int_equal(hm_audit_decision_from_policy(&img.decision, &d), HM_OK);
	assert_null(img.decision.rule);
	tag_init(&t, "v1.0.0", NULL, NULL);
	assert_int_equal(hm_audit_tag_findings(&t, &img, 1, REPO), HM_OK);
	assert_string_equal(t.findings.v[0].message,
			    "policy: default: no rule matches; the policy's default is deny");
	hm_audit_findings_release(&t.findings);
	hm_audit_decision_release(&img.decision);
	assert_int_equal(img.decision.allowed, -1);
}

static void test_summary(void **state)
{
	hm_audit_image imgs[1];
	hm_audit_tag tags[2];
	hm_audit_sig sig;
	hm_audit_report r;

	(void)state;
	good_image(&imgs[0], &sig);
	tag_init(&tags[0], "a", NULL, NULL);
	tag_init(&tags[1], "b", NULL, NULL);
	/* what is said of the digest is on both of its tags, and counts once */
	for (int i = 0; i < 2; i++) {
		hm_audit_finding_add(&tags[i].findings, HM_AUDIT_UNSIGNED, HM_AUDIT_ERROR, "x");
		hm_audit_finding_add(&tags[i].findings, HM_AUDIT_SHARED_DIGEST, HM_AUDIT_INFO, "y");
	}
	/* what is said of a tag counts for each */
	hm_audit_finding_add(&tags[0].findings, HM_AUDIT_NO_GIT_TAG, HM_AUDIT_INFO, "a");
	hm_audit_finding_add(&tags[1].findings, HM_AUDIT_NO_GIT_TAG, HM_AUDIT_WARNING, "b");
	memset(&r, 0, sizeof(r));
	r.tags = tags;
	r.n_tags = 2;
	r.images = imgs;
	r.n_images = 1;
	hm_audit_finding_add(&r.findings, HM_AUDIT_NO_IMAGE, HM_AUDIT_WARNING, "z");
	hm_audit_summarize(&r);
	assert_int_equal(r.summary.tags, 2);
	assert_int_equal(r.summary.digests, 1);
	assert_int_equal(r.summary.failed_tags, 2);
	assert_int_equal(r.summary.errors, 1);
	assert_int_equal(r.summary.warnings, 2);
	assert_int_equal(r.summary.infos, 2);
	assert_int_equal(r.summary.verified_tags, 2);
	/* the tags of the image are linked in report order */
	assert_int_equal(imgs[0].first_tag, 0);
	assert_int_equal(imgs[0].n_tags, 2);
	assert_int_equal(tags[0].next_tag, 1);
	assert_int_equal(tags[1].next_tag, 2);
	hm_audit_findings_release(&tags[0].findings);
	hm_audit_findings_release(&tags[1].findings);
	hm_audit_findings_release(&r.findings);
}

static void test_git_tags(void **state)
{
	char dir[] = "/tmp/hm-audit-git.XXXXXX", cmd[1024];
	hm_git_tags tags;
	const hm_git_tag_entry *a, *l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && git init -q . && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one"
		 " && git tag v1.0.0 && git -c user.name=t -c user.email=t@t tag -a -m rel 1.1.0"
		 " && git tag tree-tag HEAD^{tree}",
		 dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hm_git_tags_read(&tags, dir), HM_OK);
	assert_int_equal(tags.n, 2); /* the tag of a tree names no commit */
	a = hm_audit_git_find(&tags, "1.1.0");
	l = hm_audit_git_find(&tags, "1.0.0");
	assert_non_null(a);
	assert_non_null(l);
	/* the annotated tag is peeled to the commit */
	assert_string_equal(a->commit, l->commit);
	assert_int_equal(strlen(a->commit), 40);
	hm_git_tags_free(&tags);
	assert_int_equal(hm_testdir_remove(dir), 0);
	assert_int_equal(hm_git_tags_read(&tags, "/nonexistent-hm"), HM_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tag_selected),
	    cmocka_unit_test(test_is_release),
	    cmocka_unit_test(test_tag_order),
	    cmocka_unit_test(test_finding_scope),
	    cmocka_unit_test(test_pairing),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_provenance_read),
	    cmocka_unit_test(test_findings_clean),
	    cmocka_unit_test(test_findings_keyless_commit),
	    cmocka_unit_test(test_findings_unsigned_and_missing),
	    cmocka_unit_test(test_findings_signers),
	    cmocka_unit_test(test_findings_git),
	    cmocka_unit_test(test_findings_provenance),
	    cmocka_unit_test(test_decision_from_policy),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_git_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
