/* SPDX-License-Identifier: Apache-2.0 */
/* Key sources: the PKCS#11 URI parser (what it accepts, what it refuses,
 * that a PIN never reaches a message or the shown name), env:// keys, the
 * refusal of KMS schemes, and where a passphrase comes from.  Signing on a
 * real token is tested in tests/cli/keys.bats (SoftHSM). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/file.h"
#include "crypto/key.h"
#include "crypto/pkcs11_uri.h"
#include "tests/unit/testdir.h"

static int parse(hm_p11_uri *u, const char *s)
{
	return hm_p11_uri_parse(u, s, strlen(s));
}

static void test_uri_parse(void **state)
{
	hm_p11_uri u;
	hm_buf shown = HM_BUF_INIT;

	(void)state;
	assert_int_equal(parse(&u, "pkcs11:token=my%20token;object=signer;id=%01%ff;slot-id=42"
				   "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2634"),
			 HM_OK);
	assert_string_equal(u.token, "my token");
	assert_string_equal(u.object, "signer");
	assert_int_equal(u.id_len, 2);
	assert_int_equal(u.id[0], 1);
	assert_int_equal(u.id[1], 0xff);
	assert_true(u.has_slot_id);
	assert_int_equal(u.slot_id, 42);
	assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(u.pin_value, "12&34");
	assert_int_equal(u.pin_len, 5);
	/* what is shown: the path only, never the module or the PIN */
	assert_int_equal(hm_p11_uri_display(&shown, &u), HM_OK);
	assert_string_equal(hm_buf_cstr(&shown), "pkcs11:token=my%20token;object=signer;id=%01%FF;slot-id=42");
	hm_buf_release(&shown);
	hm_p11_uri_free(&u);

	/* RFC 7512 attributes we do not match on, vendor ones, empty parts */
	assert_int_equal(parse(&u, "PKCS11:library-manufacturer=x;;x-vendor=1;type=private?pin-source=file:/p&module-name=m"), HM_OK);
	assert_string_equal(u.type, "private");
	assert_string_equal(u.pin_source, "file:/p");
	assert_null(u.token);
	hm_p11_uri_free(&u);
	assert_int_equal(parse(&u, "pkcs11:"), HM_OK);
	hm_p11_uri_free(&u);
}

static void test_uri_refusals(void **state)
{
	static const struct {
		const char *uri, *want;
	} bad[] = {
		{"pkcs12:token=a", "it must start with 'pkcs11:'"},
		{"pkcs11:token=a;token=b", "'token' is given twice"},
		{"pkcs11:pin_value=1", "unknown path attribute 'pin_value'"},
		{"pkcs11:token=a?object=b", "unknown query attribute 'object'"},
		{"pkcs11:object=a?pin-value=1&pin-value=2", "'pin-value' is given twice"},
		{"pkcs11:object=%4", "bad percent-encoding in 'object'"},
		{"pkcs11:object=%zz", "bad percent-encoding in 'object'"},
		{"pkcs11:object=a b", "'object' has a character that must be percent-encoded"},
		{"pkcs11:object=a%00b", "'object' contains NUL"},
		{"pkcs11:slot-id=-1", "'slot-id' is not a decimal number"},
		{"pkcs11:slot-id=99999999999999999999", "'slot-id' is not a decimal number"},
		{"pkcs11:token", "an attribute is not NAME=VALUE"},
		{"pkcs11:object=a?pin-value=1&pin-source=/f", "give pin-value or pin-source, not both"},
	};
	char big[HM_P11_URI_MAX + 16];
	hm_p11_uri u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&u, bad[i].uri), HM_E_USAGE);
		if (!strstr(hm_error_message(), bad[i].want))
			fail_msg("%s: got '%s'", bad[i].uri, hm_error_message());
	}
	/* a secret that is refused is not echoed */
	assert_int_equal(parse(&u, "pkcs11:object=a?pin-value=s3cr%zzet"), HM_E_USAGE);
	assert_null(strstr(hm_error_message(), "s3cr"));
	/* caps */
	memset(big, 'a', sizeof(big));
	memcpy(big, "pkcs11:object=", 14);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(&u, big), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "longer than"));
	big[14 + HM_P11_VALUE_MAX + 1] = '\0';
	assert_int_equal(parse(&u, big), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "'object' is longer than"));
	big[14 + HM_P11_VALUE_MAX] = '\0';
	assert_int_equal(parse(&u, big), HM_OK);
	hm_p11_uri_free(&u);
}

static void test_unsupported_schemes(void **state)
{
	static const char *const refs[] = {"awskms://alias/x", "gcpkms://projects/p/keys/k",
					   "azurekms://vault.example/key", "hashivault://transit",
					   "k8s://ns/secret", "vault://x"};
	hm_key *k = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		size_t n = (size_t)(strstr(refs[i], "://") - refs[i]);

		assert_int_equal(hm_key_load_private(&k, refs[i], NULL), HM_E_USAGE);
		assert_null(k);
		assert_non_null(strstr(hm_error_message(), "is not supported: use a key file, env://VAR or a pkcs11: URI"));
		assert_int_equal(strncmp(strstr(hm_error_message(), "key source ") + 11, refs[i], n), 0);
		assert_null(strstr(hm_error_message(), "No such file"));
		assert_int_equal(hm_key_load_public(&k, refs[i]), HM_E_USAGE);
	}
	assert_int_equal(hm_key_load_private(&k, "", NULL), HM_E_USAGE);
	/* a PKCS#11 URI without a module, and a relative module */
	assert_int_equal(hm_key_load_public(&k, "pkcs11:object=a?pin-value=9876"), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "module-path"));
	assert_int_equal(hm_key_load_public(&k, "pkcs11:object=a?module-path=lib.so&pin-value=9876"),
			 HM_E_USAGE);
	assert_null(strstr(hm_error_message(), "9876"));
	assert_int_equal(hm_key_load_public(&k, "pkcs11:object=a?module-path=/nonexistent.so&pin-value=9876"),
			 HM_E_IO);
	assert_null(strstr(hm_error_message(), "9876"));
}

static void test_env(void **state)
{
	hm_key *k = NULL, *p = NULL, *back = NULL;
	hm_buf pem = HM_BUF_INIT, pub = HM_BUF_INIT;

	(void)state;
	assert_int_equal(hm_key_generate(&k, HM_KEY_ECDSA_P256), HM_OK);
	assert_int_equal(hm_key_save_private_mem(&pem, k, "env pass", 8), HM_OK);
	assert_int_equal(hm_key_public_pem(k, &pub), HM_OK);
	setenv("HM_TEST_KEY", hm_buf_cstr(&pem), 1);
	setenv("HM_TEST_PUB", hm_buf_cstr(&pub), 1);
	setenv("HALLMARK_PASSWORD", "env pass", 1);
	assert_int_equal(hm_key_load_private(&back, "env://HM_TEST_KEY", NULL), HM_OK);
	assert_true(hm_key_equal(back, k));
	assert_string_equal(hm_key_name(back), "env://HM_TEST_KEY");
	hm_key_free(back);
	assert_int_equal(hm_key_load_public(&p, "env://HM_TEST_PUB"), HM_OK);
	assert_true(hm_key_equal(p, k));
	hm_key_free(p);
	/* a private key where a public one is expected, and the reverse */
	assert_int_equal(hm_key_load_public(&p, "env://HM_TEST_KEY"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "'env://HM_TEST_KEY'"));
	assert_int_equal(hm_key_load_private(&p, "env://HM_TEST_PUB", NULL), HM_E_IO);
	/* wrong passphrase: the message says where it came from */
	setenv("HALLMARK_PASSWORD", "nope", 1);
	assert_int_equal(hm_key_load_private(&back, "env://HM_TEST_KEY", NULL), HM_E_IO);
	assert_string_equal(hm_error_message(),
			    "decrypting 'env://HM_TEST_KEY': wrong passphrase (from $HALLMARK_PASSWORD)");
	/* unset, empty, bad names */
	unsetenv("HM_TEST_NOPE");
	assert_int_equal(hm_key_load_private(&back, "env://HM_TEST_NOPE", NULL), HM_E_IO);
	assert_string_equal(hm_error_message(), "key 'env://HM_TEST_NOPE': environment variable HM_TEST_NOPE is not set");
	setenv("HM_TEST_NOPE", "", 1);
	assert_int_equal(hm_key_load_public(&back, "env://HM_TEST_NOPE"), HM_E_IO);
	assert_int_equal(hm_key_load_public(&back, "env://"), HM_E_USAGE);
	assert_int_equal(hm_key_load_public(&back, "env://A=B"), HM_E_USAGE);
	assert_int_equal(hm_key_load_public(&back, "env://1X"), HM_E_USAGE);
	unsetenv("HM_TEST_KEY");
	unsetenv("HM_TEST_PUB");
	unsetenv("HM_TEST_NOPE");
	hm_key_free(k);
	hm_buf_release(&pem);
	hm_buf_release(&pub);
}

/* --passphrase-file beats the environment; each wrong source is named. */
static void test_passphrase_sources(void **state)
{
	char dir[] = "/tmp/hm-keysource-XXXXXX", keyf[128], pf[128], want[512];
	hm_key *k = NULL, *back = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(keyf, sizeof(keyf), "%s/k.key", dir);
	snprintf(pf, sizeof(pf), "%s/pass", dir);
	assert_int_equal(hm_key_generate(&k, HM_KEY_ED25519), HM_OK);
	assert_int_equal(hm_file_write_atomic(pf, "file pass\n", 10, 0600, 1), HM_OK);
	setenv("HALLMARK_PASSWORD", "env pass", 1);
	setenv("COSIGN_PASSWORD", "cosign pass", 1);
	assert_int_equal(hm_key_save_private(k, keyf, pf, 0), HM_OK); /* sealed with the file's */
	assert_int_equal(hm_key_load_private(&back, keyf, pf), HM_OK);
	assert_true(hm_key_equal(back, k));
	hm_key_free(back);
	assert_int_equal(hm_key_load_private(&back, keyf, NULL), HM_E_IO);
	snprintf(want, sizeof(want), "decrypting '%s': wrong passphrase (from $HALLMARK_PASSWORD)", keyf);
	assert_string_equal(hm_error_message(), want);
	unsetenv("HALLMARK_PASSWORD");
	assert_int_equal(hm_key_load_private(&back, keyf, NULL), HM_E_IO);
	snprintf(want, sizeof(want), "decrypting '%s': wrong passphrase (from $COSIGN_PASSWORD)", keyf);
	assert_string_equal(hm_error_message(), want);
	setenv("COSIGN_PASSWORD", "file pass", 1);
	assert_int_equal(hm_file_write_atomic(pf, "wrong\n", 6, 0600, 1), HM_OK);
	assert_int_equal(hm_key_load_private(&back, keyf, pf), HM_E_IO);
	snprintf(want, sizeof(want), "decrypting '%s': wrong passphrase (from --passphrase-file '%s')",
		 keyf, pf);
	assert_string_equal(hm_error_message(), want);
	assert_null(strstr(hm_error_message(), "file pass"));
	unsetenv("COSIGN_PASSWORD");
	hm_key_free(k);
	assert_int_equal(hm_testdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_parse),
		cmocka_unit_test(test_uri_refusals),
		cmocka_unit_test(test_unsupported_schemes),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_passphrase_sources),
	};

	return cmocka_run_group_tests_name("keysource", tests, NULL, NULL);
}
