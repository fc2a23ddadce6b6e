/* SPDX-License-Identifier: Apache-2.0 */
/* core/pool: a fan does every item once, on the caller's thread and the
 * pool's; many fans at once on a pool smaller than them all finish (no
 * fan waits for room); the caller alone does the work when the pool is
 * busy. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/pool.h"

#define ITEMS 200

typedef struct work {
	atomic_size_t next;
	atomic_int done[ITEMS];
	int slow; /* microseconds per item */
} work;

static void take(void *arg)
{
	work *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < ITEMS) {
		if (w->slow)
			usleep((useconds_t)w->slow);
		atomic_fetch_add(&w->done[i], 1);
	}
}

static void check_once(work *w)
{
	for (size_t i = 0; i < ITEMS; i++)
		assert_int_equal(atomic_load(&w->done[i]), 1);
}

static void test_fan(void **state)
{
	hm_pool *p = hm_pool_new(4);
	work w;

	(void)state;
	assert_non_null(p);
	memset(&w, 0, sizeof(w));
	w.slow = 50;
	hm_pool_fan(p, take, &w, 3);
	check_once(&w);
	/* no extra: the caller alone */
	memset(&w, 0, sizeof(w));
	hm_pool_fan(p, take, &w, 0);
	check_once(&w);
	hm_pool_free(p);
	hm_pool_free(NULL);
}

static hm_pool *shared;

static void *fanner(void *arg)
{
	work *w = arg;

	hm_pool_fan(shared, take, w, 8); /* asks for more than the pool has */
	return NULL;
}

static void test_many_fans_share_a_small_pool(void **state)
{
	enum { FANS = 16 };
	pthread_t t[FANS];
	work *w = calloc(FANS, sizeof(*w));

	(void)state;
	assert_non_null(w);
	shared = hm_pool_new(2);
	assert_non_null(shared);
	for (int i = 0; i < FANS; i++) {
		w[i].slow = 20;
		assert_int_equal(pthread_create(&t[i], NULL, fanner, &w[i]), 0);
	}
	for (int i = 0; i < FANS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < FANS; i++)
		check_once(&w[i]);
	hm_pool_free(shared);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fan),
	    cmocka_unit_test(test_many_fans_share_a_small_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
