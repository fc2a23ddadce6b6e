/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: parsing the protobuf JSON encoding into hm_bundle (the
 * media type, the content and the key material here; the log entries and
 * timestamps in bundle_tlog.c; the protojson member readers in
 * bundle_json.c).
 *
 * The rules are those of protobuf-specs (sigstore_bundle.proto and the
 * messages it uses) as Go's protojson reads them: a member may be spelled
 * lowerCamelCase or as the proto field name, null means absent, a zero
 * value is the same as an absent one, int64 is a decimal string or a
 * number, bytes are base64 in either alphabet.  On top of the proto's types
 * come the bundle's own rules (one content, one key material, one DSSE
 * signature, what each version requires) and hallmark's caps. */
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "core/json.h"
#include "core/limits.h"
#include "sigstore/bundle_json.h"

static const char *const hash_names[] = {
	[HM_HASH_UNSPECIFIED] = "HASH_ALGORITHM_UNSPECIFIED",
	[HM_HASH_SHA2_256] = "SHA2_256",
	[HM_HASH_SHA2_384] = "SHA2_384",
	[HM_HASH_SHA2_512] = "SHA2_512",
	[HM_HASH_SHA3_256] = "SHA3_256",
	[HM_HASH_SHA3_384] = "SHA3_384",
};

static int get_hash_alg(enum hm_hash_alg *out, const cJSON *obj, const char *parent)
{
	char path[BJ_PATH_MAX];
	const cJSON *v;
	int err = bj_get(&v, obj, "algorithm", parent);
	size_t n = sizeof(hash_names) / sizeof(hash_names[0]);

	*out = HM_HASH_UNSPECIFIED;
	if (err || !v)
		return err;
	bj_join(path, parent, "algorithm");
	for (size_t i = 0; i < n; i++) {
		if ((cJSON_IsString(v) && strcmp(v->valuestring, hash_names[i]) == 0) ||
		    (cJSON_IsNumber(v) && v->valuedouble == (double)i)) {
			*out = (enum hm_hash_alg)i;
			return HM_OK;
		}
	}
	return bj_bad(path, "unknown hash algorithm");
}
static int parse_media_type(hm_bundle *b, const cJSON *root)
{
	const size_t plen = strlen(HM_BUNDLE_MEDIA_TYPE_LEGACY);
	int err = bj_get_str(&b->media_type, root, "mediaType", "", 1);
	const char *m = b->media_type;

	if (err)
		return err;
	if (strcmp(m, HM_BUNDLE_MEDIA_TYPE_V03) == 0) {
		b->version = HM_BUNDLE_V03;
		return HM_OK;
	}
	if (strncmp(m, HM_BUNDLE_MEDIA_TYPE_LEGACY, plen) == 0) {
		const char *v = m + plen;

		if (strcmp(v, "0.1") == 0)
			b->version = HM_BUNDLE_V01;
		else if (strcmp(v, "0.2") == 0)
			b->version = HM_BUNDLE_V02;
		else if (strcmp(v, "0.3") == 0)
			b->version = HM_BUNDLE_V03;
		if (b->version)
			return HM_OK;
	}
	return bj_bad("mediaType", "unknown media type '%.80s' (known: bundle v0.1, v0.2, v0.3)", m);
}

static int parse_message_signature(hm_bundle *b, const cJSON *ms)
{
	const char *p = "messageSignature";
	const cJSON *md;
	int err = bj_get_obj(&md, ms, "messageDigest", p, 0);

	if (!err && md) {
		b->has_digest = 1;
		err = get_hash_alg(&b->digest_alg, md, "messageSignature.messageDigest");
		if (!err)
			err = bj_get_bytes(&b->message_digest, md, "digest", "messageSignature.messageDigest",
			                   1, HM_BUNDLE_MAX_HASH);
	}
	if (!err)
		err = bj_get_bytes(&b->signature, ms, "signature", p, 1, HM_BUNDLE_MAX_SIG);
	b->content = HM_BUNDLE_MESSAGE_SIGNATURE;
	return err;
}

static int parse_dsse(hm_bundle *b, const cJSON *env)
{
	const char *p = "dsseEnvelope";
	char path[BJ_PATH_MAX];
	const cJSON *sigs, *sig;
	size_t n;
	int err;

	b->content = HM_BUNDLE_DSSE;
	err = bj_get_str(&b->payload_type, env, "payloadType", p, 1);
	if (!err)
		err = bj_get_bytes(&b->payload, env, "payload", p, 1, HM_STATEMENT_MAX);
	if (!err)
		err = bj_get_array(&sigs, &n, env, "signatures", p, 1000);
	if (err)
		return err;
	if (n != 1)
		return bj_bad("dsseEnvelope.signatures", "must hold exactly one signature, not %zu", n);
	sig = cJSON_GetArrayItem(sigs, 0);
	bj_index(path, "dsseEnvelope.signatures", 0);
	if (!cJSON_IsObject(sig))
		return bj_bad(path, "must be an object");
	err = bj_get_bytes(&b->signature, sig, "sig", path, 1, HM_BUNDLE_MAX_SIG);
	if (!err)
		err = bj_get_str(&b->keyid, sig, "keyid", path, 0);
	return err;
}

static int add_cert(hm_bundle *b, const cJSON *cert, const char *path)
{
	size_t cap = b->n_certs;

	if (!cJSON_IsObject(cert))
		return bj_bad(path, "must be an object");
	if (hm_array_reserve(&b->certs, b->n_certs, &cap, sizeof(*b->certs), 1))
		return HM_E_NOMEM;
	hm_buf_init(&b->certs[b->n_certs], 0);
	b->n_certs++;
	return bj_get_bytes(&b->certs[b->n_certs - 1], cert, "rawBytes", path, 1, HM_MAX_CERT_DER);
}

static int parse_material_content(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial";
	const cJSON *pk, *chain, *cert, *certs;
	char path[BJ_PATH_MAX], ipath[BJ_PATH_MAX];
	int err, count;
	size_t n;

	if ((err = bj_get_obj(&pk, vm, "publicKey", p, 0)) ||
	    (err = bj_get_obj(&chain, vm, "x509CertificateChain", p, 0)) ||
	    (err = bj_get_obj(&cert, vm, "certificate", p, 0)))
		return err;
	count = !!pk + !!chain + !!cert;
	if (count != 1)
		return bj_bad(p, count ? "holds more than one of publicKey, x509CertificateChain, certificate"
		                       : "needs one of publicKey, x509CertificateChain, certificate");
	if (pk) {
		b->material = HM_BUNDLE_PUBLIC_KEY;
		return bj_get_str(&b->hint, pk, "hint", "verificationMaterial.publicKey", 0);
	}
	if (cert) {
		if (b->version < HM_BUNDLE_V03)
			return bj_bad("verificationMaterial.certificate",
			              "appears in bundle v0.3 only (this is v%s)",
			              hm_bundle_version_name(b->version));
		b->material = HM_BUNDLE_CERTIFICATE;
		return add_cert(b, cert, "verificationMaterial.certificate");
	}
	if (b->version >= HM_BUNDLE_V03)
		return bj_bad("verificationMaterial.x509CertificateChain",
		              "not allowed in bundle v0.3 (use certificate)");
	b->material = HM_BUNDLE_CERT_CHAIN;
	bj_join(path, p, "x509CertificateChain");
	err = bj_get_array(&certs, &n, chain, "certificates", path, HM_MAX_CHAIN_CERTS);
	if (err)
		return err;
	bj_join(path, path, "certificates");
	if (n == 0)
		return bj_bad(path, "required");
	for (size_t i = 0; i < n && !err; i++)
		err = add_cert(b, cJSON_GetArrayItem(certs, (int)i), bj_index(ipath, path, i));
	return err;
}
int hm_bundle_parse(hm_bundle *out, const void *json, size_t len)
{
	const cJSON *ms, *env, *vm;
	cJSON *root = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (len > HM_BUNDLE_MAX)
		return hm_error_set(HM_E_VERIFY, "bundle: larger than the %u-byte limit", HM_BUNDLE_MAX);
	root = hm_json_parse(json, len, "bundle");
	if (!root)
		return hm_error_wrap(HM_E_VERIFY, "malformed");
	if (!cJSON_IsObject(root)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: not a JSON object");
		goto done;
	}
	if ((err = parse_media_type(out, root)) || (err = bj_get_obj(&ms, root, "messageSignature", "", 0)) ||
	    (err = bj_get_obj(&env, root, "dsseEnvelope", "", 0)))
		goto done;
	if (!ms == !env) {
		err = hm_error_set(HM_E_VERIFY, "bundle: %s",
		                   ms ? "holds both messageSignature and dsseEnvelope"
		                      : "needs messageSignature or dsseEnvelope");
		goto done;
	}
	if ((err = ms ? parse_message_signature(out, ms) : parse_dsse(out, env)) ||
	    (err = bj_get_obj(&vm, root, "verificationMaterial", "", 1)) ||
	    (err = parse_material_content(out, vm)) || (err = bj_parse_tlog(out, vm)) ||
	    (err = bj_parse_timestamps(out, vm)))
		goto done;
	if (!out->keyid)
		out->keyid = strdup("");
	if (!out->hint)
		out->hint = strdup("");
	if (!out->keyid || !out->hint)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	cJSON_Delete(root);
	return err;
}

const char *hm_bundle_version_name(enum hm_bundle_version v)
{
	switch (v) {
	case HM_BUNDLE_V01:
		return "0.1";
	case HM_BUNDLE_V02:
		return "0.2";
	case HM_BUNDLE_V03:
		return "0.3";
	}
	return "?";
}

static void free_bufs(hm_buf *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hm_buf_release(&v[i]);
	free(v);
}

void hm_bundle_free(hm_bundle *b)
{
	if (!b)
		return;
	free(b->media_type);
	hm_buf_release(&b->message_digest);
	hm_buf_release(&b->signature);
	free(b->payload_type);
	hm_buf_release(&b->payload);
	free(b->keyid);
	free(b->hint);
	free_bufs(b->certs, b->n_certs);
	for (size_t i = 0; i < b->n_tlog; i++) {
		hm_bundle_tlog *e = &b->tlog[i];

		hm_buf_release(&e->log_id);
		free(e->kind);
		free(e->version);
		hm_buf_release(&e->signed_entry_timestamp);
		hm_buf_release(&e->proof.root_hash);
		free_bufs(e->proof.hashes, e->proof.n_hashes);
		free(e->proof.checkpoint);
		hm_buf_release(&e->canonicalized_body);
	}
	free(b->tlog);
	free_bufs(b->timestamps, b->n_timestamps);
	memset(b, 0, sizeof(*b));
}
