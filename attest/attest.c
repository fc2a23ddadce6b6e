/* SPDX-License-Identifier: Apache-2.0 */
/* Signing statements into DSSE envelopes and attaching them to images. */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "crypto/statement.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/attach.h"
#include "sign/sign.h"

int hm_attest_envelope(hm_buf *out, const hm_key *key, const cJSON *statement)
{
	hm_buf payload = HM_BUF_INIT;
	int err = hm_json_print(&payload, statement);

	if (!err)
		err = hm_dsse_sign(out, key, NULL, HM_DSSE_INTOTO, payload.data, payload.len);
	hm_buf_release(&payload);
	return err;
}

/* Whether a valid attestation by key with this very statement is attached
 * already: attesting again would only add noise (ECDSA signatures differ at
 * every run), so it is not added. */
static int already_attested(int *found, hm_store *s, const char *digest, const hm_key *key,
			    const cJSON *st, enum hm_attach_kind kind)
{
	hm_key *keys[1] = {(hm_key *)key}; /* hm_attest_verify only reads it */
	hm_att_results r = {0};
	int err = hm_attest_verify(&r, s, digest, keys, 1, hm_json_str(st, "predicateType"));

	*found = 0;
	for (size_t i = 0; !err && i < r.n && !*found; i++)
		*found = r.v[i].valid && r.v[i].kind == kind && cJSON_Compare(r.v[i].statement, st, 1);
	hm_att_results_free(&r);
	return err;
}

int hm_attest_attach(int *added, hm_store *s, const char *digest, const char *subject_name,
		     const hm_key *key, const char *predicate_type, const cJSON *predicate, int format)
{
	cJSON *st = NULL, *ann = NULL;
	hm_buf env = HM_BUF_INIT;
	int err, found = 0;

	*added = 0;
	if ((err = hm_statement_build(&st, subject_name, digest, predicate_type, predicate)))
		goto done;
	if (format == HM_FORMAT_BUNDLE) {
		/* hm_bundle_attach finds an equal bundle by its statement bytes */
		if (!(err = hm_json_print(&env, st)))
			err = hm_bundle_attach(added, s, digest, key, env.data, env.len, hm_json_str(st, "predicateType"));
		if (err)
			err = hm_error_wrap(err, "attaching the attestation bundle to %s", digest);
		goto done;
	}
	if ((err = already_attested(&found, s, digest, key, st, HM_KIND_DSSE)) || found ||
	    (err = hm_attest_envelope(&env, key, st)))
		goto done;
	ann = cJSON_CreateObject();
	if (!ann || !cJSON_AddStringToObject(ann, "predicateType", hm_json_str(st, "predicateType"))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = hm_attach_layer(s, digest, "att", HM_MT_DSSE, env.data, env.len, ann, added);
	if (err)
		err = hm_error_wrap(err, "attaching the attestation to %s", digest);
done:
	cJSON_Delete(ann);
	cJSON_Delete(st);
	hm_buf_release(&env);
	return err;
}
