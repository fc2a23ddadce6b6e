/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/error.h"
#include "core/file.h"
#include "core/hex.h"
#include "crypto/cosign_key.h"
#include "crypto/key.h"
#include "crypto/key_impl.h"
#include "crypto/pass.h"
#include "crypto/pem.h"

#define LABEL_SIGSTORE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define LABEL_COSIGN "ENCRYPTED COSIGN PRIVATE KEY"
#define KEY_FILE_MAX (1u << 20)

static const char *const type_names[] = {
	[HM_KEY_ECDSA_P256] = "ecdsa-p256",
	[HM_KEY_ED25519] = "ed25519",
	[HM_KEY_RSA_3072] = "rsa-3072",
};

int hm_key_type_parse(enum hm_key_type *out, const char *name)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*out = (enum hm_key_type)i;
			return HM_OK;
		}
	}
	return hm_error_set(HM_E_USAGE,
			    "unknown key type '%s' (use ecdsa-p256, ed25519 or rsa-3072)", name);
}

const char *hm_key_type_name(enum hm_key_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "unknown";
}

enum hm_key_type hm_key_type(const hm_key *k)
{
	return k->type;
}

const char *hm_key_fingerprint(const hm_key *k)
{
	return k->fingerprint;
}

int hm_key_equal(const hm_key *a, const hm_key *b)
{
	return a && b && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

const char *hm_key_name(const hm_key *k)
{
	return k->name ? k->name : k->fingerprint;
}

void hm_key_free(hm_key *k)
{
	if (!k)
		return;
	if (k->signer && k->signer->release)
		k->signer->release(k->ctx);
	EVP_PKEY_free(k->pkey); /* OpenSSL clears private key material on free */
	free(k->name);
	free(k);
}

/* Which of our types pkey is; HM_E_IO naming what when it is none. */
static int classify(enum hm_key_type *out, EVP_PKEY *pkey, const char *what)
{
	char group[64];
	int bits;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*out = HM_KEY_ED25519;
		return HM_OK;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL) ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))
			return hm_error_set(HM_E_IO, "reading '%s': unsupported elliptic curve (only P-256)",
					    what);
		*out = HM_KEY_ECDSA_P256;
		return HM_OK;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		/* Any usual RSA size is accepted for interop; hallmark generates 3072. */
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < 2048 || bits > 8192)
			return hm_error_set(HM_E_IO, "reading '%s': RSA key of %d bits (need 2048 to 8192)",
					    what, bits);
		*out = HM_KEY_RSA_3072;
		return HM_OK;
	}
	return hm_error_set(HM_E_IO,
			    "reading '%s': unsupported key type (only ECDSA P-256, Ed25519 and RSA)",
			    what);
}

/* Hashing the SubjectPublicKeyInfo pkey was decoded from directly spares
 * OpenSSL 3's encoder, a third of the time `hallmark verify` spends in
 * itself when it has to re-encode the key. */
int hm_key_wrap(hm_key **out, EVP_PKEY *pkey, const char *what, const void *spki, size_t spki_len)
{
	unsigned char md[SHA256_DIGEST_LENGTH], *der = NULL;
	hm_key *k = NULL;
	int n = (int)spki_len, err;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->signer = &hm_key_signer_memory;
	err = classify(&k->type, pkey, what);
	if (err)
		goto done;
	if (!spki && (n = i2d_PUBKEY(pkey, &der)) <= 0) {
		err = hm_error_set(HM_E_IO, "reading '%s': cannot encode the public key", what);
		goto done;
	}
	SHA256(spki ? spki : der, (size_t)n, md);
	hm_hex_encode(k->fingerprint, md, sizeof(md));
	*out = k;
	k = NULL;
done:
	OPENSSL_free(der);
	hm_key_free(k);
	ERR_clear_error();
	return err;
}

int hm_key_generate(hm_key **out, enum hm_key_type type)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	switch (type) {
	case HM_KEY_ECDSA_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case HM_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case HM_KEY_RSA_3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	default:
		return hm_error_set(HM_E_USAGE, "unknown key type %d", (int)type);
	}
	if (!pkey) {
		ERR_clear_error();
		return hm_error_set(HM_E_IO, "generating a %s key failed", hm_key_type_name(type));
	}
	return hm_key_wrap(out, pkey, "generated key", NULL, 0);
}

/* Parses a DER private key in the given form ("PRIVATE KEY", "EC PRIVATE
 * KEY", "RSA PRIVATE KEY"); the whole input must be consumed. */
static int parse_private_der(hm_key **out, const unsigned char *der, size_t len,
			     const char *label, const char *what)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;

	if (len > KEY_FILE_MAX)
		return hm_error_set(HM_E_IO, "reading '%s': private key too large", what);
	if (strcmp(label, "PRIVATE KEY") == 0) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
		if (p8 && p == der + len)
			pkey = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);
	} else {
		int t = strcmp(label, "EC PRIVATE KEY") == 0 ? EVP_PKEY_EC : EVP_PKEY_RSA;

		pkey = d2i_PrivateKey(t, NULL, &p, (long)len);
		if (pkey && p != der + len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	ERR_clear_error();
	if (!pkey)
		return hm_error_set(HM_E_IO, "reading '%s': invalid %s", what,
				    strcmp(label, "PRIVATE KEY") == 0 ? "PKCS#8 private key"
								       : label);
	return hm_key_wrap(out, pkey, what, NULL, 0);
}

/* have_pass: passphrase/passlen are given; otherwise they are read as
 * hm_pass_read() does, with passphrase_file. */
static int load_private(hm_key **out, const void *pem, size_t len, const char *what,
			const char *passphrase, size_t passlen, int have_pass,
			const char *passphrase_file)
{
	char label[HM_PEM_LABEL_MAX];
	hm_buf body = HM_BUF_INIT;
	unsigned char *der = NULL;
	size_t derlen = 0;
	char *pass = NULL, source[HM_PASS_SOURCE_MAX];
	int err;

	*out = NULL;
	err = hm_pem_decode(label, &body, pem, len, what);
	if (err)
		goto done;
	if (strcmp(label, LABEL_SIGSTORE) == 0 || strcmp(label, LABEL_COSIGN) == 0) {
		if (!have_pass) {
			err = hm_pass_read(&pass, &passlen, what, passphrase_file, 0, source);
			if (err)
				goto done;
			passphrase = pass;
		}
		err = hm_cosign_open(&der, &derlen, body.data, body.len, what, passphrase, passlen,
				     have_pass ? NULL : source);
		if (!err)
			err = parse_private_der(out, der, derlen, "PRIVATE KEY", what);
	} else if (strcmp(label, "PRIVATE KEY") == 0 || strcmp(label, "EC PRIVATE KEY") == 0 ||
		   strcmp(label, "RSA PRIVATE KEY") == 0) {
		err = parse_private_der(out, (const unsigned char *)hm_buf_cstr(&body), body.len,
					label, what);
	} else if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0) {
		err = hm_error_set(HM_E_IO,
				   "reading '%s': PKCS#8 encrypted keys are not supported (use cosign's "
				   "format or an unencrypted PRIVATE KEY)",
				   what);
	} else {
		err = hm_error_set(HM_E_IO, "reading '%s': unsupported PEM type '%s' (expected a private key)",
				   what, label);
	}
done:
	if (der)
		sodium_free(der);
	hm_pass_free(pass);
	hm_buf_release_secret(&body);
	return err;
}

int hm_key_load_private_mem(hm_key **out, const void *pem, size_t len, const char *what,
			    const char *passphrase, size_t passlen)
{
	return load_private(out, pem, len, what, passphrase, passlen, passphrase != NULL, NULL);
}

/* Reads a file that may hold secret material: the buffer is sized up front
 * so that it is never reallocated (leaving copies behind). */
static int read_secret_file(hm_buf *out, const char *path)
{
	struct stat st;
	int err = HM_OK;

	if (stat(path, &st) == 0 && st.st_size > 0 && (size_t)st.st_size < KEY_FILE_MAX)
		err = hm_pem_reserve(out, (size_t)st.st_size + 1);
	if (!err)
		err = hm_file_read(out, path, KEY_FILE_MAX);
	return err;
}

int hm_key_mem_load_private(hm_key **out, const void *pem, size_t len, const char *what,
			    const char *passphrase_file)
{
	return load_private(out, pem, len, what, NULL, 0, 0, passphrase_file);
}

int hm_key_file_load_private(hm_key **out, const char *path, const char *passphrase_file)
{
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = NULL;
	err = read_secret_file(&b, path);
	if (!err)
		err = load_private(out, hm_buf_cstr(&b), b.len, path, NULL, 0, 0, passphrase_file);
	hm_buf_release_secret(&b);
	return err;
}

int hm_key_load_public_mem(hm_key **out, const void *pem, size_t len, const char *what)
{
	char label[HM_PEM_LABEL_MAX];
	hm_buf der = HM_BUF_INIT;
	const unsigned char *p;
	EVP_PKEY *pkey = NULL;
	int err;

	*out = NULL;
	err = hm_pem_decode(label, &der, pem, len, what);
	if (err)
		goto done;
	if (strcmp(label, "PUBLIC KEY") != 0) {
		err = hm_error_set(HM_E_IO, "reading '%s': unsupported PEM type '%s' (expected PUBLIC KEY)",
				   what, label);
		goto done;
	}
	p = (const unsigned char *)hm_buf_cstr(&der);
	pkey = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (pkey && p != (const unsigned char *)der.data + der.len) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	ERR_clear_error();
	if (!pkey) {
		err = hm_error_set(HM_E_IO, "reading '%s': invalid public key", what);
		goto done;
	}
	err = hm_key_wrap(out, pkey, what, der.data, der.len);
done:
	hm_buf_release(&der);
	return err;
}

int hm_key_file_load_public(hm_key **out, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = NULL;
	err = hm_file_read(&b, path, KEY_FILE_MAX);
	if (!err)
		err = hm_key_load_public_mem(out, hm_buf_cstr(&b), b.len, path);
	hm_buf_release(&b);
	return err;
}

int hm_key_public_pem(const hm_key *k, hm_buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der), err;

	if (n <= 0) {
		ERR_clear_error();
		return hm_error_set(HM_E_IO, "encoding the public key failed");
	}
	err = hm_pem_encode(out, "PUBLIC KEY", der, (size_t)n);
	OPENSSL_free(der);
	return err;
}

int hm_key_save_private_mem(hm_buf *out, const hm_key *k, const char *passphrase, size_t passlen)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	hm_buf json = HM_BUF_INIT;
	int n = 0, err = HM_OK;

	p8 = EVP_PKEY2PKCS8(k->pkey);
	if (p8)
		n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (n <= 0) {
		err = hm_error_set(HM_E_IO, "encoding the private key failed");
		goto done;
	}
	err = hm_cosign_seal(&json, der, (size_t)n, passphrase, passphrase ? passlen : 0);
	if (!err)
		err = hm_pem_encode(out, LABEL_SIGSTORE, json.data, json.len);
done:
	if (der)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	hm_buf_release(&json);
	return err;
}

int hm_key_seal_private(hm_buf *out, const hm_key *k, const char *what, const char *passphrase_file)
{
	char *pass = NULL;
	size_t passlen = 0;
	int err = hm_pass_read(&pass, &passlen, what, passphrase_file, 1, NULL);

	if (!err)
		err = hm_key_save_private_mem(out, k, pass, passlen);
	hm_pass_free(pass);
	return err;
}

int hm_key_save_private(const hm_key *k, const char *path, const char *passphrase_file, int force)
{
	hm_buf pem = HM_BUF_INIT;
	int err;

	/* Refuse early, before asking for a passphrase twice for nothing. */
	if (!force && access(path, F_OK) == 0)
		return hm_error_set(HM_E_IO, "'%s' exists (use --force to replace it)", path);
	err = hm_key_seal_private(&pem, k, path, passphrase_file);
	if (!err)
		err = hm_file_write_atomic(path, pem.data, pem.len, 0600, force);
	hm_buf_release(&pem);
	return err;
}

int hm_key_save_public(const hm_key *k, const char *path, int force)
{
	hm_buf pem = HM_BUF_INIT;
	int err = hm_key_public_pem(k, &pem);

	if (!err)
		err = hm_file_write_atomic(path, pem.data, pem.len, 0644, force);
	hm_buf_release(&pem);
	return err;
}

/* Ed25519 signs the message itself; the others hash it with SHA-256. */
static const char *digest_name(const hm_key *k)
{
	return k->type == HM_KEY_ED25519 ? NULL : "SHA256";
}

int hm_key_sign(const hm_key *k, const void *data, size_t len, hm_buf *sig)
{
	return k->signer->sign(k, data, len, sig);
}

static int memory_sign(const hm_key *k, const void *data, size_t len, hm_buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *s = NULL;
	size_t slen = 0;
	int err = HM_OK;

	if (!ctx || EVP_DigestSignInit_ex(ctx, NULL, digest_name(k), NULL, NULL, k->pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, data, len) != 1) {
		err = hm_error_set(HM_E_IO, "signing with the %s key failed", hm_key_type_name(k->type));
		goto done;
	}
	s = OPENSSL_malloc(slen);
	if (!s) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestSign(ctx, s, &slen, data, len) != 1) {
		err = hm_error_set(HM_E_IO, "signing with the %s key failed", hm_key_type_name(k->type));
		goto done;
	}
	err = hm_buf_add(sig, s, slen);
done:
	OPENSSL_free(s);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

const struct hm_key_signer hm_key_signer_memory = {
	.name = "memory",
	.sign = memory_sign,
	.release = NULL,
};

int hm_key_verify(const hm_key *k, const void *data, size_t len, const void *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx && EVP_DigestVerifyInit_ex(ctx, NULL, digest_name(k), NULL, NULL, k->pkey, NULL) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return hm_error_set(HM_E_VERIFY, "signature does not verify with key %.12s",
				    k->fingerprint);
	return HM_OK;
}

int hm_key_verify_digest(const hm_key *k, const unsigned char sha256[32], const void *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int ok = 0;

	if (k->type == HM_KEY_ED25519)
		return hm_error_set(HM_E_USAGE,
				    "an Ed25519 key signs the message itself, not its digest: give the file");
	ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	if (ctx && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1)
		ok = EVP_PKEY_verify(ctx, sig, siglen, sha256, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return hm_error_set(HM_E_VERIFY, "signature does not verify with key %.12s",
				    k->fingerprint);
	return HM_OK;
}
