/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "crypto/pem.h"

int hm_pem_reserve(hm_buf *b, size_t n)
{
	size_t len = b->len;
	int err = HM_OK;

	/* Grow by appending n bytes, then drop them again: the memory stays. */
	while (n > 0 && !err) {
		static const char zeros[4096];
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);

		err = hm_buf_add(b, zeros, k);
		n -= k;
	}
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
	return err;
}

static const char *find(const char *hay, size_t haylen, const char *needle)
{
	return memmem(hay, haylen, needle, strlen(needle));
}

int hm_pem_decode(char label[HM_PEM_LABEL_MAX], hm_buf *der, const void *data, size_t len,
		  const char *what)
{
	const char *s = data, *end = s + len, *begin, *lab, *lab_end, *body, *stop;
	char endline[HM_PEM_LABEL_MAX + 16];
	hm_buf b64 = HM_BUF_INIT;
	size_t n;
	int err = HM_OK;

	label[0] = '\0';
	begin = find(s, len, "-----BEGIN ");
	if (!begin)
		return hm_error_set(HM_E_IO, "reading '%s': not a PEM file (no BEGIN line)", what);
	lab = begin + 11;
	lab_end = find(lab, (size_t)(end - lab), "-----");
	n = lab_end ? (size_t)(lab_end - lab) : 0;
	for (size_t i = 0; lab_end && i < n && i < HM_PEM_LABEL_MAX; i++)
		if (lab[i] < 0x20 || lab[i] > 0x7e)
			lab_end = NULL; /* labels are printable ASCII (RFC 7468) */
	if (!lab_end || n == 0 || n >= HM_PEM_LABEL_MAX)
		return hm_error_set(HM_E_IO, "reading '%s': malformed PEM BEGIN line", what);
	memcpy(label, lab, n);
	label[n] = '\0';
	body = lab_end + 5;
	snprintf(endline, sizeof(endline), "-----END %s-----", label);
	stop = find(body, (size_t)(end - body), endline);
	if (!stop)
		return hm_error_set(HM_E_IO, "reading '%s': truncated PEM (no \"%s\" line)", what,
				    endline);
	if (memchr(body, ':', (size_t)(stop - body)))
		return hm_error_set(HM_E_IO,
				    "reading '%s': PEM headers (legacy encrypted PEM) are not supported",
				    what);
	/* The body is base64, not secret until decoded. */
	for (const char *p = body; p < stop && !err; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			err = hm_buf_addch(&b64, *p);
	if (!err)
		err = hm_pem_reserve(der, b64.len / 4 * 3 + 3);
	if (!err && hm_base64_decode(der, hm_buf_cstr(&b64), b64.len))
		err = hm_error_set(HM_E_IO, "reading '%s': PEM body is not valid base64", what);
	hm_buf_release(&b64);
	return err;
}

int hm_pem_encode(hm_buf *out, const char *label, const void *der, size_t len)
{
	hm_buf b64 = HM_BUF_INIT;
	int err;

	err = hm_base64_encode(&b64, der, len);
	if (!err)
		err = hm_buf_addf(out, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64.len && !err; i += 64) {
		err = hm_buf_add(out, b64.data + i, b64.len - i < 64 ? b64.len - i : 64);
		if (!err)
			err = hm_buf_addch(out, '\n');
	}
	if (!err)
		err = hm_buf_addf(out, "-----END %s-----\n", label);
	hm_buf_release(&b64);
	return err;
}
