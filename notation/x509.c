/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 for notation: the certificate requirements of the signature
 * specification, the path to a trust store, validity periods, and RFC 3161
 * timestamp countersignatures.  All of it through OpenSSL. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/error.h"
#include "notation/internal.h"

int nt_asn1_time(int64_t *out, const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	*out = (int64_t)timegm(&tm);
	return 1;
}

char *nt_subject_string(X509 *x)
{
	const X509_NAME *name = X509_get_subject_name(x);
	hm_buf b = HM_BUF_INIT;

	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *v = NULL;
		char oid[80];
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;

		if (!sn) {
			OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
			sn = oid;
		}
		if (ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e)) < 0) {
			hm_buf_release(&b);
			return NULL;
		}
		hm_buf_addf(&b, "%s%s=%s", i ? ", " : "", sn, (const char *)v);
		OPENSSL_free(v);
	}
	return hm_buf_detach(&b, NULL);
}

/* Describes certificate i of the chain for messages. */
static int cert_err(X509 *x, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cert_err(X509 *x, int i, const char *fmt, ...)
{
	char *s = nt_subject_string(x);
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hm_error_set(HM_E_VERIFY, "notation certificate %d ('%s'): %s", i, s ? s : "?", why);
	free(s);
	return HM_E_VERIFY;
}

static int ext_critical(X509 *x, int nid)
{
	int at = X509_get_ext_by_NID(x, nid, -1);

	return at >= 0 ? X509_EXTENSION_get_critical(X509_get_ext(x, at)) : -1; /* -1: absent */
}

/* Key size and signature hash rules, for every certificate. */
static int key_and_hash(X509 *x, int i)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	int md = NID_undef, pk = NID_undef;
	char bits[32];

	if (!k)
		return cert_err(x, i, "%s", "has no usable public key");
	snprintf(bits, sizeof(bits), "%d", EVP_PKEY_get_bits(k));
	if (EVP_PKEY_is_a(k, "RSA")) {
		if (EVP_PKEY_get_bits(k) < 2048)
			return cert_err(x, i, "RSA key of %s bits is under the 2048 the specification requires", bits);
	} else if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_bits(k) < 256)
			return cert_err(x, i, "EC key of %s bits is under the 256 the specification requires", bits);
	} else {
		return cert_err(x, i, "key type %s is not RSA or EC", EVP_PKEY_get0_type_name(k));
	}
	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk) || md == NID_sha1 || md == NID_md5 ||
	    md == NID_undef)
		return cert_err(x, i, "is signed with %s, which the specification forbids (SHA-1 or unknown)",
				OBJ_nid2sn(md != NID_undef ? md : X509_get_signature_nid(x)));
	return HM_OK;
}

static int leaf_requirements(X509 *x)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	uint32_t ku = X509_get_key_usage(x), xku = X509_get_extended_key_usage(x);
	int is_ca = bc && bc->ca;

	BASIC_CONSTRAINTS_free(bc);
	if (is_ca)
		return cert_err(x, 0, "%s", "the signing certificate is a CA (basicConstraints cA true)");
	if (ext_critical(x, NID_key_usage) != 1)
		return cert_err(x, 0, "%s", "keyUsage must be present and critical");
	if (!(ku & KU_DIGITAL_SIGNATURE))
		return cert_err(x, 0, "%s", "keyUsage lacks digitalSignature");
	if (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT | KU_KEY_CERT_SIGN | KU_CRL_SIGN |
		  KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY))
		return cert_err(x, 0, "%s", "keyUsage has bits a signing certificate must not have");
	if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	    (xku & (XKU_ANYEKU | XKU_SSL_SERVER | XKU_SSL_CLIENT | XKU_SMIME | XKU_TIMESTAMP)))
		return cert_err(x, 0, "%s",
				"extendedKeyUsage has anyExtendedKeyUsage, serverAuth, clientAuth, emailProtection "
				"or timeStamping");
	return HM_OK;
}

static int ca_requirements(X509 *x, int i)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	int ok = bc && bc->ca && ext_critical(x, NID_basic_constraints) == 1;
	long pathlen = bc && bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1;

	BASIC_CONSTRAINTS_free(bc);
	if (!ok)
		return cert_err(x, i, "%s", "a CA certificate needs a critical basicConstraints with cA true");
	if (pathlen >= 0 && pathlen < i - 1)
		return cert_err(x, i, "%s", "pathLenConstraint is exceeded by the chain below it");
	if (ext_critical(x, NID_key_usage) != 1 || !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return cert_err(x, i, "%s", "a CA certificate needs a critical keyUsage with keyCertSign");
	return HM_OK;
}

/* 1 when issuer issued (and signed) x.  A self-signed leaf has no
 * keyCertSign, which X509_check_issued would hold against it: names and
 * the signature decide then. */
static int issued_by(X509 *x, X509 *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);
	int ok = (x == issuer ? X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0
			      : X509_check_issued(issuer, x) == X509_V_OK) &&
		 k && X509_verify(x, k) == 1;

	ERR_clear_error();
	return ok;
}

int nt_chain_requirements(STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain), err;

	if (n < 1)
		return hm_error_set(HM_E_VERIFY, "notation signature: no certificate chain");
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);

		if ((err = key_and_hash(x, i)) != HM_OK)
			return err;
		if (i + 1 < n && !issued_by(x, sk_X509_value(chain, i + 1)))
			return cert_err(x, i, "%s", "is not issued by the next certificate of the chain (the chain "
						   "must be ordered leaf first, with nothing unrelated)");
		if (i + 1 == n && !issued_by(x, x))
			return cert_err(x, i, "%s", "the chain does not end with a self-signed root certificate");
		if ((err = i == 0 ? leaf_requirements(x) : ca_requirements(x, i)) != HM_OK)
			return err;
	}
	return HM_OK;
}

int nt_chain_trusted(STACK_OF(X509) *chain, STACK_OF(X509) *roots)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int pinned = 0, ok = 0;

	/* Notation trusts a chain when one of its certificates is in the store
	 * (byte for byte); OpenSSL then checks the path up to that certificate. */
	for (int i = 0; i < sk_X509_num(chain) && !pinned; i++)
		for (int j = 0; j < sk_X509_num(roots); j++)
			if (X509_cmp(sk_X509_value(chain, i), sk_X509_value(roots, j)) == 0)
				pinned = 1;
	if (pinned && store && ctx && untrusted) {
		for (int j = 0; j < sk_X509_num(roots); j++)
			X509_STORE_add_cert(store, sk_X509_value(roots, j));
		for (int i = 1; i < sk_X509_num(chain); i++)
			X509_add_cert(untrusted, sk_X509_value(chain, i), X509_ADD_FLAG_UP_REF);
		X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		if (X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) == 1 && X509_verify_cert(ctx) == 1) {
			STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
			X509 *anchor = sk_X509_value(built, sk_X509_num(built) - 1);

			for (int i = 0; i < sk_X509_num(chain) && !ok; i++)
				ok = X509_cmp(anchor, sk_X509_value(chain, i)) == 0;
		}
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	return ok;
}

static void fmt_time(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "%lld", (long long)t);
}

int nt_chain_valid_during(STACK_OF(X509) *chain, int64_t from, int64_t to)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t nb, na;
		char a[32], b[32], t[96];

		if (!nt_asn1_time(&nb, X509_get0_notBefore(x)) || !nt_asn1_time(&na, X509_get0_notAfter(x)))
			return cert_err(x, i, "%s", "has an unreadable validity period");
		if (from < nb || to > na) {
			fmt_time(a, nb);
			fmt_time(b, na);
			fmt_time(t, from);
			snprintf(t + strlen(t), sizeof(t) - strlen(t), " (valid %s to %s)", a, b);
			return cert_err(x, i, "is not valid at %s", t);
		}
	}
	return HM_OK;
}

/* The accuracy of a TSTInfo in seconds, rounded up; the baseline policy
 * of RFC 3628 (0.4.0.2023.1.1) means 1 second when none is given. */
static int64_t accuracy(TS_TST_INFO *tst)
{
	const TS_ACCURACY *acc = TS_TST_INFO_get_accuracy(tst);
	char oid[64] = "";

	if (acc) {
		long s = TS_ACCURACY_get_seconds(acc) ? ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc)) : 0;
		long ms = TS_ACCURACY_get_millis(acc) ? ASN1_INTEGER_get(TS_ACCURACY_get_millis(acc)) : 0;
		long us = TS_ACCURACY_get_micros(acc) ? ASN1_INTEGER_get(TS_ACCURACY_get_micros(acc)) : 0;

		if (s < 0 || ms < 0 || us < 0 || s > 86400)
			return -1;
		return s + (ms > 0 || us > 0 ? 1 : 0);
	}
	if (TS_TST_INFO_get_policy_id(tst))
		OBJ_obj2txt(oid, sizeof(oid), TS_TST_INFO_get_policy_id(tst), 1);
	return strcmp(oid, "0.4.0.2023.1.1") == 0 ? 1 : 0;
}

int nt_timestamp_verify(int64_t *gen_time, int64_t *lower, int64_t *upper, const unsigned char *der,
			size_t len, const unsigned char *sig, size_t sig_len, STACK_OF(X509) *roots)
{
	const unsigned char *p = der;
	PKCS7 *token = NULL;
	TS_TST_INFO *tst = NULL;
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	BIO *data = NULL;
	STACK_OF(X509) *signers = NULL;
	int64_t t, acc;
	int err = HM_E_VERIFY, md_nid;

	*gen_time = *lower = *upper = 0;
	if (len == 0 || len > HM_MAX_TIMESTAMP_DER || sig_len == 0 || sig_len > INT32_MAX)
		return hm_error_set(HM_E_VERIFY, "notation timestamp: empty or over %u bytes", HM_MAX_TIMESTAMP_DER);
	if (!(token = d2i_PKCS7(NULL, &p, (long)len)) || p != der + len || !(tst = PKCS7_to_TS_TST_INFO(token)) ||
	    !nt_asn1_time(&t, TS_TST_INFO_get_time(tst))) {
		err = hm_error_set(HM_E_VERIFY, "notation timestamp: not a DER RFC 3161 TimeStampToken");
		goto done;
	}
	md_nid = OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst))->algorithm);
	if (md_nid != NID_sha256 && md_nid != NID_sha384 && md_nid != NID_sha512) {
		err = hm_error_set(HM_E_VERIFY, "notation timestamp: message imprint uses %s, not SHA-256/384/512",
				   OBJ_nid2sn(md_nid));
		goto done;
	}
	if ((acc = accuracy(tst)) < 0) {
		err = hm_error_set(HM_E_VERIFY, "notation timestamp: unreadable accuracy");
		goto done;
	}
	if (!(ctx = TS_VERIFY_CTX_new()) || !(store = X509_STORE_new()) ||
	    !(data = BIO_new_mem_buf(sig, (int)sig_len))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(store, sk_X509_value(roots, i));
	/* The TSA's chain is checked at genTime, as the specification says. */
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)t);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
	TS_VERIFY_CTX_set_store(ctx, store);
	TS_VERIFY_CTX_set_data(ctx, data);
	store = NULL;
	data = NULL;
	if (TS_RESP_verify_token(ctx, token) != 1) {
		unsigned long e = ERR_peek_last_error();

		err = hm_error_set(HM_E_VERIFY,
				   "notation timestamp: does not verify over the signature with a TSA of the trust "
				   "store (%s)",
				   e ? ERR_reason_error_string(e) : "?");
		goto done;
	}
	/* Key size and hash rules apply to the TSA's certificate too. */
	signers = PKCS7_get0_signers(token, NULL, 0);
	if (!signers || sk_X509_num(signers) != 1 || key_and_hash(sk_X509_value(signers, 0), 0) != HM_OK) {
		err = hm_error_wrap(HM_E_VERIFY, "notation timestamp: the TSA certificate");
		goto done;
	}
	*gen_time = t;
	*lower = t - acc;
	*upper = t + acc;
	err = HM_OK;
done:
	ERR_clear_error();
	sk_X509_free(signers);
	BIO_free(data);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(ctx);
	TS_TST_INFO_free(tst);
	PKCS7_free(token);
	return err;
}
