/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HM_CRYPTO_DIGEST_H
#define HM_CRYPTO_DIGEST_H

#include <stddef.h>

/* "sha256:" + 64 lowercase hex digits */
#define HM_DIGEST_LEN 71
#define HM_DIGEST_SIZE (HM_DIGEST_LEN + 1)

/* Writes "sha256:<hex>" of data into out. */
void hm_digest_compute(char out[HM_DIGEST_SIZE], const void *data, size_t len);
/* 1 when s is a well-formed sha256 digest (sha512 too: "sha512:" + 128 hex), else 0. */
int hm_digest_valid(const char *s);
/* HM_OK when data hashes to expected; otherwise HM_E_IO
 * "<what>: digest mismatch: expected X, got Y". */
int hm_digest_check(const char *expected, const void *data, size_t len, const char *what);
/* The hex part of "sha256:<hex>" (borrowed, points into d). */
const char *hm_digest_hex(const char *d);

/* Hashing a stream (a blob too large to hold in memory): new for the
 * algorithm of the expected digest (sha256 or sha512), update with each
 * chunk, then check: HM_OK, or HM_E_IO "<what>: digest mismatch: ...".
 * hm_digester_new returns NULL for an invalid digest or out of memory. */
typedef struct hm_digester hm_digester;
hm_digester *hm_digester_new(const char *expected);
void hm_digester_update(hm_digester *d, const void *data, size_t len);
int hm_digester_check(hm_digester *d, const char *what);
void hm_digester_free(hm_digester *d);

#endif
