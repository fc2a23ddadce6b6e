/* SPDX-License-Identifier: Apache-2.0 */
/* core/yaml: typing, positions, multi-document, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/yaml.h"

static hm_yaml *parse_ok(const char *s)
{
	hm_yaml *y = NULL;

	assert_int_equal(hm_yaml_parse(&y, s, strlen(s), "t.yaml"), HM_OK);
	return y;
}

static void parse_fails(const char *s, const char *msg)
{
	hm_yaml *y = NULL;

	assert_int_equal(hm_yaml_parse(&y, s, strlen(s), "t.yaml"), HM_E_IO);
	assert_null(y);
	if (msg && !strstr(hm_error_message(), msg))
		fail_msg("message '%s' lacks '%s'", hm_error_message(), msg);
}

static void test_core_schema(void **state)
{
	hm_yaml *y = parse_ok("a: true\nb: ~\nc: 12\nd: -3.5e2\ne: '12'\nf: \"true\"\ng: 0x1f\n"
			      "h: 0o17\ni: yes\nj: !!str 7\nk:\nl: 1.2.3\nm: .inf\n");
	cJSON *d = hm_yaml_doc(y, 0);

	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "a")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "b")));
	assert_true(cJSON_GetObjectItem(d, "c")->valuedouble == 12);
	assert_true(cJSON_GetObjectItem(d, "d")->valuedouble == -350);
	assert_string_equal(cJSON_GetObjectItem(d, "e")->valuestring, "12");
	assert_string_equal(cJSON_GetObjectItem(d, "f")->valuestring, "true");
	assert_true(cJSON_GetObjectItem(d, "g")->valuedouble == 31);
	assert_true(cJSON_GetObjectItem(d, "h")->valuedouble == 15);
	/* YAML 1.1 booleans are plain strings in 1.2 */
	assert_string_equal(cJSON_GetObjectItem(d, "i")->valuestring, "yes");
	assert_string_equal(cJSON_GetObjectItem(d, "j")->valuestring, "7");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "k")));
	assert_string_equal(cJSON_GetObjectItem(d, "l")->valuestring, "1.2.3");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "m")));
	hm_yaml_free(y);
}

static void test_positions(void **state)
{
	hm_yaml *y = parse_ok("apiVersion: v1\nspec:\n  containers:\n    - name: a\n      image: nginx\n");
	cJSON *d = hm_yaml_doc(y, 0);
	cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "spec"), "containers"), 0);
	cJSON *img = cJSON_GetObjectItem(c, "image");
	int line, col;

	assert_int_equal(hm_yaml_pos(y, img, &line, &col), HM_OK);
	assert_int_equal(line, 5);
	assert_int_equal(col, 14);
	assert_int_equal(hm_yaml_key_pos(y, img, &line, &col), HM_OK);
	assert_int_equal(line, 5);
	assert_int_equal(col, 7);
	assert_int_equal(hm_yaml_pos(y, c, &line, &col), HM_OK);
	assert_int_equal(line, 4);
	assert_int_equal(col, 7);
	assert_int_equal(hm_yaml_pos(y, d, &line, &col), HM_OK);
	assert_int_equal(line, 1);
	hm_yaml_free(y);
}

static void test_multi_document_and_json(void **state)
{
	hm_yaml *y = parse_ok("---\na: 1\n---\n---\n{\"b\": [1, \"x\", null]}\n");

	assert_int_equal(hm_yaml_count(y), 3);
	assert_true(cJSON_IsNull(hm_yaml_doc(y, 1)));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(hm_yaml_doc(y, 2), "b")));
	assert_null(hm_yaml_doc(y, 3));
	hm_yaml_free(y);
	y = parse_ok("");
	assert_int_equal(hm_yaml_count(y), 0);
	hm_yaml_free(y);
}

/* Merge keys are expanded as Kubernetes' YAML reader does, never kept as a
 * member named "<<"; a merge disagreeing with the mapping is refused. */
static void test_merge_keys(void **state)
{
	const char *text = "d: &d {a: 1, b: 2}\n"
			   "m: {<<: *d, c: 3}\n"
			   "n: {<<: [*d, {e: 5}], a: 1}\n"
			   "q: {\"<<\": {z: 1}}\n"
			   "t: {!!merge <<: {y: 1}}\n"
			   "k: &k {<<: {w: 1}}\n"
			   "u: *k\n";
	hm_yaml *y = NULL;
	char *out;

	assert_int_equal(hm_yaml_parse(&y, text, strlen(text), "t.yaml"), HM_OK);
	out = cJSON_PrintUnformatted(hm_yaml_doc(y, 0));
	assert_string_equal(out, "{\"d\":{\"a\":1,\"b\":2},\"m\":{\"c\":3,\"a\":1,\"b\":2},"
				 "\"n\":{\"a\":1,\"b\":2,\"e\":5},\"q\":{\"<<\":{\"z\":1}},\"t\":{\"y\":1},"
				 "\"k\":{\"w\":1},\"u\":{\"w\":1}}");
	free(out);
	hm_yaml_free(y);
	parse_fails("m: {a: 1, <<: {a: 2}}\n", "t.yaml:1:11: merge key '<<': the mapping already sets another value for 'a'");
	parse_fails("m: {<<: [{a: 1}, {a: 2}]}\n", "another value for 'a'");
	parse_fails("m: {<<: {a: 1}, <<: {b: 1}}\n", "duplicate key '<<'");
	parse_fails("m: {<<: [1]}\n", "needs a mapping or a list of mappings");
}

static void test_refusals(void **state)
{
	char *deep;
	size_t i;

	parse_fails("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a'");
	parse_fails("? [a]\n: 1\n", "mapping keys must be scalars");
	parse_fails("a: [1, 2\n", "t.yaml:");
	parse_fails("a: *nope\n", "unknown or unfinished anchor");
	parse_fails("a: &x [*x]\n", "unknown or unfinished anchor");
	deep = malloc(2 * (HM_YAML_MAX_DEPTH + 10) + 1);
	for (i = 0; i < HM_YAML_MAX_DEPTH + 10; i++)
		deep[i] = '[';
	for (; i < 2 * (HM_YAML_MAX_DEPTH + 10); i++)
		deep[i] = ']';
	deep[i] = '\0';
	parse_fails(deep, "nesting too deep");
	free(deep);
}

static void test_aliases_capped(void **state)
{
	hm_yaml *y = parse_ok("base: &b {x: 1}\nother: *b\n");
	cJSON *o = cJSON_GetObjectItem(hm_yaml_doc(y, 0), "other");
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	int line, col;

	assert_true(cJSON_GetObjectItem(o, "x")->valuedouble == 1);
	assert_int_equal(hm_yaml_pos(y, o, &line, &col), HM_OK);
	assert_int_equal(line, 2);
	hm_yaml_free(y);
	parse_fails(bomb, "node limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_schema),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_multi_document_and_json),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_aliases_capped),
	};

	return cmocka_run_group_tests_name("yaml", tests, NULL, NULL);
}
