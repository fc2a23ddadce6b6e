/* SPDX-License-Identifier: Apache-2.0 */
/* DSSE: the spec's PAE vector, sign/verify, forgeries and malformed
 * envelopes refused, interop with tests/interop/cosignfmt.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/limits.h"
#include "crypto/dsse.h"
#include "tests/unit/testdir.h"

static const char stmt[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
static hm_key *k1, *k2;
static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hm-test-dsse-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return hm_key_generate(&k1, HM_KEY_ECDSA_P256) || hm_key_generate(&k2, HM_KEY_ED25519);
}

static int teardown(void **state)
{
	hm_key_free(k1);
	hm_key_free(k2);
	return hm_testdir_remove(dir);
}

static void test_pae_vector(void **state)
{
	static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	hm_buf b = HM_BUF_INIT;

	assert_int_equal(hm_dsse_pae(&b, "http://example.com/HelloWorld", "hello world", 11), HM_OK);
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	hm_buf_reset(&b);
	assert_int_equal(hm_dsse_pae(&b, "", "", 0), HM_OK);
	assert_string_equal(b.data, "DSSEv1 0  0 ");
	hm_buf_release(&b);
}

static void test_sign_verify(void **state)
{
	hm_key *both[] = {k2, k1};
	hm_buf env = HM_BUF_INIT;
	hm_dsse_result r;
	cJSON *j;

	assert_int_equal(hm_dsse_sign(&env, k1, NULL, HM_DSSE_INTOTO, stmt, sizeof(stmt) - 1), HM_OK);
	j = hm_json_parse(env.data, env.len, "env");
	assert_non_null(j);
	assert_string_equal(hm_json_str(j, "payloadType"), HM_DSSE_INTOTO);
	assert_string_equal(hm_json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "signatures"), 0),
					"keyid"),
			    "");
	cJSON_Delete(j);

	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &k1, 1), HM_OK);
	assert_string_equal(r.payload_type, HM_DSSE_INTOTO);
	assert_int_equal(r.payload.len, sizeof(stmt) - 1);
	assert_memory_equal(r.payload.data, stmt, r.payload.len);
	assert_int_equal(r.verified_by, 0);
	assert_int_equal(r.n_signatures, 1);
	hm_dsse_result_free(&r);

	/* every key is tried: the second one verifies */
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, both, 2), HM_OK);
	assert_int_equal(r.verified_by, 1);
	hm_dsse_result_free(&r);

	/* wrong key, no keys */
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &k2, 1), HM_E_VERIFY);
	assert_null(r.payload_type);
	assert_int_equal(r.payload.len, 0);
	assert_int_equal(r.verified_by, -1);
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, NULL, 0), HM_E_VERIFY);
	hm_buf_release(&env);
}

/* Replaces the string member name (top level, or in the first signature). */
static void set_member(hm_buf *out, const hm_buf *env, int in_sig, const char *name,
		       const char *value)
{
	cJSON *j = hm_json_parse(env->data, env->len, "env"), *o = j;

	assert_non_null(j);
	if (in_sig)
		o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "signatures"), 0);
	cJSON_ReplaceItemInObject(o, name, cJSON_CreateString(value));
	hm_buf_reset(out);
	assert_int_equal(hm_json_print(out, j), HM_OK);
	cJSON_Delete(j);
}

static void test_forgeries(void **state)
{
	hm_buf env = HM_BUF_INIT, bad = HM_BUF_INIT, b64 = HM_BUF_INIT, env2 = HM_BUF_INIT;
	hm_dsse_result r;
	const char *sig;
	cJSON *j;

	assert_int_equal(hm_dsse_sign(&env, k1, "kid", HM_DSSE_INTOTO, stmt, sizeof(stmt) - 1), HM_OK);
	/* tampered payload */
	assert_int_equal(hm_base64_encode(&b64, "{\"_type\":\"evil\"}", 16), HM_OK);
	set_member(&bad, &env, 0, "payload", b64.data);
	assert_int_equal(hm_dsse_verify(&r, bad.data, bad.len, &k1, 1), HM_E_VERIFY);
	assert_int_equal(r.payload.len, 0);
	/* tampered payload type */
	set_member(&bad, &env, 0, "payloadType", "application/json");
	assert_int_equal(hm_dsse_verify(&r, bad.data, bad.len, &k1, 1), HM_E_VERIFY);
	/* signature over the bare payload instead of the PAE */
	hm_buf_reset(&b64);
	{
		hm_buf raw = HM_BUF_INIT;

		assert_int_equal(hm_key_sign(k1, stmt, sizeof(stmt) - 1, &raw), HM_OK);
		assert_int_equal(hm_base64_encode(&b64, raw.data, raw.len), HM_OK);
		hm_buf_release(&raw);
	}
	set_member(&bad, &env, 1, "sig", b64.data);
	assert_int_equal(hm_dsse_verify(&r, bad.data, bad.len, &k1, 1), HM_E_VERIFY);
	/* a signature lifted from another envelope (replay onto new payload) */
	assert_int_equal(hm_dsse_sign(&env2, k1, NULL, HM_DSSE_INTOTO, "{}", 2), HM_OK);
	j = hm_json_parse(env2.data, env2.len, "env2");
	sig = hm_json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "signatures"), 0), "sig");
	set_member(&bad, &env, 1, "sig", sig);
	assert_int_equal(hm_dsse_verify(&r, bad.data, bad.len, &k1, 1), HM_E_VERIFY);
	cJSON_Delete(j);
	hm_buf_release(&env);
	hm_buf_release(&env2);
	hm_buf_release(&bad);
	hm_buf_release(&b64);
}

/* URL-safe alphabet, no padding: accepted. */
static void test_url_safe(void **state)
{
	hm_buf env = HM_BUF_INIT;
	hm_dsse_result r;
	int changed = 0;

	/* payload of 0xfb 0xff bytes forces '+' and '/' in standard base64 */
	assert_int_equal(hm_dsse_sign(&env, k1, NULL, "application/octet-stream", "\xfb\xff\xfe\xfb",
				      4),
			 HM_OK);
	for (size_t i = 0; i < env.len; i++) {
		if (env.data[i] == '+' || env.data[i] == '/') {
			env.data[i] = env.data[i] == '+' ? '-' : '_';
			changed = 1;
		}
	}
	assert_true(changed);
	/* "application/octet-stream" has a '/': put it back */
	{
		char *t = strstr(env.data, "application_octet-stream");

		assert_non_null(t);
		t[11] = '/';
	}
	while (strstr(env.data, "=\"")) {
		char *eq = strstr(env.data, "=\"");

		memmove(eq, eq + 1, strlen(eq));
		env.len--;
	}
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &k1, 1), HM_OK);
	assert_memory_equal(r.payload.data, "\xfb\xff\xfe\xfb", 4);
	hm_dsse_result_free(&r);
	hm_buf_release(&env);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"null",
		"[]",
		"{",
		"{\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":1,\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"e30*\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\"}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[]}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":{}}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"keyid\":\"x\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[7]}",
		"{\"payloadType\":\"t\",\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"!!\"}]}",
	};
	hm_dsse_result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hm_dsse_verify(&r, bad[i], strlen(bad[i]), &k1, 1), HM_E_VERIFY);
		assert_null(r.payload_type);
		assert_true(strlen(hm_error_message()) > 0);
	}
	assert_non_null(strstr(hm_error_message(), "verif"));
	assert_int_equal(hm_dsse_verify(&r, bad[9], strlen(bad[9]), &k1, 1), HM_E_VERIFY);
	assert_string_equal(hm_error_message(), "malformed DSSE envelope: no signatures");
}

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

static int run(hm_buf *out, const char *cmd)
{
	char chunk[4096];
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(hm_buf_add(out, chunk, n), HM_OK);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* An envelope whose signatures are n copies of its first one, the real one
 * placed last (at index n - 1) when last_good, else none verifies. */
static void many_signatures(hm_buf *out, const hm_buf *env, int n, int last_good)
{
	cJSON *j = hm_json_parse(env->data, env->len, "env");
	cJSON *sigs = cJSON_GetObjectItem(j, "signatures"), *good = cJSON_DetachItemFromArray(sigs, 0);

	for (int i = 0; i < n; i++) {
		cJSON *e = cJSON_Duplicate(good, 1);

		if (i < n - 1 || !last_good)
			cJSON_ReplaceItemInObject(e, "sig", cJSON_CreateString("MEUCIQ=="));
		cJSON_AddItemToArray(sigs, e);
	}
	cJSON_Delete(good);
	hm_buf_reset(out);
	assert_int_equal(hm_json_print(out, j), HM_OK);
	cJSON_Delete(j);
}

/* Caps: more signatures than HM_MAX_DSSE_SIGNATURES is refused outright;
 * signatures times keys tried stops at HM_MAX_DSSE_CHECKS. */
static void test_caps(void **state)
{
	hm_buf env = HM_BUF_INIT, big = HM_BUF_INIT;
	hm_key *keys[HM_MAX_DSSE_CHECKS / HM_MAX_DSSE_SIGNATURES + 1];
	hm_dsse_result r;
	size_t nk = sizeof(keys) / sizeof(keys[0]);

	assert_int_equal(hm_dsse_sign(&env, k1, NULL, HM_DSSE_INTOTO, stmt, sizeof(stmt) - 1), HM_OK);
	/* at the cap, the good signature last: verifies */
	many_signatures(&big, &env, HM_MAX_DSSE_SIGNATURES, 1);
	assert_int_equal(hm_dsse_verify(&r, big.data, big.len, &k1, 1), HM_OK);
	hm_dsse_result_free(&r);
	/* one over: refused, naming the cap, even though one verifies */
	many_signatures(&big, &env, HM_MAX_DSSE_SIGNATURES + 1, 1);
	assert_int_equal(hm_dsse_verify(&r, big.data, big.len, &k1, 1), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "more than the 16 allowed (the cap)"));
	/* signatures x keys over HM_MAX_DSSE_CHECKS: refused, naming the cap */
	for (size_t i = 0; i < nk; i++)
		keys[i] = k2;
	many_signatures(&big, &env, HM_MAX_DSSE_SIGNATURES, 0);
	assert_int_equal(hm_dsse_verify(&r, big.data, big.len, keys, nk), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "within 256 checks"));
	/* under it, the same envelope is simply not verified */
	assert_int_equal(hm_dsse_verify(&r, big.data, big.len, keys, nk - 1), HM_E_VERIFY);
	assert_null(strstr(hm_error_message(), "cap"));
	hm_buf_release(&env);
	hm_buf_release(&big);
}

static void test_interop(void **state)
{
	char key[128], pub[128], payload[128], envf[128], cmd[1024];
	hm_buf out = HM_BUF_INIT, env = HM_BUF_INIT;
	hm_key *pk = NULL;
	hm_dsse_result r;

	snprintf(key, sizeof(key), "%s/py.key", dir);
	snprintf(pub, sizeof(pub), "%s/py.pub", dir);
	snprintf(payload, sizeof(payload), "%s/stmt.json", dir);
	snprintf(envf, sizeof(envf), "%s/env.json", dir);
	setenv("COSIGN_PASSWORD", "p", 1);
	snprintf(cmd, sizeof(cmd), "%s tests/interop/cosignfmt.py genkey '%s/py'", python(), dir);
	assert_int_equal(run(&out, cmd), 0);
	assert_int_equal(hm_file_write_atomic(payload, stmt, sizeof(stmt) - 1, 0644, 1), HM_OK);

	/* python signs, hallmark verifies */
	snprintf(cmd, sizeof(cmd), "%s tests/interop/cosignfmt.py dsse-sign --key '%s' --type '%s' '%s'",
		 python(), key, HM_DSSE_INTOTO, payload);
	assert_int_equal(run(&env, cmd), 0);
	assert_int_equal(hm_key_load_public(&pk, pub), HM_OK);
	assert_int_equal(hm_dsse_verify(&r, env.data, env.len, &pk, 1), HM_OK);
	assert_memory_equal(r.payload.data, stmt, sizeof(stmt) - 1);
	hm_dsse_result_free(&r);

	/* hallmark signs, python verifies (and refuses another key) */
	hm_buf_reset(&env);
	assert_int_equal(hm_dsse_sign(&env, k1, NULL, HM_DSSE_INTOTO, stmt, sizeof(stmt) - 1), HM_OK);
	assert_int_equal(hm_file_write_atomic(envf, env.data, env.len, 0644, 1), HM_OK);
	hm_buf_reset(&out);
	assert_int_equal(hm_key_save_public(k1, payload, 1), HM_OK); /* reuse the name for k1.pub */
	snprintf(cmd, sizeof(cmd), "%s tests/interop/cosignfmt.py dsse-verify --key '%s' '%s'", python(),
		 payload, envf);
	assert_int_equal(run(&out, cmd), 0);
	assert_int_equal(out.len, sizeof(stmt) - 1);
	assert_memory_equal(out.data, stmt, out.len);
	snprintf(cmd, sizeof(cmd), "%s tests/interop/cosignfmt.py dsse-verify --key '%s' '%s'", python(),
		 pub, envf);
	assert_int_equal(run(&out, cmd), 1);
	unsetenv("COSIGN_PASSWORD");
	hm_key_free(pk);
	hm_buf_release(&out);
	hm_buf_release(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae_vector),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_url_safe),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_interop),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests_name("dsse", tests, setup, teardown);
}
