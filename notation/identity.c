/* SPDX-License-Identifier: Apache-2.0 */
/* Trusted identities: "x509.subject: C=US, ST=WA, O=acme" parsed into
 * attribute/value pairs and compared with a certificate's subject as the
 * trust policy specification says: every attribute the identity names must
 * be in the subject with the same value; order does not matter. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "core/error.h"
#include "notation/identity.h"

#define PREFIX "x509.subject:"

void nt_dn_free(nt_dn *dn)
{
	for (size_t i = 0; i < dn->n; i++) {
		free(dn->type[i]);
		free(dn->value[i]);
	}
	dn->n = 0;
}

/* The canonical attribute type: upper case, S as ST (reallocated: longer). */
static char *canon_type(char *t)
{
	for (char *p = t; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(t, "S") == 0) {
		free(t);
		return strdup("ST");
	}
	return t;
}

/* Copies s[0..len) trimmed of unescaped surrounding spaces, unescaping. */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0, last_kept = 0;
	int seen = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			out[o++] = s[++i];
			last_kept = o;
			seen = 1;
		} else if (s[i] == ' ' && !seen) {
			continue;
		} else {
			out[o++] = s[i];
			seen = 1;
			if (s[i] != ' ')
				last_kept = o;
		}
	}
	out[last_kept] = '\0';
	return out;
}

int nt_dn_parse(nt_dn *dn, const char *s, const char **why)
{
	size_t start = 0, len = strlen(s);

	memset(dn, 0, sizeof(*dn));
	for (size_t i = 0; i <= len; i++) {
		const char *eq;
		char *type, *value;

		if (i < len && s[i] == '\\') {
			i++;
			continue;
		}
		if (i < len && s[i] != ',' && s[i] != ';')
			continue;
		if (dn->n >= NT_DN_MAX) {
			*why = "too many attributes";
			goto fail;
		}
		eq = memchr(s + start, '=', i - start);
		if (!eq) {
			*why = "an attribute has no '='";
			goto fail;
		}
		type = unescape(s + start, (size_t)(eq - s - start));
		type = type ? canon_type(type) : NULL;
		value = unescape(eq + 1, (size_t)(s + i - eq - 1));
		if (!type || !value || !type[0] || !value[0]) {
			free(type);
			free(value);
			*why = "an attribute has an empty type or value";
			goto fail;
		}
		for (size_t k = 0; k < dn->n; k++)
			if (strcmp(dn->type[k], type) == 0) {
				free(type);
				free(value);
				*why = "an attribute appears twice";
				goto fail;
			}
		dn->type[dn->n] = type;
		dn->value[dn->n++] = value;
		start = i + 1;
	}
	return HM_OK;
fail:
	nt_dn_free(dn);
	return HM_E_USAGE;
}

int nt_identity_parse(nt_dn *dn, const char *identity, const char **why)
{
	static const char *const required[] = {"C", "ST", "O"};

	if (strncmp(identity, PREFIX, strlen(PREFIX)) != 0) {
		*why = "is neither \"*\" nor \"x509.subject: ...\"";
		return HM_E_USAGE;
	}
	if (nt_dn_parse(dn, identity + strlen(PREFIX), why) != HM_OK)
		return HM_E_USAGE;
	for (size_t r = 0; r < 3; r++) {
		size_t k;

		for (k = 0; k < dn->n && strcmp(dn->type[k], required[r]) != 0; k++)
			;
		if (k == dn->n) {
			nt_dn_free(dn);
			*why = "must name at least C, ST (or S) and O";
			return HM_E_USAGE;
		}
	}
	return HM_OK;
}

int nt_dn_overlap(const nt_dn *a, const nt_dn *b)
{
	/* One subject can match both unless they name an attribute with different values. */
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (strcmp(a->type[i], b->type[j]) == 0 && strcmp(a->value[i], b->value[j]) != 0)
				return 0;
	return 1;
}

int nt_dn_match(const nt_dn *want, X509 *x)
{
	const X509_NAME *name = X509_get_subject_name(x);

	for (size_t i = 0; i < want->n; i++) {
		int found = 0;

		for (int k = 0; k < X509_NAME_entry_count(name); k++) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, k);
			int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
			const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
			unsigned char *v = NULL;

			if (!sn || strcasecmp(sn, want->type[i]) != 0)
				continue;
			/* A subject naming the attribute twice is ambiguous: no match. */
			if (found || ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e)) < 0)
				return 0;
			found = strcmp((const char *)v, want->value[i]) == 0 ? 1 : -1;
			OPENSSL_free(v);
		}
		if (found != 1)
			return 0;
	}
	return 1;
}

int hm_notation_identity_match(const char *identity, X509 *leaf)
{
	nt_dn dn;
	const char *why;
	int ok;

	if (strcmp(identity, "*") == 0)
		return 1;
	if (nt_identity_parse(&dn, identity, &why) != HM_OK)
		return 0;
	ok = nt_dn_match(&dn, leaf);
	nt_dn_free(&dn);
	return ok;
}
