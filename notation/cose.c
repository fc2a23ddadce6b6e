/* SPDX-License-Identifier: Apache-2.0 */
/* The Notary Project COSE envelope: a tagged COSE_Sign1 (RFC 9052) with
 * the protected header of the signature specification and the x5chain,
 * timestamp and signing agent in the unprotected header.
 *
 * A small bounded CBOR reader of our own rather than libcbor: the envelope
 * uses a handful of CBOR shapes, and reading them in place keeps the exact
 * protected-header bytes the signature covers, refuses what COSE does not
 * need (indefinite lengths, duplicate labels, nesting past
 * HM_NOTATION_MAX_CBOR_DEPTH) and adds no dependency.  It is fuzzed by
 * tests/fuzz/fuzz_notation_cose.c. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/strv.h"
#include "notation/internal.h"

#define F "COSE"

typedef struct cur {
	const unsigned char *p, *end;
} cur;

enum { MT_UINT = 0, MT_NINT, MT_BSTR, MT_TSTR, MT_ARRAY, MT_MAP, MT_TAG, MT_SIMPLE };

static int bad(const char *what)
{
	return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s", what);
}

/* One data item's head: major type and argument.  Indefinite lengths and
 * the reserved additional information values are refused. */
static int head(cur *c, int *major, uint64_t *arg)
{
	unsigned ai;
	size_t n;

	if (c->p >= c->end)
		return bad("truncated CBOR");
	*major = *c->p >> 5;
	ai = *c->p++ & 31;
	if (ai < 24) {
		*arg = ai;
		return HM_OK;
	}
	if (ai > 27)
		return bad("indefinite-length or reserved CBOR item");
	n = (size_t)1 << (ai - 24);
	if ((size_t)(c->end - c->p) < n)
		return bad("truncated CBOR");
	*arg = 0;
	for (size_t i = 0; i < n; i++)
		*arg = (*arg << 8) | *c->p++;
	return HM_OK;
}

/* A byte or text string of the given major type, in place. */
static int string(cur *c, int want, const unsigned char **s, size_t *len, const char *what)
{
	int major;
	uint64_t n;

	if (head(c, &major, &n) != HM_OK)
		return HM_E_VERIFY;
	if (major != want)
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s is not a %s string", what,
				    want == MT_BSTR ? "byte" : "text");
	if (n > (uint64_t)(c->end - c->p))
		return bad("truncated CBOR string");
	*s = c->p;
	*len = (size_t)n;
	c->p += n;
	return HM_OK;
}

static int skip(cur *c, int depth)
{
	int major, err;
	uint64_t n;

	if (depth > HM_NOTATION_MAX_CBOR_DEPTH)
		return bad("CBOR nested too deeply");
	if ((err = head(c, &major, &n)) != HM_OK)
		return err;
	switch (major) {
	case MT_BSTR:
	case MT_TSTR:
		if (n > (uint64_t)(c->end - c->p))
			return bad("truncated CBOR string");
		c->p += n;
		return HM_OK;
	case MT_ARRAY:
	case MT_MAP:
		/* Every item takes at least a byte: a count past what is left is a lie. */
		if (n > (uint64_t)(c->end - c->p) || (major == MT_MAP && 2 * n > (uint64_t)(c->end - c->p)))
			return bad("truncated CBOR container");
		for (uint64_t i = 0; i < (major == MT_MAP ? 2 * n : n); i++)
			if ((err = skip(c, depth + 1)) != HM_OK)
				return err;
		return HM_OK;
	case MT_TAG:
		return skip(c, depth + 1);
	default:
		return HM_OK;
	}
}

/* A map label: an integer (*is_int) or a text string. */
typedef struct label {
	int is_int;
	int64_t i;
	const unsigned char *s;
	size_t len;
} label;

static int read_label(cur *c, label *l)
{
	int major;
	uint64_t n;

	memset(l, 0, sizeof(*l));
	if (head(c, &major, &n) != HM_OK)
		return HM_E_VERIFY;
	if (major == MT_UINT || major == MT_NINT) {
		if (n > INT64_MAX)
			return bad("header label out of range");
		l->is_int = 1;
		l->i = major == MT_UINT ? (int64_t)n : -1 - (int64_t)n;
		return HM_OK;
	}
	if (major != MT_TSTR || n > (uint64_t)(c->end - c->p))
		return bad("header label is neither an integer nor a text string");
	l->s = c->p;
	l->len = (size_t)n;
	c->p += n;
	return HM_OK;
}

static int label_is(const label *l, const char *name)
{
	return !l->is_int && l->len == strlen(name) && memcmp(l->s, name, l->len) == 0;
}

static int label_eq(const label *a, const label *b)
{
	return a->is_int == b->is_int &&
	       (a->is_int ? a->i == b->i : a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
}

#define MAX_LABELS 64

/* Opens a map and checks its labels are unique (reading it through once). */
static int map_open(cur *c, uint64_t *n, const char *what)
{
	cur scan;
	label seen[MAX_LABELS];
	int major;

	if (head(c, &major, n) != HM_OK)
		return HM_E_VERIFY;
	if (major != MT_MAP)
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s is not a map", what);
	if (*n > MAX_LABELS)
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s has over %d labels", what, MAX_LABELS);
	scan = *c;
	for (uint64_t i = 0; i < *n; i++) {
		if (read_label(&scan, &seen[i]) != HM_OK || skip(&scan, 1) != HM_OK)
			return HM_E_VERIFY;
		for (uint64_t j = 0; j < i; j++)
			if (label_eq(&seen[i], &seen[j]))
				return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s has a label twice", what);
	}
	return HM_OK;
}

/* A copy of a text string, owned by strs, NUL-terminated; NULs inside are refused. */
static int text(cur *c, hm_strv *strs, const char **out, const char *what)
{
	const unsigned char *s;
	size_t len;
	char *copy;

	if (string(c, MT_TSTR, &s, &len, what) != HM_OK)
		return HM_E_VERIFY;
	if (memchr(s, 0, len))
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s holds a NUL", what);
	if (!(copy = strndup((const char *)s, len)) || hm_strv_push_owned(strs, copy) != HM_OK)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	*out = copy;
	return HM_OK;
}

/* An epoch-based date/time: tag 1 and an integer (fractions are refused). */
static int cbor_time(cur *c, int64_t *out, const char *what)
{
	int major;
	uint64_t n;

	if (head(c, &major, &n) != HM_OK || major != MT_TAG || n != 1 || head(c, &major, &n) != HM_OK ||
	    (major != MT_UINT && major != MT_NINT) || n > (uint64_t)1 << 40)
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: %s is not an epoch date/time (tag 1, integer)",
				    what);
	*out = major == MT_UINT ? (int64_t)n : -1 - (int64_t)n;
	return HM_OK;
}

static int cose_alg(hm_notation_envelope *e, int64_t v)
{
	switch (v) {
	case -37: e->alg = HM_NOTATION_PS256; return HM_OK;
	case -38: e->alg = HM_NOTATION_PS384; return HM_OK;
	case -39: e->alg = HM_NOTATION_PS512; return HM_OK;
	case -7: e->alg = HM_NOTATION_ES256; return HM_OK;
	case -35: e->alg = HM_NOTATION_ES384; return HM_OK;
	case -36: e->alg = HM_NOTATION_ES512; return HM_OK;
	default:
		return hm_error_set(HM_E_VERIFY, "notation COSE envelope: alg %lld is not allowed (PS256/384/512 "
						 "-37/-38/-39, ES256/384/512 -7/-35/-36)",
				    (long long)v);
	}
}

static int protected_header(hm_notation_envelope *e, const unsigned char *data, size_t len, hm_strv *strs)
{
	cur c = {data, data + len};
	nt_headers h = {.fmt = F};
	uint64_t n;
	label l;
	int major, err;

	if ((err = map_open(&c, &n, "protected header")) != HM_OK)
		return err;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v;

		if ((err = read_label(&c, &l)) != HM_OK)
			return err;
		if (l.is_int && l.i == 1) {
			if ((err = head(&c, &major, &v)) != HM_OK)
				return err;
			if ((major != MT_NINT && major != MT_UINT) || v > 1000)
				return bad("alg is not an integer");
			if ((err = cose_alg(e, major == MT_NINT ? -1 - (int64_t)v : (int64_t)v)) != HM_OK)
				return err;
		} else if (l.is_int && l.i == 2) {
			if ((err = head(&c, &major, &v)) != HM_OK)
				return err;
			if (major != MT_ARRAY || v == 0 || v > NT_MAX_CRIT)
				return bad("crit is not an array of 1 to 16 labels");
			h.has_crit = 1;
			for (uint64_t k = 0; k < v; k++) {
				cur peek = c;
				uint64_t lv;

				if ((err = head(&peek, &major, &lv)) != HM_OK)
					return err;
				if (major == MT_UINT || major == MT_NINT)
					return hm_error_set(HM_E_VERIFY,
							    "notation COSE envelope: unknown critical header label %s%llu "
							    "(not understood, refused)",
							    major == MT_NINT ? "-1-" : "", (unsigned long long)lv);
				if ((err = text(&c, strs, &h.crit[h.n_crit++], "crit entry")) != HM_OK)
					return err;
			}
		} else if (l.is_int && l.i == 3) {
			if ((err = text(&c, strs, &h.cty, "content type")) != HM_OK)
				return err;
		} else if (label_is(&l, NT_SCHEME)) {
			if ((err = text(&c, strs, &h.scheme, NT_SCHEME)) != HM_OK)
				return err;
		} else if (label_is(&l, NT_SIGNING_TIME)) {
			if ((err = cbor_time(&c, &h.signing_time, NT_SIGNING_TIME)) != HM_OK)
				return err;
			h.has_signing_time = 1;
		} else if (label_is(&l, NT_AUTHENTIC_TIME)) {
			if ((err = cbor_time(&c, &h.authentic_time, NT_AUTHENTIC_TIME)) != HM_OK)
				return err;
			h.has_authentic_time = 1;
		} else if (label_is(&l, NT_EXPIRY)) {
			if ((err = cbor_time(&c, &h.expiry, NT_EXPIRY)) != HM_OK)
				return err;
			h.has_expiry = 1;
		} else {
			h.has_plugin |= label_is(&l, NT_PLUGIN);
			h.has_plugin_min |= label_is(&l, NT_PLUGIN_MIN);
			if ((err = skip(&c, 1)) != HM_OK)
				return err;
		}
	}
	if (c.p != c.end)
		return bad("bytes after the protected header map");
	if (!e->alg)
		return bad("protected header has no alg");
	return nt_headers_check(e, &h);
}

static int add_cert(hm_notation_envelope *e, cur *c)
{
	const unsigned char *s;
	size_t len;

	if (string(c, MT_BSTR, &s, &len, "x5chain certificate") != HM_OK)
		return HM_E_VERIFY;
	return nt_chain_add(e, s, len, F);
}

static int unprotected_header(hm_notation_envelope *e, cur *c, hm_strv *strs)
{
	uint64_t n, v;
	label l;
	int major, err;

	if ((err = map_open(c, &n, "unprotected header")) != HM_OK)
		return err;
	for (uint64_t i = 0; i < n; i++) {
		if ((err = read_label(c, &l)) != HM_OK)
			return err;
		if (l.is_int && l.i == 33) {
			cur peek = *c;

			if ((err = head(&peek, &major, &v)) != HM_OK)
				return err;
			if (major == MT_BSTR) {
				if ((err = add_cert(e, c)) != HM_OK)
					return err;
				continue;
			}
			if (major != MT_ARRAY || v == 0)
				return bad("x5chain is neither a certificate nor an array of them");
			*c = peek;
			for (uint64_t k = 0; k < v; k++)
				if ((err = add_cert(e, c)) != HM_OK)
					return err;
		} else if (label_is(&l, NT_TIMESTAMP)) {
			const unsigned char *s;
			size_t len;

			if ((err = string(c, MT_BSTR, &s, &len, NT_TIMESTAMP)) != HM_OK)
				return err;
			if (len == 0)
				return bad("empty timestamp signature");
			if ((err = hm_buf_add(&e->timestamp, s, len)) != HM_OK)
				return hm_error_set(HM_E_VERIFY, "notation COSE envelope: timestamp over %u bytes",
						    HM_MAX_TIMESTAMP_DER);
		} else if (label_is(&l, NT_AGENT)) {
			const char *agent;

			if ((err = text(c, strs, &agent, NT_AGENT)) != HM_OK)
				return err;
			if (!(e->signing_agent = strdup(agent)))
				return hm_error_set(HM_E_NOMEM, "out of memory");
		} else if ((err = skip(c, 1)) != HM_OK) {
			return err;
		}
	}
	if (sk_X509_num(e->chain) == 0)
		return bad("unprotected header has no x5chain (label 33)");
	return HM_OK;
}

/* Appends a CBOR head (major type, argument) to out. */
static int put_head(hm_buf *out, int major, uint64_t n)
{
	unsigned char b[9];
	size_t len = 1;

	if (n < 24) {
		b[0] = (unsigned char)(major << 5 | n);
	} else {
		int k = n < 0x100 ? 0 : n < 0x10000 ? 1 : n < 0x100000000ull ? 2 : 3;

		b[0] = (unsigned char)(major << 5 | (24 + k));
		len = 1 + ((size_t)1 << k);
		for (size_t i = len - 1; i >= 1; i--, n >>= 8)
			b[i] = (unsigned char)(n & 0xff);
	}
	return hm_buf_add(out, b, len);
}

int nt_cose_parse(hm_notation_envelope *e, const unsigned char *data, size_t len)
{
	cur c = {data, data + len};
	const unsigned char *prot, *payload, *sig;
	size_t prot_len, payload_len, sig_len;
	hm_strv strs = HM_STRV_INIT;
	uint64_t n;
	int major, err;

	e->format = HM_NOTATION_COSE;
	if ((err = head(&c, &major, &n)) != HM_OK)
		goto done;
	if (major != MT_TAG || n != 18) {
		err = bad("not a tagged COSE_Sign1 (tag 18)");
		goto done;
	}
	if ((err = head(&c, &major, &n)) != HM_OK)
		goto done;
	if (major != MT_ARRAY || n != 4) {
		err = bad("COSE_Sign1 is not an array of 4");
		goto done;
	}
	if ((err = string(&c, MT_BSTR, &prot, &prot_len, "protected header")) != HM_OK)
		goto done;
	if (prot_len == 0) {
		err = bad("empty protected header");
		goto done;
	}
	if ((err = unprotected_header(e, &c, &strs)) != HM_OK)
		goto done;
	if (c.p < c.end && *c.p == 0xf6) {
		err = bad("detached payload (nil) is not supported");
		goto done;
	}
	if ((err = string(&c, MT_BSTR, &payload, &payload_len, "payload")) != HM_OK ||
	    (err = string(&c, MT_BSTR, &sig, &sig_len, "signature")) != HM_OK)
		goto done;
	if (c.p != c.end) {
		err = bad("bytes after the COSE_Sign1");
		goto done;
	}
	if ((err = protected_header(e, prot, prot_len, &strs)) != HM_OK)
		goto done;
	if ((err = hm_buf_add(&e->payload, payload, payload_len)) != HM_OK ||
	    (err = hm_buf_add(&e->signature, sig, sig_len)) != HM_OK) {
		err = bad("payload or signature too large");
		goto done;
	}
	/* Sig_structure = ["Signature1", protected, external_aad = h'', payload] */
	if ((err = put_head(&e->signed_bytes, MT_ARRAY, 4)) != HM_OK ||
	    (err = put_head(&e->signed_bytes, MT_TSTR, 10)) != HM_OK ||
	    (err = hm_buf_add(&e->signed_bytes, "Signature1", 10)) != HM_OK ||
	    (err = put_head(&e->signed_bytes, MT_BSTR, prot_len)) != HM_OK ||
	    (err = hm_buf_add(&e->signed_bytes, prot, prot_len)) != HM_OK ||
	    (err = put_head(&e->signed_bytes, MT_BSTR, 0)) != HM_OK ||
	    (err = put_head(&e->signed_bytes, MT_BSTR, payload_len)) != HM_OK ||
	    (err = hm_buf_add(&e->signed_bytes, payload, payload_len)) != HM_OK)
		goto done;
done:
	hm_strv_free(&strs);
	return err;
}
