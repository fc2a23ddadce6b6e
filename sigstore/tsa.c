/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <time.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "core/error.h"
#include "sigstore/tsa.h"

/* 1 when the token verifies under TSA ca at time t. */
static int verify_with(TS_RESP *resp, const hm_trust_ca *ca, int64_t t, const unsigned char *sig,
		       size_t sig_len)
{
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *data = BIO_new_mem_buf(sig, (int)sig_len);
	int ok = 0;

	if (!ctx || !store || !certs || !data || !X509_STORE_add_cert(store, ca->certs[ca->n_certs - 1]))
		goto fail;
	for (size_t i = 0; i + 1 < ca->n_certs; i++)
		if (!X509_add_cert(certs, ca->certs[i], X509_ADD_FLAG_UP_REF))
			goto fail;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)t);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
	/* The context owns what it is given from here on. */
	TS_VERIFY_CTX_set_store(ctx, store);
	TS_VERIFY_CTX_set_certs(ctx, certs);
	TS_VERIFY_CTX_set_data(ctx, data);
	ok = TS_RESP_verify_response(ctx, resp) == 1;
	TS_VERIFY_CTX_free(ctx);
	return ok;
fail:
	BIO_free(data);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(ctx);
	return 0;
}

int hm_tsa_verify(int64_t *gen_time, const unsigned char *der, size_t len, const unsigned char *sig,
		  size_t sig_len, const hm_trustroot *tr)
{
	const unsigned char *p = der;
	TS_RESP *resp = NULL;
	TS_TST_INFO *tst;
	const ASN1_GENERALIZEDTIME *gt;
	struct tm tm;
	int64_t t;
	int err = HM_E_VERIFY;

	*gen_time = 0;
	if (len == 0 || len > HM_MAX_TIMESTAMP_DER || sig_len == 0 || sig_len > INT32_MAX)
		return hm_error_set(HM_E_VERIFY, "RFC 3161 timestamp is empty or over %u bytes", HM_MAX_TIMESTAMP_DER);
	if (!(resp = d2i_TS_RESP(NULL, &p, (long)len)) || p != der + len) {
		err = hm_error_set(HM_E_VERIFY, "RFC 3161 timestamp is not a DER TimeStampResp");
		goto done;
	}
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) > 1 ||
	    !(tst = TS_RESP_get_tst_info(resp)) || !(gt = TS_TST_INFO_get_time(tst)) ||
	    !ASN1_TIME_to_tm(gt, &tm)) {
		err = hm_error_set(HM_E_VERIFY, "RFC 3161 timestamp was not granted or has no time");
		goto done;
	}
	t = (int64_t)timegm(&tm);
	err = hm_error_set(HM_E_VERIFY, "RFC 3161 timestamp is not signed by a timestamp authority of the "
					"trusted root valid at its time, or does not cover the signature (cosign .att: the envelope)");
	for (size_t i = 0; i < tr->n_tsas; i++) {
		if (!hm_trust_valid_at(tr->tsas[i].start, tr->tsas[i].end, t))
			continue;
		if (verify_with(resp, &tr->tsas[i], t, sig, sig_len)) {
			hm_error_clear();
			*gen_time = t;
			err = HM_OK;
			break;
		}
	}
done:
	TS_RESP_free(resp);
	return err;
}
