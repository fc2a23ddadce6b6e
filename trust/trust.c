/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a verified signer is one of the authorities (see trust.h). */
#include <string.h>

#include "core/error.h"
#include "trust/trust.h"

static int match_key(const hm_authority *a, const hm_signer *s)
{
	return s->kind == HM_AUTH_KEY && a->key && s->key && (a->key == s->key || hm_key_equal(a->key, s->key));
}

static int match_keyless(const hm_authority *a, const hm_signer *s)
{
	int ok;

	/* A certificate counts only under the root its authority names: the
	 * same identity from another Fulcio is another authority. */
	if (s->kind != HM_AUTH_KEYLESS || a->trustroot != s->trustroot)
		return 0;
	ok = hm_fulcio_identity_match(&s->cert, &a->identity) == HM_OK;
	hm_error_clear();
	return ok;
}

static const struct {
	const char *name;
	int (*match)(const hm_authority *a, const hm_signer *s);
} kinds[HM_AUTH_KINDS] = {
	[HM_AUTH_KEY] = {"key", match_key},
	[HM_AUTH_KEYLESS] = {"keyless", match_keyless},
	[HM_AUTH_NOTATION] = {"notation", NULL}, /* the notation trust store fills this row */
};

int hm_trust_match(const hm_authority *a, const hm_signer *s)
{
	if (!a || !s || a->kind <= HM_AUTH_NONE || a->kind >= HM_AUTH_KINDS || !kinds[a->kind].match)
		return 0;
	return kinds[a->kind].match(a, s);
}

int hm_trust_find(const hm_authority *a, size_t n, const hm_signer *s)
{
	for (size_t i = 0; i < n; i++)
		if (hm_trust_match(&a[i], s))
			return (int)i;
	return -1;
}

const char *hm_authority_kind_name(enum hm_authority_kind k)
{
	return k > HM_AUTH_NONE && k < HM_AUTH_KINDS && kinds[k].name ? kinds[k].name : "none";
}

void hm_signer_set_keyless(hm_signer *s, hm_fulcio_identity *cert, const hm_identity_policy *p,
			   const hm_trustroot *root)
{
	hm_fulcio_identity_release(&s->cert);
	s->kind = HM_AUTH_KEYLESS;
	s->cert = *cert;
	memset(cert, 0, sizeof(*cert));
	s->trustroot = root;
	s->identity = p ? hm_fulcio_identity_san(&s->cert, p) : NULL;
	if (!s->identity && s->cert.n_sans)
		s->identity = s->cert.sans[0];
}

void hm_signer_release(hm_signer *s)
{
	if (!s)
		return;
	hm_fulcio_identity_release(&s->cert);
	memset(s, 0, sizeof(*s));
	s->log_index = -1;
}

cJSON *hm_signer_certificate_json(const hm_signer *s)
{
	cJSON *o, *sans;
	int ok;

	if (!s || s->kind != HM_AUTH_KEYLESS || !(o = cJSON_CreateObject()))
		return NULL;
	ok = (!s->identity || cJSON_AddStringToObject(o, "subject", s->identity)) &&
	     (!s->cert.issuer || cJSON_AddStringToObject(o, "issuer", s->cert.issuer)) &&
	     (sans = cJSON_AddArrayToObject(o, "sans"));
	for (size_t i = 0; ok && i < s->cert.n_sans; i++) {
		cJSON *v = cJSON_CreateString(s->cert.sans[i]);

		ok = v && cJSON_AddItemToArray(sans, v);
	}
	/* arcs 1 and 8 are the issuer, already there */
	for (int arc = 2; ok && arc <= HM_FULCIO_MAX_ARC; arc++)
		if (arc != 8 && s->cert.claims[arc] && hm_fulcio_claim_name(arc))
			ok = cJSON_AddStringToObject(o, hm_fulcio_claim_name(arc), s->cert.claims[arc]) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
