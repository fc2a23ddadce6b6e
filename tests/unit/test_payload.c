/* SPDX-License-Identifier: Apache-2.0 */
/* The simple-signing payload: byte-for-byte what cosign writes, and the
 * checks made on a payload whose signature verified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "sign/sign.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void build_plain(void **state)
{
	hm_buf b = HM_BUF_INIT;

	assert_int_equal(hm_payload_build(&b, "registry.example.com/team/app", D1, NULL), HM_OK);
	assert_string_equal(b.data,
			    "{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example.com/team/app\"},"
			    "\"image\":{\"docker-manifest-digest\":\"" D1 "\"},"
			    "\"type\":\"cosign container image signature\"},\"optional\":null}");
	hm_buf_release(&b);
}

static void build_annotations_sorted_go_escaped(void **state)
{
	hm_strv ann = HM_STRV_INIT;
	hm_buf b = HM_BUF_INIT;

	hm_strv_push(&ann, "zeta=last");
	hm_strv_push(&ann, "alpha=a<b>&c\"d\\e\n");
	hm_strv_push(&ann, "zeta=replaced");
	hm_strv_push(&ann, "mid=x=y");
	assert_int_equal(hm_payload_build(&b, "r/a", D1, &ann), HM_OK);
	assert_string_equal(b.data, "{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},"
				    "\"image\":{\"docker-manifest-digest\":\"" D1 "\"},"
				    "\"type\":\"cosign container image signature\"},"
				    "\"optional\":{\"alpha\":\"a\\u003cb\\u003e\\u0026c\\\"d\\\\e\\n\","
				    "\"mid\":\"x=y\",\"zeta\":\"replaced\"}}");
	hm_buf_release(&b);
	hm_strv_free(&ann);
}

static void check_accepts_and_refuses(void **state)
{
	hm_strv ann = HM_STRV_INIT;
	hm_buf b = HM_BUF_INIT;
	const char *want_ok[] = {"env=prod"}, *want_bad[] = {"env=dev"}, *want_missing[] = {"team=x"};
	cJSON *parsed = NULL;

	hm_strv_push(&ann, "env=prod");
	hm_payload_build(&b, "r/a", D1, &ann);
	assert_int_equal(hm_payload_check(&parsed, b.data, b.len, D1, want_ok, 1), HM_OK);
	assert_non_null(parsed);
	cJSON_Delete(parsed);
	assert_int_equal(hm_payload_check(NULL, b.data, b.len, D2, NULL, 0), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "signature is for " D1 ", not this image"));
	assert_int_equal(hm_payload_check(NULL, b.data, b.len, D1, want_bad, 1), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, b.data, b.len, D1, want_missing, 1), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, "[]", 2, D1, NULL, 0), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, "{\"critical\":{}}", 15, D1, NULL, 0), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, "not json", 8, D1, NULL, 0), HM_E_VERIFY);
	hm_buf_release(&b);
	hm_strv_free(&ann);
}

static void check_wrong_type(void **state)
{
	const char *p = "{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":"
			"{\"docker-manifest-digest\":\"" D1 "\"},\"type\":\"something else\"},\"optional\":null}";

	assert_int_equal(hm_payload_check(NULL, p, strlen(p), D1, NULL, 0), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "payload type is 'something else'"));
}

/* A payload that cosign (Go: the last member wins) and cJSON (the first
 * wins) would read as two images, or two annotation values, is refused. */
static void check_repeated_members(void **state)
{
	const char *two = "{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":"
			  "{\"docker-manifest-digest\":\"" D1 "\",\"docker-manifest-digest\":\"" D2 "\"},"
			  "\"type\":\"cosign container image signature\"},\"optional\":null}";
	const char *ann = "{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":"
			  "{\"docker-manifest-digest\":\"" D1 "\"},\"type\":\"cosign container image signature\"},"
			  "\"optional\":{\"env\":\"prod\",\"env\":\"dev\"}}";
	const char *trailing = "{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":"
			       "{\"docker-manifest-digest\":\"" D1 "\"},\"type\":\"cosign container image signature\"},"
			       "\"optional\":null} {}";
	const char *const want[] = {"env=prod"};

	assert_int_equal(hm_payload_check(NULL, two, strlen(two), D1, NULL, 0), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "docker-manifest-digest"));
	assert_int_equal(hm_payload_check(NULL, two, strlen(two), D2, NULL, 0), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, ann, strlen(ann), D1, want, 1), HM_E_VERIFY);
	assert_int_equal(hm_payload_check(NULL, trailing, strlen(trailing), D1, NULL, 0), HM_E_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_plain),
		cmocka_unit_test(build_annotations_sorted_go_escaped),
		cmocka_unit_test(check_accepts_and_refuses),
		cmocka_unit_test(check_wrong_type), cmocka_unit_test(check_repeated_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
