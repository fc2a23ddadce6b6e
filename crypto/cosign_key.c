/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <cjson/cJSON.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/cosign_key.h"
#include "crypto/pass.h"

#define SALT_BYTES 32
#define KEY_BYTES crypto_secretbox_KEYBYTES
#define NONCE_BYTES crypto_secretbox_NONCEBYTES
#define MAX_CIPHERTEXT (64 * 1024)

/* A key file chooses its own scrypt parameters, so a hostile file could ask
 * for gigabytes of memory or minutes of work.  These caps admit every set
 * go-securesystemslib writes (N up to 2^17 with r=8, p=1) with room to spare. */
#define MAX_SCRYPT_MEM (256u << 20) /* 128 * N * r bytes */
#define MAX_SCRYPT_WORK (1u << 22)  /* N * r * p */

static int derive(unsigned char *key, const char *pass, size_t passlen, const unsigned char *salt,
		  size_t saltlen, uint64_t n, uint32_t r, uint32_t p)
{
	/* libsodium wants a valid pointer even for an empty passphrase */
	const uint8_t *pw = (const uint8_t *)(pass ? pass : "");

	if (crypto_pwhash_scryptsalsa208sha256_ll(pw, passlen, salt, saltlen, n, r, p, key,
						  KEY_BYTES) != 0)
		return hm_error_set(HM_E_NOMEM, "scrypt failed (out of memory?)");
	return HM_OK;
}

int hm_cosign_seal(hm_buf *out, const void *plaintext, size_t len, const char *pass,
		   size_t passlen)
{
	unsigned char salt[SALT_BYTES], nonce[NONCE_BYTES];
	unsigned char *key = NULL, *box = NULL;
	int err = hm_sodium_ready();

	if (err)
		return err;
	key = sodium_malloc(KEY_BYTES);
	box = malloc(len + crypto_secretbox_MACBYTES);
	if (!key || !box) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	err = derive(key, pass, passlen, salt, sizeof(salt), HM_COSIGN_SCRYPT_N, HM_COSIGN_SCRYPT_R,
		     HM_COSIGN_SCRYPT_P);
	if (err)
		goto done;
	crypto_secretbox_easy(box, plaintext, len, nonce, key);
	/* Same member order as Go's json.Marshal of the struct. */
	err = hm_buf_addf(out, "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%d,\"r\":%d,\"p\":%d},\"salt\":\"",
			  HM_COSIGN_SCRYPT_N, HM_COSIGN_SCRYPT_R, HM_COSIGN_SCRYPT_P);
	if (!err)
		err = hm_base64_encode(out, salt, sizeof(salt));
	if (!err)
		err = hm_buf_addstr(out, "\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"");
	if (!err)
		err = hm_base64_encode(out, nonce, sizeof(nonce));
	if (!err)
		err = hm_buf_addstr(out, "\"},\"ciphertext\":\"");
	if (!err)
		err = hm_base64_encode(out, box, len + crypto_secretbox_MACBYTES);
	if (!err)
		err = hm_buf_addstr(out, "\"}");
done:
	sodium_free(key);
	free(box);
	return err;
}

/* A non-negative integer member no larger than max, else -1. */
static double int_member(const cJSON *obj, const char *name, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
	    floor(v->valuedouble) != v->valuedouble)
		return -1;
	return v->valuedouble;
}

/* Decodes the base64 string member name of obj into out. */
static int b64_member(hm_buf *out, const cJSON *obj, const char *name, const char *what)
{
	const char *s = hm_json_str(obj, name);

	if (!s)
		return hm_error_set(HM_E_IO, "reading '%s': encrypted key has no \"%s\"", what, name);
	if (hm_base64_decode(out, s, strlen(s)))
		return hm_error_set(HM_E_IO, "reading '%s': encrypted key \"%s\" is not base64",
				    what, name);
	return HM_OK;
}

int hm_cosign_open(unsigned char **out, size_t *outlen, const void *json, size_t len,
		   const char *what, const char *pass, size_t passlen, const char *pass_source)
{
	hm_buf salt = HM_BUF_INIT, nonce = HM_BUF_INIT, box = HM_BUF_INIT;
	const cJSON *kdf, *params, *cipher;
	unsigned char *key = NULL, *plain = NULL;
	const char *name;
	double n, r, p;
	cJSON *j = NULL;
	int err = hm_sodium_ready();

	*out = NULL;
	*outlen = 0;
	if (err)
		return err;
	j = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(j)) {
		err = hm_error_set(HM_E_IO, "reading '%s': encrypted key is not valid JSON", what);
		goto done;
	}
	kdf = cJSON_GetObjectItemCaseSensitive(j, "kdf");
	cipher = cJSON_GetObjectItemCaseSensitive(j, "cipher");
	params = cJSON_GetObjectItemCaseSensitive(kdf, "params");
	name = hm_json_str(kdf, "name");
	if (!name || strcmp(name, "scrypt") != 0) {
		err = hm_error_set(HM_E_IO, "reading '%s': unsupported key derivation '%.32s'", what,
				   name ? name : "");
		goto done;
	}
	name = hm_json_str(cipher, "name");
	if (!name || strcmp(name, "nacl/secretbox") != 0) {
		err = hm_error_set(HM_E_IO, "reading '%s': unsupported cipher '%.32s'", what,
				   name ? name : "");
		goto done;
	}
	n = int_member(params, "N", 1 << 30);
	r = int_member(params, "r", 1 << 10);
	p = int_member(params, "p", 1 << 10);
	if (n < 2 || r < 1 || p < 1 || ((uint64_t)n & ((uint64_t)n - 1)) != 0) {
		err = hm_error_set(HM_E_IO, "reading '%s': invalid scrypt parameters", what);
		goto done;
	}
	if (128.0 * n * r > MAX_SCRYPT_MEM || n * r * p > MAX_SCRYPT_WORK) {
		err = hm_error_set(HM_E_IO,
				   "reading '%s': scrypt parameters N=%.0f r=%.0f p=%.0f exceed the "
				   "limits (at most %u MiB and N*r*p <= %u)",
				   what, n, r, p, MAX_SCRYPT_MEM >> 20, MAX_SCRYPT_WORK);
		goto done;
	}
	err = b64_member(&salt, kdf, "salt", what);
	if (!err)
		err = b64_member(&nonce, cipher, "nonce", what);
	if (!err)
		err = b64_member(&box, j, "ciphertext", what);
	if (err)
		goto done;
	if (nonce.len != NONCE_BYTES) {
		err = hm_error_set(HM_E_IO, "reading '%s': nonce is %zu bytes, not %d", what,
				   nonce.len, NONCE_BYTES);
		goto done;
	}
	if (box.len < crypto_secretbox_MACBYTES || box.len > MAX_CIPHERTEXT) {
		err = hm_error_set(HM_E_IO, "reading '%s': ciphertext has an impossible size (%zu bytes)",
				   what, box.len);
		goto done;
	}
	key = sodium_malloc(KEY_BYTES);
	plain = sodium_malloc(box.len - crypto_secretbox_MACBYTES + 1);
	if (!key || !plain) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = derive(key, pass, passlen, (const unsigned char *)hm_buf_cstr(&salt), salt.len,
		     (uint64_t)n, (uint32_t)r, (uint32_t)p);
	if (err)
		goto done;
	if (crypto_secretbox_open_easy(plain, (const unsigned char *)box.data, box.len,
				       (const unsigned char *)nonce.data, key) != 0) {
		err = hm_error_set(HM_E_IO, "decrypting '%s': wrong passphrase%s%s%s", what,
				   pass_source ? " (from " : "", pass_source ? pass_source : "",
				   pass_source ? ")" : "");
		goto done;
	}
	*out = plain;
	*outlen = box.len - crypto_secretbox_MACBYTES;
	plain = NULL;
done:
	cJSON_Delete(j);
	sodium_free(key);
	sodium_free(plain);
	hm_buf_release(&salt);
	hm_buf_release(&nonce);
	hm_buf_release(&box);
	return err;
}
