/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#11 URIs (RFC 7512) as cosign spells them:
 *   pkcs11:token=TOKEN;object=LABEL;id=%01%02?module-path=/usr/lib/x.so&pin-source=FILE
 * Path attributes (";"-separated) select the token and the key; query
 * attributes ("&"-separated) say how to reach it.  Values are
 * percent-decoded.  Internal to crypto/. */
#ifndef HM_CRYPTO_PKCS11_URI_H
#define HM_CRYPTO_PKCS11_URI_H

#include <stddef.h>
#include "core/buf.h"

#define HM_P11_URI_MAX 4096   /* longest URI accepted */
#define HM_P11_VALUE_MAX 256  /* longest decoded attribute value (id included) */

typedef struct hm_p11_uri {
	/* Path: NULL when absent.  Text values never contain NUL. */
	char *token, *manufacturer, *serial, *model; /* token info to match */
	char *object;                                /* CKA_LABEL */
	char *type;                                  /* "private", "public", ... */
	unsigned char *id;                           /* CKA_ID bytes */
	size_t id_len;
	int has_id;
	unsigned long slot_id;
	int has_slot_id;
	/* Query. */
	char *module_path;
	char *pin_source;
	char *pin_value; /* sodium_malloc'd and wiped on free; NULL when absent */
	size_t pin_len;
} hm_p11_uri;

/* Parses s (len bytes, NUL not required).  HM_E_USAGE "invalid PKCS#11
 * URI: <why>" naming the attribute, never its value.  Unknown attributes are
 * refused (a typo such as pin_value would otherwise be ignored) except the
 * vendor extensions "x-..." and RFC 7512 ones hallmark does not match on
 * (library-*, slot-description, slot-manufacturer, module-name), which are
 * accepted and ignored. */
int hm_p11_uri_parse(hm_p11_uri *out, const char *s, size_t len);
void hm_p11_uri_free(hm_p11_uri *u);

/* Appends the URI as it can be shown: the path attributes only, re-encoded
 * (no module, no PIN). */
int hm_p11_uri_display(hm_buf *out, const hm_p11_uri *u);

#endif
