/* SPDX-License-Identifier: Apache-2.0 */
/* hm_bundle_verify as a library (what image verification calls): parsed
 * conformance bundles, keyless with an identity and a trusted root, key
 * bundles with log entries, and the verdict it fills. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/file.h"
#include "sigstore/bundle.h"

#define DIR "tests/conformance/bundle-verify/"
#define IDENTITY                                                                               \
	"https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/" \
	"workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define ISSUER "https://token.actions.githubusercontent.com"

static hm_buf artifact;

static void load(hm_bundle *b, const char *name)
{
	char path[256];
	hm_buf raw = HM_BUF_INIT;

	snprintf(path, sizeof(path), DIR "%s/bundle.sigstore.json", name);
	assert_int_equal(hm_file_read(&raw, path, 0), HM_OK);
	assert_int_equal(hm_bundle_parse(b, raw.data, raw.len), HM_OK);
	hm_buf_release(&raw);
}

static int setup(void **state)
{
	return hm_file_read(&artifact, "tests/conformance/a.txt", 0) == HM_OK ? 0 : -1;
}

static int teardown(void **state)
{
	hm_buf_release(&artifact);
	return 0;
}

static void test_keyless_verdict(void **state)
{
	hm_identity_policy id = {.subject = IDENTITY, .issuer = ISSUER};
	hm_bundle_verify_opts o = {.artifact = artifact.data, .artifact_len = artifact.len, .identity = &id};
	hm_bundle_verdict v;
	hm_bundle b;

	load(&b, "happy-path-v0.3");
	/* trustroot NULL: the built-in public-good root */
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	assert_true(v.keyless);
	assert_int_equal(v.kind, HM_BUNDLE_KIND_MESSAGE);
	assert_string_equal(v.identity, IDENTITY);
	assert_string_equal(v.cert.issuer, ISSUER);
	assert_int_equal(v.key_index, -1);
	assert_int_equal(v.log_index, 79571823);
	assert_int_equal(v.n_times, 1);
	assert_int_equal(v.times[0], 1710869186);
	assert_null(v.reason);
	hm_bundle_verdict_free(&v);

	/* by digest */
	o.artifact = NULL;
	o.artifact_digest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	hm_bundle_verdict_free(&v);
	o.artifact_digest = "sha256:b0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "messageDigest is not the artifact's digest"));
	hm_bundle_verdict_free(&v);
	o.artifact = artifact.data;

	/* a clock before the signing: refused, and the verdict reports nothing verified */
	o.now = 1710869186 - 1;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_false(v.keyless);
	assert_null(v.identity);
	assert_int_equal(v.log_index, -1);
	assert_int_equal(v.n_times, 0);
	assert_non_null(v.reason);
	hm_bundle_verdict_free(&v);
	o.now = 0;

	/* an unanchored regexp that is in the SAN; an issuer regexp that is not */
	id = (hm_identity_policy){.subject_regexp = "sigstore-conformance/", .issuer = ISSUER};
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	assert_string_equal(v.identity, IDENTITY);
	hm_bundle_verdict_free(&v);
	id = (hm_identity_policy){.subject = IDENTITY, .issuer_regexp = "^https://accounts\\."};
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	hm_bundle_verdict_free(&v);

	/* no identity: a certificate bundle is refused */
	o.identity = NULL;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_USAGE);
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);
}

static void test_keyless_statement(void **state)
{
	hm_identity_policy id = {.subject = IDENTITY, .issuer = ISSUER};
	hm_bundle_verify_opts o = {.identity = &id};
	hm_bundle_verdict v;
	hm_bundle b;
	hm_buf a = HM_BUF_INIT;

	assert_int_equal(hm_file_read(&a, DIR "happy-path-intoto-in-dsse-v3/artifact", 0) == HM_OK ||
				 hm_file_read(&a, "tests/conformance/a.txt", 0) == HM_OK,
			 1);
	o.artifact = a.data;
	o.artifact_len = a.len;
	load(&b, "happy-path-intoto-in-dsse-v3");
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	assert_int_equal(v.kind, HM_BUNDLE_KIND_STATEMENT);
	assert_non_null(v.predicate_type);
	assert_non_null(v.statement);
	hm_bundle_verdict_free(&v);
	/* a predicate type the statement does not have */
	o.predicate_type = "https://example.com/other/v1";
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_null(v.statement);
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);
	hm_buf_release(&a);
}

static void test_key_bundle_log(void **state)
{
	hm_key *k;
	hm_identity_policy id = {.subject = IDENTITY, .issuer = ISSUER};
	hm_bundle_verify_opts o = {.artifact = artifact.data, .artifact_len = artifact.len};
	hm_bundle_verdict v;
	hm_bundle b;

	assert_int_equal(hm_key_load_public(&k, DIR "managed-key-happy-path/key.pub"), HM_OK);
	load(&b, "managed-key-happy-path");
	o.keys = &k;
	o.n_keys = 1;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	assert_false(v.keyless);
	assert_int_equal(v.key_index, 0);
	assert_int_equal(v.log_index, 771488337);
	assert_true(v.n_times >= 1);
	hm_bundle_verdict_free(&v);
	/* keys and an identity: the material (a key) decides */
	o.identity = &id;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
	hm_bundle_verdict_free(&v);
	/* an identity alone: a bare key cannot satisfy it */
	o.n_keys = 0;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "not a Fulcio certificate"));
	hm_bundle_verdict_free(&v);
	o.n_keys = 1;
	o.identity = NULL;
	/* a signed entry timestamp for another index */
	b.tlog[0].log_index++;
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "key bundle: transparency log entry 0"));
	assert_int_equal(v.key_index, -1);
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);
	hm_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyless_verdict),
		cmocka_unit_test(test_keyless_statement),
		cmocka_unit_test(test_key_bundle_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
