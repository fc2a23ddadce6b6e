/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "core/limits.h"
#include "crypto/dsse.h"

int hm_dsse_pae(hm_buf *out, const char *type, const void *body, size_t len)
{
	int err = hm_buf_addf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);

	if (!err)
		err = hm_buf_add(out, body, len);
	return err;
}

int hm_dsse_sign(hm_buf *out, const hm_key *k, const char *keyid, const char *payload_type,
		 const void *payload, size_t len)
{
	hm_buf pae = HM_BUF_INIT, sig = HM_BUF_INIT, b64 = HM_BUF_INIT, sigb64 = HM_BUF_INIT;
	cJSON *env = NULL, *sigs, *one;
	int err;

	err = hm_dsse_pae(&pae, payload_type, payload, len);
	if (!err)
		err = hm_key_sign(k, pae.data, pae.len, &sig);
	if (err)
		goto done;
	err = hm_base64_encode(&b64, payload, len);
	if (!err)
		err = hm_base64_encode(&sigb64, sig.data, sig.len);
	if (err)
		goto done;
	/* cJSON keeps insertion order: payloadType, payload, signatures */
	env = cJSON_CreateObject();
	if (!env || !cJSON_AddStringToObject(env, "payloadType", payload_type) ||
	    !cJSON_AddStringToObject(env, "payload", hm_buf_cstr(&b64)) ||
	    !(sigs = cJSON_AddArrayToObject(env, "signatures")) ||
	    !(one = cJSON_CreateObject()) || !cJSON_AddItemToArray(sigs, one) ||
	    !cJSON_AddStringToObject(one, "keyid", keyid ? keyid : "") ||
	    !cJSON_AddStringToObject(one, "sig", hm_buf_cstr(&sigb64))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = hm_json_print(out, env);
done:
	cJSON_Delete(env);
	hm_buf_release(&pae);
	hm_buf_release(&sig);
	hm_buf_release(&b64);
	hm_buf_release(&sigb64);
	return err;
}

void hm_dsse_result_free(hm_dsse_result *r)
{
	if (!r)
		return;
	free(r->payload_type);
	r->payload_type = NULL;
	hm_buf_release(&r->payload);
	r->verified_by = -1;
	r->n_signatures = 0;
}

/* A string member, decoded from base64; HM_E_VERIFY naming it otherwise. */
static int decode_member(hm_buf *out, const cJSON *obj, const char *name)
{
	const char *s = hm_json_str(obj, name);

	if (!s)
		return hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: no \"%s\" string", name);
	if (hm_base64_decode(out, s, strlen(s)))
		return hm_error_wrap(HM_E_VERIFY, "malformed DSSE envelope: \"%s\"", name);
	return HM_OK;
}

int hm_dsse_verify(hm_dsse_result *out, const void *env, size_t len, hm_key *const *keys,
		   size_t nkeys)
{
	hm_buf payload = HM_BUF_INIT, pae = HM_BUF_INIT, sig = HM_BUF_INIT;
	const cJSON *sigs, *s;
	const char *type;
	cJSON *j = NULL;
	int err = HM_OK, by = -1;
	size_t n = 0, checks = 0;

	memset(out, 0, sizeof(*out));
	out->verified_by = -1;
	j = hm_json_parse(env, len, "DSSE envelope");
	if (!j) {
		err = hm_error_wrap(HM_E_VERIFY, "malformed DSSE envelope");
		goto done;
	}
	if (!cJSON_IsObject(j)) {
		err = hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: not a JSON object");
		goto done;
	}
	type = hm_json_str(j, "payloadType");
	if (!type) {
		err = hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: no \"payloadType\" string");
		goto done;
	}
	err = decode_member(&payload, j, "payload");
	if (err)
		goto done;
	sigs = cJSON_GetObjectItemCaseSensitive(j, "signatures");
	if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) == 0) {
		err = hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: no signatures");
		goto done;
	}
	if (cJSON_GetArraySize(sigs) > HM_MAX_DSSE_SIGNATURES) {
		err = hm_error_set(HM_E_VERIFY, "DSSE envelope has %d signatures, more than the %d allowed (the cap)",
				   cJSON_GetArraySize(sigs), HM_MAX_DSSE_SIGNATURES);
		goto done;
	}
	cJSON_ArrayForEach(s, sigs) {
		if (!cJSON_IsObject(s) || !hm_json_str(s, "sig")) {
			err = hm_error_set(HM_E_VERIFY,
					   "malformed DSSE envelope: signature %zu has no \"sig\" string", n);
			goto done;
		}
		n++;
	}
	/* The signed bytes are built from the very buffer handed back below, so
	 * the caller only ever sees a payload that was verified. */
	err = hm_dsse_pae(&pae, type, payload.data, payload.len);
	if (err)
		goto done;
	/* keyid is a hint that an attacker controls: try every key on every
	 * signature, but no more than HM_MAX_DSSE_CHECKS times in all. */
	cJSON_ArrayForEach(s, sigs) {
		const char *b64 = hm_json_str(s, "sig");

		hm_buf_reset(&sig);
		if (hm_base64_decode(&sig, b64, strlen(b64)))
			continue;
		for (size_t i = 0; i < nkeys && by < 0; i++) {
			if (!keys[i])
				continue;
			if (++checks > HM_MAX_DSSE_CHECKS) {
				err = hm_error_set(HM_E_VERIFY,
						   "DSSE envelope: no signature verified within %d checks of a signature "
						   "against a key (the cap)", HM_MAX_DSSE_CHECKS);
				goto done;
			}
			if (hm_key_verify(keys[i], pae.data, pae.len, sig.data, sig.len) == HM_OK)
				by = (int)i;
		}
		if (by >= 0)
			break;
	}
	out->n_signatures = n;
	if (by < 0) {
		err = hm_error_set(HM_E_VERIFY,
				   nkeys ? "no signature of the DSSE envelope (%zu) verifies with the given keys"
					 : "no keys to verify the DSSE envelope (%zu signatures) with",
				   n);
		goto done;
	}
	out->payload_type = strdup(type);
	if (!out->payload_type) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	out->payload = payload;
	hm_buf_init(&payload, 0);
	out->verified_by = by;
	err = HM_OK;
	hm_error_clear();
done:
	if (err) {
		hm_dsse_result_free(out);
		out->n_signatures = n;
	}
	cJSON_Delete(j);
	hm_buf_release(&payload);
	hm_buf_release(&pae);
	hm_buf_release(&sig);
	return err;
}
