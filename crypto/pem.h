/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal PEM framing (RFC 7468) for crypto/: one block, strict base64 body.
 * Internal to crypto/. */
#ifndef HM_CRYPTO_PEM_H
#define HM_CRYPTO_PEM_H

#include <stddef.h>
#include "core/buf.h"

#define HM_PEM_LABEL_MAX 64

/* Finds the first PEM block in data: copies its label into label (NUL
 * terminated) and appends the decoded body to der.  Errors are HM_E_IO
 * "reading 'what': <why>" (no block, truncated, headers, bad base64).  When
 * the body is secret, pass a der buffer with room reserved (hm_pem_reserve)
 * so that decoding never reallocates and leaves copies behind. */
int hm_pem_decode(char label[HM_PEM_LABEL_MAX], hm_buf *der, const void *data, size_t len,
		  const char *what);
/* Makes room for n more bytes in b without changing its contents. */
int hm_pem_reserve(hm_buf *b, size_t n);
/* Appends "-----BEGIN label-----", the body in 64-column base64, "-----END label-----". */
int hm_pem_encode(hm_buf *out, const char *label, const void *der, size_t len);

#endif
