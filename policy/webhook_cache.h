/* SPDX-License-Identifier: Apache-2.0 */
/* What the webhook keeps between reviews: the policy being served (with
 * the digest that names it and each rule's identity) and the caches around
 * the evaluation.
 *
 * A served policy is reference-counted: a review holds the one it started
 * with until it has answered, so that a reload never changes the rules
 * under it.
 *
 * Cache keys: a verdict is kept under (policy digest, rule index, rule
 * identity, repository, image digest); the policy digest covers the policy
 * file's bytes and the public keys it loaded, so that editing either
 * changes every key.  A tag's digest is kept under (repository, tag).
 * Values are the checks with their explanations; a verdict whose every
 * check was met is positive, any other negative. */
#ifndef HM_POLICY_WEBHOOK_CACHE_H
#define HM_POLICY_WEBHOOK_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include "core/strv.h"
#include "crypto/digest.h"
#include "policy/eval.h"
#include "policy/vcache.h"

typedef struct hm_served_policy {
	hm_policy *p;
	char *path;
	char digest[HM_DIGEST_SIZE]; /* "sha256:<hex>" of the file and its keys */
	char file_digest[HM_DIGEST_SIZE]; /* of the file's bytes alone (a VSA's policy.digest) */
	char **rule_id;              /* per rule: hex SHA-256 of what it requires */
	atomic_uint refs;
} hm_served_policy;

/* Reads and lints path, as hm_policy_load (diags the same), into a served
 * policy holding one reference. */
int hm_served_policy_load(hm_served_policy **out, const char *path, hm_strv *diags);
/* Takes over p (loaded from path) instead. */
int hm_served_policy_wrap(hm_served_policy **out, hm_policy *p, const void *data, size_t len);
hm_served_policy *hm_served_policy_ref(hm_served_policy *s);
void hm_served_policy_unref(hm_served_policy *s);

/* One review's view of the shared caches: iface is what hm_eval_opts.cache
 * points at.  stale_ok: kept positive verdicts and tags are used even past
 * their time to live (an UPDATE whose images did not change). */
typedef struct hm_review_cache {
	hm_eval_cache iface;
	hm_vcache *verdicts, *tags;
	const hm_served_policy *pol;
	int stale_ok;
	int peek;            /* only what is kept: a miss is HM_EVAL_CACHE_MISS (hm_eval_opts.cache_only) */
	int64_t deadline_ms; /* hm_http_now_ms time a wait for another review's flight ends; 0 none */
	atomic_uint hits, misses;
	atomic_uint tag_hits, ver_hits; /* of them, per cache: counted there at the end when peeking */
	/* with vsa set: the verdicts this review made itself ("rule name@digest"
	 * each), for their verification summaries */
	int vsa;
	pthread_mutex_t lock;
	hm_strv led;
} hm_review_cache;

void hm_review_cache_init(hm_review_cache *rc, hm_vcache *verdicts, hm_vcache *tags, const hm_served_policy *pol,
			  int stale_ok, int64_t deadline_ms);
void hm_review_cache_release(hm_review_cache *rc);
/* After a review answered by peeking alone: its hits count in the caches'
 * figures. */
void hm_review_cache_count(hm_review_cache *rc);
/* 1 when this review made the verdict of (name, digest, rule) itself. */
int hm_review_cache_led(hm_review_cache *rc, const char *name, const char *digest, int rule);

/* The checks as bytes for the cache, and back (hm_checks_decode: a new
 * list, HM_E_NOMEM or HM_E_IO for bytes that are not an encoding). */
int hm_checks_encode(hm_buf *out, const hm_check *v, size_t n);
int hm_checks_decode(hm_check **out, size_t *n, const char *data, size_t len);

#endif
