/* SPDX-License-Identifier: Apache-2.0 */
/* SLSA Verification Summary Attestations: the statement hallmark writes
 * (every field the spec asks for), its DSSE signature, and what a policy
 * accepts; each refusal (FAILED, too old, from the future, another policy,
 * another verifier, another image, another predicate type) is tried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attest/attest.h"
#include "crypto/statement.h"
#include "attest/vsa.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"

#define IMG_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define IMG "sha256:" IMG_HEX
#define OTHER "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define SIG_HEX "3333333333333333333333333333333333333333333333333333333333333333"
#define SIG "sha256:" SIG_HEX
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static char policy_digest[HM_DIGEST_SIZE];

static hm_vsa_opts opts(int passed)
{
	static const char policy[] = "apiVersion: hallmark/v1\nkind: Policy\n";
	static hm_vsa_input in = {"oci://r.example/app@" SIG, "tag sha256-1111.sig", SIG};
	hm_vsa_opts o = {0};

	hm_digest_compute(policy_digest, policy, sizeof(policy) - 1);
	o.version = "9.9.9";
	o.time_verified = T0;
	o.name = "r.example/app";
	o.digest = IMG;
	o.policy_uri = "file:///etc/hallmark/policy.yaml";
	o.policy_digest = policy_digest;
	o.inputs = &in;
	o.n_inputs = 1;
	o.passed = passed;
	return o;
}

static const cJSON *at(const cJSON *j, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); j && k; k = strtok_r(NULL, ".", &save))
		j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(k)) : cJSON_GetObjectItemCaseSensitive(j, k);
	return j;
}

static const char *str(const cJSON *j, const char *path)
{
	const cJSON *v = at(j, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_statement_fields(void **state)
{
	hm_vsa_opts o = opts(1);
	cJSON *st = NULL;

	(void)state;
	assert_int_equal(hm_vsa_statement(&st, &o), HM_OK);
	assert_string_equal(str(st, "_type"), HM_INTOTO_STATEMENT_V1);
	assert_string_equal(str(st, "predicateType"), "https://slsa.dev/verification_summary/v1");
	assert_string_equal(str(st, "subject.0.name"), "r.example/app");
	assert_string_equal(str(st, "subject.0.digest.sha256"), IMG_HEX);
	assert_string_equal(str(st, "predicate.verifier.id"), HM_VSA_VERIFIER_ID);
	assert_string_equal(str(st, "predicate.verifier.version.hallmark"), "9.9.9");
	assert_string_equal(str(st, "predicate.timeVerified"), "2026-01-01T00:00:00Z");
	assert_string_equal(str(st, "predicate.resourceUri"), "r.example/app@" IMG);
	assert_string_equal(str(st, "predicate.policy.uri"), "file:///etc/hallmark/policy.yaml");
	/* the policy digest is the sha256 of the policy file's bytes */
	assert_string_equal(str(st, "predicate.policy.digest.sha256"),
			    "29399a3b5312996d49a64a52c2bff9d0c2bb7c0966c8df55c5d36403a19008d2");
	assert_string_equal(str(st, "predicate.inputAttestations.0.uri"), "oci://r.example/app@" SIG);
	assert_string_equal(str(st, "predicate.inputAttestations.0.digest.sha256"), SIG_HEX);
	assert_string_equal(str(st, "predicate.verificationResult"), "PASSED");
	assert_true(cJSON_IsArray(at(st, "predicate.verifiedLevels")));
	assert_int_equal(cJSON_GetArraySize(at(st, "predicate.verifiedLevels")), 0);
	cJSON_Delete(st);

	o = opts(0);
	o.verifier_id = "https://verifier.example/ci";
	assert_int_equal(hm_vsa_statement(&st, &o), HM_OK);
	assert_string_equal(str(st, "predicate.verificationResult"), "FAILED");
	assert_string_equal(str(st, "predicate.verifiedLevels.0"), "FAILED");
	assert_string_equal(str(st, "predicate.verifier.id"), "https://verifier.example/ci");
	cJSON_Delete(st);

	/* malformed inputs are refused, not written */
	o = opts(1);
	o.digest = "sha256:abc";
	assert_int_equal(hm_vsa_statement(&st, &o), HM_E_USAGE);
	assert_null(st);
	o = opts(1);
	o.policy_digest = NULL;
	assert_int_equal(hm_vsa_statement(&st, &o), HM_E_USAGE);
}

static void test_signature_verifies(void **state)
{
	hm_vsa_opts o = opts(1);
	hm_key *key = NULL, *other = NULL;
	hm_buf env = HM_BUF_INIT;
	hm_dsse_result r = {0};
	hm_statement parsed = HM_STATEMENT_INIT;
	cJSON *st = NULL;

	(void)state;
	assert_int_equal(hm_key_generate(&key, HM_KEY_ECDSA_P256), HM_OK);
	assert_int_equal(hm_key_generate(&other, HM_KEY_ED25519), HM_OK);
	assert_int_equal(hm_vsa_statement(&st, &o), HM_OK);
	assert_int_equal(hm_attest_envelope(&env, key, st), HM_OK);
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &key, 1), HM_OK);
	assert_string_equal(r.payload_type, HM_DSSE_INTOTO);
	assert_int_equal(hm_statement_parse(&parsed, r.payload.data, r.payload.len), HM_OK);
	assert_true(hm_statement_has_subject(&parsed, IMG));
	assert_true(cJSON_Compare(parsed.json, st, 1));
	hm_statement_free(&parsed);
	hm_dsse_result_free(&r);
	/* another key does not verify it */
	memset(&r, 0, sizeof(r));
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &other, 1), HM_E_VERIFY);
	hm_dsse_result_free(&r);
	hm_buf_release(&env);
	cJSON_Delete(st);
	hm_key_free(key);
	hm_key_free(other);
}

static int accepts(const cJSON *st, const hm_vsa_expect *e, const char *why_has)
{
	hm_buf why = HM_BUF_INIT;
	int ok = hm_vsa_accepts(st, e, &why);

	if (!ok && why_has && !strstr(hm_buf_cstr(&why), why_has))
		fail_msg("'%s' does not say '%s'", hm_buf_cstr(&why), why_has);
	hm_buf_release(&why);
	return ok;
}

static void test_accepts(void **state)
{
	hm_vsa_opts o = opts(1);
	hm_vsa_expect e = {IMG, NULL, NULL, 24 * 3600, T0 + 3600};
	cJSON *st = NULL, *failed = NULL;

	(void)state;
	assert_int_equal(hm_vsa_statement(&st, &o), HM_OK);
	assert_true(accepts(st, &e, NULL));
	e.policy_digest = policy_digest;
	e.verifier_id = HM_VSA_VERIFIER_ID;
	assert_true(accepts(st, &e, NULL));

	/* another image */
	e.digest = OTHER;
	assert_false(accepts(st, &e, "another image"));
	e.digest = IMG;
	/* another policy */
	e.policy_digest = OTHER;
	assert_false(accepts(st, &e, "policy.digest.sha256"));
	e.policy_digest = policy_digest;
	/* another verifier */
	e.verifier_id = "https://other.example";
	assert_false(accepts(st, &e, "verifier.id"));
	e.verifier_id = NULL;
	/* too old, and no maxAge accepts any age */
	e.now = T0 + 24 * 3600 + 1;
	assert_false(accepts(st, &e, "maxAge"));
	e.max_age = 0;
	assert_true(accepts(st, &e, NULL));
	e.max_age = 24 * 3600;
	/* from the future (beyond the clock skew allowed) */
	e.now = T0 - HM_VSA_MAX_SKEW - 1;
	assert_false(accepts(st, &e, "future"));
	e.now = T0 - HM_VSA_MAX_SKEW;
	assert_true(accepts(st, &e, NULL));
	e.now = T0 + 60;
	/* FAILED */
	o = opts(0);
	assert_int_equal(hm_vsa_statement(&failed, &o), HM_OK);
	assert_false(accepts(failed, &e, "FAILED"));
	cJSON_Delete(failed);
	/* a bad time, a missing predicate, another predicate type */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(st, "predicate"), "timeVerified", cJSON_CreateString("yesterday"));
	assert_false(accepts(st, &e, "RFC 3339"));
	cJSON_ReplaceItemInObject(st, "predicateType", cJSON_CreateString("https://slsa.dev/provenance/v1"));
	assert_false(accepts(st, &e, "predicate type"));
	cJSON_ReplaceItemInObject(st, "predicateType", cJSON_CreateString(HM_PREDICATE_VSA_V1));
	cJSON_DeleteItemFromObject(st, "predicate");
	assert_false(accepts(st, &e, "no predicate"));
	cJSON_Delete(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statement_fields),
		cmocka_unit_test(test_signature_verifies),
		cmocka_unit_test(test_accepts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
