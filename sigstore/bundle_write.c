/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: writing v0.3 bundles signed with a key.
 *
 * Members come in proto field order, as protojson writes them; empty
 * fields (tlogEntries, timestampVerificationData) are left out, as protojson
 * does.  Such an offline bundle has no transparency log entry: cosign
 * verifies it with --insecure-ignore-tlog, sigstore-js with a Verifier whose
 * tlogThreshold and timestampThreshold are 0. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "sigstore/bundle.h"

int hm_bundle_key_hint(hm_buf *out, const hm_key *k)
{
	/* the fingerprint is the hex of that same SHA-256 */
	long n = 0;
	unsigned char *raw = OPENSSL_hexstr2buf(hm_key_fingerprint(k), &n);
	int err;

	if (!raw)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	err = hm_base64_encode(out, raw, (size_t)n);
	OPENSSL_free(raw);
	return err;
}

/* {"mediaType": v0.3, "verificationMaterial": {"publicKey": {"hint"}}} */
static int start(cJSON **root, const hm_key *k)
{
	hm_buf hint = HM_BUF_INIT;
	cJSON *vm, *pk;
	int err = hm_bundle_key_hint(&hint, k);

	*root = cJSON_CreateObject();
	if (!err && (!*root || !cJSON_AddStringToObject(*root, "mediaType", HM_BUNDLE_MEDIA_TYPE_V03) ||
		     !(vm = cJSON_AddObjectToObject(*root, "verificationMaterial")) ||
		     !(pk = cJSON_AddObjectToObject(vm, "publicKey")) ||
		     !cJSON_AddStringToObject(pk, "hint", hm_buf_cstr(&hint))))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	hm_buf_release(&hint);
	return err;
}

static int add_b64(cJSON *obj, const char *name, const void *data, size_t len)
{
	hm_buf b64 = HM_BUF_INIT;
	int err = hm_base64_encode(&b64, data, len);

	if (!err && !cJSON_AddStringToObject(obj, name, hm_buf_cstr(&b64)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	hm_buf_release(&b64);
	return err;
}

int hm_bundle_write_message(hm_buf *out, const hm_key *k, const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	hm_buf sig = HM_BUF_INIT;
	cJSON *root = NULL, *ms, *dg;
	int err = hm_key_sign(k, data, len, &sig);

	if (!err)
		err = start(&root, k);
	if (err)
		goto done;
	SHA256(data, len, md);
	if (!(ms = cJSON_AddObjectToObject(root, "messageSignature")) ||
	    !(dg = cJSON_AddObjectToObject(ms, "messageDigest")) ||
	    !cJSON_AddStringToObject(dg, "algorithm", "SHA2_256")) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = add_b64(dg, "digest", md, sizeof(md));
	if (!err)
		err = add_b64(ms, "signature", sig.data, sig.len);
	if (!err)
		err = hm_json_print(out, root);
done:
	cJSON_Delete(root);
	hm_buf_release(&sig);
	return err;
}

int hm_bundle_write_dsse(hm_buf *out, const hm_key *k, const char *payload_type, const void *payload,
			 size_t len)
{
	hm_buf env = HM_BUF_INIT, hint = HM_BUF_INIT;
	cJSON *root = NULL, *e = NULL;
	int err;

	/* The envelope's keyid is the bundle's hint: the spec wants them equal. */
	err = hm_bundle_key_hint(&hint, k);
	if (!err)
		err = hm_dsse_sign(&env, k, hm_buf_cstr(&hint), payload_type, payload, len);
	if (!err)
		err = start(&root, k);
	if (err)
		goto done;
	e = hm_json_parse(env.data, env.len, "DSSE envelope");
	if (!e) {
		err = HM_E_IO;
		goto done;
	}
	if (!cJSON_AddItemToObject(root, "dsseEnvelope", e)) {
		cJSON_Delete(e);
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = hm_json_print(out, root);
done:
	cJSON_Delete(root);
	hm_buf_release(&env);
	hm_buf_release(&hint);
	return err;
}
