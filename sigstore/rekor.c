/* SPDX-License-Identifier: Apache-2.0 */
/* Rekor entries: the v1 signed entry timestamp and the binding of a logged
 * body to the signature being verified. */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "sigstore/rekor.h"

int hm_rekor_verify_set(const hm_tlog_entry *e, const hm_trustroot *tr)
{
	const hm_trust_log *log = hm_trustroot_tlog_by_id(tr, e->log_id, e->log_id_len);
	char logid[2 * sizeof(log->log_id) + 1];
	hm_buf payload = HM_BUF_INIT;
	EVP_MD_CTX *c = NULL;
	int err;

	if (!e->set)
		return hm_error_set(HM_E_VERIFY, "transparency log entry has no signed entry timestamp");
	if (!log)
		return hm_error_set(HM_E_VERIFY, "transparency log entry is from a log not in the trusted root");
	if (!hm_trust_valid_at(log->start, log->end, e->integrated_time))
		return hm_error_set(HM_E_VERIFY, "log '%s' was not valid at the entry's integrated time", log->base_url);
	if (e->body_len > HM_MAX_TLOG_BODY)
		return hm_error_set(HM_E_VERIFY, "log entry body exceeds %u bytes", HM_MAX_TLOG_BODY);
	hm_hex_encode(logid, e->log_id, e->log_id_len);
	/* RFC 8785 canonical form of these four members: keys sorted, no
	 * spaces, integers in decimal; base64 and hex need no escaping. */
	if ((err = hm_buf_addstr(&payload, "{\"body\":\"")) != HM_OK ||
	    (err = hm_base64_encode(&payload, e->body, e->body_len)) != HM_OK ||
	    (err = hm_buf_addf(&payload, "\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
			       (long long)e->integrated_time, logid, (long long)e->log_index)) != HM_OK)
		goto done;
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, log->key) != 1 ||
	    EVP_DigestVerify(c, e->set, e->set_len, (const unsigned char *)payload.data, payload.len) != 1)
		err = hm_error_set(HM_E_VERIFY, "signed entry timestamp of log entry %lld does not verify",
				   (long long)e->log_index);
done:
	EVP_MD_CTX_free(c);
	hm_buf_release(&payload);
	return err;
}

/* The JSON value at a dotted path of objects (borrowed), or NULL. */
static const cJSON *at(const cJSON *j, const char *path)
{
	char key[64];

	while (j && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		j = cJSON_GetObjectItemCaseSensitive(j, key);
		path += n + (path[n] == '.');
	}
	return j;
}

static const char *str_at(const cJSON *j, const char *path)
{
	const cJSON *v = at(j, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 when the base64 string s decodes to exactly (p, n). */
static int b64_equals(const char *s, const void *p, size_t n)
{
	hm_buf b = HM_BUF_INIT;
	int eq = s && hm_base64_decode(&b, s, strlen(s)) == HM_OK && b.len == n && (n == 0 || memcmp(b.data, p, n) == 0);

	hm_buf_release(&b);
	return eq;
}

static int hex_equals(const char *s, const unsigned char *p, size_t n)
{
	char want[2 * 64 + 1];

	if (!s || n > 64)
		return 0;
	hm_hex_encode(want, p, n);
	return strcmp(s, want) == 0;
}

/* 1 when pem_b64 (base64 of a PEM certificate, as Rekor v1 stores it) is the
 * certificate cert_der. */
static int pem_cert_equals(const char *pem_b64, const unsigned char *der, size_t len)
{
	hm_buf pem = HM_BUF_INIT;
	BIO *bio = NULL;
	X509 *x = NULL, *want = NULL;
	const unsigned char *p = der;
	int eq = 0;

	if (!pem_b64 || hm_base64_decode(&pem, pem_b64, strlen(pem_b64)) != HM_OK)
		goto done;
	if (!(bio = BIO_new_mem_buf(pem.data, (int)pem.len)) || !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		goto done;
	if (!(want = d2i_X509(NULL, &p, (long)len)) || p != der + len)
		goto done;
	eq = X509_cmp(x, want) == 0;
done:
	X509_free(x);
	X509_free(want);
	BIO_free(bio);
	hm_buf_release(&pem);
	return eq;
}

/* 1 when pem_b64 (base64 of a PEM public key) is the SubjectPublicKeyInfo
 * der. */
static int pem_key_equals(const char *pem_b64, const unsigned char *der, size_t len)
{
	hm_buf pem = HM_BUF_INIT;
	BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *mine = NULL;
	int n, eq = 0;

	if (!pem_b64 || hm_base64_decode(&pem, pem_b64, strlen(pem_b64)) != HM_OK)
		goto done;
	if (!(bio = BIO_new_mem_buf(pem.data, (int)pem.len)) || !(k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)))
		goto done;
	n = i2d_PUBKEY(k, &mine);
	eq = n > 0 && (size_t)n == len && memcmp(mine, der, len) == 0;
done:
	OPENSSL_free(mine);
	EVP_PKEY_free(k);
	BIO_free(bio);
	hm_buf_release(&pem);
	return eq;
}

/* 1 when pem_b64 (Rekor v1: base64 of PEM) is the subject's certificate or,
 * for a managed key, its public key. */
static int pem_verifier_is(const char *pem_b64, const hm_rekor_subject *s)
{
	return s->cert_der ? pem_cert_equals(pem_b64, s->cert_der, s->cert_len)
			   : pem_key_equals(pem_b64, s->key_der, s->key_len);
}

/* The SHA-256 the entry's data digest must be: the artifact's for a
 * message signature, PAE(type, payload)'s for a DSSE envelope. */
static int signed_digest(unsigned char out[32], const hm_rekor_subject *s)
{
	hm_buf pae = HM_BUF_INIT;
	int err;

	if (s->digest) {
		memcpy(out, s->digest, 32);
		return HM_OK;
	}
	if ((err = hm_dsse_pae(&pae, s->payload_type ? s->payload_type : "", s->payload, s->payload_len)) != HM_OK)
		return err;
	SHA256((const unsigned char *)pae.data, pae.len, out);
	hm_buf_release(&pae);
	return HM_OK;
}

static int mismatch(const char *kind, const char *what)
{
	return hm_error_set(HM_E_VERIFY, "transparency log entry (%s) records a different %s", kind, what);
}

static int bind_hashedrekord_v1(const cJSON *spec, const hm_rekor_subject *s)
{
	unsigned char d[32];
	const char *alg = str_at(spec, "data.hash.algorithm");
	int err;

	if ((err = signed_digest(d, s)) != HM_OK)
		return err;
	if (!alg || strcmp(alg, "sha256") != 0 || !hex_equals(str_at(spec, "data.hash.value"), d, 32))
		return mismatch("hashedrekord", "artifact digest");
	if (!b64_equals(str_at(spec, "signature.content"), s->sig, s->sig_len))
		return mismatch("hashedrekord", "signature");
	if (!pem_verifier_is(str_at(spec, "signature.publicKey.content"), s))
		return mismatch("hashedrekord", s->cert_der ? "certificate" : "public key");
	return HM_OK;
}

/* Rekor v2 Verifier {x509Certificate {rawBytes}} or {publicKey {rawBytes}}. */
static int v2_verifier_is(const cJSON *verifier, const hm_rekor_subject *s)
{
	if (s->cert_der)
		return b64_equals(str_at(verifier, "x509Certificate.rawBytes"), s->cert_der, s->cert_len);
	return b64_equals(str_at(verifier, "publicKey.rawBytes"), s->key_der, s->key_len);
}

static int bind_hashedrekord_v2(const cJSON *spec, const hm_rekor_subject *s)
{
	const cJSON *h = at(spec, "hashedRekordV002");
	unsigned char d[32];
	const char *alg = str_at(h, "data.algorithm");
	int err;

	if ((err = signed_digest(d, s)) != HM_OK)
		return err;
	if (!alg || strcmp(alg, "SHA2_256") != 0 || !b64_equals(str_at(h, "data.digest"), d, 32))
		return mismatch("hashedrekord", "artifact digest");
	if (!b64_equals(str_at(h, "signature.content"), s->sig, s->sig_len))
		return mismatch("hashedrekord", "signature");
	if (!v2_verifier_is(at(h, "signature.verifier"), s))
		return mismatch("hashedrekord", "certificate");
	return HM_OK;
}

static int payload_hash_is(const char *alg, const char *value, int v2, const hm_rekor_subject *s)
{
	unsigned char d[32];

	if (!s->payload)
		return 0;
	SHA256(s->payload, s->payload_len, d);
	if (v2)
		return alg && strcmp(alg, "SHA2_256") == 0 && b64_equals(value, d, 32);
	return alg && strcmp(alg, "sha256") == 0 && hex_equals(value, d, 32);
}

static int bind_dsse(const cJSON *spec, const hm_rekor_subject *s, int v2)
{
	const cJSON *d = v2 ? at(spec, "dsseV002") : spec, *sigs, *one;

	if (!s->payload)
		return hm_error_set(HM_E_VERIFY, "a dsse log entry cannot record a message signature");
	if (!payload_hash_is(str_at(d, v2 ? "payloadHash.algorithm" : "payloadHash.algorithm"),
			     str_at(d, v2 ? "payloadHash.digest" : "payloadHash.value"), v2, s))
		return mismatch("dsse", "payload hash");
	sigs = at(d, "signatures");
	if (!cJSON_IsArray(sigs))
		sigs = NULL;
	cJSON_ArrayForEach(one, sigs) {
		if (v2 ? b64_equals(str_at(one, "content"), s->sig, s->sig_len) && v2_verifier_is(at(one, "verifier"), s)
		       : b64_equals(str_at(one, "signature"), s->sig, s->sig_len) &&
				 pem_verifier_is(str_at(one, "verifier"), s))
			return HM_OK;
	}
	return mismatch("dsse", "signature or certificate");
}

/* intoto 0.0.2: spec.content.payloadHash, and envelope.signatures[] whose
 * sig is base64 of the envelope's (itself base64) signature and publicKey the
 * base64 of the PEM certificate. */
static int bind_intoto(const cJSON *spec, const hm_rekor_subject *s)
{
	const cJSON *sigs = at(spec, "content.envelope.signatures"), *one;
	hm_buf sigb64 = HM_BUF_INIT;
	int err;

	if (!s->payload)
		return hm_error_set(HM_E_VERIFY, "an intoto log entry cannot record a message signature");
	if (!payload_hash_is(str_at(spec, "content.payloadHash.algorithm"), str_at(spec, "content.payloadHash.value"),
			     0, s))
		return mismatch("intoto", "payload hash");
	if ((err = hm_base64_encode(&sigb64, s->sig, s->sig_len)) != HM_OK)
		return err;
	err = mismatch("intoto", "signature or certificate");
	if (!cJSON_IsArray(sigs))
		sigs = NULL;
	cJSON_ArrayForEach(one, sigs) {
		if (b64_equals(str_at(one, "sig"), sigb64.data, sigb64.len) &&
		    pem_verifier_is(str_at(one, "publicKey"), s)) {
			hm_error_clear();
			err = HM_OK;
			break;
		}
	}
	hm_buf_release(&sigb64);
	return err;
}

/* intoto 0.0.1 (cosign v2's attestations): Rekor keeps no signature, only
 * content.hash, the SHA-256 of the envelope as uploaded (its signatures
 * included), content.payloadHash, the SHA-256 of the decoded payload, and
 * publicKey, base64 of the PEM certificate; the envelope itself is
 * write-only and never in the body.  The envelope hash is the binding. */
static int bind_intoto_v1(const cJSON *spec, const hm_rekor_subject *s)
{
	unsigned char d[32];
	const char *alg = str_at(spec, "content.hash.algorithm");

	if (!s->payload || !s->envelope)
		return hm_error_set(HM_E_VERIFY, "an intoto 0.0.1 log entry binds a DSSE envelope, none was given");
	SHA256(s->envelope, s->envelope_len, d);
	if (!alg || strcmp(alg, "sha256") != 0 || !hex_equals(str_at(spec, "content.hash.value"), d, 32))
		return mismatch("intoto", "envelope hash");
	if (at(spec, "content.payloadHash") &&
	    !payload_hash_is(str_at(spec, "content.payloadHash.algorithm"), str_at(spec, "content.payloadHash.value"),
			     0, s))
		return mismatch("intoto", "payload hash");
	if (!pem_verifier_is(str_at(spec, "publicKey"), s))
		return mismatch("intoto", s->cert_der ? "certificate" : "public key");
	return HM_OK;
}

int hm_rekor_entry_binds(const void *body, size_t len, const hm_rekor_subject *s)
{
	cJSON *j;
	const char *kind, *ver;
	const cJSON *spec;
	int err;

	if (len > HM_MAX_TLOG_BODY)
		return hm_error_set(HM_E_VERIFY, "log entry body exceeds %u bytes", HM_MAX_TLOG_BODY);
	if (!s->sig || (!s->cert_der && !s->key_der) || (!s->digest && !s->payload))
		return hm_error_set(HM_E_USAGE, "nothing to bind the log entry to");
	if (!(j = hm_json_parse(body, len, "transparency log entry body")))
		return HM_E_VERIFY;
	kind = hm_json_str(j, "kind");
	ver = hm_json_str(j, "apiVersion");
	spec = cJSON_GetObjectItemCaseSensitive(j, "spec");
	if (!kind || !ver || !cJSON_IsObject(spec))
		err = hm_error_set(HM_E_VERIFY, "transparency log entry body lacks kind, apiVersion or spec");
	else if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.1") == 0)
		err = bind_hashedrekord_v1(spec, s);
	else if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.2") == 0)
		err = bind_hashedrekord_v2(spec, s);
	else if (strcmp(kind, "dsse") == 0 && strcmp(ver, "0.0.1") == 0)
		err = bind_dsse(spec, s, 0);
	else if (strcmp(kind, "dsse") == 0 && strcmp(ver, "0.0.2") == 0)
		err = bind_dsse(spec, s, 1);
	else if (strcmp(kind, "intoto") == 0 && strcmp(ver, "0.0.1") == 0)
		err = bind_intoto_v1(spec, s);
	else if (strcmp(kind, "intoto") == 0 && strcmp(ver, "0.0.2") == 0)
		err = bind_intoto(spec, s);
	else
		err = hm_error_set(HM_E_VERIFY, "unsupported transparency log entry kind %.40s %.20s", kind, ver);
	cJSON_Delete(j);
	return err;
}

/* kind/apiVersion of the body must be what kindVersion claims. */
static int kind_matches(const hm_tlog_entry *e)
{
	cJSON *j = hm_json_parse(e->body, e->body_len, "transparency log entry body");
	const char *k, *v;
	int ok;

	if (!j)
		return 0;
	k = hm_json_str(j, "kind");
	v = hm_json_str(j, "apiVersion");
	ok = k && v && e->kind && e->version && strcmp(k, e->kind) == 0 && strcmp(v, e->version) == 0;
	cJSON_Delete(j);
	return ok;
}

int hm_rekor_verify_entry(const hm_tlog_entry *e, const hm_trustroot *tr, const hm_rekor_subject *s,
			  int64_t *time_out)
{
	int v2 = e->version && e->kind && strcmp(e->version, "0.0.2") == 0 && strcmp(e->kind, "intoto") != 0;
	int err;

	*time_out = 0;
	if (e->log_index < 0)
		return hm_error_set(HM_E_VERIFY, "transparency log entry has a negative log index");
	if (!hm_trustroot_tlog_by_id(tr, e->log_id, e->log_id_len))
		return hm_error_set(HM_E_VERIFY, "transparency log entry is from a log not in the trusted root");
	if (!e->body || e->body_len > HM_MAX_TLOG_BODY)
		return hm_error_set(HM_E_VERIFY, "transparency log entry has no body or one over %u bytes",
				    HM_MAX_TLOG_BODY);
	if (!kind_matches(e))
		return hm_error_set(HM_E_VERIFY, "transparency log entry body is not the %s %s it claims to be",
				    e->kind ? e->kind : "?", e->version ? e->version : "?");
	if (!e->set && !e->has_proof)
		return hm_error_set(HM_E_VERIFY, "transparency log entry has neither a signed entry timestamp "
						 "nor an inclusion proof");
	if (v2 && !e->has_proof)
		return hm_error_set(HM_E_VERIFY, "a Rekor v2 entry needs an inclusion proof");
	if (e->set && (err = hm_rekor_verify_set(e, tr)) != HM_OK)
		return err;
	if (e->has_proof && (err = hm_rekor_verify_inclusion(e, tr)) != HM_OK)
		return err;
	if ((err = hm_rekor_entry_binds(e->body, e->body_len, s)) != HM_OK)
		return err;
	if (e->set)
		*time_out = e->integrated_time;
	return HM_OK;
}
