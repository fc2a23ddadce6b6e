/* SPDX-License-Identifier: Apache-2.0 */
/* cosign's encrypted private key body (go-securesystemslib "encrypted"):
 *   {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 * B64 is standard base64 with padding (Go's encoding of []byte); the key is
 * scrypt(passphrase, salt, N, r, p, 32) and the plaintext is the PKCS#8 DER
 * of the private key.  Internal to crypto/. */
#ifndef HM_CRYPTO_COSIGN_KEY_H
#define HM_CRYPTO_COSIGN_KEY_H

#include <stddef.h>
#include "core/buf.h"

#define HM_COSIGN_SCRYPT_N 32768
#define HM_COSIGN_SCRYPT_R 8
#define HM_COSIGN_SCRYPT_P 1

/* Appends the JSON envelope of plaintext encrypted under passphrase (fresh
 * salt and nonce, the parameters above). */
int hm_cosign_seal(hm_buf *out, const void *plaintext, size_t len, const char *pass,
		   size_t passlen);

/* Decrypts a JSON envelope; *out is a sodium_malloc'd allocation of *outlen
 * bytes (free with sodium_free).  Errors name what: HM_E_IO "reading 'what':
 * <what is malformed>", "decrypting 'what': wrong passphrase" followed by
 * " (from SOURCE)" when pass_source is not NULL. */
int hm_cosign_open(unsigned char **out, size_t *outlen, const void *json, size_t len,
		   const char *what, const char *pass, size_t passlen, const char *pass_source);

#endif
