/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "crypto/dsse.h"
#include "sigstore/keyless.h"
#include "sigstore/sct.h"
#include "sigstore/tsa.h"

/* The signature over the artifact digest (prehashed) or over the PAE. */
static int verify_signature(X509 *leaf, const hm_keyless_input *in)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	int ok = 0;

	if (!key)
		return hm_error_set(HM_E_VERIFY, "signing certificate has no usable public key");
	if (in->digest) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);

		ok = c && EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		     EVP_PKEY_verify(c, in->sig, in->sig_len, in->digest, 32) == 1;
		EVP_PKEY_CTX_free(c);
	} else {
		hm_buf pae = HM_BUF_INIT;
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		int ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;

		ok = c && hm_dsse_pae(&pae, in->payload_type, in->payload, in->payload_len) == HM_OK &&
		     EVP_DigestVerifyInit(c, NULL, ed ? NULL : EVP_sha256(), NULL, key) == 1 &&
		     EVP_DigestVerify(c, in->sig, in->sig_len, (const unsigned char *)pae.data, pae.len) == 1;
		EVP_MD_CTX_free(c);
		hm_buf_release(&pae);
	}
	return ok ? HM_OK : hm_error_set(HM_E_VERIFY, "signature does not verify with the signing certificate's key");
}

static int check_input(const hm_keyless_input *in, int keyless)
{
	const char *who = keyless ? "keyless" : "key bundle";

	if ((keyless ? !in->leaf_der : !in->key_der) || !in->sig || in->sig_len == 0)
		return hm_error_set(HM_E_USAGE, "%s: no %s or no signature", who, keyless ? "certificate" : "key");
	if (!!in->digest == !!in->payload || (in->payload && !in->payload_type))
		return hm_error_set(HM_E_USAGE, "%s: give either an artifact digest or a DSSE payload", who);
	if (in->n_tlog > HM_MAX_TLOG_ENTRIES || in->n_tsa > HM_MAX_TIMESTAMPS)
		return hm_error_set(HM_E_VERIFY, "%s: more than %d log entries or %d timestamps", who,
				    HM_MAX_TLOG_ENTRIES, HM_MAX_TIMESTAMPS);
	for (size_t i = 0; i < in->n_tsa; i++)
		for (size_t j = i + 1; j < in->n_tsa; j++)
			if (in->tsa_len[i] == in->tsa_len[j] && memcmp(in->tsa_der[i], in->tsa_der[j], in->tsa_len[i]) == 0)
				return hm_error_set(HM_E_VERIFY, "%s: duplicate RFC 3161 timestamps", who);
	for (size_t i = 0; i < in->n_tlog; i++)
		for (size_t j = i + 1; j < in->n_tlog; j++) {
			const hm_tlog_entry *a = &in->tlog[i], *b = &in->tlog[j];

			if (a->log_index == b->log_index && a->log_id_len == b->log_id_len &&
			    memcmp(a->log_id, b->log_id, a->log_id_len) == 0)
				return hm_error_set(HM_E_VERIFY, "%s: duplicate transparency log entries", who);
		}
	return HM_OK;
}

/* keyless: at least one log entry and one time are required. */
static int establish_times(hm_keyless_result *out, const hm_keyless_input *in, const hm_trustroot *tr,
			   int64_t now, int keyless)
{
	const char *who = keyless ? "keyless" : "key bundle";
	hm_rekor_subject s = {.sig = in->sig, .sig_len = in->sig_len, .digest = in->digest,
			      .payload_type = in->payload_type, .payload = in->payload, .payload_len = in->payload_len,
			      .envelope = in->envelope, .envelope_len = in->envelope_len};
	const unsigned char *ts_data = in->tsa_data ? in->tsa_data : in->sig;
	size_t ts_len = in->tsa_data ? in->tsa_data_len : in->sig_len;
	int64_t t;
	int err;

	if (keyless) {
		s.cert_der = in->leaf_der;
		s.cert_len = in->leaf_len;
	} else {
		s.key_der = in->key_der;
		s.key_len = in->key_len;
	}
	for (size_t i = 0; i < in->n_tsa; i++) {
		if ((err = hm_tsa_verify(&t, in->tsa_der[i], in->tsa_len[i], ts_data, ts_len, tr)) != HM_OK)
			return hm_error_wrap(err, "%s: timestamp %zu", who, i);
		out->times[out->n_times++] = t;
	}
	if (in->n_tlog == 0 && keyless)
		return hm_error_set(HM_E_VERIFY, "%s: no transparency log entry", who);
	for (size_t i = 0; i < in->n_tlog; i++) {
		if (in->require_inclusion_proof && !in->tlog[i].has_proof)
			return hm_error_set(HM_E_VERIFY, "%s: transparency log entry %zu has no inclusion proof", who, i);
		if ((err = hm_rekor_verify_entry(&in->tlog[i], tr, &s, &t)) != HM_OK)
			return hm_error_wrap(err, "%s: transparency log entry %zu", who, i);
		if (i == 0)
			out->log_index = in->tlog[i].log_index;
		if (t)
			out->times[out->n_times++] = t;
	}
	if (out->n_times == 0 && keyless)
		return hm_error_set(HM_E_VERIFY, "%s: no verified time (neither a timestamp nor a signed "
						 "entry timestamp)", who);
	for (size_t i = 0; i < out->n_times; i++)
		if (out->times[i] > now)
			return hm_error_set(HM_E_VERIFY, "%s: an established time (%lld) is in the future", who,
					    (long long)out->times[i]);
	return HM_OK;
}

int hm_keyless_verify(hm_keyless_result *out, const hm_keyless_input *in, const hm_trustroot *tr,
		      const hm_identity_policy *policy)
{
	X509 *leaf = NULL, *chain[HM_FULCIO_MAX_CHAIN] = {0};
	const hm_trust_ca *ca = NULL;
	size_t n_chain = 0;
	int64_t now = in->now ? in->now : (int64_t)time(NULL);
	int err;

	memset(out, 0, sizeof(*out));
	out->log_index = -1;
	if ((err = check_input(in, 1)) != HM_OK)
		return err;
	if (!policy || (!policy->subject && !policy->subject_regexp) || (!policy->issuer && !policy->issuer_regexp))
		return hm_error_set(HM_E_USAGE, "keyless: a policy needs an identity and an issuer");
	if (in->n_chain > HM_FULCIO_MAX_CHAIN)
		return hm_error_set(HM_E_VERIFY, "keyless: more than %d intermediate certificates", HM_FULCIO_MAX_CHAIN);
	if ((err = hm_fulcio_load(&leaf, in->leaf_der, in->leaf_len, "keyless: signing certificate")) != HM_OK)
		goto done;
	for (; n_chain < in->n_chain; n_chain++)
		if ((err = hm_fulcio_load(&chain[n_chain], in->chain_der[n_chain], in->chain_len[n_chain],
					  "keyless: chain certificate")) != HM_OK)
			goto done;
	if ((err = establish_times(out, in, tr, now, 1)) != HM_OK)
		goto done;
	for (size_t i = 0; i < out->n_times; i++)
		if ((err = hm_fulcio_verify(leaf, chain, n_chain, tr, out->times[i], &ca)) != HM_OK) {
			err = hm_error_wrap(err, "keyless");
			goto done;
		}
	if ((err = hm_sct_verify(leaf, hm_fulcio_issuer(leaf, chain, n_chain, ca), tr)) != HM_OK ||
	    (err = verify_signature(leaf, in)) != HM_OK) {
		err = hm_error_wrap(err, "keyless");
		goto done;
	}
	if ((err = hm_fulcio_identity_get(&out->id, leaf)) != HM_OK ||
	    (err = hm_fulcio_identity_match(&out->id, policy)) != HM_OK)
		err = hm_error_wrap(err, "keyless");
done:
	X509_free(leaf);
	for (size_t i = 0; i < n_chain; i++)
		X509_free(chain[i]);
	if (err != HM_OK)
		hm_keyless_result_release(out);
	return err;
}

void hm_keyless_result_release(hm_keyless_result *r)
{
	hm_fulcio_identity_release(&r->id);
	r->n_times = 0;
}

int hm_keyless_verify_log(hm_keyless_result *out, const hm_keyless_input *in, const hm_trustroot *tr)
{
	int64_t now = in->now ? in->now : (int64_t)time(NULL);
	int err;

	memset(out, 0, sizeof(*out));
	out->log_index = -1;
	if ((err = check_input(in, 0)) != HM_OK || (err = establish_times(out, in, tr, now, 0)) != HM_OK)
		hm_keyless_result_release(out);
	return err;
}
