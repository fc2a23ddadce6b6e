/* SPDX-License-Identifier: Apache-2.0 */
/* Verification of one notation envelope under a trust policy statement:
 * the validations of the trust policy specification, each enforced,
 * logged or skipped as the statement's level (and override) says. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/digest.h"
#include "notation/internal.h"

void hm_notation_result_free(hm_notation_result *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->policy_name);
	for (int c = 0; c < HM_NOTATION_N_CHECKS; c++)
		free(r->checks[c].message);
	for (size_t i = 0; i < r->n_chain; i++) {
		free(r->chain_subjects ? r->chain_subjects[i] : NULL);
		free(r->chain_sha256 ? r->chain_sha256[i] : NULL);
	}
	free(r->chain_subjects);
	free(r->chain_sha256);
	sk_X509_pop_free(r->chain, X509_free);
	free(r->trust_store);
	free(r->subject);
	free(r->signing_agent);
	free(r->payload);
	cJSON_Delete(r->annotations);
	memset(r, 0, sizeof(*r));
}

/* Records the outcome of check c (err: HM_OK or the failure with its
 * message).  Returns HM_E_VERIFY when the failure is enforced (the
 * verification stops), HM_OK otherwise. */
static int record(hm_notation_result *r, enum hm_notation_check c, int err)
{
	hm_notation_check_result *k = &r->checks[c];

	k->ran = 1;
	k->passed = err == HM_OK;
	if (err == HM_OK)
		return HM_OK;
	if (err != HM_E_VERIFY)
		return err; /* operational: I/O, memory */
	free(k->message);
	k->message = strdup(hm_error_message());
	if (k->action == HM_NOTATION_ACT_ENFORCE) {
		r->outcome = HM_NOTATION_REFUSED;
		r->reason = strdup(hm_error_message());
		return HM_E_VERIFY;
	}
	hm_error_clear();
	return HM_OK;
}

static void skipped(hm_notation_result *r, enum hm_notation_check c, const char *why)
{
	free(r->checks[c].message);
	r->checks[c].message = strdup(why);
}

static int fill_chain(hm_notation_result *r, const hm_notation_envelope *e)
{
	int n = sk_X509_num(e->chain);

	if (!(r->chain = sk_X509_new_null()) || !(r->chain_subjects = calloc((size_t)n + 1, sizeof(char *))) ||
	    !(r->chain_sha256 = calloc((size_t)n + 1, sizeof(char *))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(e->chain, i);
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der);
		char d[HM_DIGEST_SIZE];

		if (len <= 0 || !X509_add_cert(r->chain, x, X509_ADD_FLAG_UP_REF)) {
			OPENSSL_free(der);
			return hm_error_set(HM_E_NOMEM, "out of memory");
		}
		hm_digest_compute(d, der, (size_t)len);
		OPENSSL_free(der);
		r->chain_subjects[i] = nt_subject_string(x);
		r->chain_sha256[i] = strdup(hm_digest_hex(d));
		r->n_chain = (size_t)i + 1;
		if (!r->chain_subjects[i] || !r->chain_sha256[i])
			return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (n > 0 && !(r->subject = strdup(r->chain_subjects[0])))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

/* Integrity: the envelope, its signature, its payload against the image. */
static int integrity(hm_notation_result *r, hm_notation_envelope *e, const void *env, size_t len,
		     const char *media_type, const hm_descriptor *target)
{
	int err;

	if ((err = hm_notation_envelope_parse(e, env, len, media_type)) != HM_OK)
		return err;
	r->format = e->format;
	r->alg = e->alg;
	r->scheme = e->scheme;
	r->signing_time = e->signing_time;
	r->authentic_signing_time = e->authentic_signing_time;
	r->expiry = e->expiry;
	if ((e->signing_agent && !(r->signing_agent = strdup(e->signing_agent))) ||
	    !(r->payload = strndup(e->payload.data ? e->payload.data : "", e->payload.len)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if ((err = fill_chain(r, e)) != HM_OK || (err = nt_signature_verify(e)) != HM_OK)
		return err;
	return nt_payload_check(&r->annotations, e, target);
}

/* Authenticity: certificate requirements, a path to a store of the
 * statement of the type the scheme calls for, and a trusted identity. */
static int authenticity(hm_notation_result *r, const hm_notation_envelope *e, const hm_notation_trust_policy *t,
			hm_notation_store *st)
{
	const char *type = e->scheme == HM_NOTATION_X509 ? "ca:" : "signingAuthority:";
	int err, used = 0;

	if ((err = nt_chain_requirements(e->chain)) != HM_OK)
		return err;
	for (size_t i = 0; i < t->n_trust_stores && !r->trust_store; i++) {
		STACK_OF(X509) *roots;

		if (strncmp(t->trust_stores[i], type, strlen(type)) != 0)
			continue;
		used++;
		if ((err = hm_notation_store_certs(&roots, st, t->trust_stores[i])) != HM_OK)
			return err;
		if (nt_chain_trusted(e->chain, roots) && !(r->trust_store = strdup(t->trust_stores[i])))
			return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (!used)
		return hm_error_set(HM_E_VERIFY, "notation trust policy '%s' names no %s trust store for a %s signature",
				    t->name, type, hm_notation_scheme_name(e->scheme));
	if (!r->trust_store)
		return hm_error_set(HM_E_VERIFY,
				    "notation signature: the certificate chain of '%s' does not lead to a certificate "
				    "of the %s trust stores of policy '%s'",
				    r->subject ? r->subject : "?", type, t->name);
	for (size_t i = 0; i < t->n_identities; i++)
		if (hm_notation_identity_match(t->identities[i], sk_X509_value(e->chain, 0))) {
			r->signer_trusted = 1;
			return HM_OK;
		}
	return hm_error_set(HM_E_VERIFY, "notation signature: signer '%s' is not among the trustedIdentities of policy '%s'",
			    r->subject ? r->subject : "?", t->name);
}

static int expiry(const hm_notation_envelope *e, int64_t now)
{
	if (e->has_expiry && now >= e->expiry)
		return hm_error_set(HM_E_VERIFY, "notation signature: expired (io.cncf.notary.expiry %lld, now %lld)",
				    (long long)e->expiry, (long long)now);
	return HM_OK;
}

static const char *tsa_store(const hm_notation_trust_policy *t)
{
	for (size_t i = 0; i < t->n_trust_stores; i++)
		if (strncmp(t->trust_stores[i], "tsa:", 4) == 0)
			return t->trust_stores[i];
	return NULL;
}

/* Authentic timestamp, per signing scheme. */
static int authentic_timestamp(hm_notation_result *r, const hm_notation_envelope *e,
			       const hm_notation_trust_policy *t, hm_notation_store *st, int64_t now)
{
	const char *tsa = tsa_store(t);
	int triggered, err;

	if (e->scheme == HM_NOTATION_X509_SIGNING_AUTHORITY)
		return nt_chain_valid_during(e->chain, e->authentic_signing_time, e->authentic_signing_time) == HM_OK
			       ? HM_OK
			       : hm_error_wrap(HM_E_VERIFY, "at the authentic signing time");
	/* notary.x509: the timestamp countersignature is verified when a tsa
	 * store is configured and verifyTimestamp is always, or the chain has
	 * expired. */
	triggered = tsa && (t->verify_timestamp_always || nt_chain_valid_during(e->chain, now, now) != HM_OK);
	hm_error_clear();
	if (!triggered)
		return nt_chain_valid_during(e->chain, now, now) == HM_OK
			       ? HM_OK
			       : hm_error_wrap(HM_E_VERIFY, "at the time of verification, with no verified timestamp");
	if (e->timestamp.len == 0)
		return hm_error_set(HM_E_VERIFY,
				    "notation signature: policy '%s' requires a timestamp countersignature and the "
				    "envelope has none",
				    t->name);
	{
		STACK_OF(X509) *roots;

		if ((err = hm_notation_store_certs(&roots, st, tsa)) != HM_OK)
			return err;
		if ((err = nt_timestamp_verify(&r->timestamp_time, &r->timestamp_lower, &r->timestamp_upper,
					       (const unsigned char *)e->timestamp.data, e->timestamp.len,
					       (const unsigned char *)e->signature.data, e->signature.len, roots)) != HM_OK)
			return err;
	}
	if (nt_chain_valid_during(e->chain, r->timestamp_lower, r->timestamp_upper) != HM_OK)
		return hm_error_wrap(HM_E_VERIFY, "at the verified timestamp");
	return HM_OK;
}

int hm_notation_verify(hm_notation_result *out, const void *envelope, size_t len, const char *media_type,
		       const hm_descriptor *target, const hm_notation_verify_opts *opts)
{
	const hm_notation_trust_policy *t = NULL;
	hm_notation_envelope e;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if (!opts || opts->version != HM_NOTATION_VERIFY_OPTS_VERSION || !target || !target->digest ||
	    (!opts->policy && !opts->statement))
		return hm_error_set(HM_E_USAGE, "notation verify: bad options (version, target, policy)");
	if ((t = opts->statement) == NULL && (err = hm_notation_policy_select(&t, opts->policy, opts->repository)) != HM_OK) {
		out->outcome = HM_NOTATION_REFUSED;
		out->reason = strdup(hm_error_message());
		return err;
	}
	if (!(out->policy_name = strdup(t->name)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	out->level = t->level;
	for (int c = 0; c < HM_NOTATION_N_CHECKS; c++)
		out->checks[c].action = t->actions[c];
	if (t->level == HM_NOTATION_SKIP) {
		out->outcome = HM_NOTATION_SKIPPED;
		for (int c = 0; c < HM_NOTATION_N_CHECKS; c++)
			skipped(out, (enum hm_notation_check)c, "trust policy level is skip");
		return HM_OK;
	}
	if (t->level != HM_NOTATION_SKIP && !opts->store)
		return hm_error_set(HM_E_USAGE, "notation verify: no trust store given");

	if ((err = record(out, HM_NOTATION_INTEGRITY, integrity(out, &e, envelope, len, media_type, target))) != HM_OK)
		goto done;
	if ((err = record(out, HM_NOTATION_AUTHENTICITY, authenticity(out, &e, t, opts->store))) != HM_OK)
		goto done;
	if ((err = record(out, HM_NOTATION_EXPIRY, expiry(&e, opts->now))) != HM_OK)
		goto done;
	if ((err = record(out, HM_NOTATION_AUTHENTIC_TIMESTAMP, authentic_timestamp(out, &e, t, opts->store, opts->now))) !=
	    HM_OK)
		goto done;
	/* Revocation (OCSP, CRL) needs the network and is not implemented. */
	out->checks[HM_NOTATION_REVOCATION].ran = 0;
	skipped(out, HM_NOTATION_REVOCATION, "revocation is not checked (no OCSP or CRL support): skipped");
	out->outcome = HM_NOTATION_VERIFIED;
	err = HM_OK;
done:
	if (err != HM_OK && err != HM_E_VERIFY && out->outcome != HM_NOTATION_REFUSED) {
		out->outcome = HM_NOTATION_REFUSED;
		out->reason = strdup(hm_error_message());
	}
	if (err == HM_E_VERIFY && out->reason)
		hm_error_set(HM_E_VERIFY, "%s", out->reason);
	hm_notation_envelope_free(&e);
	return err;
}
