/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/error.h"

void hm_buf_init(hm_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* Makes room for extra more bytes plus the NUL. */
static int grow(hm_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->max && (extra > b->max || b->len > b->max - extra))
		return hm_error_set(HM_E_IO, "data exceeds the %zu-byte limit", b->max);
	if (extra > SIZE_MAX - b->len - 1)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return HM_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	b->data = p;
	b->cap = cap;
	return HM_OK;
}

int hm_buf_add(hm_buf *b, const void *data, size_t len)
{
	int err = grow(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return HM_OK;
}

int hm_buf_addstr(hm_buf *b, const char *s)
{
	return hm_buf_add(b, s, strlen(s));
}

int hm_buf_addch(hm_buf *b, char c)
{
	return hm_buf_add(b, &c, 1);
}

int hm_buf_addf(hm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return hm_error_set(HM_E_IO, "formatting failed");
	err = grow(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return HM_OK;
}

void hm_buf_reset(hm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void hm_buf_release(hm_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void hm_buf_release_secret(hm_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	hm_buf_release(b);
}

char *hm_buf_detach(hm_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
