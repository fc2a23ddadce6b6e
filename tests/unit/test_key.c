/* SPDX-License-Identifier: Apache-2.0 */
/* Keys: round trips, cosign's encrypted format, refusals, and interop with
 * an independent implementation (tests/interop/cosignfmt.py). */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "crypto/key.h"
#include "crypto/pem.h"
#include "tests/unit/testdir.h"

static const enum hm_key_type all_types[] = {HM_KEY_ECDSA_P256, HM_KEY_ED25519, HM_KEY_RSA_3072};
static hm_key *keys[3]; /* generated once: RSA generation is slow */
static char dir[64];

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

/* Runs cosignfmt.py with the arguments; returns its exit status and, when
 * out is given, its stdout. */
static int cosignfmt(hm_buf *out, const char *fmt, ...)
{
	char args[1024], cmd[2048], chunk[4096];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s tests/interop/cosignfmt.py %s", python(), args);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (out)
			assert_int_equal(hm_buf_add(out, chunk, n), HM_OK);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hm-test-key-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (hm_key_generate(&keys[i], all_types[i]))
			return -1;
	unsetenv("COSIGN_PASSWORD");
	setenv("HALLMARK_PASSWORD", "correct horse", 1);
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < 3; i++)
		hm_key_free(keys[i]);
	return hm_testdir_remove(dir);
}

static void test_type_names(void **state)
{
	enum hm_key_type t;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(hm_key_type_parse(&t, hm_key_type_name(all_types[i])), HM_OK);
		assert_int_equal(t, all_types[i]);
		assert_int_equal(hm_key_type(keys[i]), all_types[i]);
	}
	assert_int_equal(hm_key_type_parse(&t, "dsa"), HM_E_USAGE);
}

static void test_sign_verify(void **state)
{
	static const char msg[] = "the payload";
	hm_buf sig = HM_BUF_INIT;

	for (size_t i = 0; i < 3; i++) {
		hm_buf_reset(&sig);
		assert_int_equal(hm_key_sign(keys[i], msg, sizeof(msg) - 1, &sig), HM_OK);
		assert_int_equal(hm_key_verify(keys[i], msg, sizeof(msg) - 1, sig.data, sig.len), HM_OK);
		/* tampered data, tampered signature, wrong key, truncated signature */
		assert_int_equal(hm_key_verify(keys[i], "the paylaod", 11, sig.data, sig.len), HM_E_VERIFY);
		sig.data[sig.len / 2] ^= 1;
		assert_int_equal(hm_key_verify(keys[i], msg, sizeof(msg) - 1, sig.data, sig.len), HM_E_VERIFY);
		sig.data[sig.len / 2] ^= 1;
		assert_int_equal(hm_key_verify(keys[(i + 1) % 3], msg, sizeof(msg) - 1, sig.data, sig.len),
				 HM_E_VERIFY);
		assert_int_equal(hm_key_verify(keys[i], msg, sizeof(msg) - 1, sig.data, sig.len - 1),
				 HM_E_VERIFY);
		assert_int_equal(hm_key_verify(keys[i], msg, sizeof(msg) - 1, "", 0), HM_E_VERIFY);
	}
	hm_buf_release(&sig);
}

static void test_fingerprint_equal(void **state)
{
	hm_buf pem = HM_BUF_INIT;
	hm_key *pub = NULL;

	assert_int_equal(strlen(hm_key_fingerprint(keys[0])), 64);
	assert_int_equal(hm_key_public_pem(keys[0], &pem), HM_OK);
	assert_non_null(strstr(pem.data, "-----BEGIN PUBLIC KEY-----\n"));
	assert_int_equal(hm_key_load_public_mem(&pub, pem.data, pem.len, "mem"), HM_OK);
	assert_true(hm_key_equal(pub, keys[0]));
	assert_false(hm_key_equal(pub, keys[1]));
	assert_string_equal(hm_key_fingerprint(pub), hm_key_fingerprint(keys[0]));
	assert_string_not_equal(hm_key_fingerprint(keys[1]), hm_key_fingerprint(keys[0]));
	hm_key_free(pub);
	hm_buf_release(&pem);
}

static void test_mem_round_trip(void **state)
{
	hm_buf pem = HM_BUF_INIT;
	hm_key *k = NULL;

	for (size_t i = 0; i < 3; i++) {
		hm_buf_reset(&pem);
		assert_int_equal(hm_key_save_private_mem(&pem, keys[i], "pw", 2), HM_OK);
		assert_non_null(strstr(pem.data, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
		assert_int_equal(hm_key_load_private_mem(&k, pem.data, pem.len, "k.key", "pw", 2), HM_OK);
		assert_true(hm_key_equal(k, keys[i]));
		assert_int_equal(hm_key_type(k), all_types[i]);
		hm_key_free(k);
		/* wrong passphrase */
		assert_int_equal(hm_key_load_private_mem(&k, pem.data, pem.len, "k.key", "pW", 2), HM_E_IO);
		assert_null(k);
		assert_string_equal(hm_error_message(), "decrypting 'k.key': wrong passphrase");
	}
	/* the empty passphrase is allowed, as in cosign */
	hm_buf_reset(&pem);
	assert_int_equal(hm_key_save_private_mem(&pem, keys[1], "", 0), HM_OK);
	assert_int_equal(hm_key_load_private_mem(&k, pem.data, pem.len, "k.key", "", 0), HM_OK);
	assert_true(hm_key_equal(k, keys[1]));
	hm_key_free(k);
	hm_buf_release(&pem);
}

/* Rewrites the JSON inside an encrypted key PEM: replaces the first
 * occurrence of from with to. */
static void rewrite_body(hm_buf *out, const hm_buf *pem, const char *from, const char *to)
{
	char label[HM_PEM_LABEL_MAX];
	hm_buf json = HM_BUF_INIT, edited = HM_BUF_INIT;
	char *at;

	assert_int_equal(hm_pem_decode(label, &json, pem->data, pem->len, "t"), HM_OK);
	at = strstr(json.data, from);
	assert_non_null(at);
	assert_int_equal(hm_buf_add(&edited, json.data, (size_t)(at - json.data)), HM_OK);
	assert_int_equal(hm_buf_addstr(&edited, to), HM_OK);
	assert_int_equal(hm_buf_addstr(&edited, at + strlen(from)), HM_OK);
	hm_buf_reset(out);
	assert_int_equal(hm_pem_encode(out, label, edited.data, edited.len), HM_OK);
	hm_buf_release(&json);
	hm_buf_release(&edited);
}

static void test_refusals(void **state)
{
	static const char unknown[] = "-----BEGIN FOO BAR-----\nAAAA\n-----END FOO BAR-----\n";
	hm_buf pem = HM_BUF_INIT, bad = HM_BUF_INIT;
	char label[HM_PEM_LABEL_MAX];
	hm_buf json = HM_BUF_INIT;
	hm_key *k = NULL;
	char *ct;

	assert_int_equal(hm_key_save_private_mem(&pem, keys[0], "pw", 2), HM_OK);

	/* tampered ciphertext: flip one base64 digit inside "ciphertext" */
	assert_int_equal(hm_pem_decode(label, &json, pem.data, pem.len, "t"), HM_OK);
	ct = strstr(json.data, "\"ciphertext\":\"");
	assert_non_null(ct);
	ct += 20;
	*ct = *ct == 'A' ? 'B' : 'A';
	assert_int_equal(hm_pem_encode(&bad, label, json.data, json.len), HM_OK);
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_string_equal(hm_error_message(), "decrypting 'k.key': wrong passphrase");

	/* truncated PEM */
	assert_int_equal(hm_key_load_private_mem(&k, pem.data, pem.len / 2, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "'k.key': truncated PEM"));
	/* not PEM at all, empty */
	assert_int_equal(hm_key_load_private_mem(&k, "hello", 5, "k.key", "pw", 2), HM_E_IO);
	assert_int_equal(hm_key_load_private_mem(&k, "", 0, "k.key", "pw", 2), HM_E_IO);
	/* unknown label, for private and public keys */
	assert_int_equal(hm_key_load_private_mem(&k, unknown, sizeof(unknown) - 1, "k.key", "pw", 2),
			 HM_E_IO);
	assert_string_equal(hm_error_message(),
			    "reading 'k.key': unsupported PEM type 'FOO BAR' (expected a private key)");
	assert_int_equal(hm_key_load_public_mem(&k, pem.data, pem.len, "k.pub"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "unsupported PEM type 'ENCRYPTED SIGSTORE"));

	/* hostile scrypt parameters are refused before any work is done */
	rewrite_body(&bad, &pem, "\"N\":32768", "\"N\":1073741824");
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "exceed the limits"));
	rewrite_body(&bad, &pem, "\"p\":1", "\"p\":1000");
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "exceed the limits"));
	rewrite_body(&bad, &pem, "\"N\":32768", "\"N\":1000");
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "invalid scrypt parameters"));
	rewrite_body(&bad, &pem, "\"scrypt\"", "\"argon2\"");
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "unsupported key derivation 'argon2'"));
	rewrite_body(&bad, &pem, "\"nonce\":\"", "\"nonce\":\"AAAA");
	assert_int_equal(hm_key_load_private_mem(&k, bad.data, bad.len, "k.key", "pw", 2), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "nonce is 27 bytes"));
	assert_null(k);

	hm_buf_release(&pem);
	hm_buf_release(&bad);
	hm_buf_release(&json);
}

static void test_files(void **state)
{
	char priv[128], pub[128], pf[128];
	struct stat st;
	hm_key *k = NULL;
	int fd;

	path_of(priv, sizeof(priv), "files.key");
	path_of(pub, sizeof(pub), "files.pub");
	assert_int_equal(hm_key_save_private(keys[2], priv, NULL, 0), HM_OK);
	assert_int_equal(hm_key_save_public(keys[2], pub, 0), HM_OK);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never replaced without force */
	assert_int_equal(hm_key_save_private(keys[0], priv, NULL, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "exists (use --force"));
	assert_int_equal(hm_key_save_public(keys[0], pub, 0), HM_E_IO);
	assert_int_equal(hm_key_load_private(&k, priv, NULL), HM_OK);
	assert_true(hm_key_equal(k, keys[2]));
	hm_key_free(k);
	assert_int_equal(hm_key_load_public(&k, pub), HM_OK);
	assert_true(hm_key_equal(k, keys[2]));
	hm_key_free(k);
	assert_int_equal(hm_key_save_private(keys[0], priv, NULL, 1), HM_OK);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* COSIGN_PASSWORD, then the passphrase file (first line only) */
	unsetenv("HALLMARK_PASSWORD");
	setenv("COSIGN_PASSWORD", "correct horse", 1);
	assert_int_equal(hm_key_load_private(&k, priv, NULL), HM_OK);
	assert_true(hm_key_equal(k, keys[0]));
	hm_key_free(k);
	unsetenv("COSIGN_PASSWORD");
	path_of(pf, sizeof(pf), "pass.txt");
	assert_int_equal(hm_file_write_atomic(pf, "correct horse\nignored\n", 22, 0600, 1), HM_OK);
	assert_int_equal(hm_key_load_private(&k, priv, pf), HM_OK);
	assert_true(hm_key_equal(k, keys[0]));
	hm_key_free(k);
	assert_int_equal(hm_file_write_atomic(pf, "nope\n", 5, 0600, 1), HM_OK);
	assert_int_equal(hm_key_load_private(&k, priv, pf), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), ": wrong passphrase"));
	/* no source at all: only checkable without a controlling terminal */
	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd < 0) {
		char want[256];

		snprintf(want, sizeof(want),
			 "no passphrase for '%s': set HALLMARK_PASSWORD or use --passphrase-file", priv);
		assert_int_equal(hm_key_load_private(&k, priv, NULL), HM_E_IO);
		assert_string_equal(hm_error_message(), want);
	} else {
		close(fd);
	}
	setenv("HALLMARK_PASSWORD", "correct horse", 1);

	/* missing file */
	path_of(pf, sizeof(pf), "missing.key");
	assert_int_equal(hm_key_load_private(&k, pf, NULL), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "missing.key"));
}

/* PKCS#8 "PRIVATE KEY" and SEC1 "EC PRIVATE KEY", written by OpenSSL. */
static void test_plain_pem(void **state)
{
	static const char *const structures[] = {"PrivateKeyInfo", "type-specific"};
	static const char *const labels[] = {"-----BEGIN PRIVATE KEY-----",
					     "-----BEGIN EC PRIVATE KEY-----"};
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	hm_key *k = NULL, *pub = NULL;
	hm_buf pem = HM_BUF_INIT;

	assert_non_null(pkey);
	for (size_t i = 0; i < 2; i++) {
		OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "PEM",
								      structures[i], NULL);
		unsigned char *data = NULL;
		size_t len = 0;

		assert_non_null(ctx);
		assert_int_equal(OSSL_ENCODER_to_data(ctx, &data, &len), 1);
		assert_memory_equal(data, labels[i], strlen(labels[i]));
		/* plain keys need no passphrase: none is asked for */
		unsetenv("HALLMARK_PASSWORD");
		assert_int_equal(hm_key_load_private_mem(&k, data, len, "plain.key", NULL, 0), HM_OK);
		setenv("HALLMARK_PASSWORD", "correct horse", 1);
		hm_buf_reset(&pem);
		assert_int_equal(hm_key_public_pem(k, &pem), HM_OK);
		assert_int_equal(hm_key_load_public_mem(&pub, pem.data, pem.len, "p"), HM_OK);
		assert_true(hm_key_equal(k, pub));
		hm_key_free(k);
		hm_key_free(pub);
		OPENSSL_clear_free(data, len);
		OSSL_ENCODER_CTX_free(ctx);
	}
	EVP_PKEY_free(pkey);
	hm_buf_release(&pem);
}

/* A key written by the independent implementation loads here, and what
 * hallmark signs with it verifies there; and the other way round. */
static void test_interop(void **state)
{
	static const char *const pytypes[] = {"ecdsa", "ed25519", "rsa"};
	char prefix[128], key[160], pub[160], blob[128];
	hm_buf out = HM_BUF_INIT, sig = HM_BUF_INIT, b64 = HM_BUF_INIT;
	hm_key *k = NULL, *p = NULL;

	path_of(blob, sizeof(blob), "blob.txt");
	assert_int_equal(hm_file_write_atomic(blob, "interop blob\n", 13, 0644, 1), HM_OK);
	unsetenv("HALLMARK_PASSWORD");
	setenv("COSIGN_PASSWORD", "py pass", 1);
	for (size_t i = 0; i < 3; i++) {
		/* python -> hallmark */
		snprintf(prefix, sizeof(prefix), "%s/py-%s", dir, pytypes[i]);
		snprintf(key, sizeof(key), "%s.key", prefix);
		snprintf(pub, sizeof(pub), "%s.pub", prefix);
		assert_int_equal(cosignfmt(NULL, "genkey --type %s '%s'", pytypes[i], prefix), 0);
		assert_int_equal(hm_key_load_private(&k, key, NULL), HM_OK);
		assert_int_equal(hm_key_type(k), all_types[i]);
		assert_int_equal(hm_key_load_public(&p, pub), HM_OK);
		assert_true(hm_key_equal(k, p));
		hm_buf_reset(&sig);
		hm_buf_reset(&b64);
		assert_int_equal(hm_key_sign(k, "interop blob\n", 13, &sig), HM_OK);
		assert_int_equal(hm_base64_encode(&b64, sig.data, sig.len), HM_OK);
		assert_int_equal(cosignfmt(NULL, "verify-blob --key '%s' --signature '%s' '%s'", pub,
					   b64.data, blob), 0);
		/* and a forgery is refused there too */
		assert_int_equal(cosignfmt(NULL, "verify-blob --key '%s' --signature '%s' '%s'", pub,
					   b64.data, key), 1);
		hm_key_free(k);
		hm_key_free(p);

		/* hallmark -> python */
		snprintf(key, sizeof(key), "%s/hm-%s.key", dir, pytypes[i]);
		assert_int_equal(hm_key_save_private(keys[i], key, NULL, 0), HM_OK);
		hm_buf_reset(&out);
		assert_int_equal(cosignfmt(&out, "sign-blob --key '%s' '%s'", key, blob), 0);
		hm_buf_reset(&sig);
		while (out.len && (out.data[out.len - 1] == '\n'))
			out.len--;
		assert_int_equal(hm_base64_decode(&sig, out.data, out.len), HM_OK);
		assert_int_equal(hm_key_verify(keys[i], "interop blob\n", 13, sig.data, sig.len), HM_OK);
		hm_buf_reset(&out);
		assert_int_equal(cosignfmt(&out, "pubkey '%s'", key), 0);
		assert_int_equal(hm_key_load_public_mem(&p, out.data, out.len, "python pubkey"), HM_OK);
		assert_true(hm_key_equal(p, keys[i]));
		hm_key_free(p);
	}
	unsetenv("COSIGN_PASSWORD");
	setenv("HALLMARK_PASSWORD", "correct horse", 1);
	hm_buf_release(&out);
	hm_buf_release(&sig);
	hm_buf_release(&b64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_fingerprint_equal),
		cmocka_unit_test(test_mem_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_plain_pem),
		cmocka_unit_test(test_interop),
	};

	return cmocka_run_group_tests_name("key", tests, setup, teardown);
}
