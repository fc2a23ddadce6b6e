/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets typed or stored by the user: passphrases for encrypted keys and
 * token PINs.  A passphrase comes from an explicit passphrase file first,
 * then $HALLMARK_PASSWORD, then $COSIGN_PASSWORD, then the terminal (no
 * echo).  Every secret lives in a sodium_malloc'd allocation, wiped when
 * freed.  Internal to crypto/. */
#ifndef HM_CRYPTO_PASS_H
#define HM_CRYPTO_PASS_H

#include <stddef.h>

/* Longest passphrase accepted from a file or the terminal. */
#define HM_PASS_MAX 1024

/* Room for the description of where a secret came from. */
#define HM_PASS_SOURCE_MAX 320

/* Sets *out to a NUL-terminated passphrase in a sodium_malloc'd allocation
 * (free with hm_pass_free) and *outlen to its length; what names the key in
 * the prompt and in errors.  confirm asks twice on the terminal (saving).
 * source (may be NULL) receives where it came from, for error messages:
 * "--passphrase-file 'f'", "$HALLMARK_PASSWORD", "$COSIGN_PASSWORD", "the
 * terminal".  HM_E_IO "no passphrase for 'what': ..." when there is no
 * source. */
int hm_pass_read(char **out, size_t *outlen, const char *what, const char *passphrase_file,
		 int confirm, char source[HM_PASS_SOURCE_MAX]);
/* The first line of path (without its line ending) as a secret. */
int hm_pass_read_file(char **out, size_t *outlen, const char *path);
/* Copies s into a secret allocation. */
int hm_pass_copy(char **out, size_t *outlen, const char *s);
/* Asks once on the terminal, without echo: "Enter NOUN for 'what': ".
 * HM_E_IO "no NOUN for 'what': HINT" when there is no terminal. */
int hm_pass_prompt(char **out, size_t *outlen, const char *noun, const char *what,
		   const char *hint);
/* Wipes and frees; NULL is fine. */
void hm_pass_free(char *p);

/* sodium_init() once; HM_E_IO when libsodium cannot start. */
int hm_sodium_ready(void);

#endif
