/* SPDX-License-Identifier: Apache-2.0 */
/* hm_buf: a growable byte buffer with an optional size cap.
 *
 * data is always NUL-terminated once anything was added (data may be NULL
 * while len is 0: use hm_buf_cstr() for a printable view).  max caps len;
 * 0 means no cap (local data only: everything read from the network must go
 * through a buffer with a cap).  The buffer owns data; hm_buf_detach() hands
 * it to the caller. */
#ifndef HM_CORE_BUF_H
#define HM_CORE_BUF_H

#include <stddef.h>

typedef struct hm_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: unlimited */
} hm_buf;

#define HM_BUF_INIT {NULL, 0, 0, 0}

void hm_buf_init(hm_buf *b, size_t max);
/* Appends; HM_E_IO ("... exceeds the N-byte limit") past max, HM_E_NOMEM. */
int hm_buf_add(hm_buf *b, const void *data, size_t len);
int hm_buf_addstr(hm_buf *b, const char *s);
int hm_buf_addf(hm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hm_buf_addch(hm_buf *b, char c);
/* Sets len to 0, keeps the memory. */
void hm_buf_reset(hm_buf *b);
/* Frees data; the buffer may be reused after hm_buf_init(). */
void hm_buf_release(hm_buf *b);
/* Wipes (OPENSSL_cleanse) then frees: for secrets. */
void hm_buf_release_secret(hm_buf *b);
/* Returns data (caller frees; never NULL: "" when empty), resets b. */
char *hm_buf_detach(hm_buf *b, size_t *len);
static inline const char *hm_buf_cstr(const hm_buf *b) { return b->data ? b->data : ""; }

#endif
