/* SPDX-License-Identifier: Apache-2.0 */
/* policy/webhook_cache: hm_policy_eval through the webhook's cache with a
 * counting backend: a second evaluation asks the backend nothing and
 * explains itself the same; negative verdicts are kept (their own TTL),
 * errors are not; a changed policy (or key) never meets the old verdicts;
 * stale positive verdicts serve an unchanged UPDATE; tags are kept apart. */
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
#include "policy/webhook_cache.h"
#include "tests/unit/testdir.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char dir[] = "/tmp/hm-test-wcache-XXXXXX";
static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* ---- a backend that counts: DA is signed by the policy's key, DB is not,
 * repository "reg.example/down" cannot be reached ---- */

typedef struct counts {
	int opens, resolves, verifies;
	pthread_mutex_t lock;
} counts;

static int b_open(void **out, void *ctx, const hm_ref *ref)
{
	counts *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->opens++;
	pthread_mutex_unlock(&c->lock);
	if (!strcmp(ref->repository, "down"))
		return hm_error_set(HM_E_IO, "connecting to '%s': connection refused", ref->registry);
	*out = c;
	return HM_OK;
}

static int b_resolve(void *s, const char *tag, char digest[HM_DIGEST_SIZE])
{
	counts *c = s;

	pthread_mutex_lock(&c->lock);
	c->resolves++;
	pthread_mutex_unlock(&c->lock);
	snprintf(digest, HM_DIGEST_SIZE, "%s", !strcmp(tag, "1") ? DA : DB);
	return HM_OK;
}

static int b_signatures(void *s, const char *digest, const hm_verify_opts *o, hm_verify_result *out)
{
	counts *c = s;

	pthread_mutex_lock(&c->lock);
	c->verifies++;
	pthread_mutex_unlock(&c->lock);
	memset(out, 0, sizeof(*out));
	if (strcmp(digest, DA))
		return HM_OK;
	out->sigs = calloc(1, sizeof(*out->sigs));
	out->n_sigs = out->n_valid = 1;
	out->sigs[0].valid = 1;
	out->sigs[0].key_index = 0;
	out->sigs[0].notation_index = -1;
	out->sigs[0].signer.kind = HM_AUTH_KEY; /* votes go by signer (trust/) */
	out->sigs[0].signer.key = o->n_keys ? o->keys[0] : NULL;
	return HM_OK;
}

static int b_attestations(void *s, const char *digest, hm_key *const *keys, size_t n, const hm_authority *ids,
			  size_t n_ids, const char *type,
			  hm_att_results *out)
{
	(void)s, (void)digest, (void)keys, (void)n, (void)type;
	memset(out, 0, sizeof(*out));
	return HM_OK;
}

static void b_close(void *s)
{
	(void)s;
}

static counts cnt;
static const hm_policy_backend backend = {&cnt, b_open, b_resolve, b_signatures, b_attestations, b_close};

static hm_served_policy *load(const char *extra_rule)
{
	char path[64], body[512];
	FILE *f;
	hm_served_policy *sp = NULL;
	hm_strv diags = HM_STRV_INIT;

	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	snprintf(body, sizeof(body),
		 "apiVersion: hallmark/v1\nkind: Policy\nkeys:\n  release: { file: release.pub }\nrules:\n"
		 "  - name: app\n    images: [\"reg.example/**\"]\n    require:\n      signatures: { keys: [release] }\n%s",
		 extra_rule);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	assert_int_equal(hm_served_policy_load(&sp, path, &diags), HM_OK);
	hm_strv_free(&diags);
	return sp;
}

typedef struct run_out {
	int allowed, error;
	char detail[512];
	unsigned hits, misses;
} run_out;

static run_out eval(hm_vcache *verdicts, hm_vcache *tags, hm_served_policy *sp, const char *image, int stale_ok)
{
	hm_review_cache rc;
	hm_eval_opts o = HM_EVAL_OPTS_INIT;
	hm_eval_input in = {image, "Pod", "p", "ns", "c", "/spec/containers/0/image"};
	hm_decision d;
	run_out r = {0};

	hm_review_cache_init(&rc, verdicts, tags, sp, stale_ok, 0);
	o.cache = &rc.iface;
	o.jobs = 2;
	assert_int_equal(hm_policy_eval(&d, sp->p, &backend, &in, 1, &o), HM_OK);
	r.allowed = d.v[0].allowed;
	r.error = d.v[0].error;
	for (size_t k = 0; k < d.v[0].n_checks; k++)
		snprintf(r.detail + strlen(r.detail), sizeof(r.detail) - strlen(r.detail), "%s=%d:%s;",
			 d.v[0].checks[k].what, d.v[0].checks[k].met, d.v[0].checks[k].detail);
	r.hits = atomic_load(&rc.hits);
	r.misses = atomic_load(&rc.misses);
	hm_decision_free(&d);
	return r;
}

static hm_vcache *vc(int64_t ttl, int64_t neg)
{
	hm_vcache_opts o = {100, ttl, neg, fake_clock};

	return hm_vcache_new(&o);
}

static int setup(void **state)
{
	hm_key *k = NULL;
	char path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hm_key_generate(&k, HM_KEY_ECDSA_P256), HM_OK);
	snprintf(path, sizeof(path), "%s/release.pub", dir);
	assert_int_equal(hm_key_save_public(k, path, 1), HM_OK);
	hm_key_free(k);
	pthread_mutex_init(&cnt.lock, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pthread_mutex_destroy(&cnt.lock);
	return hm_testdir_remove(dir);
}

static void test_second_review_asks_nothing(void **state)
{
	hm_served_policy *sp = load("");
	hm_vcache *v = vc(1000, 100), *t = vc(50, 50);
	run_out a, b;

	(void)state;
	fake_now = 1;
	memset(&cnt, 0, offsetof(counts, lock));
	a = eval(v, t, sp, "reg.example/app:1", 0);
	assert_true(a.allowed);
	assert_int_equal(a.misses, 2); /* the tag and the verdict */
	assert_int_equal(cnt.resolves, 1);
	assert_int_equal(cnt.verifies, 1);
	b = eval(v, t, sp, "reg.example/app:1", 0);
	assert_true(b.allowed);
	assert_int_equal(b.hits, 2);
	assert_int_equal(b.misses, 0);
	assert_int_equal(cnt.resolves, 1);
	assert_int_equal(cnt.verifies, 1);
	assert_string_equal(a.detail, b.detail); /* the same explanation */
	/* the tag expires before the verdict: resolved again, verdict kept */
	fake_now += 60;
	b = eval(v, t, sp, "reg.example/app:1", 0);
	assert_int_equal(cnt.resolves, 2);
	assert_int_equal(cnt.verifies, 1);
	/* past the verdict's TTL: verified again, unless stale is allowed */
	fake_now += 1000;
	b = eval(v, t, sp, "reg.example/app@" DA, 1);
	assert_int_equal(cnt.verifies, 1);
	assert_true(b.allowed);
	b = eval(v, t, sp, "reg.example/app@" DA, 0);
	assert_int_equal(cnt.verifies, 2);
	/* another repository is another verification */
	b = eval(v, t, sp, "reg.example/other@" DA, 0);
	assert_int_equal(cnt.verifies, 3);
	hm_vcache_free(v);
	hm_vcache_free(t);
	hm_served_policy_unref(sp);
}

static void test_negative_and_errors(void **state)
{
	hm_served_policy *sp = load("");
	hm_vcache *v = vc(1000, 100), *t = vc(50, 50);
	run_out r;

	(void)state;
	fake_now = 1;
	memset(&cnt, 0, offsetof(counts, lock));
	r = eval(v, t, sp, "reg.example/app@" DB, 0);
	assert_false(r.allowed);
	r = eval(v, t, sp, "reg.example/app@" DB, 0);
	assert_false(r.allowed);
	assert_int_equal(cnt.verifies, 1); /* kept for the negative TTL */
	assert_non_null(strstr(r.detail, "signatures=0:0 of 1 required key signed"));
	fake_now += 101;
	r = eval(v, t, sp, "reg.example/app@" DB, 1); /* never stale for a negative one */
	assert_int_equal(cnt.verifies, 2);
	/* an unreachable registry is decided by on_error each time, never kept */
	cnt.opens = 0;
	r = eval(v, t, sp, "reg.example/down@" DA, 0);
	assert_true(r.error);
	assert_false(r.allowed);
	r = eval(v, t, sp, "reg.example/down@" DA, 0);
	assert_true(r.error);
	assert_int_equal(cnt.opens, 2);
	assert_int_equal(r.misses, 1);
	hm_vcache_free(v);
	hm_vcache_free(t);
	hm_served_policy_unref(sp);
}

static void test_policy_change_is_another_key(void **state)
{
	hm_served_policy *a = load(""), *b = load("default: allow\n"), *a2 = load("");
	hm_vcache *v = vc(1000, 100), *t = vc(50, 50);
	hm_key *k = NULL;
	char path[64];

	(void)state;
	fake_now = 1;
	memset(&cnt, 0, offsetof(counts, lock));
	assert_string_not_equal(a->digest, b->digest);
	assert_string_equal(a->digest, a2->digest);
	assert_string_equal(a->rule_id[0], b->rule_id[0]); /* the rule itself did not change */
	eval(v, t, a, "reg.example/app@" DA, 0);
	eval(v, t, a2, "reg.example/app@" DA, 0);
	assert_int_equal(cnt.verifies, 1); /* the same policy loaded again */
	eval(v, t, b, "reg.example/app@" DA, 0);
	assert_int_equal(cnt.verifies, 2);
	/* the same file, another key behind it: another policy digest */
	assert_int_equal(hm_key_generate(&k, HM_KEY_ECDSA_P256), HM_OK);
	snprintf(path, sizeof(path), "%s/release.pub", dir);
	assert_int_equal(hm_key_save_public(k, path, 1), HM_OK);
	hm_key_free(k);
	hm_served_policy_unref(a2);
	a2 = load("");
	assert_string_not_equal(a->digest, a2->digest);
	assert_string_not_equal(a->rule_id[0], a2->rule_id[0]);
	hm_vcache_free(v);
	hm_vcache_free(t);
	hm_served_policy_unref(a);
	hm_served_policy_unref(a2);
	hm_served_policy_unref(b);
}

/* A keyless key's trusted root is read from a file that is not the
 * policy's bytes: every load of such a policy has a digest of its own, so a
 * reload never serves verdicts that rested on trust since changed; a policy
 * of key files alone keeps its digest. */
static void test_trust_files_make_each_load_new(void **state)
{
	static const char body[] =
	    "apiVersion: hallmark/v1\nkind: Policy\nkeys:\n"
	    "  ci: { issuer: \"https://token.actions.githubusercontent.com\", subject: \"https://github.com/o/r/.github/workflows/r.yml@refs/heads/main\" }\n"
	    "rules:\n  - name: app\n    images: [\"reg.example/**\"]\n    require:\n      signatures: { keys: [ci] }\n";
	char path[64];
	FILE *f;
	hm_served_policy *a = NULL, *b = NULL, *c = load(""), *d = load("");
	hm_strv diags = HM_STRV_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/keyless.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(body, f);
	fclose(f);
	assert_int_equal(hm_served_policy_load(&a, path, &diags), HM_OK);
	assert_int_equal(hm_served_policy_load(&b, path, &diags), HM_OK);
	assert_string_not_equal(a->digest, b->digest);
	assert_string_equal(a->file_digest, b->file_digest);
	assert_string_equal(c->digest, d->digest);
	hm_strv_free(&diags);
	hm_served_policy_unref(a);
	hm_served_policy_unref(b);
	hm_served_policy_unref(c);
	hm_served_policy_unref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_second_review_asks_nothing),
	    cmocka_unit_test(test_negative_and_errors),
	    cmocka_unit_test(test_policy_change_is_another_key),
	    cmocka_unit_test(test_trust_files_make_each_load_new),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
