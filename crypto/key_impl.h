/* SPDX-License-Identifier: Apache-2.0 */
/* The inside of a hm_key, shared by the back-ends of crypto/: keys held in
 * memory (key.c: files and env://) and keys that stay on a PKCS#11 token
 * (pkcs11.c).  Internal to crypto/. */
#ifndef HM_CRYPTO_KEY_IMPL_H
#define HM_CRYPTO_KEY_IMPL_H

#include <openssl/evp.h>
#include <openssl/sha.h>
#include "crypto/key.h"

/* Who makes the signatures of a key.  Verification never needs one: it
 * always uses the public half in pkey. */
struct hm_key_signer {
	const char *name;
	/* Appends the signature over data, in the same encoding an OpenSSL
	 * signer gives (DER for ECDSA). */
	int (*sign)(const hm_key *k, const void *data, size_t len, hm_buf *sig);
	/* Frees ctx (NULL is fine). */
	void (*release)(void *ctx);
};

struct hm_key {
	EVP_PKEY *pkey; /* the whole key in memory, or only its public half */
	enum hm_key_type type;
	char fingerprint[2 * SHA256_DIGEST_LENGTH + 1];
	const struct hm_key_signer *signer;
	void *ctx;  /* the signer's, e.g. the token session */
	char *name; /* how the user named the key, without secrets; NULL: none */
};

/* Signs with pkey (a key in memory). */
extern const struct hm_key_signer hm_key_signer_memory;

/* Takes ownership of pkey (freed on error) into a new hm_key signed by
 * hm_key_signer_memory.  spki (may be NULL) is the DER SubjectPublicKeyInfo
 * pkey was decoded from. */
int hm_key_wrap(hm_key **out, EVP_PKEY *pkey, const char *what, const void *spki, size_t spki_len);

/* Loading from a file or from memory, without looking at schemes.
 * passphrase_file as for hm_key_load_private. */
int hm_key_file_load_private(hm_key **out, const char *path, const char *passphrase_file);
int hm_key_file_load_public(hm_key **out, const char *path);
int hm_key_mem_load_private(hm_key **out, const void *pem, size_t len, const char *what,
			    const char *passphrase_file);

/* The back-end of pkcs11: URIs (pkcs11.c). */
int hm_key_pkcs11_load_private(hm_key **out, const char *uri, const char *passphrase_file);
int hm_key_pkcs11_load_public(hm_key **out, const char *uri);

#endif
