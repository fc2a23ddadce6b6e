/* SPDX-License-Identifier: Apache-2.0 */
/* in-toto statements: building v1, parsing v1 and v0.1, type names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/statement.h"
#include "core/error.h"
#include "core/json.h"

#define HEX "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
#define DIG "sha256:" HEX

static void test_type_names(void **state)
{
	static const char *cases[][2] = {
		{"slsaprovenance", "https://slsa.dev/provenance/v1"},
		{"slsaprovenance1", "https://slsa.dev/provenance/v1"},
		{"slsaprovenance02", "https://slsa.dev/provenance/v0.2"},
		{"spdx", "https://spdx.dev/Document"},
		{"spdxjson", "https://spdx.dev/Document"},
		{"cyclonedx", "https://cyclonedx.org/bom"},
		{"link", "https://in-toto.io/Link/v1"},
		{"openvex", "https://openvex.dev/ns"},
		{"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"},
		{"custom", "https://cosign.sigstore.dev/attestation/v1"},
		{"https://example.com/my/type/v1", "https://example.com/my/type/v1"},
		{"urn:example:x", "urn:example:x"},
	};
	const char *uri;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hm_predicate_type_resolve(&uri, cases[i][0]), HM_OK);
		assert_string_equal(uri, cases[i][1]);
	}
	assert_int_equal(hm_predicate_type_resolve(&uri, "SLSA"), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "unknown predicate type 'SLSA'"));
	assert_int_equal(hm_predicate_type_resolve(&uri, ""), HM_E_USAGE);
	assert_int_equal(hm_predicate_type_resolve(&uri, "https://a b"), HM_E_USAGE);
	assert_int_equal(hm_predicate_type_resolve(&uri, "1http://x"), HM_E_USAGE);
}

static void test_build(void **state)
{
	cJSON *pred = cJSON_Parse("{\"builder\":{\"id\":\"x\"}}"), *st = NULL;
	hm_buf b = HM_BUF_INIT;

	assert_int_equal(hm_statement_build(&st, "registry.example.com/app", DIG, "slsaprovenance", pred), HM_OK);
	assert_int_equal(hm_json_print(&b, st), HM_OK);
	assert_string_equal(hm_buf_cstr(&b),
			    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
			    "\"registry.example.com/app\",\"digest\":{\"sha256\":\"" HEX "\"}}],"
			    "\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":"
			    "{\"builder\":{\"id\":\"x\"}}}");
	/* the predicate was borrowed */
	cJSON_Delete(pred);
	cJSON_Delete(st);
	hm_buf_release(&b);

	assert_int_equal(hm_statement_build(&st, "x", DIG, "custom", NULL), HM_OK);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(st, "predicate")));
	cJSON_Delete(st);

	assert_int_equal(hm_statement_build(&st, "x", "sha256:abc", "custom", NULL), HM_E_USAGE);
	assert_int_equal(hm_statement_build(&st, "x", "sha512:" HEX, "custom", NULL), HM_E_USAGE);
	assert_int_equal(hm_statement_build(&st, "x", DIG, "nope", NULL), HM_E_USAGE);
	pred = cJSON_CreateArray();
	assert_int_equal(hm_statement_build(&st, "x", DIG, "custom", pred), HM_E_USAGE);
	assert_null(st);
	cJSON_Delete(pred);
}

static void test_roundtrip(void **state)
{
	cJSON *st = NULL;
	hm_buf b = HM_BUF_INIT;
	hm_statement p;

	assert_int_equal(hm_statement_build(&st, "app", DIG, "spdx", NULL), HM_OK);
	assert_int_equal(hm_json_print(&b, st), HM_OK);
	assert_int_equal(hm_statement_parse(&p, b.data, b.len), HM_OK);
	assert_string_equal(p.type, HM_INTOTO_STATEMENT_V1);
	assert_string_equal(p.predicate_type, HM_PREDICATE_SPDX);
	assert_int_equal(p.n_subjects, 1);
	assert_string_equal(p.subjects[0].name, "app");
	assert_string_equal(p.subjects[0].digest, DIG);
	assert_true(hm_statement_has_subject(&p, DIG));
	assert_false(hm_statement_has_subject(&p, "sha256:" "0011223344556677889900112233445566778899aabbccddeeff001122334455"));
	hm_statement_free(&p);
	hm_statement_free(&p); /* idempotent */
	cJSON_Delete(st);
	hm_buf_release(&b);
}

static void test_parse_v01_cosign(void **state)
{
	/* what cosign attest writes: v0.1, several subjects, other algorithms */
	const char *s = "{\"_type\":\"https://in-toto.io/Statement/v0.1\","
			"\"predicateType\":\"https://slsa.dev/provenance/v0.2\","
			"\"subject\":[{\"name\":\"a\",\"digest\":{\"sha512\":\"ff\"}},"
			"{\"name\":\"ghcr.io/x/y\",\"digest\":{\"sha256\":\"" HEX "\"}}],"
			"\"predicate\":{\"builder\":{\"id\":\"b\"}}}";
	hm_statement p;

	assert_int_equal(hm_statement_parse(&p, s, strlen(s)), HM_OK);
	assert_string_equal(p.type, HM_INTOTO_STATEMENT_V01);
	assert_int_equal(p.n_subjects, 2);
	assert_string_equal(p.subjects[0].digest, "");
	assert_string_equal(p.subjects[1].digest, DIG);
	assert_true(hm_statement_has_subject(&p, DIG));
	assert_non_null(p.predicate);
	hm_statement_free(&p);
}

static void bad(const char *s, const char *want)
{
	hm_statement p;

	assert_int_equal(hm_statement_parse(&p, s, strlen(s)), HM_E_VERIFY);
	if (!strstr(hm_error_message(), want))
		fail_msg("'%s': error '%s' lacks '%s'", s, hm_error_message(), want);
	assert_null(p.json);
	assert_null(p.subjects);
}

static void test_parse_bad(void **state)
{
	bad("", "invalid JSON");
	bad("{", "invalid JSON");
	bad("[]", "not a JSON object");
	bad("{\"subject\":[]}", "no _type");
	bad("{\"_type\":\"https://in-toto.io/Statement/v2\"}", "unknown _type");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\"}", "no predicateType");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"\"}", "no predicateType");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"predicate\":1}",
	    "predicate is not an object");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\"}",
	    "subject must be a non-empty array");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[]}",
	    "non-empty array");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[1]}",
	    "subject 0: not an object");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"name\":1,\"digest\":{\"a\":\"b\"}}]}",
	    "name is not a string");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"name\":\"a\"}]}",
	    "no digest object");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"digest\":{}}]}",
	    "empty digest");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"digest\":{\"sha256\":1}}]}",
	    "non-empty strings");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"digest\":{\"sha256\":\"abc\"}}]}",
	    "subject 0: sha256 is not 64 lowercase hex digits");
	/* the in-toto spec writes digests in lowercase hex: upper case is refused, not folded */
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"digest\":{\"sha256\":"
	    "\"AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899\"}}]}",
	    "subject 0: sha256 is not 64 lowercase hex digits");
	bad("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\",\"subject\":[{\"digest\":{\"sha256\":\"" HEX "\"}},"
	    "{\"digest\":{\"sha256\":\"" HEX "0\"}}]}",
	    "subject 1: sha256");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_parse_v01_cosign),
		cmocka_unit_test(test_parse_bad),
	};

	return cmocka_run_group_tests_name("statement", tests, NULL, NULL);
}
