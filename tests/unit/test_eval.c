/* SPDX-License-Identifier: Apache-2.0 */
/* policy/eval over an in-memory backend: thresholds by distinct keys, where
 * conditions, base images, tags, digests, modes, on_error, default, the
 * per-run cache and the JSON rendering. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "crypto/key.h"
#include "core/pool.h"
#include "policy/eval.h"
#include "tests/unit/testdir.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DA "sha256:" HEX_A
#define DB "sha256:" HEX_B

/* ---- the in-memory backend ---- */

typedef struct m_tag { const char *name, *tag, *digest; } m_tag;
typedef struct m_sig { const char *digest; int key; int valid; } m_sig;
typedef struct m_att { const char *digest; int key; const char *type; const char *statement; } m_att;

typedef struct mock {
	const m_tag *tags;
	const m_sig *sigs;
	const m_att *atts;
	const char *unreachable; /* repository that fails to open */
	int opens, resolves, verifies;
	pthread_mutex_t lock;
} mock;

typedef struct session { mock *m; char *name; } session;

static hm_key *keys[3]; /* the signers: release, security, stranger */
static char dir[] = "/tmp/hm-test-eval-XXXXXX";

static int m_open(void **out, void *ctx, const hm_ref *ref)
{
	mock *m = ctx;
	session *s;
	char *name = hm_ref_name(ref);

	pthread_mutex_lock(&m->lock);
	m->opens++;
	pthread_mutex_unlock(&m->lock);
	if (m->unreachable && !strcmp(name, m->unreachable)) {
		free(name);
		return hm_error_set(HM_E_IO, "connecting to '%s': connection refused", ref->registry);
	}
	s = calloc(1, sizeof(*s));
	s->m = m;
	s->name = name;
	*out = s;
	return HM_OK;
}

static int m_resolve(void *session_, const char *tag, char digest[HM_DIGEST_SIZE])
{
	session *s = session_;

	pthread_mutex_lock(&s->m->lock);
	s->m->resolves++;
	pthread_mutex_unlock(&s->m->lock);
	for (const m_tag *t = s->m->tags; t && t->name; t++)
		if (!strcmp(t->name, s->name) && !strcmp(t->tag, tag)) {
			snprintf(digest, HM_DIGEST_SIZE, "%s", t->digest);
			return HM_OK;
		}
	return hm_error_set(HM_E_NOTFOUND, "%s:%s: no such tag", s->name, tag);
}

static int key_slot(hm_key *const *ks, size_t n, int signer)
{
	for (size_t i = 0; i < n; i++)
		if (hm_key_equal(ks[i], keys[signer]))
			return (int)i;
	return -1;
}

static int m_signatures(void *session_, const char *digest, const hm_verify_opts *o, hm_verify_result *out)
{
	session *s = session_;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->m->lock);
	s->m->verifies++;
	pthread_mutex_unlock(&s->m->lock);
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->sigs = calloc(16, sizeof(*out->sigs));
	for (const m_sig *g = s->m->sigs; g && g->digest; g++) {
		hm_sig_result *r;

		if (strcmp(g->digest, digest))
			continue;
		r = &out->sigs[out->n_sigs++];
		r->key_index = g->valid ? key_slot(o->keys, o->n_keys, g->key) : -1;
		r->valid = r->key_index >= 0;
		r->reason = r->valid ? NULL : strdup("no key verifies it");
		if (r->valid) /* who made it: what the evaluation counts votes by (trust/) */
			r->signer = (hm_signer){.kind = HM_AUTH_KEY, .key = o->keys[r->key_index], .log_index = -1};
		out->n_valid += (size_t)r->valid;
	}
	return HM_OK;
}

static int m_attestations(void *session_, const char *digest, hm_key *const *ks, size_t n,
			  const hm_authority *ids, size_t n_ids, const char *type, hm_att_results *out)
{
	session *s = session_;

	(void)ids;
	(void)n_ids;
	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->v = calloc(16, sizeof(*out->v));
	for (const m_att *a = s->m->atts; a && a->digest; a++) {
		hm_att_result *r;

		if (strcmp(a->digest, digest) || strcmp(a->type, type))
			continue;
		r = &out->v[out->n++];
		r->key_index = key_slot(ks, n, a->key);
		r->valid = r->key_index >= 0;
		if (r->valid)
			r->signer = (hm_signer){.kind = HM_AUTH_KEY, .key = ks[r->key_index], .log_index = -1};
		r->predicate_type = strdup(a->type);
		r->source = strdup("tag test.att");
		hm_digest_compute(r->layer, a->statement, strlen(a->statement));
		r->statement = r->valid ? cJSON_Parse(a->statement) : NULL;
		r->reason = r->valid ? NULL : strdup("no key verifies it");
		out->n_valid += (size_t)r->valid;
	}
	return HM_OK;
}

static void m_close(void *session_)
{
	session *s = session_;

	free(s->name);
	free(s);
}

static hm_policy_backend backend(mock *m)
{
	hm_policy_backend b = {m, m_open, m_resolve, m_signatures, m_attestations, m_close};

	pthread_mutex_init(&m->lock, NULL);
	return b;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	char path[256];

	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/k%d.pub", dir, i);
		if (hm_key_generate(&keys[i], HM_KEY_ECDSA_P256) || hm_key_save_public(keys[i], path, 1))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < 3; i++)
		hm_key_free(keys[i]);
	return hm_testdir_remove(dir);
}

static hm_policy *policy(const char *rules)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	char *y = NULL;

	assert_true(asprintf(&y, "apiVersion: hallmark/v1\nkind: Policy\nkeys:\n  release: {file: k0.pub}\n"
				 "  security: {file: k1.pub}\n%s", rules) > 0);
	if (hm_policy_load_mem(&p, y, strlen(y), "p.yaml", dir, &diags))
		fail_msg("%s: %s", hm_error_message(), diags.n ? diags.v[0] : "");
	free(y);
	hm_strv_free(&diags);
	return p;
}

static const char *check_detail(const hm_image_decision *o, const char *what)
{
	for (size_t i = 0; i < o->n_checks; i++)
		if (!strncmp(o->checks[i].what, what, strlen(what)))
			return o->checks[i].detail;
	return NULL;
}

static int check_met(const hm_image_decision *o, const char *what)
{
	for (size_t i = 0; i < o->n_checks; i++)
		if (!strncmp(o->checks[i].what, what, strlen(what)))
			return o->checks[i].met;
	fail_msg("no check '%s'", what);
	return -1;
}

static void has(const char *s, const char *want)
{
	if (!s || !strstr(s, want))
		fail_msg("'%s' lacks '%s'", s ? s : "(null)", want);
}

/* Evaluates images (NULL-terminated) under p with backend m. */
static void eval(hm_decision *d, const hm_policy *p, mock *m, const char *const *images, int mutate)
{
	hm_policy_backend b = backend(m);
	hm_eval_input in[64] = {0};
	hm_eval_opts o = HM_EVAL_OPTS_INIT;
	size_t n = 0;

	for (; images[n]; n++)
		in[n].image = images[n];
	o.mutate = mutate;
	assert_true(hm_time_parse(&o.now, "2024-05-02T12:00:00Z") == HM_OK);
	assert_int_equal(hm_policy_eval(d, p, &b, in, n, &o), HM_OK);
}

#define R_SIG2 "rules:\n  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n" \
	       "    require:\n      signatures: {keys: [release, security], threshold: 2}\n"

static const m_tag tags[] = {
	{"reg.example.com/prod/app", "v1", DA},
	{"reg.example.com/prod/app", "latest", DB},
	{NULL, NULL, NULL},
};

static void test_threshold_counts_distinct_keys(void **state)
{
	hm_policy *p = policy(R_SIG2);
	const m_sig one_twice[] = {{DA, 0, 1}, {DA, 0, 1}, {DA, 2, 1}, {NULL, 0, 0}};
	const m_sig both[] = {{DA, 0, 1}, {DA, 1, 1}, {NULL, 0, 0}};
	const char *img[] = {"reg.example.com/prod/app:v1", NULL};
	mock m = {tags, one_twice, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	/* release signed twice, a stranger once: one key of the two */
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	assert_false(check_met(&d.v[0], "signatures"));
	has(check_detail(&d.v[0], "signatures"), "1 of 2 required keys signed (release)");
	has(check_detail(&d.v[0], "signatures"), "would accept signatures by 2 of: release, security");
	has(check_detail(&d.v[0], "signatures"), "3 signatures found, 1 refused");
	assert_string_equal(d.v[0].digest, DA);
	assert_string_equal(d.v[0].rule_name, "prod");
	hm_decision_free(&d);

	m.sigs = both;
	eval(&d, p, &m, img, 0);
	assert_true(d.allowed);
	has(check_detail(&d.v[0], "signatures"), "2 of 2 required keys signed (release, security)");
	hm_decision_free(&d);

	m.sigs = NULL;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "signatures"), "no signatures found");
	hm_decision_free(&d);
	hm_policy_free(p);
}

#define STATEMENT(hex, builder, ref, base) \
	"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" hex \
	"\"}}],\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{\"buildDefinition\":{" \
	"\"externalParameters\":{\"ref\":\"" ref "\"},\"resolvedDependencies\":[{\"uri\":\"git+https://g/x@" ref \
	"\",\"digest\":{\"gitCommit\":\"abc\"}},{\"uri\":\"pkg:docker/alpine@3.19\",\"name\":\"" base \
	"\",\"digest\":{\"sha256\":\"" HEX_B "\"}}]},\"runDetails\":{\"builder\":{\"id\":\"" builder "\"}}}}"

#define R_PROV "rules:\n  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n    require:\n" \
	       "      attestations:\n        - type: https://slsa.dev/provenance/v1\n          keys: [release]\n" \
	       "          where:\n            - {path: predicate.runDetails.builder.id, equals: \"https://ci/b\"}\n" \
	       "            - {path: predicate.buildDefinition.externalParameters.ref, matches: \"refs/tags/v*\"}\n" \
	       "      baseImages: {allow: [\"docker.io/library/*\"], pinned: true}\n"

static void test_attestation_where_and_base_images(void **state)
{
	hm_policy *p = policy(R_PROV);
	const m_att good[] = {{DA, 0, "https://slsa.dev/provenance/v1",
			       STATEMENT(HEX_A, "https://ci/b", "refs/tags/v1", "alpine@sha256:" HEX_B)},
			      {NULL, 0, NULL, NULL}};
	const m_att evil[] = {{DA, 0, "https://slsa.dev/provenance/v1",
			       STATEMENT(HEX_A, "https://evil/b", "refs/tags/v1", "alpine@sha256:" HEX_B)},
			      {NULL, 0, NULL, NULL}};
	const m_att unpinned[] = {{DA, 0, "https://slsa.dev/provenance/v1",
				   STATEMENT(HEX_A, "https://ci/b", "refs/tags/v1", "alpine:3.19")},
				  {NULL, 0, NULL, NULL}};
	const m_att other_subject[] = {{DA, 0, "https://slsa.dev/provenance/v1",
					STATEMENT(HEX_B, "https://ci/b", "refs/tags/v1", "alpine@sha256:" HEX_B)},
				       {NULL, 0, NULL, NULL}};
	const m_att wrong_key[] = {{DA, 1, "https://slsa.dev/provenance/v1",
				    STATEMENT(HEX_A, "https://ci/b", "refs/tags/v1", "alpine@sha256:" HEX_B)},
				   {NULL, 0, NULL, NULL}};
	const m_att foreign_base[] = {{DA, 0, "https://slsa.dev/provenance/v1",
				       STATEMENT(HEX_A, "https://ci/b", "refs/tags/v1", "evil.io/base@sha256:" HEX_B)},
				      {NULL, 0, NULL, NULL}};
	const char *img[] = {"reg.example.com/prod/app@" DA, NULL};
	mock m = {tags, NULL, good, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	eval(&d, p, &m, img, 0);
	if (!d.allowed)
		fail_msg("denied: %s / %s", d.v[0].checks[0].detail,
			 d.v[0].n_checks > 1 ? d.v[0].checks[1].detail : "");
	has(check_detail(&d.v[0], "baseImages"), "1 base image: alpine@sha256:");
	hm_decision_free(&d);

	m.atts = evil;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "attestation"),
	    "predicate.runDetails.builder.id equals \"https://ci/b\": found \"https://evil/b\"");
	has(check_detail(&d.v[0], "baseImages"), "no verified provenance");
	hm_decision_free(&d);

	m.atts = unpinned;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	assert_true(check_met(&d.v[0], "attestation"));
	has(check_detail(&d.v[0], "baseImages"), "'alpine:3.19' is not pinned by digest");
	hm_decision_free(&d);

	m.atts = foreign_base;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "baseImages"), "'evil.io/base@sha256:" HEX_B "' matches no allowed pattern");
	hm_decision_free(&d);

	/* a statement about another image must not count */
	m.atts = other_subject;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "attestation"), "names another subject");
	hm_decision_free(&d);

	m.atts = wrong_key;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "attestation"), "none verified with these keys");
	hm_decision_free(&d);

	m.atts = NULL;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "attestation"), "no attestation of this type found");
	has(check_detail(&d.v[0], "attestation"), "signed by 1 of: release");
	hm_decision_free(&d);
	hm_policy_free(p);
}

#define STATEMENT_V02(hex, materials) \
	"{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" hex \
	"\"}}],\"predicateType\":\"https://slsa.dev/provenance/v0.2\",\"predicate\":{\"builder\":{\"id\":\"b\"}," \
	"\"materials\":[" materials "]}}"

#define R_BASE02 "rules:\n  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n    require:\n" \
		 "      attestations: [{type: https://slsa.dev/provenance/v0.2, keys: [release]}]\n" \
		 "      baseImages: {allow: [\"docker.io/library/*\"]}\n"

/* baseImages never passes vacuously: SLSA v0.2 materials are read as v1
 * resolvedDependencies are, and a provenance naming no image fails. */
static void test_base_images_not_vacuous(void **state)
{
	hm_policy *p = policy(R_BASE02), *p1 = policy(R_PROV);
	const m_att foreign[] = {{DA, 0, "https://slsa.dev/provenance/v0.2",
				  STATEMENT_V02(HEX_A, "{\"uri\":\"git+https://g/x\",\"digest\":{\"sha1\":\"ab\"}},"
						       "{\"uri\":\"pkg:docker/evil.io/base@1.0\",\"digest\":{\"sha256\":\""
						       HEX_B "\"}}")},
				 {NULL, 0, NULL, NULL}};
	const m_att allowed[] = {{DA, 0, "https://slsa.dev/provenance/v0.2",
				  STATEMENT_V02(HEX_A, "{\"uri\":\"pkg:docker/alpine@3.19\",\"digest\":{\"sha256\":\""
						       HEX_B "\"}}")},
				 {NULL, 0, NULL, NULL}};
	const m_att none[] = {{DA, 0, "https://slsa.dev/provenance/v0.2",
			       STATEMENT_V02(HEX_A, "{\"uri\":\"git+https://g/x\",\"digest\":{\"sha1\":\"ab\"}}")},
			      {NULL, 0, NULL, NULL}};
	const m_att none_v1[] = {{DA, 0, "https://slsa.dev/provenance/v1",
				  "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{\"sha256\":\""
				  HEX_A "\"}}],\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{"
				  "\"buildDefinition\":{\"externalParameters\":{\"ref\":\"refs/tags/v1\"},"
				  "\"resolvedDependencies\":[]},\"runDetails\":{\"builder\":{\"id\":\"https://ci/b\"}}}}"},
				 {NULL, 0, NULL, NULL}};
	const char *img[] = {"reg.example.com/prod/app@" DA, NULL};
	mock m = {tags, NULL, foreign, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "baseImages"), "'pkg:docker/evil.io/base@1.0' matches no allowed pattern");
	hm_decision_free(&d);

	m.atts = allowed;
	eval(&d, p, &m, img, 0);
	assert_true(d.allowed);
	has(check_detail(&d.v[0], "baseImages"), "1 base image: pkg:docker/alpine@3.19");
	hm_decision_free(&d);

	m.atts = none;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "baseImages"), "the provenance lists no base images");
	hm_decision_free(&d);

	m.atts = none_v1;
	eval(&d, p1, &m, img, 0);
	assert_false(d.allowed);
	assert_true(check_met(&d.v[0], "attestation"));
	assert_false(check_met(&d.v[0], "baseImages"));
	hm_decision_free(&d);
	hm_policy_free(p);
	hm_policy_free(p1);
}

static void test_digest_tags_default_deny_rule(void **state)
{
	hm_policy *p = policy("rules:\n  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n"
			      "    require: {digest: true, tags: {deny: [latest]}}\n"
			      "  - name: hub\n    images: [\"docker.io/**\"]\n    deny: use the mirror\n");
	const char *img[] = {"reg.example.com/prod/app:v1", "reg.example.com/prod/app", "nginx",
			     "ghcr.io/x/y:1", "reg.example.com/prod/app@" DA, "Not A Ref", NULL};
	mock m = {tags, NULL, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	assert_false(d.v[0].allowed);
	has(check_detail(&d.v[0], "digest"),
	    "not pinned by digest; tag 'v1' resolves to " DA ": use reg.example.com/prod/app@" DA);
	assert_true(check_met(&d.v[0], "tags"));
	assert_false(check_met(&d.v[1], "tags"));
	has(check_detail(&d.v[1], "tags"), "tag 'latest' is refused");
	assert_string_equal(d.v[1].digest, DB);
	has(check_detail(&d.v[2], "deny"), "use the mirror");
	assert_false(d.v[2].allowed);
	assert_int_equal(d.v[3].rule, -1);
	has(check_detail(&d.v[3], "default"), "no rule matches 'ghcr.io/x/y:1'; the policy's default is deny");
	assert_true(d.v[4].allowed);
	assert_false(d.v[5].allowed);
	has(check_detail(&d.v[5], "reference"), "invalid reference");
	hm_decision_free(&d);

	/* with mutate the admission patch pins the tag, which meets digest: true */
	eval(&d, p, &m, img, 1);
	assert_true(d.v[0].allowed);
	has(check_detail(&d.v[0], "digest"), "pinned to " DA " by the admission patch");
	hm_decision_free(&d);
	hm_policy_free(p);
}

/* "repo:tag@digest": the digest runs, and nothing checks that the tag names
 * it, so the tag must neither choose a permissive rule, nor dodge a deny
 * through an exclude, nor meet require.tags. */
static void test_tag_beside_digest_chooses_nothing(void **state)
{
	hm_policy *p = policy("rules:\n  - name: trusted tag\n    images: [\"reg.example.com/app:trusted\"]\n"
			      "  - name: signed\n    images: [\"reg.example.com/app\"]\n"
			      "    require: {signatures: {keys: [release]}}\n"
			      "  - name: no tmp\n    images: [\"reg.example.com/tmp\"]\n"
			      "    exclude: [\"reg.example.com/tmp:trusted\"]\n    deny: only the trusted tag\n"
			      "  - name: tmp trusted\n    images: [\"reg.example.com/tmp:trusted\"]\n"
			      "  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n"
			      "    require: {tags: {deny: [latest]}}\n");
	const m_tag t[] = {{"reg.example.com/app", "trusted", DA}, {NULL, NULL, NULL}};
	const m_sig sigs[] = {{DA, 0, 1}, {NULL, 0, 0}};
	/* DB is another image, unsigned */
	const char *img[] = {"reg.example.com/app:trusted@" DB, "reg.example.com/tmp:trusted@" DB,
			     "reg.example.com/prod/app:latest@" DA, "reg.example.com/app:trusted",
			     "reg.example.com/app@" DA, NULL};
	mock m = {t, sigs, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	eval(&d, p, &m, img, 0);
	/* the permissive rule is not chosen by the tag: the signed rule decides */
	assert_string_equal(d.v[0].rule_name, "signed");
	assert_false(d.v[0].allowed);
	assert_string_equal(d.v[0].ref, "reg.example.com/app@" DB);
	has(check_detail(&d.v[0], "reference"), "tag 'trusted' ignored: the reference is pinned by digest");
	/* the exclude naming the tag does not lift the deny */
	assert_string_equal(d.v[1].rule_name, "no tmp");
	assert_false(d.v[1].allowed);
	/* require.tags sees no tag on a pinned reference */
	assert_true(check_met(&d.v[2], "tags"));
	has(check_detail(&d.v[2], "tags"), "no tag");
	/* the tag alone is resolved, and chooses its rule */
	assert_string_equal(d.v[3].rule_name, "trusted tag");
	assert_true(d.v[3].allowed);
	/* the signed image by digest passes the signed rule */
	assert_string_equal(d.v[4].rule_name, "signed");
	assert_true(d.v[4].allowed);
	hm_decision_free(&d);
	hm_policy_free(p);
}

static void test_modes_on_error_and_default_allow(void **state)
{
	hm_policy *p = policy("default: allow\nrules:\n"
			      "  - {name: warned, images: [\"reg.example.com/warn/**\"], mode: warn,"
			      "     require: {signatures: {keys: [release]}}}\n"
			      "  - {name: audited, images: [\"reg.example.com/audit/**\"], mode: audit,"
			      "     require: {signatures: {keys: [release]}}}\n"
			      "  - {name: closed, images: [\"down.example.com/closed/**\"],"
			      "     require: {signatures: {keys: [release]}}}\n"
			      "  - {name: open, images: [\"down.example.com/open/**\"], on_error: allow,"
			      "     require: {signatures: {keys: [release]}}}\n");
	const m_tag t[] = {{"reg.example.com/warn/a", "1", DA}, {"reg.example.com/audit/a", "1", DA}, {0}};
	const char *img[] = {"reg.example.com/warn/a:1", "reg.example.com/audit/a:1",
			     "down.example.com/closed/a:1", "down.example.com/open/a@" DA, "quay.io/x:1", NULL};
	mock m = {t, NULL, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;
	hm_strv warn = HM_STRV_INIT, deny = HM_STRV_INIT;

	m.unreachable = "down.example.com/closed/a";
	eval(&d, p, &m, img, 0);
	assert_true(d.v[0].allowed && d.v[0].violated);
	assert_true(d.v[1].allowed && d.v[1].violated);
	assert_false(d.v[2].allowed);
	assert_true(d.v[2].error);
	has(d.v[2].error_message, "connection refused");
	has(check_detail(&d.v[2], "resolve"), "connection refused");
	assert_true(d.v[4].allowed);
	assert_false(d.allowed);
	assert_int_equal(hm_decision_violations(&warn, &d, 1), HM_OK);
	assert_int_equal(hm_decision_violations(&deny, &d, 0), HM_OK);
	assert_int_equal(warn.n, 2);
	has(warn.v[0], "reg.example.com/warn/a:1: rule 'warned': signatures: 0 of 1 required key signed");
	/* the closed rule's registry is down; the open one's is up but unsigned */
	assert_int_equal(deny.n, 2);
	has(deny.v[0], "down.example.com/closed/a:1: rule 'closed': resolve: ");
	has(deny.v[1], "rule 'open': signatures: 0 of 1 required key signed");
	hm_decision_free(&d);
	hm_strv_free(&warn);
	hm_strv_free(&deny);

	m.unreachable = "down.example.com/open/a";
	eval(&d, p, &m, img + 3, 0);
	assert_true(d.v[0].allowed);
	assert_true(d.v[0].error);
	has(check_detail(&d.v[0], "verify"), "connection refused");
	hm_decision_free(&d);
	hm_policy_free(p);
}

static void test_each_digest_verified_once(void **state)
{
	hm_policy *p = policy(R_SIG2);
	const m_sig both[] = {{DA, 0, 1}, {DA, 1, 1}, {NULL, 0, 0}};
	const char *img[41];
	mock m = {tags, both, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;
	cJSON *j;

	for (int i = 0; i < 40; i++)
		img[i] = i % 2 ? "reg.example.com/prod/app:v1" : "reg.example.com/prod/app@" DA;
	img[40] = NULL;
	eval(&d, p, &m, img, 0);
	assert_true(d.allowed);
	assert_int_equal(m.resolves, 1);
	assert_int_equal(m.verifies, 1);
	assert_int_equal(d.n_verified, 1);
	j = hm_decision_json(&d);
	assert_non_null(j);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "allowed")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "images")), 40);
	{
		cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "images"), 1);

		assert_string_equal(cJSON_GetObjectItem(e, "digest")->valuestring, DA);
		assert_string_equal(cJSON_GetObjectItem(e, "rule")->valuestring, "prod");
		assert_string_equal(cJSON_GetObjectItem(e, "mode")->valuestring, "enforce");
		assert_string_equal(
			cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "checks"), 0), "requirement")
				->valuestring,
			"signatures");
	}
	cJSON_Delete(j);
	hm_decision_free(&d);
	hm_policy_free(p);
}

/* A cache that keeps DA's verdict (one check met) and v1's digest, and
 * with peek set answers anything else HM_EVAL_CACHE_MISS. */
typedef struct kept {
	int peek, keep_verdict, gets, puts;
} kept;

static int k_tag_get(void *ctx, const char *name, const char *tag, char digest[HM_DIGEST_SIZE])
{
	kept *k = ctx;

	(void)name;
	k->gets++;
	if (!strcmp(tag, "v1")) {
		memcpy(digest, DA, sizeof(DA));
		return 1;
	}
	return k->peek ? HM_EVAL_CACHE_MISS : 0;
}

static void k_tag_put(void *ctx, const char *name, const char *tag, const char *digest)
{
	(void)name, (void)tag, (void)digest;
	((kept *)ctx)->puts++;
}

static int k_ver_get(void *ctx, const char *name, const char *digest, int rule, hm_check **out, size_t *n)
{
	kept *k = ctx;

	(void)name, (void)rule;
	k->gets++;
	if (k->keep_verdict && !strcmp(digest, DA)) {
		*out = calloc(1, sizeof(**out));
		(*out)->what = strdup("signatures");
		(*out)->detail = strdup("kept");
		(*out)->met = 1;
		*n = 1;
		return 1;
	}
	return k->peek ? HM_EVAL_CACHE_MISS : 0;
}

static void k_ver_done(void *ctx, const char *name, const char *digest, int rule, int err, const hm_check *v, size_t n)
{
	(void)name, (void)digest, (void)rule, (void)err, (void)v, (void)n;
	((kept *)ctx)->puts++;
}

/* cache_only: answered from the cache without the backend, or not at all;
 * and a shared pool does what threads of its own did. */
static void test_cache_only_and_pool(void **state)
{
	hm_policy *p = policy(R_SIG2);
	const m_sig both[] = {{DA, 0, 1}, {DA, 1, 1}, {NULL, 0, 0}};
	mock m = {tags, both, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_policy_backend b = backend(&m);
	kept k = {1, 1, 0, 0};
	hm_eval_cache c = {&k, k_tag_get, k_tag_put, k_ver_get, k_ver_done};
	hm_eval_input in[40] = {{0}};
	hm_eval_opts o = HM_EVAL_OPTS_INIT;
	hm_decision d;

	(void)state;
	for (int i = 0; i < 40; i++)
		in[i].image = i % 2 ? "reg.example.com/prod/app:v1" : "reg.example.com/prod/app@" DA;
	o.cache = &c;
	o.cache_only = 1;
	assert_int_equal(hm_policy_eval(&d, p, &b, in, 40, &o), HM_OK);
	assert_true(d.allowed);
	assert_string_equal(check_detail(&d.v[1], "signatures"), "kept");
	assert_int_equal(m.opens, 0);
	assert_int_equal(k.puts, 0);
	hm_decision_free(&d);
	/* the verdict not kept: nothing decided, nothing led, the registry untouched */
	k.keep_verdict = 0;
	assert_int_equal(hm_policy_eval(&d, p, &b, in, 40, &o), HM_EVAL_INCOMPLETE);
	assert_null(d.v);
	assert_int_equal(m.opens, 0);
	assert_int_equal(k.puts, 0);
	/* a tag not kept: the same */
	in[1].image = "reg.example.com/prod/app:latest";
	k.keep_verdict = 1;
	assert_int_equal(hm_policy_eval(&d, p, &b, in, 40, &o), HM_EVAL_INCOMPLETE);
	assert_int_equal(m.opens, 0);
	/* no cache_only, on a shared pool: verified once, as with threads of its own */
	o.cache = NULL;
	o.cache_only = 0;
	o.jobs = 4;
	assert_non_null(o.pool = hm_pool_new(3));
	assert_int_equal(hm_policy_eval(&d, p, &b, in, 40, &o), HM_OK);
	assert_false(d.allowed); /* latest is DB, which nobody signed */
	assert_int_equal(m.verifies, 2);
	assert_int_equal(m.resolves, 2);
	hm_decision_free(&d);
	hm_pool_free(o.pool);
	hm_policy_free(p);
}

#define VSA(hex, result, when, pdig) \
	"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" hex \
	"\"}}],\"predicateType\":\"https://slsa.dev/verification_summary/v1\",\"predicate\":{\"verifier\":{\"id\":" \
	"\"https://ci/v\"},\"timeVerified\":\"" when "\",\"policy\":{\"uri\":\"p\",\"digest\":{\"sha256\":\"" pdig \
	"\"}},\"verificationResult\":\"" result "\",\"verifiedLevels\":[]}}"
#define T_OK "2024-05-02T00:00:00Z"
#define R_VSA "rules:\n  - name: prod\n    images: [\"reg.example.com/prod/**\"]\n    require:\n" \
	      "      vsa: {keys: [security], policyDigest: \"sha256:" HEX_B "\", maxAge: 24h}\n"

/* require.vsa goes through the attestation path, and each verified summary
 * must also be PASSED, fresh, of the policy; what counted is the evidence. */
static void test_vsa_requirement(void **state)
{
	static const char *const t = "https://slsa.dev/verification_summary/v1";
	hm_policy *p = policy(R_VSA);
	const m_att good[] = {{DA, 1, t, VSA(HEX_A, "PASSED", T_OK, HEX_B)}, {NULL, 0, NULL, NULL}};
	const m_att failed[] = {{DA, 1, t, VSA(HEX_A, "FAILED", T_OK, HEX_B)}, {NULL, 0, NULL, NULL}};
	const m_att old[] = {{DA, 1, t, VSA(HEX_A, "PASSED", "2024-05-01T11:59:59Z", HEX_B)}, {NULL, 0, NULL, NULL}};
	const m_att other_policy[] = {{DA, 1, t, VSA(HEX_A, "PASSED", T_OK, HEX_A)}, {NULL, 0, NULL, NULL}};
	const m_att other_key[] = {{DA, 0, t, VSA(HEX_A, "PASSED", T_OK, HEX_B)}, {NULL, 0, NULL, NULL}};
	const m_att other_image[] = {{DA, 1, t, VSA(HEX_B, "PASSED", T_OK, HEX_B)}, {NULL, 0, NULL, NULL}};
	const char *img[] = {"reg.example.com/prod/app:v1", NULL};
	mock m = {tags, NULL, good, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
	hm_decision d;

	eval(&d, p, &m, img, 0);
	assert_true(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "1 of 1 required key attested (security)");
	assert_string_equal(d.v[0].name, "reg.example.com/prod/app");
	assert_int_equal(d.v[0].n_evidence, 1);
	assert_string_equal(d.v[0].evidence[0].source, "tag test.att");
	assert_true(hm_digest_valid(d.v[0].evidence[0].digest));
	hm_decision_free(&d);

	m.atts = failed;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "verificationResult is 'FAILED', not PASSED");
	assert_int_equal(d.v[0].n_evidence, 0);
	hm_decision_free(&d);
	m.atts = old;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "more than the maxAge of 86400s ago");
	hm_decision_free(&d);
	m.atts = other_policy;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "policy.digest.sha256 is '" HEX_A "'");
	hm_decision_free(&d);
	m.atts = other_key;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "none verified with these keys");
	hm_decision_free(&d);
	m.atts = other_image;
	eval(&d, p, &m, img, 0);
	assert_false(d.allowed);
	has(check_detail(&d.v[0], "vsa"), "names another subject");
	hm_decision_free(&d);
	hm_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_counts_distinct_keys),
		cmocka_unit_test(test_attestation_where_and_base_images),
		cmocka_unit_test(test_base_images_not_vacuous),
		cmocka_unit_test(test_digest_tags_default_deny_rule),
		cmocka_unit_test(test_tag_beside_digest_chooses_nothing),
		cmocka_unit_test(test_modes_on_error_and_default_allow),
		cmocka_unit_test(test_each_digest_verified_once),
		cmocka_unit_test(test_vsa_requirement),
		cmocka_unit_test(test_cache_only_and_pool),
	};

	return cmocka_run_group_tests_name("eval", tests, setup, teardown);
}
