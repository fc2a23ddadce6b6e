/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/error.h"
#include "core/hex.h"
#include "crypto/digest.h"

void hm_digest_compute(char out[HM_DIGEST_SIZE], const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	memcpy(out, "sha256:", 7);
	hm_hex_encode(out + 7, md, sizeof(md));
}

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int hm_digest_valid(const char *s)
{
	if (!s)
		return 0;
	if (strncmp(s, "sha256:", 7) == 0)
		return strlen(s) == 71 && all_hex(s + 7, 64);
	if (strncmp(s, "sha512:", 7) == 0)
		return strlen(s) == 135 && all_hex(s + 7, 128);
	return 0;
}

int hm_digest_check(const char *expected, const void *data, size_t len, const char *what)
{
	char got[140];

	if (strncmp(expected, "sha512:", 7) == 0) {
		unsigned char md[SHA512_DIGEST_LENGTH];

		SHA512(data, len, md);
		memcpy(got, "sha512:", 7);
		hm_hex_encode(got + 7, md, sizeof(md));
	} else {
		hm_digest_compute(got, data, len);
	}
	if (strcmp(expected, got) != 0)
		return hm_error_set(HM_E_IO, "%s: digest mismatch: expected %s, got %s", what, expected, got);
	return HM_OK;
}

const char *hm_digest_hex(const char *d)
{
	const char *c = strchr(d, ':');

	return c ? c + 1 : d;
}

struct hm_digester {
	EVP_MD_CTX *ctx;
	char expected[140];
};

hm_digester *hm_digester_new(const char *expected)
{
	hm_digester *d;

	if (!hm_digest_valid(expected) || !(d = calloc(1, sizeof(*d))))
		return NULL;
	snprintf(d->expected, sizeof(d->expected), "%s", expected);
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx ||
	    !EVP_DigestInit_ex(d->ctx, strncmp(expected, "sha512:", 7) == 0 ? EVP_sha512() : EVP_sha256(), NULL)) {
		hm_digester_free(d);
		return NULL;
	}
	return d;
}

void hm_digester_update(hm_digester *d, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(d->ctx, data, len);
}

int hm_digester_check(hm_digester *d, const char *what)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char got[140];

	if (!EVP_DigestFinal_ex(d->ctx, md, &n))
		return hm_error_set(HM_E_IO, "%s: hashing failed", what);
	memcpy(got, d->expected, 7);
	hm_hex_encode(got + 7, md, n);
	if (strcmp(d->expected, got) != 0)
		return hm_error_set(HM_E_IO, "%s: digest mismatch: expected %s, got %s", what, d->expected, got);
	return HM_OK;
}

void hm_digester_free(hm_digester *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}
