/* SPDX-License-Identifier: Apache-2.0 */
/* TrustedRoot parsing: the built-in root, media types, validity windows,
 * log selection by id and by checkpoint key hint, and malformed roots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/sigstore_fixture.h"

static const char minimal[] =
	"{\"mediaType\":\"%s\",\"tlogs\":[{\"baseUrl\":\"https://log.example\",\"hashAlgorithm\":\"SHA2_256\","
	"\"publicKey\":{\"rawBytes\":\"MCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=\","
	"\"keyDetails\":\"PKIX_ED25519\",\"validFor\":{%s}},\"logId\":{\"keyId\":\"AAAA\"}}]}";

static int parse_with(const char *mt, const char *window, hm_trustroot **r)
{
	char doc[1024];

	snprintf(doc, sizeof(doc), minimal, mt, window);
	return hm_trustroot_parse(r, doc, strlen(doc), "test root");
}

static void test_builtin(void **state)
{
	hm_trustroot *r;
	static const unsigned char rekor_id[] = {0xc0, 0xd2, 0x3d, 0x6a};
	const hm_trust_log *l;

	assert_int_equal(hm_trustroot_builtin(&r), HM_OK);
	assert_true(r->n_cas >= 1 && r->n_tlogs >= 1 && r->n_ctlogs >= 1 && r->n_tsas >= 1);
	for (size_t i = 0; i < r->n_tlogs; i++)
		if (strcmp(r->tlogs[i].base_url, "https://rekor.sigstore.dev") == 0) {
			assert_memory_equal(r->tlogs[i].log_id, rekor_id, 4);
			/* Rekor v1 ECDSA checkpoints carry the log id's first bytes. */
			assert_memory_equal(r->tlogs[i].key_hint, rekor_id, 4);
			l = hm_trustroot_tlog_by_id(r, r->tlogs[i].log_id, r->tlogs[i].log_id_len);
			assert_ptr_equal(l, &r->tlogs[i]);
			assert_ptr_equal(hm_trustroot_tlog_by_hint(r, "rekor.sigstore.dev", rekor_id), l);
			assert_null(hm_trustroot_tlog_by_hint(r, "rekor.example", rekor_id));
		}
	assert_null(hm_trustroot_tlog_by_id(r, rekor_id, sizeof(rekor_id)));
	hm_trustroot_free(r);
}

static void test_ed25519_hint(void **state)
{
	fx_case c;
	static const unsigned char hint[] = {0xf3, 0x0d, 0x5a, 0x99};
	const hm_trust_log *l;

	assert_int_equal(fx_load(&c, "rekor2-happy-path"), HM_OK);
	l = hm_trustroot_tlog_by_hint(c.root, "log2025-alpha1.rekor.sigstage.dev", hint);
	assert_non_null(l);
	/* C2SP: the Rekor v2 log id is the full signed-note key id. */
	assert_memory_equal(l->log_id, hint, 4);
	assert_string_equal(l->origin, "log2025-alpha1.rekor.sigstage.dev");
	fx_free(&c);
}

static void test_media_types(void **state)
{
	static const char *const ok[] = {"application/vnd.dev.sigstore.trustedroot.v0.1+json",
					 "application/vnd.dev.sigstore.trustedroot.v0.2+json",
					 "application/vnd.dev.sigstore.trustedroot+json;version=0.1"};
	hm_trustroot *r;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(parse_with(ok[i], "\"start\":\"2025-01-01T00:00:00Z\"", &r), HM_OK);
		assert_int_equal(r->n_tlogs, 1);
		hm_trustroot_free(r);
	}
	assert_int_equal(parse_with("application/vnd.dev.sigstore.trustedroot.v9+json",
				    "\"start\":\"2025-01-01T00:00:00Z\"", &r), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "media type"));
}

static void test_windows(void **state)
{
	hm_trustroot *r;
	int64_t s, e;

	assert_int_equal(parse_with("application/vnd.dev.sigstore.trustedroot.v0.1+json",
				    "\"start\":\"2025-01-01T00:00:00Z\",\"end\":\"2025-02-01T00:00:00.5+01:00\"", &r),
			 HM_OK);
	s = r->tlogs[0].start;
	e = r->tlogs[0].end;
	assert_int_equal(s, 1735689600);
	assert_int_equal(e, 1738364400);
	assert_true(hm_trust_valid_at(s, e, s) && hm_trust_valid_at(s, e, e)); /* inclusive */
	assert_false(hm_trust_valid_at(s, e, s - 1) || hm_trust_valid_at(s, e, e + 1));
	hm_trustroot_free(r);
	/* Forgery: a window without start must not read as "always". */
	assert_int_equal(parse_with("application/vnd.dev.sigstore.trustedroot.v0.1+json", "", &r), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "validFor.start"));
	assert_int_equal(parse_with("application/vnd.dev.sigstore.trustedroot.v0.1+json",
				    "\"start\":\"2025-13-01T00:00:00Z\"", &r), HM_E_IO);
	assert_int_equal(parse_with("application/vnd.dev.sigstore.trustedroot.v0.1+json",
				    "\"start\":\"2025-01-01T00:00:00\"", &r), HM_E_IO);
}

static void test_malformed(void **state)
{
	hm_trustroot *r;
	static const char *const bad[] = {
		"", "[]", "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot.v0.1+json\",\"tlogs\":{}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot.v0.1+json\",\"tlogs\":[{}]}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot.v0.1+json\",\"certificateAuthorities\":"
		"[{\"certChain\":{\"certificates\":[]},\"validFor\":{\"start\":\"2025-01-01T00:00:00Z\"}}]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hm_trustroot_parse(&r, bad[i], strlen(bad[i]), "bad root"), HM_E_IO);
		assert_null(r);
	}
	/* A certificate OpenSSL cannot read: the CA is skipped, not trusted. */
	{
		static const char skip[] = "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot.v0.1+json\","
					   "\"certificateAuthorities\":[{\"certChain\":{\"certificates\":[{\"rawBytes\":\"AAAA\"}]},"
					   "\"validFor\":{\"start\":\"2025-01-01T00:00:00Z\"}}]}";

		assert_int_equal(hm_trustroot_parse(&r, skip, strlen(skip), "root"), HM_OK);
		assert_int_equal(r->n_cas, 0);
		hm_trustroot_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),     cmocka_unit_test(test_ed25519_hint),
		cmocka_unit_test(test_media_types), cmocka_unit_test(test_windows),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
