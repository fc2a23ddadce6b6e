/* Checking the signatures attached to an image against a set of keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/attach.h"
#include "sign/sign.h"
#include "verify/verify.h"

static int refuse(hm_sig_result *r, const char *why)
{
	r->valid = 0;
	r->reason = strdup(why);
	return r->reason ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
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

	r->key_index = -1;
	r->source = strdup(a->source);
	snprintf(r->layer, sizeof(r->layer), "%s", a->desc.digest);
	if (!r->source)
		return hm_error_set(HM_E_NOMEM, "out of memory");
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
done:
	hm_buf_release(&payload);
	hm_buf_release(&sig);
	return err;
}

int hm_verify_signatures(hm_verify_result *out, hm_store *s, const char *digest,
			 const hm_verify_opts *o)
{
	hm_attached_list l;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	err = hm_attached_find(&l, s, digest, "sig", HM_MT_SIMPLESIGNING);
	if (err)
		return hm_error_wrap(err, "finding the signatures of %s", digest);
	out->sigs = l.n ? calloc(l.n, sizeof(*out->sigs)) : NULL;
	if (l.n && !out->sigs) {
		hm_attached_list_free(&l);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < l.n && !err; i++) {
		out->n_sigs = i + 1;
		err = check_one(&out->sigs[i], s, &l.v[i], digest, o);
		if (!err && out->sigs[i].valid)
			out->n_valid++;
	}
	hm_attached_list_free(&l);
	if (err) {
		hm_verify_result_free(out);
		return hm_error_wrap(err, "checking the signatures of %s", digest);
	}
	hm_error_clear();
	return HM_OK;
}

void hm_verify_result_free(hm_verify_result *r)
{
	for (size_t i = 0; i < r->n_sigs; i++) {
		free(r->sigs[i].source);
		free(r->sigs[i].reason);
		cJSON_Delete(r->sigs[i].payload);
	}
	free(r->sigs);
	r->sigs = NULL;
	r->n_sigs = r->n_valid = 0;
}
