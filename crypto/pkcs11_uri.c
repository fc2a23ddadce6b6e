/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "core/error.h"
#include "crypto/pass.h"
#include "crypto/pkcs11_uri.h"

enum attr_kind { TEXT, BYTES, SLOT, SECRET, IGNORED };

struct attr {
	const char *name;
	int query;   /* 1: in the query, 0: in the path */
	enum attr_kind kind;
	size_t offset; /* of the char * (or unsigned char *) in hm_p11_uri */
};

#define AT(field) offsetof(hm_p11_uri, field)

static const struct attr attrs[] = {
	{"token", 0, TEXT, AT(token)},
	{"manufacturer", 0, TEXT, AT(manufacturer)},
	{"serial", 0, TEXT, AT(serial)},
	{"model", 0, TEXT, AT(model)},
	{"object", 0, TEXT, AT(object)},
	{"type", 0, TEXT, AT(type)},
	{"id", 0, BYTES, AT(id)},
	{"slot-id", 0, SLOT, 0},
	{"library-manufacturer", 0, IGNORED, 0},
	{"library-description", 0, IGNORED, 0},
	{"library-version", 0, IGNORED, 0},
	{"slot-description", 0, IGNORED, 0},
	{"slot-manufacturer", 0, IGNORED, 0},
	{"module-path", 1, TEXT, AT(module_path)},
	{"pin-source", 1, TEXT, AT(pin_source)},
	{"pin-value", 1, SECRET, 0},
	{"module-name", 1, IGNORED, 0},
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into dst (room for HM_P11_VALUE_MAX + 1 bytes);
 * *outlen is the decoded length.  Controls, spaces and stray '%' are refused. */
static int decode(unsigned char *dst, size_t *outlen, const char *s, size_t n, const char *name)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o >= HM_P11_VALUE_MAX)
			return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: '%s' is longer than %d bytes",
					    name, HM_P11_VALUE_MAX);
		if (c == '%') {
			int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return hm_error_set(HM_E_USAGE,
						    "invalid PKCS#11 URI: bad percent-encoding in '%s'",
						    name);
			dst[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			return hm_error_set(HM_E_USAGE,
					    "invalid PKCS#11 URI: '%s' has a character that must be "
					    "percent-encoded",
					    name);
		} else {
			dst[o++] = c;
		}
	}
	*outlen = o;
	return HM_OK;
}

static int set_slot(hm_p11_uri *u, const unsigned char *v, size_t n)
{
	unsigned long x = 0;

	if (n == 0 || n > 19)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(v[i]))
			goto bad;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	u->slot_id = x;
	u->has_slot_id = 1;
	return HM_OK;
bad:
	return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: 'slot-id' is not a decimal number");
}

/* One "name=value" of the path (query 0) or the query (query 1). */
static int attribute(hm_p11_uri *u, const char *s, size_t n, int query)
{
	unsigned char val[HM_P11_VALUE_MAX + 1];
	const char *eq = memchr(s, '=', n);
	const struct attr *a = NULL;
	size_t nlen, vlen = 0;
	char **slot;
	int err;

	if (n == 0)
		return HM_OK; /* "a=1;;b=2" or a trailing separator */
	if (!eq || eq == s)
		return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: an attribute is not NAME=VALUE");
	nlen = (size_t)(eq - s);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strlen(attrs[i].name) == nlen && memcmp(attrs[i].name, s, nlen) == 0)
			a = &attrs[i];
	if (!a && nlen > 2 && memcmp(s, "x-", 2) == 0)
		return HM_OK;
	if (!a || a->query != query)
		return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: unknown %s attribute '%.*s'",
				    query ? "query" : "path", (int)(nlen > 32 ? 32 : nlen), s);
	err = decode(val, &vlen, eq + 1, n - nlen - 1, a->name);
	if (err)
		goto done;
	val[vlen] = '\0';
	switch (a->kind) {
	case IGNORED:
		break;
	case SLOT:
		if (u->has_slot_id)
			goto twice;
		err = set_slot(u, val, vlen);
		break;
	case SECRET:
		if (u->pin_value)
			goto twice;
		if (memchr(val, 0, vlen)) {
			err = hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: 'pin-value' contains NUL");
			break;
		}
		err = hm_pass_copy(&u->pin_value, &u->pin_len, (const char *)val);
		break;
	case BYTES:
		if (u->has_id)
			goto twice;
		u->id = malloc(vlen ? vlen : 1);
		if (!u->id) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			break;
		}
		memcpy(u->id, val, vlen);
		u->id_len = vlen;
		u->has_id = 1;
		break;
	case TEXT:
		slot = (char **)((char *)u + a->offset);
		if (*slot)
			goto twice;
		if (memchr(val, 0, vlen)) {
			err = hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: '%s' contains NUL", a->name);
			break;
		}
		*slot = strdup((const char *)val);
		if (!*slot)
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		break;
	}
	goto done;
twice:
	err = hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: '%s' is given twice", a->name);
done:
	sodium_memzero(val, sizeof(val));
	return err;
}

static int split(hm_p11_uri *u, const char *s, size_t n, char sep, int query)
{
	while (n > 0) {
		const char *e = memchr(s, sep, n);
		size_t k = e ? (size_t)(e - s) : n;
		int err = attribute(u, s, k, query);

		if (err)
			return err;
		if (!e)
			break;
		s = e + 1;
		n -= k + 1;
	}
	return HM_OK;
}

int hm_p11_uri_parse(hm_p11_uri *out, const char *s, size_t len)
{
	const char *q;
	size_t plen;
	int err;

	memset(out, 0, sizeof(*out));
	if (len > HM_P11_URI_MAX)
		return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: longer than %d bytes",
				    HM_P11_URI_MAX);
	if (len < 7 || strncasecmp(s, "pkcs11:", 7) != 0)
		return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: it must start with 'pkcs11:'");
	if (memchr(s, '\0', len))
		return hm_error_set(HM_E_USAGE, "invalid PKCS#11 URI: it contains NUL");
	s += 7;
	len -= 7;
	q = memchr(s, '?', len);
	plen = q ? (size_t)(q - s) : len;
	err = hm_sodium_ready();
	if (!err)
		err = split(out, s, plen, ';', 0);
	if (!err && q)
		err = split(out, q + 1, len - plen - 1, '&', 1);
	if (!err && out->pin_value && out->pin_source)
		err = hm_error_set(HM_E_USAGE,
				   "invalid PKCS#11 URI: give pin-value or pin-source, not both");
	if (err)
		hm_p11_uri_free(out);
	return err;
}

void hm_p11_uri_free(hm_p11_uri *u)
{
	if (!u)
		return;
	free(u->token);
	free(u->manufacturer);
	free(u->serial);
	free(u->model);
	free(u->object);
	free(u->type);
	free(u->id);
	free(u->module_path);
	free(u->pin_source);
	hm_pass_free(u->pin_value);
	memset(u, 0, sizeof(*u));
}

static int add_attr(hm_buf *out, int *first, const char *name, const unsigned char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int err = hm_buf_addf(out, "%s%s=", *first ? "" : ";", name);

	*first = 0;
	for (size_t i = 0; i < n && !err; i++) {
		unsigned char c = v[i];

		if (isalnum(c) || strchr("-._~", c))
			err = hm_buf_add(out, &c, 1);
		else
			err = hm_buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return err;
}

int hm_p11_uri_display(hm_buf *out, const hm_p11_uri *u)
{
	const struct {
		const char *name, *v;
	} text[] = {{"token", u->token}, {"manufacturer", u->manufacturer}, {"serial", u->serial},
		    {"model", u->model}, {"object", u->object}, {"type", u->type}};
	int first = 1, err = hm_buf_addstr(out, "pkcs11:");

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]) && !err; i++)
		if (text[i].v)
			err = add_attr(out, &first, text[i].name, (const unsigned char *)text[i].v,
				       strlen(text[i].v));
	if (!err && u->has_id)
		err = add_attr(out, &first, "id", u->id, u->id_len);
	if (!err && u->has_slot_id)
		err = hm_buf_addf(out, "%sslot-id=%lu", first ? "" : ";", u->slot_id);
	return err;
}
