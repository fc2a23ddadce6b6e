/* SPDX-License-Identifier: Apache-2.0 */
/* Checking the signatures attached to an image against a set of keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/discover.h"
#include "sign/sign.h"
#include "verify/evidence.h"
#include "verify/verify.h"

static int refuse(hm_sig_result *r, const char *why)
{
	r->valid = 0;
	return hm_reason_set(&r->reason, "%s", why);
}

/* Checks one attached layer.  Only operational errors (the registry failed
 * or lied) are returned; a bad signature is recorded in r. */
static int check_one(hm_sig_result *r, hm_store *s, const hm_attached *a, const char *digest,
		     const hm_verify_opts *o)
{
	hm_buf payload = HM_BUF_INIT, sig = HM_BUF_INIT;
	const char *b64 = hm_json_str(a->annotations, HM_ANN_SIGNATURE);
	char why[512];
	int err = HM_OK;

	if (a->refused) {
		err = refuse(r, a->refused);
		goto done;
	}
	if (!b64) {
		err = refuse(r, "layer has no " HM_ANN_SIGNATURE " annotation");
		goto done;
	}
	if (hm_base64_decode(&sig, b64, strlen(b64)) != HM_OK) {
		snprintf(why, sizeof(why), "signature annotation: %s", hm_error_message());
		err = refuse(r, why);
		goto done;
	}
	err = hm_attached_fetch(&payload, s, a, HM_MAX_SIG_BLOB);
	if (err == HM_E_VERIFY) {
		snprintf(why, sizeof(why), "payload: %s", hm_error_message());
		err = refuse(r, why);
		goto done;
	}
	if (err)
		goto done;
	r->tried_keys = 1;
	if (hm_evidence_is_legacy_keyless(a->annotations)) {
		hm_evidence_opts eo = {o->keys, o->n_keys, o->identities, o->n_identities};
		char *reason = NULL;

		if ((err = hm_evidence_legacy_keyless(&reason, &r->signer, a->annotations, sig.data, sig.len,
						      payload.data, payload.len, &eo)))
			goto done;
		if (reason) {
			r->valid = 0;
			r->reason = reason;
			goto done;
		}
		r->identity_index = hm_trust_find(o->identities, o->n_identities, &r->signer);
		if (hm_payload_check(&r->payload, payload.data, payload.len, digest, o->annotations,
				     o->n_annotations) != HM_OK) {
			hm_signer_release(&r->signer);
			err = refuse(r, hm_error_message());
			goto done;
		}
		r->valid = 1;
		goto done;
	}
	for (size_t k = 0; k < o->n_keys && r->key_index < 0; k++)
		if (hm_key_verify(o->keys[k], payload.data, payload.len, sig.data, sig.len) == HM_OK)
			r->key_index = (int)k;
	if (r->key_index < 0) {
		snprintf(why, sizeof(why), "signature does not verify with %s", o->n_keys == 1 ? "the key" : "any of the keys");
		err = refuse(r, why);
		goto done;
	}
	if (hm_payload_check(&r->payload, payload.data, payload.len, digest, o->annotations,
			     o->n_annotations) != HM_OK) {
		err = refuse(r, hm_error_message());
		goto done;
	}
	r->valid = 1;
	r->signer.kind = HM_AUTH_KEY;
	r->signer.key = o->keys[r->key_index];
done:
	hm_buf_release(&payload);
	hm_buf_release(&sig);
	return err;
}

/* The subject of statement st naming digest ("sha256:<hex>"), or NULL. */
static const cJSON *subject_of(const cJSON *st, const char *digest)
{
	const cJSON *sub;
	const char *hex = strchr(digest, ':');

	cJSON_ArrayForEach(sub, cJSON_GetObjectItemCaseSensitive(st, "subject")) {
		const char *h = hm_json_str(cJSON_GetObjectItemCaseSensitive(sub, "digest"), "sha256");

		if (hex && h && strcmp(h, hex + 1) == 0)
			return sub;
	}
	return NULL;
}

/* Checks one bundle: *listed is 0 when it is no signature (an attestation,
 * verified or claiming to be one). */
static int check_bundle(hm_sig_result *r, int *listed, hm_store *s, const hm_attached *a, const char *digest,
			const hm_verify_opts *o)
{
	hm_evidence_opts eo = {o->keys, o->n_keys, o->identities, o->n_identities};
	hm_bundle_verdict v;
	int err = hm_evidence_bundle(&v, &r->signer, s, a, digest, &eo);

	*listed = 1;
	if (err)
		goto done;
	if (v.reason) {
		*listed = hm_evidence_may_be_signature(a);
		r->tried_keys = a->refused == NULL;
		err = refuse(r, v.reason);
		goto done;
	}
	if (!hm_bundle_verdict_is_signature(&v)) {
		*listed = 0;
		goto done;
	}
	r->tried_keys = 1;
	r->key_index = v.key_index;
	if (r->signer.kind == HM_AUTH_KEYLESS)
		r->identity_index = hm_trust_find(o->identities, o->n_identities, &r->signer);
	if (hm_annotations_check(cJSON_GetObjectItemCaseSensitive(subject_of(v.statement, digest), "annotations"),
				 o->annotations, o->n_annotations, "the statement's subject") != HM_OK) {
		err = refuse(r, hm_error_message());
		goto done;
	}
	r->payload = v.statement;
	v.statement = NULL;
	r->valid = 1;
done:
	hm_bundle_verdict_free(&v);
	return err;
}

/* Checks one Notary Project signature. */
static int check_notation(hm_sig_result *r, hm_store *s, const hm_attached *a, const char *digest,
			  const hm_verify_opts *o)
{
	hm_notation_verdict v;
	int err = hm_evidence_notation(&v, s, a, digest, o->repository ? o->repository : "", o->notation,
				       o->n_notation, o->now ? o->now : (int64_t)time(NULL));

	if (err)
		goto done;
	r->notation = v.result;
	v.result = NULL;
	/* an unknown signer: the envelope was intact but no trust knew its signer */
	r->tried_keys = r->notation && r->notation->checks[HM_NOTATION_INTEGRITY].ran &&
			r->notation->checks[HM_NOTATION_INTEGRITY].passed && !r->notation->signer_trusted;
	if (v.reason) {
		err = refuse(r, v.reason);
		goto done;
	}
	r->notation_index = v.trust_index;
	r->valid = 1;
done:
	hm_notation_verdict_free(&v);
	return err;
}

static void sig_release(hm_sig_result *r)
{
	hm_signer_release(&r->signer);
	if (r->notation) {
		hm_notation_result_free(r->notation);
		free(r->notation);
	}
	free(r->source);
	free(r->reason);
	cJSON_Delete(r->payload);
	memset(r, 0, sizeof(*r));
}

int hm_verify_signatures_in(hm_verify_result *out, hm_store *s, const hm_attached_list *l, const char *digest,
			    const hm_verify_opts *o)
{
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->sigs = l->n ? calloc(l->n, sizeof(*out->sigs)) : NULL;
	if (l->n && !out->sigs)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < l->n && !err; i++) {
		const hm_attached *a = &l->v[i];
		hm_sig_result *r = &out->sigs[out->n_sigs];
		int listed = 1;

		/* a refused manifest from a referrer might have held a signature;
		 * one from the .att tag did not */
		if (a->kind != HM_KIND_SIMPLESIGNING && a->kind != HM_KIND_BUNDLE && a->kind != HM_KIND_NOTATION &&
		    !(a->refused && a->kind == HM_KIND_UNKNOWN))
			continue;
		r->key_index = -1;
		r->identity_index = -1;
		r->signer.log_index = -1;
		r->notation_index = -1;
		r->kind = a->kind;
		r->form = a->form;
		snprintf(r->layer, sizeof(r->layer), "%s", a->desc.digest);
		if (!(r->source = strdup(a->source))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			break;
		}
		if (a->kind == HM_KIND_BUNDLE)
			err = check_bundle(r, &listed, s, a, digest, o);
		else if (a->kind == HM_KIND_NOTATION)
			err = check_notation(r, s, a, digest, o);
		else
			err = check_one(r, s, a, digest, o);
		if (err || !listed) {
			sig_release(r);
			continue;
		}
		if (r->valid)
			out->n_valid++;
		out->n_sigs++;
	}
	if (err) {
		hm_verify_result_free(out);
		return hm_error_wrap(err, "checking the signatures of %s", digest);
	}
	hm_error_clear();
	return HM_OK;
}

int hm_verify_signatures(hm_verify_result *out, hm_store *s, const char *digest, const hm_verify_opts *o)
{
	hm_attached_list l;
	int err = hm_discover(&l, s, digest);

	memset(out, 0, sizeof(*out));
	if (err)
		return hm_error_wrap(err, "finding the signatures of %s", digest);
	err = hm_verify_signatures_in(out, s, &l, digest, o);
	hm_attached_list_free(&l);
	return err;
}

void hm_verify_result_free(hm_verify_result *r)
{
	for (size_t i = 0; i < r->n_sigs; i++)
		sig_release(&r->sigs[i]);
	free(r->sigs);
	r->sigs = NULL;
	r->n_sigs = r->n_valid = 0;
}
