/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: parsing the transparency log entries (inclusion
 * promise, inclusion proof, checkpoint) and the RFC 3161 timestamps of a
 * bundle's verificationMaterial.  Shape only: hm_bundle_verify checks them. */
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "sigstore/bundle_json.h"

static int parse_proof(hm_inclusion_proof *pr, const cJSON *o, const char *path, int need_checkpoint)
{
	char sub[BJ_PATH_MAX], ipath[BJ_PATH_MAX];
	const cJSON *hashes, *cp;
	size_t n, cap = 0;
	int err;

	if ((err = bj_get_int64(&pr->log_index, o, "logIndex", path)) ||
	    (err = bj_get_bytes(&pr->root_hash, o, "rootHash", path, 1, HM_BUNDLE_MAX_HASH)) ||
	    (err = bj_get_int64(&pr->tree_size, o, "treeSize", path)) ||
	    (err = bj_get_array(&hashes, &n, o, "hashes", path, HM_MAX_PROOF_HASHES)))
		return err;
	if (pr->tree_size <= pr->log_index)
		return bj_bad(path, "logIndex %lld is not below treeSize %lld", (long long)pr->log_index,
		              (long long)pr->tree_size);
	bj_join(sub, path, "hashes");
	for (size_t i = 0; i < n; i++) {
		const cJSON *h = cJSON_GetArrayItem(hashes, (int)i);
		hm_buf *slot;

		bj_index(ipath, sub, i);
		if (!cJSON_IsString(h))
			return bj_bad(ipath, "must be a base64 string");
		if (hm_array_reserve(&pr->hashes, pr->n_hashes, &cap, sizeof(*pr->hashes), 8))
			return HM_E_NOMEM;
		slot = &pr->hashes[pr->n_hashes++];
		hm_buf_init(slot, 0);
		if ((err = bj_decode_b64(slot, h->valuestring, ipath)) != HM_OK)
			return err;
		if (slot->len == 0 || slot->len > HM_BUNDLE_MAX_HASH)
			return bj_bad(ipath, "must be a hash of 1 to %d bytes", HM_BUNDLE_MAX_HASH);
	}
	if ((err = bj_get_obj(&cp, o, "checkpoint", path, need_checkpoint)))
		return err;
	if (cp) {
		err = bj_get_text(&pr->checkpoint, cp, "envelope", bj_join(sub, path, "checkpoint"), 1,
		                  HM_MAX_CHECKPOINT);
		if (err)
			return err;
	}
	return HM_OK;
}

static int parse_tlog_entry(hm_bundle_tlog *e, const cJSON *o, const char *path, enum hm_bundle_version v)
{
	char sub[BJ_PATH_MAX];
	const cJSON *id, *kv, *promise, *proof;
	int err;

	if (!cJSON_IsObject(o))
		return bj_bad(path, "must be an object");
	if ((err = bj_get_int64(&e->log_index, o, "logIndex", path)) ||
	    (err = bj_get_obj(&id, o, "logId", path, 1)) ||
	    (err =
	         bj_get_bytes(&e->log_id, id, "keyId", bj_join(sub, path, "logId"), 1, HM_BUNDLE_MAX_HASH)) ||
	    (err = bj_get_obj(&kv, o, "kindVersion", path, 1)) ||
	    (err = bj_get_str(&e->kind, kv, "kind", bj_join(sub, path, "kindVersion"), 1)) ||
	    (err = bj_get_str(&e->version, kv, "version", sub, 1)) ||
	    (err = bj_get_int64(&e->integrated_time, o, "integratedTime", path)) ||
	    (err = bj_get_obj(&promise, o, "inclusionPromise", path, 0)) ||
	    (err = bj_get_obj(&proof, o, "inclusionProof", path, 0)) ||
	    (err = bj_get_bytes(&e->canonicalized_body, o, "canonicalizedBody", path, 0, HM_MAX_TLOG_BODY)))
		return err;
	if (promise) {
		e->has_promise = 1;
		err = bj_get_bytes(&e->signed_entry_timestamp, promise, "signedEntryTimestamp",
		                   bj_join(sub, path, "inclusionPromise"), 1, HM_BUNDLE_MAX_SIG);
		if (err)
			return err;
	} else if (v == HM_BUNDLE_V01) {
		return bj_bad(bj_join(sub, path, "inclusionPromise"), "required in bundle v0.1");
	}
	if (proof) {
		e->has_proof = 1;
		return parse_proof(&e->proof, proof, bj_join(sub, path, "inclusionProof"),
		                   v >= HM_BUNDLE_V02);
	}
	if (v >= HM_BUNDLE_V02)
		return bj_bad(bj_join(sub, path, "inclusionProof"), "required from bundle v0.2 on");
	return HM_OK;
}

static int same_buf(const hm_buf *a, const hm_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int bj_parse_tlog(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial.tlogEntries";
	char path[BJ_PATH_MAX];
	const cJSON *arr;
	size_t n;
	int err = bj_get_array(&arr, &n, vm, "tlogEntries", "verificationMaterial", HM_MAX_TLOG_ENTRIES);

	if (err || n == 0)
		return err;
	b->tlog = calloc(n, sizeof(*b->tlog));
	if (!b->tlog)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		hm_bundle_tlog *e = &b->tlog[i];

		b->n_tlog = i + 1;
		err = parse_tlog_entry(e, cJSON_GetArrayItem(arr, (int)i), bj_index(path, p, i), b->version);
		if (err)
			return err;
		/* One entry counted twice would fake a threshold of two logs. */
		for (size_t j = 0; j < i; j++)
			if (b->tlog[j].log_index == e->log_index && same_buf(&b->tlog[j].log_id, &e->log_id))
				return bj_bad(path, "the same entry as tlogEntries[%zu] (log id and index)",
				              j);
	}
	return HM_OK;
}

int bj_parse_timestamps(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial.timestampVerificationData";
	char sub[BJ_PATH_MAX], path[BJ_PATH_MAX];
	const cJSON *tvd, *arr;
	size_t n;
	int err = bj_get_obj(&tvd, vm, "timestampVerificationData", "verificationMaterial", 0);

	if (err || !tvd)
		return err;
	err = bj_get_array(&arr, &n, tvd, "rfc3161Timestamps", p, HM_MAX_TIMESTAMPS);
	if (err || n == 0)
		return err;
	bj_join(sub, p, "rfc3161Timestamps");
	b->timestamps = calloc(n, sizeof(*b->timestamps));
	if (!b->timestamps)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cJSON *ts = cJSON_GetArrayItem(arr, (int)i);

		bj_index(path, sub, i);
		b->n_timestamps = i + 1;
		if (!cJSON_IsObject(ts))
			return bj_bad(path, "must be an object");
		err =
		    bj_get_bytes(&b->timestamps[i], ts, "signedTimestamp", path, 1, HM_MAX_TIMESTAMP_DER);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (same_buf(&b->timestamps[j], &b->timestamps[i]))
				return bj_bad(path, "the same timestamp as rfc3161Timestamps[%zu]", j);
	}
	return HM_OK;
}
