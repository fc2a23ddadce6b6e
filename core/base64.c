/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"

static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hm_base64_encode(hm_buf *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	char q[4];
	int err = HM_OK;

	for (size_t i = 0; i < len && !err; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = enc[(v >> 18) & 63];
		q[1] = enc[(v >> 12) & 63];
		q[2] = i + 1 < len ? enc[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? enc[v & 63] : '=';
		err = hm_buf_add(out, q, 4);
	}
	if (!err && len == 0)
		err = hm_buf_add(out, "", 0);
	return err;
}

static int value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static int decode(hm_buf *out, const char *in, size_t len);

/* Go's decoder (and so cosign) ignores CR and LF anywhere: base64 wrapped
 * over lines is accepted by dropping them first. */
int hm_base64_decode(hm_buf *out, const char *in, size_t len)
{
	char *flat;
	size_t n = 0;
	int err;

	if (!memchr(in, '\n', len) && !memchr(in, '\r', len))
		return decode(out, in, len);
	if (!(flat = malloc(len)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++)
		if (in[i] != '\n' && in[i] != '\r')
			flat[n++] = in[i];
	err = decode(out, flat, n);
	free(flat);
	return err;
}

static int decode(hm_buf *out, const char *in, size_t len)
{
	unsigned v = 0;
	int bits = 0, err = hm_buf_add(out, "", 0);
	size_t i, end = len;

	while (end > 0 && in[end - 1] == '=' && len - end < 2)
		end--;
	if (end != len && len % 4 != 0)
		return hm_error_set(HM_E_IO, "invalid base64: bad padding");
	for (i = 0; i < end && !err; i++) {
		int d = value((unsigned char)in[i]);
		char c;

		if (d < 0)
			return hm_error_set(HM_E_IO, "invalid base64 at offset %zu", i);
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((v >> bits) & 0xff);
			err = hm_buf_add(out, &c, 1);
		}
	}
	if (!err && (bits >= 6 || (v & ((1u << bits) - 1)) != 0))
		return hm_error_set(HM_E_IO, "invalid base64: truncated input");
	return err;
}
