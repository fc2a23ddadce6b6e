/* SPDX-License-Identifier: Apache-2.0 */
/* cosign v2's keyless layers: the signature layer (.sig, a simple-signing
 * payload signed as a message and logged as hashedrekord) and the
 * attestation layer (.att, a DSSE envelope whose signature covers the PAE,
 * logged as intoto 0.0.1 by the envelope's SHA-256, and timestamped over the
 * whole envelope), both with annotations that carry the Fulcio certificate (dev.sigstore.cosign/certificate,
 * PEM), its chain (dev.sigstore.cosign/chain, PEM, intermediates then
 * root), cosign's "rekor bundle" (dev.sigstore.cosign/bundle: {"SignedEntryTimestamp":
 * base64, "Payload": {"body": base64, "integratedTime": N, "logIndex": N,
 * "logID": hex}}) and optionally an RFC 3161 timestamp
 * (dev.sigstore.cosign/rfc3161timestamp: {"SignedRFC3161Timestamp": base64}).
 * Mapped onto hm_keyless_input and checked by hm_keyless_verify: the SET
 * over the Payload, the logged body binding this signature (or envelope),
 * certificate and payload, the chain at the logged time, the SCT, the
 * identity. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "verify/evidence.h"

#define MAX_ANN (256u << 10) /* one annotation's text */

typedef struct legacy {
	hm_buf leaf, chain[HM_FULCIO_MAX_CHAIN], set, body, log_id, tsa;
	const unsigned char *chain_der[HM_FULCIO_MAX_CHAIN];
	size_t chain_len[HM_FULCIO_MAX_CHAIN], n_chain;
	char kind[64], version[64];
	hm_tlog_entry e;
} legacy;

static void legacy_release(legacy *l)
{
	hm_buf_release(&l->leaf);
	for (size_t i = 0; i < HM_FULCIO_MAX_CHAIN; i++)
		hm_buf_release(&l->chain[i]);
	hm_buf_release(&l->set);
	hm_buf_release(&l->body);
	hm_buf_release(&l->log_id);
	hm_buf_release(&l->tsa);
}

static int der_of(hm_buf *out, X509 *x)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);
	int err;

	if (n <= 0)
		return hm_error_set(HM_E_VERIFY, "certificate: cannot encode");
	err = hm_buf_add(out, p, (size_t)n);
	OPENSSL_free(p);
	return err;
}

/* The PEM certificates of text: the first into l->leaf (leaf) or, for the
 * chain, every one not self-signed (the anchor comes from the trusted root). */
static int read_pem(legacy *l, const char *text, int leaf, const char *what)
{
	BIO *bio;
	X509 *x;
	int err = HM_OK, n = 0;

	if (strlen(text) > MAX_ANN)
		return hm_error_set(HM_E_VERIFY, "%s: larger than %u bytes", what, MAX_ANN);
	if (!(bio = BIO_new_mem_buf(text, -1)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	while (!err && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		n++;
		if (leaf) {
			err = der_of(&l->leaf, x);
			X509_free(x);
			break;
		}
		if (X509_check_issued(x, x) != X509_V_OK) {
			if (l->n_chain == HM_FULCIO_MAX_CHAIN)
				err = hm_error_set(HM_E_VERIFY, "%s: more than %d certificates", what, HM_FULCIO_MAX_CHAIN);
			else
				err = der_of(&l->chain[l->n_chain++], x);
		}
		X509_free(x);
	}
	BIO_free(bio);
	if (!err && leaf && n == 0)
		err = hm_error_set(HM_E_VERIFY, "%s: no PEM certificate", what);
	return err;
}

static int b64_field(hm_buf *out, const cJSON *o, const char *name, const char *what)
{
	const char *s = hm_json_str(o, name);

	if (!s)
		return hm_error_set(HM_E_VERIFY, "%s: %s missing", what, name);
	if (hm_base64_decode(out, s, strlen(s)) != HM_OK)
		return hm_error_set(HM_E_VERIFY, "%s: %s: %s", what, name, hm_error_message());
	return HM_OK;
}

/* cosign's rekor bundle into l->e. */
static int read_rekor(legacy *l, const char *text)
{
	const char *what = HM_ANN_COSIGN_BUNDLE;
	cJSON *j = strlen(text) <= MAX_ANN ? cJSON_Parse(text) : NULL, *p, *body = NULL;
	const cJSON *it, *ix;
	const char *hex;
	unsigned char *id = NULL;
	long n = 0;
	int err;

	if (!j)
		return hm_error_set(HM_E_VERIFY, "%s: not JSON (or larger than %u bytes)", what, MAX_ANN);
	p = cJSON_GetObjectItemCaseSensitive(j, "Payload");
	it = cJSON_GetObjectItemCaseSensitive(p, "integratedTime");
	ix = cJSON_GetObjectItemCaseSensitive(p, "logIndex");
	hex = hm_json_str(p, "logID");
	if ((err = b64_field(&l->set, j, "SignedEntryTimestamp", what)) || (err = b64_field(&l->body, p, "body", what)))
		goto done;
	if (!cJSON_IsNumber(it) || !cJSON_IsNumber(ix) || it->valuedouble < 0 || ix->valuedouble < 0 ||
	    it->valuedouble > 9007199254740991.0 || ix->valuedouble > 9007199254740991.0 || !hex ||
	    strlen(hex) > 2 * HM_BUNDLE_MAX_HASH || !(id = OPENSSL_hexstr2buf(hex, &n)) || n <= 0) {
		err = hm_error_set(HM_E_VERIFY, "%s: Payload needs integratedTime, logIndex (numbers) and logID (hex)", what);
		goto done;
	}
	if ((err = hm_buf_add(&l->log_id, id, (size_t)n)))
		goto done;
	/* kindVersion is what the body says; the SET covers the body. */
	if (!(body = cJSON_ParseWithLength(l->body.data, l->body.len)) || !hm_json_str(body, "kind") ||
	    !hm_json_str(body, "apiVersion")) {
		err = hm_error_set(HM_E_VERIFY, "%s: Payload.body is not a Rekor entry", what);
		goto done;
	}
	snprintf(l->kind, sizeof(l->kind), "%s", hm_json_str(body, "kind"));
	snprintf(l->version, sizeof(l->version), "%s", hm_json_str(body, "apiVersion"));
	l->e.log_id = (const unsigned char *)l->log_id.data;
	l->e.log_id_len = l->log_id.len;
	l->e.log_index = (int64_t)ix->valuedouble;
	l->e.integrated_time = (int64_t)it->valuedouble;
	l->e.kind = l->kind;
	l->e.version = l->version;
	l->e.set = (const unsigned char *)l->set.data;
	l->e.set_len = l->set.len;
	l->e.body = (const unsigned char *)l->body.data;
	l->e.body_len = l->body.len;
done:
	OPENSSL_free(id);
	cJSON_Delete(body);
	cJSON_Delete(j);
	return err;
}

int hm_evidence_is_legacy_keyless(const cJSON *annotations)
{
	return hm_json_str(annotations, HM_ANN_COSIGN_CERT) != NULL;
}

/* HM_E_VERIFY becomes *reason (owned), HM_OK; other errors stay. */
static int to_reason(char **reason, int err)
{
	if (err == HM_E_VERIFY) {
		if ((err = hm_reason_set(reason, "%s", hm_error_message())))
			return err;
		hm_error_clear();
		return HM_OK;
	}
	if (err == HM_OK)
		hm_error_clear();
	return err;
}

/* The one check of both layers: in holds what was signed (the .sig digest
 * and signature, or the .att envelope's payload, signature and bytes); the
 * certificate, chain, Rekor entry and timestamp come from ann. */
static int verify_layer(hm_signer *signer, const cJSON *ann, hm_keyless_input *in, const hm_evidence_opts *o)
{
	const char *rekor = hm_json_str(ann, HM_ANN_COSIGN_BUNDLE), *chain = hm_json_str(ann, HM_ANN_COSIGN_CHAIN);
	const char *ts = hm_json_str(ann, HM_ANN_COSIGN_TSA), *cert = hm_json_str(ann, HM_ANN_COSIGN_CERT);
	const unsigned char *tsa_der[1];
	size_t tsa_len[1];
	hm_trustroot *builtin = NULL;
	legacy l;
	int err;

	memset(&l, 0, sizeof(l));
	if (o->n_identities == 0) {
		err = hm_error_set(HM_E_VERIFY, HM_EVIDENCE_NO_IDENTITY);
		goto done;
	}
	if (!cert) {
		err = hm_error_set(HM_E_VERIFY, "keyless signature without a certificate (%s)", HM_ANN_COSIGN_CERT);
		goto done;
	}
	if (!rekor) {
		err = hm_error_set(HM_E_VERIFY, "keyless signature without a transparency log entry (%s)",
				   HM_ANN_COSIGN_BUNDLE);
		goto done;
	}
	if ((err = read_pem(&l, cert, 1, HM_ANN_COSIGN_CERT)) ||
	    (chain && (err = read_pem(&l, chain, 0, HM_ANN_COSIGN_CHAIN))) || (err = read_rekor(&l, rekor)))
		goto done;
	if (ts) {
		cJSON *j = strlen(ts) <= MAX_ANN ? cJSON_Parse(ts) : NULL;

		err = j ? b64_field(&l.tsa, j, "SignedRFC3161Timestamp", HM_ANN_COSIGN_TSA)
			: hm_error_set(HM_E_VERIFY, "%s: not JSON", HM_ANN_COSIGN_TSA);
		cJSON_Delete(j);
		if (err)
			goto done;
		tsa_der[0] = (const unsigned char *)l.tsa.data;
		tsa_len[0] = l.tsa.len;
		in->tsa_der = tsa_der;
		in->tsa_len = tsa_len;
		in->n_tsa = 1;
	}
	for (size_t i = 0; i < l.n_chain; i++) {
		l.chain_der[i] = (const unsigned char *)l.chain[i].data;
		l.chain_len[i] = l.chain[i].len;
	}
	in->leaf_der = (const unsigned char *)l.leaf.data;
	in->leaf_len = l.leaf.len;
	in->chain_der = l.chain_der;
	in->chain_len = l.chain_len;
	in->n_chain = l.n_chain;
	in->tlog = &l.e;
	in->n_tlog = 1;
	err = HM_E_VERIFY;
	for (size_t i = 0; i < o->n_identities && err == HM_E_VERIFY; i++) {
		const hm_authority *a = &o->identities[i];
		const hm_trustroot *root = a->trustroot;
		hm_keyless_result res;

		if (!root && !builtin && (err = hm_trustroot_builtin(&builtin)) != HM_OK)
			goto done;
		if (!root)
			root = builtin;
		memset(&res, 0, sizeof(res));
		err = hm_keyless_verify(&res, in, root, &a->identity);
		if (err == HM_E_USAGE)
			err = HM_E_VERIFY;
		if (err != HM_OK)
			continue;
		hm_signer_set_keyless(signer, &res.id, &a->identity, a->trustroot);
		signer->log_index = res.log_index;
		signer->time = res.n_times ? res.times[0] : 0;
		hm_keyless_result_release(&res);
	}
done:
	in->tsa_der = NULL;
	in->n_tsa = 0;
	in->tlog = NULL;
	in->n_tlog = 0;
	in->leaf_der = NULL;
	in->chain_der = NULL;
	in->n_chain = 0;
	hm_trustroot_free(builtin);
	legacy_release(&l);
	return err;
}

int hm_evidence_legacy_keyless(char **reason, hm_signer *signer, const cJSON *ann, const void *sig, size_t sig_len,
			       const void *payload, size_t len, const hm_evidence_opts *o)
{
	unsigned char digest[32];
	hm_keyless_input in = {0};

	*reason = NULL;
	SHA256(payload, len, digest);
	in.sig = sig;
	in.sig_len = sig_len;
	in.digest = digest;
	return to_reason(reason, verify_layer(signer, ann, &in, o));
}

/* cosign's envelope: payloadType, payload and exactly one signature. */
static int read_envelope(char **type, hm_buf *payload, hm_buf *sig, const void *env, size_t len)
{
	cJSON *j = hm_json_parse(env, len, "DSSE envelope");
	const cJSON *sigs;
	const char *t, *p, *s;
	int err = HM_OK;

	if (!j)
		return hm_error_wrap(HM_E_VERIFY, "malformed DSSE envelope");
	t = hm_json_str(j, "payloadType");
	p = hm_json_str(j, "payload");
	sigs = cJSON_GetObjectItemCaseSensitive(j, "signatures");
	s = cJSON_IsArray(sigs) && cJSON_GetArraySize(sigs) == 1 ? hm_json_str(cJSON_GetArrayItem(sigs, 0), "sig")
								   : NULL;
	if (!t || !p || !s)
		err = hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: needs payloadType, payload and exactly one "
						"signature (a keyless attestation)");
	else if (hm_base64_decode(payload, p, strlen(p)) != HM_OK || hm_base64_decode(sig, s, strlen(s)) != HM_OK)
		err = hm_error_set(HM_E_VERIFY, "malformed DSSE envelope: %s", hm_error_message());
	else if (!(*type = strdup(t)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	cJSON_Delete(j);
	return err;
}

int hm_evidence_legacy_keyless_att(char **reason, hm_signer *signer, const cJSON *ann, const void *env,
				   size_t env_len, const hm_evidence_opts *o, char **payload_type, hm_buf *payload)
{
	hm_buf sig = HM_BUF_INIT;
	hm_keyless_input in = {0};
	int err;

	*reason = NULL;
	*payload_type = NULL;
	if ((err = read_envelope(payload_type, payload, &sig, env, env_len)) == HM_OK) {
		in.sig = (const unsigned char *)sig.data;
		in.sig_len = sig.len;
		in.payload_type = *payload_type;
		in.payload = (const unsigned char *)payload->data;
		in.payload_len = payload->len;
		in.envelope = env;
		in.envelope_len = env_len;
		in.tsa_data = env;
		in.tsa_data_len = env_len;
		err = verify_layer(signer, ann, &in, o);
	}
	hm_buf_release(&sig);
	if (err) {
		free(*payload_type);
		*payload_type = NULL;
		hm_buf_reset(payload);
	}
	return to_reason(reason, err);
}
