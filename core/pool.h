/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded pool of threads shared by callers that fan one piece of work
 * out (the webhook's reviews verifying their images).
 *
 * hm_pool_fan(p, fn, arg, extra) calls fn(arg) on the calling thread and
 * asks for up to extra more calls on the pool's threads at once; it
 * returns once every call made has returned.  fn takes work items from
 * arg until none is left, so the caller's own call alone finishes the
 * work: a call the pool had no thread free for before that is simply not
 * made.  A fan therefore never waits for the pool to have room, and
 * callers sharing a busy pool cannot deadlock. */
#ifndef HM_CORE_POOL_H
#define HM_CORE_POOL_H

typedef struct hm_pool hm_pool;

#define HM_POOL_MAX_THREADS 64

/* threads: 1..HM_POOL_MAX_THREADS (clamped).  NULL when out of memory or
 * no thread could start. */
hm_pool *hm_pool_new(unsigned threads);
/* Waits for the calls under way, stops the threads and frees p (NULL ok). */
void hm_pool_free(hm_pool *p);
void hm_pool_fan(hm_pool *p, void (*fn)(void *arg), void *arg, unsigned extra);

#endif
