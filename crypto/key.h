/* SPDX-License-Identifier: Apache-2.0 */
/* Keys: generation, loading (cosign's encrypted format, PKCS#8, SEC1, SPKI),
 * saving (cosign's encrypted format, 0600, atomic), signing and verifying.
 *
 * Signatures are over the given bytes: ECDSA P-256 with SHA-256 (ASN.1 DER),
 * Ed25519 (pure), RSA PKCS#1 v1.5 with SHA-256.  A hm_key owns its
 * EVP_PKEY; free with hm_key_free(). */
#ifndef HM_CRYPTO_KEY_H
#define HM_CRYPTO_KEY_H

#include <stddef.h>
#include "core/buf.h"

enum hm_key_type { HM_KEY_ECDSA_P256, HM_KEY_ED25519, HM_KEY_RSA_3072 };

typedef struct hm_key hm_key;

/* "ecdsa-p256" | "ed25519" | "rsa-3072" -> type; HM_E_USAGE otherwise. */
int hm_key_type_parse(enum hm_key_type *out, const char *name);
const char *hm_key_type_name(enum hm_key_type t);

int hm_key_generate(hm_key **out, enum hm_key_type type);

/* Loads the private key that ref names (a key source, crypto/keysource.c):
 *   FILE          a PEM file;
 *   env://VAR     the PEM in the environment variable VAR;
 *   pkcs11:...    a key on a PKCS#11 token (RFC 7512 URI, as cosign spells
 *                 it): signing happens on the token, pkey is its public half.
 * PEM types: ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY,
 * PRIVATE KEY (PKCS#8), EC PRIVATE KEY (SEC1).  Encrypted keys take the
 * passphrase from passphrase_file (when not NULL), then $HALLMARK_PASSWORD,
 * then $COSIGN_PASSWORD, then the terminal without echo.  Wrong passphrase:
 * HM_E_IO "decrypting 'path': wrong passphrase (from SOURCE)".  A KMS scheme
 * (awskms://, gcpkms://, ...) or any other unknown scheme://: HM_E_USAGE
 * naming it and what is supported.  Errors never contain a PIN. */
int hm_key_load_private(hm_key **out, const char *ref, const char *passphrase_file);
/* The same from memory; what names the key in errors and prompts.  With
 * passphrase NULL an encrypted key takes its passphrase as above (without a
 * file); otherwise passphrase/passlen are used as given (may be empty). */
int hm_key_load_private_mem(hm_key **out, const void *pem, size_t len, const char *what,
			    const char *passphrase, size_t passlen);

/* Loads a public key (PEM SubjectPublicKeyInfo) from a key source as above
 * (a pkcs11: URI gives the token's public key), or from memory (what names
 * it in errors). */
int hm_key_load_public(hm_key **out, const char *ref);
int hm_key_load_public_mem(hm_key **out, const void *pem, size_t len, const char *what);

/* Writes the private key encrypted in cosign's format (scrypt N=32768 r=8
 * p=1, nacl/secretbox, PKCS#8 inside), atomically, mode 0600; an existing
 * file is replaced only when force is set.  The passphrase is read as for
 * loading, with confirmation on the terminal. */
int hm_key_save_private(const hm_key *k, const char *path, const char *passphrase_file, int force);
/* Appends the ENCRYPTED SIGSTORE PRIVATE KEY PEM of k encrypted under
 * passphrase (NULL or passlen 0: the empty passphrase). */
int hm_key_save_private_mem(hm_buf *out, const hm_key *k, const char *passphrase, size_t passlen);
/* The same with the passphrase read as for hm_key_save_private (what names
 * the key in the prompt): lets a caller ask before it writes anything. */
int hm_key_seal_private(hm_buf *out, const hm_key *k, const char *what, const char *passphrase_file);
/* Writes the PEM public key (0644, atomic). */
int hm_key_save_public(const hm_key *k, const char *path, int force);
/* Appends the PEM SubjectPublicKeyInfo. */
int hm_key_public_pem(const hm_key *k, hm_buf *out);

/* Appends the raw signature bytes (DER for ECDSA) over data. */
int hm_key_sign(const hm_key *k, const void *data, size_t len, hm_buf *sig);
/* HM_OK when sig is a valid signature of data by k, HM_E_VERIFY otherwise. */
int hm_key_verify(const hm_key *k, const void *data, size_t len, const void *sig, size_t siglen);
/* The same given only the SHA-256 of the data (ECDSA and RSA sign that
 * prehash); HM_E_USAGE for an Ed25519 key, which signs the data itself. */
int hm_key_verify_digest(const hm_key *k, const unsigned char sha256[32], const void *sig, size_t siglen);

enum hm_key_type hm_key_type(const hm_key *k);
/* Hex SHA-256 of the DER SubjectPublicKeyInfo (64 chars + NUL). */
const char *hm_key_fingerprint(const hm_key *k);
/* How the user named the key, without secrets (a pkcs11: URI loses its
 * pin-value); the fingerprint when it was made in memory. */
const char *hm_key_name(const hm_key *k);
/* Whether two keys have the same public half. */
int hm_key_equal(const hm_key *a, const hm_key *b);

void hm_key_free(hm_key *k);

#endif
