/* SPDX-License-Identifier: Apache-2.0 */
/* Distinguished names of trusted identities.  Internal to notation/. */
#ifndef HM_NOTATION_IDENTITY_H
#define HM_NOTATION_IDENTITY_H

#include <stddef.h>
#include <openssl/x509.h>

#define NT_DN_MAX 32

typedef struct nt_dn {
	char *type[NT_DN_MAX]; /* upper case, S written ST */
	char *value[NT_DN_MAX];
	size_t n;
} nt_dn;

/* "C=US, ST=WA, O=acme" (',' or ';' between attributes; \, \; \\ and
 * "\ " escapes).  HM_E_USAGE with *why on malformed input or a repeated
 * attribute; nothing to free then. */
int nt_dn_parse(nt_dn *dn, const char *s, const char **why);
/* "x509.subject: ..." that names at least C, ST (or S) and O. */
int nt_identity_parse(nt_dn *dn, const char *identity, const char **why);
/* 1 when some certificate subject could match both. */
int nt_dn_overlap(const nt_dn *a, const nt_dn *b);
/* 1 when x's subject has every attribute of want with its value. */
int nt_dn_match(const nt_dn *want, X509 *x);
void nt_dn_free(nt_dn *dn);

#endif
