/* SPDX-License-Identifier: Apache-2.0 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "core/error.h"
#include "sigstore/fulcio.h"

/* Names as sigstore/fulcio's certificate.Extensions spells them in JSON,
 * which cosign prints and its policies use. */
static const char *const claim_names[HM_FULCIO_MAX_ARC + 1] = {
	[1] = "issuer",
	[2] = "githubWorkflowTrigger",
	[3] = "githubWorkflowSHA",
	[4] = "githubWorkflowName",
	[5] = "githubWorkflowRepository",
	[6] = "githubWorkflowRef",
	[8] = "issuer",
	[9] = "buildSignerURI",
	[10] = "buildSignerDigest",
	[11] = "runnerEnvironment",
	[12] = "sourceRepositoryURI",
	[13] = "sourceRepositoryDigest",
	[14] = "sourceRepositoryRef",
	[15] = "sourceRepositoryIdentifier",
	[16] = "sourceRepositoryOwnerURI",
	[17] = "sourceRepositoryOwnerIdentifier",
	[18] = "buildConfigURI",
	[19] = "buildConfigDigest",
	[20] = "buildTrigger",
	[21] = "runInvocationURI",
	[22] = "sourceRepositoryVisibilityAtSigning",
	[23] = "deploymentEnvironment",
};

const char *hm_fulcio_claim_name(int arc)
{
	return arc >= 1 && arc <= HM_FULCIO_MAX_ARC ? claim_names[arc] : NULL;
}

int hm_fulcio_load(X509 **out, const unsigned char *der, size_t len, const char *what)
{
	const unsigned char *p = der;
	X509 *x = len > 0 && len < (1u << 20) ? d2i_X509(NULL, &p, (long)len) : NULL;

	*out = NULL;
	if (!x || p != der + len) {
		X509_free(x);
		return hm_error_set(HM_E_VERIFY, "%s: not a DER X.509 certificate", what);
	}
	*out = x;
	return HM_OK;
}

static int self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

static int leaf_usage(X509 *leaf)
{
	uint32_t ku = X509_get_key_usage(leaf), xku = X509_get_extended_key_usage(leaf);

	if (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) || !(ku & KU_DIGITAL_SIGNATURE))
		return hm_error_set(HM_E_VERIFY, "signing certificate lacks key usage digitalSignature");
	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) || !(xku & XKU_CODE_SIGN))
		return hm_error_set(HM_E_VERIFY, "signing certificate lacks extended key usage codeSigning");
	if (X509_check_ca(leaf))
		return hm_error_set(HM_E_VERIFY, "signing certificate is a CA certificate");
	return HM_OK;
}

/* Chains leaf to ca at time t; 1 when it does, 0 when not (reason in why). */
static int chain_to(X509 *leaf, X509 *const *inter, size_t n, const hm_trust_ca *ca, int64_t t,
		    char *why, size_t whylen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok = 0;

	if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, ca->certs[ca->n_certs - 1]))
		goto done;
	for (size_t i = 0; i + 1 < ca->n_certs; i++)
		if (!sk_X509_push(untrusted, ca->certs[i]))
			goto done;
	for (size_t i = 0; i < n; i++)
		if (!sk_X509_push(untrusted, inter[i]))
			goto done;
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto done;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)t);
	if (X509_verify_cert(ctx) == 1)
		ok = 1;
	else
		snprintf(why, whylen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
done:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

int hm_fulcio_verify(X509 *leaf, X509 *const *inter, size_t n, const hm_trustroot *tr, int64_t t,
		     const hm_trust_ca **ca_out)
{
	char why[160] = "no certificate authority of the trusted root was valid at that time";
	int err;

	if (ca_out)
		*ca_out = NULL;
	if (n > HM_FULCIO_MAX_CHAIN)
		return hm_error_set(HM_E_VERIFY, "certificate chain has %zu intermediates (at most %d)", n,
				    HM_FULCIO_MAX_CHAIN);
	for (size_t i = 0; i < n; i++)
		if (self_signed(inter[i]))
			return hm_error_set(HM_E_VERIFY, "certificate chain includes a root certificate "
							 "(roots come from the trusted root only)");
	if ((err = leaf_usage(leaf)) != HM_OK)
		return err;
	if (X509_cmp_time(X509_get0_notBefore(leaf), &(time_t){(time_t)t}) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(leaf), &(time_t){(time_t)t}) < 0)
		return hm_error_set(HM_E_VERIFY, "signing certificate was not valid at %lld",
				    (long long)t);
	for (size_t i = 0; i < tr->n_cas; i++) {
		const hm_trust_ca *ca = &tr->cas[i];

		if (!hm_trust_valid_at(ca->start, ca->end, t))
			continue;
		if (chain_to(leaf, inter, n, ca, t, why, sizeof(why))) {
			if (ca_out)
				*ca_out = ca;
			return HM_OK;
		}
	}
	return hm_error_set(HM_E_VERIFY, "signing certificate does not chain to a trusted Fulcio CA at %lld: %s",
			    (long long)t, why);
}

X509 *hm_fulcio_issuer(X509 *leaf, X509 *const *inter, size_t n, const hm_trust_ca *ca)
{
	for (size_t i = 0; i < n; i++)
		if (X509_check_issued(inter[i], leaf) == X509_V_OK)
			return inter[i];
	for (size_t i = 0; ca && i < ca->n_certs; i++)
		if (X509_check_issued(ca->certs[i], leaf) == X509_V_OK)
			return ca->certs[i];
	return NULL;
}

static char *strdup_asn1(const ASN1_STRING *s)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s);

	if (!d || len < 0 || memchr(d, 0, (size_t)len))
		return NULL;
	return strndup((const char *)d, (size_t)len);
}

static int add_san(hm_fulcio_identity *id, const ASN1_STRING *s)
{
	char *v, **n;

	if (id->n_sans >= HM_FULCIO_MAX_SANS)
		return hm_error_set(HM_E_VERIFY, "signing certificate has more than %d SANs", HM_FULCIO_MAX_SANS);
	if (!(v = strdup_asn1(s)))
		return hm_error_set(HM_E_VERIFY, "signing certificate has a malformed SAN");
	if (!(n = realloc(id->sans, (id->n_sans + 1) * sizeof(*n)))) {
		free(v);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	id->sans = n;
	id->sans[id->n_sans++] = v;
	return HM_OK;
}

static int get_sans(hm_fulcio_identity *id, X509 *leaf)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	ASN1_OBJECT *othername = OBJ_txt2obj("1.3.6.1.4.1.57264.1.7", 1);
	int err = HM_OK;

	for (int i = 0; gens && err == HM_OK && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		switch (g->type) {
		case GEN_EMAIL:
		case GEN_URI:
		case GEN_DNS:
			err = add_san(id, g->d.ia5);
			break;
		case GEN_OTHERNAME:
			if (othername && OBJ_cmp(g->d.otherName->type_id, othername) == 0 &&
			    g->d.otherName->value->type == V_ASN1_UTF8STRING)
				err = add_san(id, g->d.otherName->value->value.utf8string);
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	ASN1_OBJECT_free(othername);
	return err;
}

/* The value of extension 1.3.6.1.4.1.57264.1.arc: raw bytes for 1..6, a DER
 * UTF8String for 8 and later.  *out stays NULL when absent. */
static int get_claim(char **out, X509 *leaf, int arc)
{
	char oid[40];
	ASN1_OBJECT *obj;
	int at;
	const ASN1_OCTET_STRING *v;

	*out = NULL;
	snprintf(oid, sizeof(oid), "1.3.6.1.4.1.57264.1.%d", arc);
	if (!(obj = OBJ_txt2obj(oid, 1)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	at = X509_get_ext_by_OBJ(leaf, obj, -1);
	if (at >= 0 && X509_get_ext_by_OBJ(leaf, obj, at) >= 0) {
		ASN1_OBJECT_free(obj);
		return hm_error_set(HM_E_VERIFY, "signing certificate repeats extension %s", oid);
	}
	ASN1_OBJECT_free(obj);
	if (at < 0)
		return HM_OK;
	v = X509_EXTENSION_get_data(X509_get_ext(leaf, at));
	if (arc <= 6) {
		*out = strdup_asn1(v);
	} else {
		const unsigned char *p = ASN1_STRING_get0_data(v);
		ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v));

		if (u && p == ASN1_STRING_get0_data(v) + ASN1_STRING_length(v))
			*out = strdup_asn1(u);
		ASN1_UTF8STRING_free(u);
	}
	if (!*out)
		return hm_error_set(HM_E_VERIFY, "signing certificate: malformed extension %s", oid);
	return HM_OK;
}

void hm_fulcio_identity_release(hm_fulcio_identity *id)
{
	for (size_t i = 0; i < id->n_sans; i++)
		free(id->sans[i]);
	free(id->sans);
	for (int i = 0; i <= HM_FULCIO_MAX_ARC; i++)
		free(id->claims[i]);
	free(id->issuer);
	memset(id, 0, sizeof(*id));
}

int hm_fulcio_identity_get(hm_fulcio_identity *out, X509 *leaf)
{
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = get_sans(out, leaf)) != HM_OK)
		goto fail;
	for (int arc = 1; arc <= HM_FULCIO_MAX_ARC; arc++)
		if (arc != 7 && (err = get_claim(&out->claims[arc], leaf, arc)) != HM_OK)
			goto fail;
	if (out->claims[8] || out->claims[1]) {
		if (!(out->issuer = strdup(out->claims[8] ? out->claims[8] : out->claims[1]))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto fail;
		}
	}
	return HM_OK;
fail:
	hm_fulcio_identity_release(out);
	return err;
}

/* 1 when value matches (exact or unanchored regexp), 0 when not, <0 error. */
static int match_one(const char *value, const char *exact, const char *re)
{
	regex_t rx;
	int rc;

	if (exact)
		return strcmp(value, exact) == 0;
	if ((rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) != 0)
		return hm_error_set(HM_E_USAGE, "invalid regular expression '%s'", re);
	rc = regexec(&rx, value, 0, NULL, 0) == 0;
	regfree(&rx);
	return rc;
}

int hm_fulcio_identity_match(const hm_fulcio_identity *id, const hm_identity_policy *p)
{
	int rc = 0;

	if (!p || (!p->subject && !p->subject_regexp) || (!p->issuer && !p->issuer_regexp))
		return hm_error_set(HM_E_USAGE, "a keyless identity needs a subject (or subject regexp) and "
						"an issuer (or issuer regexp)");
	if (!id->issuer)
		return hm_error_set(HM_E_VERIFY, "signing certificate names no OIDC issuer");
	if ((rc = match_one(id->issuer, p->issuer, p->issuer_regexp)) < 0)
		return rc;
	if (!rc)
		return hm_error_set(HM_E_VERIFY, "certificate issuer '%s' does not match %s '%s'", id->issuer,
				    p->issuer ? "the expected issuer" : "the issuer regexp",
				    p->issuer ? p->issuer : p->issuer_regexp);
	for (int arc = 1; arc <= HM_FULCIO_MAX_ARC; arc++) {
		const char *name = hm_fulcio_claim_name(arc);

		if (p->claims[arc] && (!id->claims[arc] || strcmp(id->claims[arc], p->claims[arc]) != 0))
			return hm_error_set(HM_E_VERIFY, "certificate claim %s (1.3.6.1.4.1.57264.1.%d) is '%.200s', not "
							 "the expected '%.200s'",
					    name ? name : "?", arc, id->claims[arc] ? id->claims[arc] : "(absent)",
					    p->claims[arc]);
	}
	for (size_t i = 0; i < id->n_sans; i++) {
		if ((rc = match_one(id->sans[i], p->subject, p->subject_regexp)) < 0)
			return rc;
		if (rc)
			return HM_OK;
	}
	return hm_error_set(HM_E_VERIFY, "certificate identity '%s' does not match %s '%s'",
			    id->n_sans ? id->sans[0] : "(none)",
			    p->subject ? "the expected identity" : "the identity regexp",
			    p->subject ? p->subject : p->subject_regexp);
}

const char *hm_fulcio_identity_san(const hm_fulcio_identity *id, const hm_identity_policy *p)
{
	if (!p || (!p->subject && !p->subject_regexp))
		return NULL;
	for (size_t i = 0; i < id->n_sans; i++)
		if (match_one(id->sans[i], p->subject, p->subject_regexp) == 1)
			return id->sans[i];
	return NULL;
}
