/* SPDX-License-Identifier: Apache-2.0 */
/* policy/vcache: time to live (positive and negative), stale reads, LRU
 * bound, errors never kept, single flight across threads, flush; and the
 * checks encoding the webhook keeps in it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "policy/vcache.h"
#include "policy/webhook_cache.h"

static int64_t fake_now;
static int64_t fake_clock(void)
{
	return fake_now;
}

static hm_vcache *cache(size_t max, int64_t ttl, int64_t neg)
{
	hm_vcache_opts o = {max, ttl, neg, fake_clock};

	fake_now = 1000;
	return hm_vcache_new(&o);
}

/* get, expecting a hit with value want (NULL: expecting to lead). */
static void expect(hm_vcache *c, const char *key, int stale_ok, const char *want)
{
	char *val;
	size_t len;
	int pos;
	int r = hm_vcache_get(c, key, stale_ok, 0, &val, &len, &pos);

	if (want) {
		assert_int_equal(r, HM_VCACHE_HIT);
		assert_string_equal(val, want);
		assert_int_equal(len, strlen(want));
	} else {
		assert_int_equal(r, HM_VCACHE_LEAD);
		assert_null(val);
	}
	free(val);
}

static void test_ttl(void **state)
{
	hm_vcache *c = cache(10, 100, 10);
	hm_vcache_stats st;

	(void)state;
	expect(c, "good", 0, NULL);
	hm_vcache_put(c, "good", "yes", 3, 1);
	expect(c, "bad", 0, NULL);
	hm_vcache_put(c, "bad", "no", 2, 0);
	expect(c, "good", 0, "yes");
	expect(c, "bad", 0, "no");
	fake_now += 11; /* past the negative TTL, within the positive */
	expect(c, "good", 0, "yes");
	expect(c, "bad", 0, NULL);
	hm_vcache_put(c, "bad", "no again", 8, 0);
	fake_now += 100; /* past both */
	expect(c, "good", 1, "yes"); /* stale allowed for a positive verdict */
	expect(c, "bad", 1, NULL);   /* never for a negative one */
	hm_vcache_put(c, "bad", "no", 2, 0);
	expect(c, "good", 0, NULL); /* expired: computed again */
	hm_vcache_put(c, "good", "yes 2", 5, 1);
	expect(c, "good", 0, "yes 2");
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.size, 2);
	assert_int_equal(st.in_flight, 0);
	hm_vcache_free(c);
}

static void test_lru(void **state)
{
	hm_vcache *c = cache(3, 1000, 1000);
	hm_vcache_stats st;

	(void)state;
	for (int i = 0; i < 3; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		expect(c, k, 0, NULL);
		hm_vcache_put(c, k, k, 2, 1);
	}
	expect(c, "k0", 0, "k0"); /* k1 is now the least recently used */
	expect(c, "k3", 0, NULL);
	hm_vcache_put(c, "k3", "k3", 2, 1);
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.size, 3);
	assert_int_equal(st.evicted, 1);
	expect(c, "k0", 0, "k0");
	expect(c, "k2", 0, "k2");
	expect(c, "k3", 0, "k3");
	expect(c, "k1", 0, NULL);
	hm_vcache_fail(c, "k1", HM_E_IO, "gone");
	hm_vcache_flush(c);
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.size, 0);
	expect(c, "k0", 0, NULL);
	hm_vcache_put(c, "k0", "k0", 2, 1);
	hm_vcache_free(c);
}

static void test_errors_not_kept(void **state)
{
	hm_vcache *c = cache(10, 1000, 1000);
	hm_vcache_stats st;

	(void)state;
	expect(c, "k", 0, NULL);
	hm_vcache_fail(c, "k", HM_E_IO, "registry down");
	expect(c, "k", 0, NULL); /* nothing kept: the next caller leads again */
	hm_vcache_put(c, "k", "v", 1, 1);
	expect(c, "k", 0, "v");
	/* a put or fail nobody led is ignored */
	hm_vcache_put(c, "other", "v", 1, 1);
	hm_vcache_fail(c, "other", HM_E_IO, "x");
	expect(c, "other", 0, NULL);
	hm_vcache_fail(c, "other", HM_E_IO, "x");
	/* a TTL of 0 keeps nothing */
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.size, 1);
	hm_vcache_free(c);
	c = cache(10, 0, 0);
	expect(c, "k", 0, NULL);
	hm_vcache_put(c, "k", "v", 1, 1);
	expect(c, "k", 0, NULL);
	hm_vcache_put(c, "k", "v", 1, 1);
	hm_vcache_free(c);
}

/* ---- single flight ---- */

typedef struct flight {
	hm_vcache *c;
	pthread_mutex_t lock;
	int computed;   /* how many threads computed the value */
	int hits, errs;
	int fail;       /* the leader fails instead */
} flight;

static void *flyer(void *arg)
{
	flight *f = arg;
	char *val;
	size_t len;
	int pos, r = hm_vcache_get(f->c, "digest", 0, 0, &val, &len, &pos);

	pthread_mutex_lock(&f->lock);
	if (r == HM_VCACHE_LEAD)
		f->computed++;
	else if (r == HM_VCACHE_HIT && !strcmp(val, "verdict"))
		f->hits++;
	else if (r < 0 && strstr(hm_error_message(), "registry down"))
		f->errs++;
	pthread_mutex_unlock(&f->lock);
	if (r == HM_VCACHE_LEAD) {
		usleep(200 * 1000); /* a slow verification: every other thread arrives meanwhile */
		if (f->fail)
			hm_vcache_fail(f->c, "digest", HM_E_IO, "registry down");
		else
			hm_vcache_put(f->c, "digest", "verdict", 7, 1);
	}
	free(val);
	return NULL;
}

static void fly(flight *f, int fail)
{
	hm_vcache_opts o = {10, 60000, 60000, NULL};
	pthread_t t[16];

	memset(f, 0, sizeof(*f));
	f->c = hm_vcache_new(&o);
	f->fail = fail;
	pthread_mutex_init(&f->lock, NULL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&t[i], NULL, flyer, f), 0);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&f->lock);
}

static void test_single_flight(void **state)
{
	flight f;
	hm_vcache_stats st;

	(void)state;
	fly(&f, 0);
	assert_int_equal(f.computed, 1);
	assert_int_equal(f.hits, 15);
	hm_vcache_stats_get(f.c, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.size, 1);
	hm_vcache_free(f.c);
	/* a failure is shared with those waiting, and not kept */
	fly(&f, 1);
	assert_int_equal(f.computed + f.errs, 16);
	assert_true(f.computed >= 1 && f.errs >= 1);
	hm_vcache_stats_get(f.c, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.in_flight, 0);
	hm_vcache_free(f.c);
}

static void test_wait_deadline(void **state)
{
	hm_vcache *c = cache(10, 1000, 1000);
	char *val;
	size_t len;
	int pos;

	(void)state;
	expect(c, "k", 0, NULL);
	/* another caller waits for the leader, but not past its deadline */
	assert_int_equal(hm_vcache_get(c, "k", 0, fake_now - 1, &val, &len, &pos), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "deadline"));
	hm_vcache_put(c, "k", "v", 1, 1);
	expect(c, "k", 0, "v");
	hm_vcache_free(c);
}

static void test_checks_encoding(void **state)
{
	hm_check in[2] = {{"signatures", 1, "1 of 1 required key signed (release)"}, {"baseImages", 0, ""}};
	hm_check *out;
	size_t n;
	hm_buf b = HM_BUF_INIT;

	(void)state;
	assert_int_equal(hm_checks_encode(&b, in, 2), HM_OK);
	assert_int_equal(hm_checks_decode(&out, &n, b.data, b.len), HM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].what, "signatures");
	assert_int_equal(out[0].met, 1);
	assert_string_equal(out[0].detail, in[0].detail);
	assert_string_equal(out[1].what, "baseImages");
	assert_int_equal(out[1].met, 0);
	assert_string_equal(out[1].detail, "");
	for (size_t i = 0; i < n; i++) {
		free(out[i].what);
		free(out[i].detail);
	}
	free(out);
	/* truncated or forged bytes are refused */
	assert_int_equal(hm_checks_decode(&out, &n, b.data, b.len - 1), HM_E_IO);
	assert_int_equal(hm_checks_decode(&out, &n, "a\0x\0", 4), HM_E_IO);
	assert_int_equal(hm_checks_decode(&out, &n, "", 0), HM_OK);
	assert_int_equal(n, 0);
	free(out);
	hm_buf_release(&b);
}

/* peek: a hit as get gives, never leads nor waits, counts nothing itself */
static void test_peek(void **state)
{
	hm_vcache *c = cache(10, 100, 10);
	hm_vcache_stats st;
	char *val;
	size_t len;
	int pos;

	(void)state;
	assert_int_equal(hm_vcache_peek(c, "k", 0, &val, &len, &pos), HM_VCACHE_MISS);
	assert_null(val);
	expect(c, "k", 0, NULL); /* peeking led nothing: this get leads */
	/* being computed: a peek does not wait for it */
	assert_int_equal(hm_vcache_peek(c, "k", 0, &val, &len, &pos), HM_VCACHE_MISS);
	hm_vcache_put(c, "k", "v", 1, 1);
	assert_int_equal(hm_vcache_peek(c, "k", 0, &val, &len, &pos), HM_VCACHE_HIT);
	assert_string_equal(val, "v");
	assert_int_equal(pos, 1);
	free(val);
	fake_now += 101;
	assert_int_equal(hm_vcache_peek(c, "k", 0, &val, &len, &pos), HM_VCACHE_MISS);
	assert_int_equal(hm_vcache_peek(c, "k", 1, &val, &len, &pos), HM_VCACHE_HIT); /* stale ok */
	free(val);
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 1);
	hm_vcache_count_hits(c, 2);
	hm_vcache_stats_get(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.in_flight, 0);
	hm_vcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ttl),          cmocka_unit_test(test_lru),
	    cmocka_unit_test(test_errors_not_kept), cmocka_unit_test(test_single_flight),
	    cmocka_unit_test(test_wait_deadline), cmocka_unit_test(test_checks_encoding),
	    cmocka_unit_test(test_peek),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
