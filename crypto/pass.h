/* Passphrases for encrypted keys: from $HALLMARK_PASSWORD, then
 * $COSIGN_PASSWORD, then a passphrase file, then the terminal (no echo).
 * Internal to crypto/. */
#ifndef HM_CRYPTO_PASS_H
#define HM_CRYPTO_PASS_H

#include <stddef.h>

/* Longest passphrase accepted from a file or the terminal. */
#define HM_PASS_MAX 1024

/* Sets *out to a NUL-terminated passphrase in a sodium_malloc'd allocation
 * (free with hm_pass_free) and *outlen to its length; what names the key in
 * the prompt and in errors.  confirm asks twice on the terminal (saving).
 * HM_E_IO "no passphrase for 'what': ..." when there is no source. */
int hm_pass_read(char **out, size_t *outlen, const char *what, const char *passphrase_file,
		 int confirm);
/* Wipes and frees; NULL is fine. */
void hm_pass_free(char *p);

/* sodium_init() once; HM_E_IO when libsodium cannot start. */
int hm_sodium_ready(void);

#endif
