/* SPDX-License-Identifier: Apache-2.0 */
/* What the JWS and COSE envelopes share: the header rules of the signature
 * specification, the signature check, the payload check. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "notation/internal.h"

const char *hm_notation_alg_name(enum hm_notation_alg a)
{
	static const char *const names[] = {"?", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};

	return a >= HM_NOTATION_PS256 && a <= HM_NOTATION_ES512 ? names[a] : "?";
}

const char *hm_notation_scheme_name(enum hm_notation_scheme s)
{
	return s == HM_NOTATION_X509 ? "notary.x509"
	       : s == HM_NOTATION_X509_SIGNING_AUTHORITY ? "notary.x509.signingAuthority"
							 : "?";
}

const char *hm_notation_format_name(enum hm_notation_format f)
{
	return f == HM_NOTATION_JWS ? "jws" : f == HM_NOTATION_COSE ? "cose" : "?";
}

int hm_notation_envelope_parse(hm_notation_envelope *out, const void *data, size_t len,
			       const char *media_type)
{
	memset(out, 0, sizeof(*out));
	hm_buf_init(&out->payload, HM_NOTATION_MAX_PAYLOAD);
	hm_buf_init(&out->signed_bytes, HM_NOTATION_MAX_ENVELOPE);
	hm_buf_init(&out->signature, 1024);
	hm_buf_init(&out->timestamp, HM_MAX_TIMESTAMP_DER);
	if (!(out->chain = sk_X509_new_null()))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (len == 0 || len > HM_NOTATION_MAX_ENVELOPE)
		return hm_error_set(HM_E_VERIFY, "notation envelope is empty or over %u bytes",
				    HM_NOTATION_MAX_ENVELOPE);
	if (media_type && strcmp(media_type, HM_NOTATION_MT_JWS) == 0)
		return nt_jws_parse(out, data, len);
	if (media_type && strcmp(media_type, HM_NOTATION_MT_COSE) == 0)
		return nt_cose_parse(out, data, len);
	return hm_error_set(HM_E_VERIFY, "notation envelope media type '%s' is not %s or %s",
			    media_type ? media_type : "", HM_NOTATION_MT_JWS, HM_NOTATION_MT_COSE);
}

void hm_notation_envelope_free(hm_notation_envelope *e)
{
	if (!e)
		return;
	free(e->signing_agent);
	hm_buf_release(&e->payload);
	hm_buf_release(&e->signed_bytes);
	hm_buf_release(&e->signature);
	hm_buf_release(&e->timestamp);
	sk_X509_pop_free(e->chain, X509_free);
	memset(e, 0, sizeof(*e));
}

/* The extended attributes hallmark understands and that may (or must) be critical. */
static int known_critical(const char *name)
{
	return strcmp(name, NT_SCHEME) == 0 || strcmp(name, NT_AUTHENTIC_TIME) == 0 ||
	       strcmp(name, NT_EXPIRY) == 0 || strcmp(name, NT_PLUGIN) == 0 || strcmp(name, NT_PLUGIN_MIN) == 0;
}

static int in_crit(const nt_headers *h, const char *name)
{
	for (size_t i = 0; i < h->n_crit; i++)
		if (strcmp(h->crit[i], name) == 0)
			return 1;
	return 0;
}

int nt_headers_check(hm_notation_envelope *e, const nt_headers *h)
{
	const char *f = h->fmt;

	if (!h->cty || strcmp(h->cty, HM_NOTATION_MT_PAYLOAD) != 0)
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: content type '%s' is not %s", f,
				    h->cty ? h->cty : "(absent)", HM_NOTATION_MT_PAYLOAD);
	if (!h->has_crit)
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: protected header has no crit", f);
	for (size_t i = 0; i < h->n_crit; i++) {
		if (!known_critical(h->crit[i]))
			return hm_error_set(HM_E_VERIFY,
					    "notation %s envelope: unknown critical header '%s' (not understood, refused)",
					    f, h->crit[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(h->crit[i], h->crit[j]) == 0)
				return hm_error_set(HM_E_VERIFY, "notation %s envelope: crit lists '%s' twice", f,
						    h->crit[i]);
	}
	/* Every critical attribute present must be listed, and crit lists nothing absent. */
	struct {
		const char *name;
		int present;
	} attrs[] = {{NT_SCHEME, h->scheme != NULL},        {NT_AUTHENTIC_TIME, h->has_authentic_time},
		     {NT_EXPIRY, h->has_expiry},            {NT_PLUGIN, h->has_plugin},
		     {NT_PLUGIN_MIN, h->has_plugin_min}};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].present && !in_crit(h, attrs[i].name))
			return hm_error_set(HM_E_VERIFY, "notation %s envelope: '%s' is present but not listed in crit",
					    f, attrs[i].name);
		if (!attrs[i].present && in_crit(h, attrs[i].name))
			return hm_error_set(HM_E_VERIFY, "notation %s envelope: crit lists '%s', which is absent", f,
					    attrs[i].name);
	}
	if (h->has_plugin || h->has_plugin_min)
		return hm_error_set(HM_E_VERIFY,
				    "notation %s envelope: the signature requires a verification plugin (%s); "
				    "plugins are not supported",
				    f, NT_PLUGIN);
	if (!h->scheme)
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: no %s", f, NT_SCHEME);
	if (strcmp(h->scheme, "notary.x509") == 0) {
		if (!h->has_signing_time)
			return hm_error_set(HM_E_VERIFY, "notation %s envelope: notary.x509 requires %s", f,
					    NT_SIGNING_TIME);
		if (h->has_authentic_time)
			return hm_error_set(HM_E_VERIFY, "notation %s envelope: %s is not valid under notary.x509", f,
					    NT_AUTHENTIC_TIME);
		e->scheme = HM_NOTATION_X509;
	} else if (strcmp(h->scheme, "notary.x509.signingAuthority") == 0) {
		if (!h->has_authentic_time)
			return hm_error_set(HM_E_VERIFY, "notation %s envelope: notary.x509.signingAuthority requires %s",
					    f, NT_AUTHENTIC_TIME);
		if (h->has_signing_time)
			return hm_error_set(HM_E_VERIFY,
					    "notation %s envelope: %s is not valid under notary.x509.signingAuthority", f,
					    NT_SIGNING_TIME);
		e->scheme = HM_NOTATION_X509_SIGNING_AUTHORITY;
	} else {
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: signing scheme '%s' is not supported", f,
				    h->scheme);
	}
	e->has_signing_time = h->has_signing_time;
	e->signing_time = h->signing_time;
	e->has_authentic_signing_time = h->has_authentic_time;
	e->authentic_signing_time = h->authentic_time;
	e->has_expiry = h->has_expiry;
	e->expiry = h->expiry;
	return HM_OK;
}

int nt_chain_add(hm_notation_envelope *e, const unsigned char *der, size_t len, const char *fmt)
{
	const unsigned char *p = der;
	X509 *x;

	if (sk_X509_num(e->chain) >= HM_MAX_CHAIN_CERTS)
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: more than %d certificates", fmt,
				    HM_MAX_CHAIN_CERTS);
	x = len > 0 && len <= HM_MAX_CERT_DER ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (!x || p != der + len) {
		X509_free(x);
		return hm_error_set(HM_E_VERIFY, "notation %s envelope: certificate %d is not one DER certificate",
				    fmt, sk_X509_num(e->chain));
	}
	if (!sk_X509_push(e->chain, x)) {
		X509_free(x);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return HM_OK;
}

/* The alg the leaf's key calls for, or 0. */
static enum hm_notation_alg alg_for_key(EVP_PKEY *k)
{
	int bits = EVP_PKEY_get_bits(k);

	if (EVP_PKEY_is_a(k, "RSA"))
		return bits == 2048 ? HM_NOTATION_PS256 : bits == 3072 ? HM_NOTATION_PS384 : bits == 4096 ? HM_NOTATION_PS512 : 0;
	if (EVP_PKEY_is_a(k, "EC")) {
		char group[64];

		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
			return 0;
		return strcmp(group, "prime256v1") == 0 ? HM_NOTATION_ES256
		       : strcmp(group, "secp384r1") == 0 ? HM_NOTATION_ES384
		       : strcmp(group, "secp521r1") == 0 ? HM_NOTATION_ES512
							  : 0;
	}
	return 0;
}

/* Raw r||s (each n bytes) to a DER ECDSA-Sig-Value, appended to out. */
static int ecdsa_raw_to_der(hm_buf *out, const unsigned char *raw, size_t len, size_t n)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = NULL, *ss = NULL;
	unsigned char *der = NULL;
	int dlen, err = HM_E_VERIFY;

	if (!s || len != 2 * n)
		goto done;
	r = BN_bin2bn(raw, (int)n, NULL);
	ss = BN_bin2bn(raw + n, (int)n, NULL);
	if (!r || !ss || !ECDSA_SIG_set0(s, r, ss))
		goto done;
	r = ss = NULL;
	if ((dlen = i2d_ECDSA_SIG(s, &der)) > 0)
		err = hm_buf_add(out, der, (size_t)dlen);
done:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return err;
}

int nt_signature_verify(const hm_notation_envelope *e)
{
	static const char *const md[] = {NULL, "SHA256", "SHA384", "SHA512", "SHA256", "SHA384", "SHA512"};
	static const size_t coord[] = {0, 0, 0, 0, 32, 48, 66};
	X509 *leaf = sk_X509_value(e->chain, 0);
	EVP_PKEY *k = leaf ? X509_get0_pubkey(leaf) : NULL;
	enum hm_notation_alg want;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	hm_buf der = HM_BUF_INIT;
	const unsigned char *sig = (const unsigned char *)e->signature.data;
	size_t sig_len = e->signature.len;
	int err = HM_E_VERIFY;

	if (!k)
		return hm_error_set(HM_E_VERIFY, "notation signature: no signing certificate");
	if (!(want = alg_for_key(k)))
		return hm_error_set(HM_E_VERIFY,
				    "notation signature: the signing certificate's %s-%d key is not one the "
				    "specification allows (RSA 2048/3072/4096, ECDSA P-256/P-384/P-521)",
				    EVP_PKEY_get0_type_name(k), EVP_PKEY_get_bits(k));
	if (want != e->alg)
		return hm_error_set(HM_E_VERIFY, "notation signature: alg %s does not match the signing key (%s)",
				    hm_notation_alg_name(e->alg), hm_notation_alg_name(want));
	if (e->alg >= HM_NOTATION_ES256) {
		if (ecdsa_raw_to_der(&der, sig, sig_len, coord[e->alg]) != HM_OK) {
			err = hm_error_set(HM_E_VERIFY, "notation signature: ECDSA signature is not %zu raw bytes",
					   2 * coord[e->alg]);
			goto done;
		}
		sig = (const unsigned char *)der.data;
		sig_len = der.len;
	}
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestVerifyInit_ex(ctx, &pctx, md[e->alg], NULL, NULL, k, NULL) != 1 ||
	    (e->alg <= HM_NOTATION_PS512 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
					     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))) {
		err = hm_error_set(HM_E_VERIFY, "notation signature: cannot set up %s verification",
				   hm_notation_alg_name(e->alg));
		goto done;
	}
	if (EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)e->signed_bytes.data, e->signed_bytes.len) != 1) {
		err = hm_error_set(HM_E_VERIFY, "notation signature: %s signature does not verify with the signing "
						"certificate's key (tampered envelope or payload)",
				   hm_notation_alg_name(e->alg));
		goto done;
	}
	err = HM_OK;
done:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	hm_buf_release(&der);
	return err;
}

int nt_payload_check(cJSON **annotations, const hm_notation_envelope *e, const hm_descriptor *target)
{
	cJSON *j = nt_json_parse(e->payload.data, e->payload.len, "notation payload", HM_E_VERIFY);
	const cJSON *t, *size, *ann;
	const char *mt, *dg;
	int err = HM_E_VERIFY;

	*annotations = NULL;
	if (!j)
		return HM_E_VERIFY;
	t = cJSON_GetObjectItemCaseSensitive(j, "targetArtifact");
	mt = hm_json_str(t, "mediaType");
	dg = hm_json_str(t, "digest");
	size = cJSON_GetObjectItemCaseSensitive(t, "size");
	ann = cJSON_GetObjectItemCaseSensitive(t, "annotations");
	if (!cJSON_IsObject(t) || !mt || !dg || !cJSON_IsNumber(size) || (ann && !cJSON_IsObject(ann))) {
		err = hm_error_set(HM_E_VERIFY, "notation payload: targetArtifact needs mediaType, digest and size");
		goto done;
	}
	if (strcmp(dg, target->digest) != 0) {
		err = hm_error_set(HM_E_VERIFY, "notation payload: signed digest %s is not the image's %s", dg,
				   target->digest);
		goto done;
	}
	if (size->valuedouble != (double)target->size || size->valuedouble < 0 || size->valuedouble > 9.0e15) {
		err = hm_error_set(HM_E_VERIFY, "notation payload: signed size %.0f is not the image's %lld",
				   size->valuedouble, (long long)target->size);
		goto done;
	}
	if (!target->media_type || strcmp(mt, target->media_type) != 0) {
		err = hm_error_set(HM_E_VERIFY, "notation payload: signed media type '%s' is not the image's '%s'",
				   mt, target->media_type ? target->media_type : "");
		goto done;
	}
	if (ann && !(*annotations = cJSON_Duplicate(ann, 1))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = HM_OK;
done:
	cJSON_Delete(j);
	return err;
}

int nt_b64url_decode(hm_buf *out, const char *in, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return hm_error_set(HM_E_VERIFY, "%s: invalid base64url character at offset %zu", what, i);
	}
	if (len % 4 == 1 || hm_base64_decode(out, in, len) != HM_OK)
		return hm_error_set(HM_E_VERIFY, "%s: invalid base64url", what);
	return HM_OK;
}

cJSON *nt_json_parse(const void *data, size_t len, const char *what, int code)
{
	cJSON *j = hm_json_parse(data, len, what);

	if (!j)
		hm_error_set(code, "%s", hm_error_message());
	return j;
}
