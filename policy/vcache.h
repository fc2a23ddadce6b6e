/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded, thread-safe cache of verdicts with single flight.
 *
 * Keys are strings; values are opaque bytes with a flag saying whether the
 * verdict was positive (every requirement met) or negative, each kind with
 * its own time to live.  At most max_entries values are kept, the least
 * recently used going first.  Errors are never kept.
 *
 * Single flight: the first caller that finds nothing fresh for a key leads
 * it (hm_vcache_get returns HM_VCACHE_LEAD) and must then call
 * hm_vcache_put or hm_vcache_fail exactly once; callers asking for the same
 * key meanwhile wait for that one answer instead of computing it again, and
 * share its value or its error. */
#ifndef HM_POLICY_VCACHE_H
#define HM_POLICY_VCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hm_vcache hm_vcache;

typedef struct hm_vcache_opts {
	size_t max_entries;  /* 0: HM_VCACHE_MAX_ENTRIES */
	int64_t ttl_ms;      /* positive values; 0: never kept */
	int64_t neg_ttl_ms;  /* negative values; 0: never kept */
	int64_t (*now_ms)(void); /* a monotonic clock in ms; NULL: hm_http_now_ms (tests pass their own) */
} hm_vcache_opts;

#define HM_VCACHE_MAX_ENTRIES 10000
#define HM_VCACHE_MAX_VALUE (64u << 10) /* a larger value is handed to the waiters, not kept */

enum { HM_VCACHE_LEAD = 0, HM_VCACHE_HIT = 1, HM_VCACHE_MISS = 2 };

typedef struct hm_vcache_stats {
	unsigned long hits;    /* answered from a kept value (shared flights included) */
	unsigned long misses;  /* led: the caller computed the value */
	unsigned long shared;  /* waited for another caller's flight */
	unsigned long evicted; /* dropped to stay within max_entries */
	size_t size;           /* values kept now */
	size_t in_flight;      /* keys being computed now */
} hm_vcache_stats;

/* NULL when out of memory. */
hm_vcache *hm_vcache_new(const hm_vcache_opts *opts);
void hm_vcache_free(hm_vcache *c);

/* Looks key up.  HM_VCACHE_HIT: *val (a NUL-terminated copy of len bytes,
 * the caller frees it) and *positive are filled.  HM_VCACHE_LEAD: nothing
 * fresh is kept and no one else is computing it: the caller computes it.
 * When another caller is computing key, waits for it until deadline_ms
 * (a now_ms time; 0: no limit) and returns its value, or its error as a
 * negative HM_E_* with the message set (HM_E_IO once the deadline passed).
 * stale_ok: an expired positive value still kept is a hit.  HM_E_NOMEM. */
int hm_vcache_get(hm_vcache *c, const char *key, int stale_ok, int64_t deadline_ms, char **val, size_t *len,
		  int *positive);
/* As hm_vcache_get, but never leads nor waits: HM_VCACHE_HIT as there,
 * HM_VCACHE_MISS when nothing fresh is kept (or it is being computed).
 * Nothing is counted (a caller whose peeks all hit counts them with
 * hm_vcache_count_hits).  HM_E_NOMEM. */
int hm_vcache_peek(hm_vcache *c, const char *key, int stale_ok, char **val, size_t *len, int *positive);
void hm_vcache_count_hits(hm_vcache *c, unsigned long n);
/* The leader's value for key: kept (ttl by positive) and handed to the
 * callers waiting. */
void hm_vcache_put(hm_vcache *c, const char *key, const void *val, size_t len, int positive);
/* The leader could not compute key: err and msg go to the callers waiting,
 * nothing is kept. */
void hm_vcache_fail(hm_vcache *c, const char *key, int err, const char *msg);
/* Drops every value kept (computations under way finish normally). */
void hm_vcache_flush(hm_vcache *c);
void hm_vcache_stats_get(hm_vcache *c, hm_vcache_stats *out);

#endif
