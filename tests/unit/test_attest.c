/* SPDX-License-Identifier: Apache-2.0 */
/* Attaching attestations to an OCI layout made here and verifying them;
 * forgeries (tampered payload, wrong key, another image's subject, wrong
 * type, wrong payload type) must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attest/attest.h"
#include "crypto/statement.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/attach.h"
#include "policy/eval.h"
#include "tests/unit/testdir.h"

static char dir[64];
static hm_store *s;
static hm_key *key, *other;
static char img[HM_DIGEST_SIZE], img2[HM_DIGEST_SIZE];

static void put_image(const char *seed, const char *tag, char out[HM_DIGEST_SIZE])
{
	char cfg[HM_DIGEST_SIZE], m[1024];
	hm_desc d;
	int n;

	assert_int_equal(hm_store_put_blob(s, seed, strlen(seed), cfg), HM_OK);
	n = snprintf(m, sizeof(m),
		     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
		     "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
		     HM_MT_OCI_MANIFEST, cfg, strlen(seed));
	assert_int_equal(hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, m, (size_t)n, &d), HM_OK);
	memcpy(out, d.digest, HM_DIGEST_SIZE);
}

static int setup(void **state)
{
	hm_ref ref = HM_REF_INIT;
	char text[128];

	snprintf(dir, sizeof(dir), "/tmp/hm-attest-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(text, sizeof(text), "oci:%s/layout", dir);
	if (hm_ref_parse(&ref, text) || hm_store_open(&s, &ref, NULL, 1))
		return -1;
	hm_ref_free(&ref);
	if (hm_key_generate(&key, HM_KEY_ECDSA_P256) || hm_key_generate(&other, HM_KEY_ED25519))
		return -1;
	put_image("{\"a\":1}", "v1", img);
	put_image("{\"a\":2}", "v2", img2);
	return 0;
}

static int teardown(void **state)
{
	hm_store_free(s);
	hm_key_free(key);
	hm_key_free(other);
	return hm_testdir_remove(dir);
}

static void verify(hm_att_results *r, const char *digest, hm_key *k, const char *type)
{
	hm_key *keys[] = {k};

	if (hm_attest_verify(r, s, digest, keys, 1, type))
		fail_msg("verify: %s", hm_error_message());
}

/* Attaches an arbitrary envelope to digest, as an attacker with write
 * access to the repository could. */
static void attach_raw(const char *digest, const hm_buf *env, const char *type)
{
	cJSON *ann = cJSON_CreateObject();
	int added;

	cJSON_AddStringToObject(ann, "predicateType", type);
	assert_int_equal(hm_attach_layer(s, digest, "att", HM_MT_DSSE, env->data, env->len, ann, &added), HM_OK);
	cJSON_Delete(ann);
}

static void test_attach_and_verify(void **state)
{
	cJSON *pred = cJSON_Parse("{\"k\":\"v\"}");
	hm_att_results r;
	int added = 0;

	assert_int_equal(hm_attest_attach(&added, s, img, "oci:x", key, "slsaprovenance", pred, 1), HM_OK);
	assert_int_equal(added, 1);
	verify(&r, img, key, NULL);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 1);
	assert_int_equal(r.v[0].key_index, 0);
	assert_string_equal(r.v[0].predicate_type, HM_PREDICATE_SLSA_V1);
	assert_string_equal(hm_json_str(cJSON_GetObjectItem(r.v[0].statement, "predicate"), "k"), "v");
	hm_att_results_free(&r);

	verify(&r, img, key, "https://slsa.dev/provenance/v1");
	assert_int_equal(r.n_valid, 1);
	hm_att_results_free(&r);

	/* other types are not listed */
	verify(&r, img, key, "spdx");
	assert_int_equal(r.n, 0);
	assert_int_equal(r.n_valid, 0);
	hm_att_results_free(&r);

	/* wrong key */
	verify(&r, img, other, NULL);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 0);
	assert_int_equal(r.v[0].key_index, -1);
	assert_non_null(r.v[0].reason);
	assert_null(r.v[0].statement);
	hm_att_results_free(&r);

	/* the other image has nothing */
	verify(&r, img2, key, NULL);
	assert_int_equal(r.n, 0);
	hm_att_results_free(&r);
	cJSON_Delete(pred);
}

static void test_forgeries(void **state)
{
	cJSON *st = NULL;
	hm_buf env = HM_BUF_INIT, payload = HM_BUF_INIT;
	hm_att_results r;
	char *p;

	/* a statement for img attached to img2 */
	assert_int_equal(hm_statement_build(&st, "x", img, "spdx", NULL), HM_OK);
	assert_int_equal(hm_attest_envelope(&env, key, st), HM_OK);
	attach_raw(img2, &env, HM_PREDICATE_SPDX);
	verify(&r, img2, key, NULL);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 0);
	assert_non_null(strstr(r.v[0].reason, "subject is for sha256:"));
	assert_non_null(strstr(r.v[0].reason, "not the image"));
	hm_att_results_free(&r);
	hm_buf_release(&env);

	/* tampered payload: the signature of one statement over another */
	assert_int_equal(hm_attest_envelope(&env, key, st), HM_OK);
	p = strstr(env.data, "\"payload\":\"");
	assert_non_null(p);
	p += 11;
	assert_int_equal(p[0], 'e'); /* base64 of '{' */
	p[0] = 'f';                   /* another first byte, same length */
	attach_raw(img, &env, HM_PREDICATE_SPDX);
	verify(&r, img, key, "spdx");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 0);
	hm_att_results_free(&r);
	hm_buf_release(&env);

	/* a signed envelope of another payload type */
	assert_int_equal(hm_json_print(&payload, st), HM_OK);
	assert_int_equal(hm_dsse_sign(&env, key, NULL, "text/plain", payload.data, payload.len), HM_OK);
	attach_raw(img, &env, "https://example.com/t");
	verify(&r, img, key, "https://example.com/t");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 0);
	assert_non_null(strstr(r.v[0].reason, "payload type 'text/plain'"));
	hm_att_results_free(&r);
	hm_buf_release(&env);

	/* an annotation that lies about the type: listed by the claim, refused by the statement */
	assert_int_equal(hm_attest_envelope(&env, key, st), HM_OK);
	attach_raw(img, &env, "https://example.com/lie");
	verify(&r, img, key, "https://example.com/lie");
	assert_int_equal(r.n_valid, 0);
	assert_true(r.n >= 1);
	assert_non_null(strstr(r.v[r.n - 1].reason, "predicate type is https://spdx.dev/Document"));
	hm_att_results_free(&r);
	hm_buf_release(&env);

	/* a signed non-statement */
	assert_int_equal(hm_dsse_sign(&env, key, NULL, HM_DSSE_INTOTO, "{}", 2), HM_OK);
	attach_raw(img, &env, "https://example.com/empty");
	verify(&r, img, key, "https://example.com/empty");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_valid, 0);
	assert_non_null(strstr(r.v[0].reason, "statement: no _type"));
	hm_att_results_free(&r);

	hm_buf_release(&env);
	hm_buf_release(&payload);
	cJSON_Delete(st);
}

/* The policy gate's verdict on the attestations of digest (signed by key). */
static int policy_allows(const char *digest)
{
	hm_buf pem = HM_BUF_INIT, text = HM_BUF_INIT, image = HM_BUF_INIT;
	hm_store_opts so = {0};
	hm_policy_backend b;
	hm_eval_opts eo = HM_EVAL_OPTS_INIT;
	hm_eval_input in = {0};
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	hm_decision d = {0};
	cJSON *s_pem;
	char *q;
	int allowed;

	assert_int_equal(hm_key_public_pem(key, &pem), HM_OK);
	s_pem = cJSON_CreateString(hm_buf_cstr(&pem));
	q = cJSON_PrintUnformatted(s_pem);
	assert_int_equal(hm_buf_addf(&text, "apiVersion: hallmark/v1\nkind: Policy\nkeys:\n  k: {pem: %s}\n"
				     "rules:\n  - name: all\n    images: [\"**\"]\n    require:\n"
				     "      attestations: [{type: https://example.com/t, keys: [k]}]\n", q), HM_OK);
	assert_int_equal(hm_policy_load_mem(&p, text.data, text.len, "p.yaml", NULL, &diags), HM_OK);
	assert_int_equal(hm_buf_addf(&image, "oci:%s/layout@%s", dir, digest), HM_OK);
	in.image = hm_buf_cstr(&image);
	hm_policy_backend_store(&b, &so);
	assert_int_equal(hm_policy_eval(&d, p, &b, &in, 1, &eo), HM_OK);
	allowed = d.allowed;
	hm_decision_free(&d);
	hm_policy_free(p);
	hm_strv_free(&diags);
	free(q);
	cJSON_Delete(s_pem);
	hm_buf_release(&pem);
	hm_buf_release(&text);
	hm_buf_release(&image);
	return allowed;
}

/* verify-attestation (hm_attest_verify) and policy check decide alike on
 * every statement.  A subject digest in upper-case hex used to verify but
 * then be denied by the policy's own subject comparison: now it is refused
 * by the one statement check both use (the in-toto spec writes lowercase). */
static void test_one_verdict_for_both_paths(void **state)
{
	char im[HM_DIGEST_SIZE];
	static const char *const kinds[] = {"lower", "upper"};

	for (size_t k = 0; k < 2; k++) {
		cJSON *st = NULL, *dg;
		hm_buf env = HM_BUF_INIT;
		hm_att_results r;
		char seed[32], hex[65];
		int verified, allowed;

		snprintf(seed, sizeof(seed), "{\"case\":\"%s\"}", kinds[k]);
		put_image(seed, kinds[k], im);
		assert_int_equal(hm_statement_build(&st, "x", im, "https://example.com/t", NULL), HM_OK);
		dg = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "subject"), 0), "digest");
		for (size_t i = 0; i < 64; i++)
			hex[i] = k ? (char)toupper((unsigned char)im[7 + i]) : im[7 + i];
		hex[64] = '\0';
		cJSON_ReplaceItemInObject(dg, "sha256", cJSON_CreateString(hex));
		assert_int_equal(hm_attest_envelope(&env, key, st), HM_OK);
		attach_raw(im, &env, "https://example.com/t");
		verify(&r, im, key, "https://example.com/t");
		verified = r.n_valid > 0;
		if (k)
			assert_non_null(strstr(r.v[0].reason, "lowercase hex"));
		hm_att_results_free(&r);
		allowed = policy_allows(im);
		if (verified != allowed || verified != !k)
			fail_msg("%s-case subject: verify-attestation %d, policy check %d", kinds[k], verified, allowed);
		hm_buf_release(&env);
		cJSON_Delete(st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_and_verify),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_one_verdict_for_both_paths),
	};

	return cmocka_run_group_tests_name("attest", tests, setup, teardown);
}
