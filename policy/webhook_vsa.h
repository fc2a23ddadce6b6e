/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's verification summaries (policy serve --vsa-key): one SLSA
 * VSA v1, signed as DSSE, for each (repository, digest, verdict) a review
 * decided by verifying it (never for an answer from the cache), made at
 * most once per --cache-ttl, and then, on a thread of its own so that the
 * admission answer never waits for it, written to a directory and/or
 * attached to the image in its registry.  Outcomes are counted for
 * /metrics and each failure reported through on_message. */
#ifndef HM_POLICY_WEBHOOK_VSA_H
#define HM_POLICY_WEBHOOK_VSA_H

#include "core/buf.h"
#include "crypto/key.h"
#include "oci/store.h"
#include "policy/eval.h"
#include "policy/webhook_cache.h"

#define HM_WH_VSA_QUEUE 256 /* summaries waiting to be written or attached; more are dropped (counted) */
#define HM_WH_VSA_TIMEOUT_MS 30000 /* the registry work of one attachment */

typedef struct hm_wh_vsa_opts {
	hm_key *key;             /* taken over */
	const char *out_dir;     /* DIR/sha256-<hex>.vsa.json, or NULL */
	int attach;              /* attach to the image (a Sigstore bundle referrer) */
	const char *verifier_id; /* NULL: HM_VSA_VERIFIER_ID */
	const char *version;     /* hallmark's (borrowed) */
	const char *policy_uri;  /* NULL: file:// and the policy's absolute path */
	const hm_store_opts *store; /* borrowed; must outlive the summaries */
	int64_t remember_ms;     /* a summary made is not made again for this long */
	void (*on_message)(void *ctx, const char *message);
	void *ctx;
} hm_wh_vsa_opts;

typedef struct hm_wh_vsa hm_wh_vsa;

/* The writer and its thread (o->key taken over whatever the outcome). */
int hm_wh_vsa_new(hm_wh_vsa **out, const hm_wh_vsa_opts *o);
/* Writes the summaries still queued, stops the thread, frees v (NULL ok). */
void hm_wh_vsa_free(hm_wh_vsa *v);
/* Queues the summary of each digest of d whose verdict rc says this
 * review made. */
void hm_wh_vsa_emit(hm_wh_vsa *v, const hm_served_policy *pol, const hm_decision *d, hm_review_cache *rc);
/* hallmark_vsa_total{outcome=...} for /metrics. */
int hm_wh_vsa_metrics(hm_buf *out, hm_wh_vsa *v);

#endif
