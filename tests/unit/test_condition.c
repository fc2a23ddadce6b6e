/* SPDX-License-Identifier: Apache-2.0 */
/* policy/condition: operators, paths, groups, explanations, compile errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/yaml.h"
#include "policy/condition.h"

static const char *statement =
	"{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"https://slsa.dev/provenance/v1\","
	"\"predicate\":{\"buildDefinition\":{\"externalParameters\":{\"ref\":\"refs/tags/v1.2.0\"},"
	"\"resolvedDependencies\":[{\"uri\":\"git+https://git.example.com/app\",\"digest\":{\"gitCommit\":\"abc\"}},"
	"{\"uri\":\"docker.io/library/alpine:3.19\",\"digest\":{\"sha256\":\"00\"}}]},"
	"\"runDetails\":{\"builder\":{\"id\":\"https://ci.example.com/builder\"},"
	"\"metadata\":{\"startedOn\":\"2024-05-01T12:00:00Z\",\"retries\":2}}}}";

static time_t now_2024_05_02(void)
{
	time_t t;

	assert_int_equal(hm_time_parse(&t, "2024-05-02T12:00:00Z"), HM_OK);
	return t;
}

/* Compiles the YAML condition, evaluates it over the statement; checks the
 * result and that the explanation contains want. */
static void check(const char *yaml, int expect, const char *want)
{
	hm_yaml *y = NULL, *doc = NULL;
	hm_strv diags = HM_STRV_INIT;
	hm_cond *c = NULL;
	hm_buf why = HM_BUF_INIT;
	int met;

	assert_int_equal(hm_yaml_parse(&y, yaml, strlen(yaml), "c.yaml"), HM_OK);
	assert_int_equal(hm_yaml_parse(&doc, statement, strlen(statement), "s.json"), HM_OK);
	if (hm_cond_compile(&c, hm_yaml_doc(y, 0), y, &diags) != HM_OK)
		fail_msg("compiling '%s': %s", yaml, diags.n ? diags.v[0] : hm_error_message());
	met = hm_cond_eval(c, hm_yaml_doc(doc, 0), now_2024_05_02(), &why);
	if (met != expect || (want && !strstr(hm_buf_cstr(&why), want)))
		fail_msg("'%s': met %d, explanation '%s'", yaml, met, hm_buf_cstr(&why));
	hm_buf_release(&why);
	hm_cond_free(c);
	hm_strv_free(&diags);
	hm_yaml_free(y);
	hm_yaml_free(doc);
}

static void test_operators(void **state)
{
	check("{path: predicate.runDetails.builder.id, equals: \"https://ci.example.com/builder\"}", 1, NULL);
	check("{path: predicate.runDetails.builder.id, equals: \"https://other\"}", 0,
	      "predicate.runDetails.builder.id equals \"https://other\": found \"https://ci.example.com/builder\"");
	check("{path: predicate.runDetails.builder.id, notEquals: \"https://other\"}", 1, NULL);
	check("{path: predicate.nothing, notEquals: x}", 0, "found nothing");
	check("{path: predicate.buildDefinition.externalParameters.ref, matches: \"refs/tags/v*\"}", 1, NULL);
	check("{path: predicate.buildDefinition.externalParameters.ref, matches: \"refs/heads/*\"}", 0,
	      "found \"refs/tags/v1.2.0\"");
	check("{path: predicate.buildDefinition.externalParameters.ref, regex: \"refs/tags/v[0-9]+\\\\.[0-9]+\\\\.[0-9]+\"}", 1, NULL);
	/* regexes are anchored */
	check("{path: predicate.buildDefinition.externalParameters.ref, regex: \"v1\"}", 0, NULL);
	check("{path: predicateType, in: [a, \"https://slsa.dev/provenance/v1\"]}", 1, NULL);
	check("{path: predicateType, in: [a, b]}", 0, NULL);
	check("{path: predicate.runDetails.metadata.retries, lessThan: 3}", 1, NULL);
	check("{path: predicate.runDetails.metadata.retries, greaterThan: 2}", 0, "found 2");
	check("{path: predicate.runDetails.metadata.startedOn, greaterThan: \"2024-01-01T00:00:00Z\"}", 1, NULL);
	check("{path: predicate.runDetails.metadata.startedOn, maxAge: 2d}", 1, NULL);
	check("{path: predicate.runDetails.metadata.startedOn, maxAge: 12h}", 0, "found \"2024-05-01T12:00:00Z\"");
	check("{path: predicate.runDetails.metadata.invocationId, exists: true}", 0, NULL);
	check("{path: predicate.runDetails.metadata.invocationId, absent: true}", 1, NULL);
	check("{path: predicate.runDetails.metadata, exists: true}", 1, NULL);
}

static void test_paths(void **state)
{
	check("{path: \"predicate.buildDefinition.resolvedDependencies[1].uri\", matches: \"docker.io/*\"}", 1, NULL);
	check("{path: \"predicate.buildDefinition.resolvedDependencies[5].uri\", exists: false}", 1, NULL);
	/* [*]: every value must satisfy */
	check("{path: \"predicate.buildDefinition.resolvedDependencies[*].uri\", matches: \"docker.io/*\"}", 0,
	      "found \"git+https://git.example.com/app\", \"docker.io/library/alpine:3.19\"");
	check("{path: \"predicate.buildDefinition.resolvedDependencies[*].digest\", exists: true}", 1, NULL);
	check("{path: \"predicate[0]\", exists: true}", 0, NULL);
}

/* Evaluates a compiled condition over a JSON text; returns met. */
static int eval_over(const char *cond, const char *json, hm_buf *why)
{
	hm_yaml *y = NULL, *doc = NULL;
	hm_strv diags = HM_STRV_INIT;
	hm_cond *c = NULL;
	int met;

	assert_int_equal(hm_yaml_parse(&y, cond, strlen(cond), "c.yaml"), HM_OK);
	assert_int_equal(hm_yaml_parse(&doc, json, strlen(json), "s.json"), HM_OK);
	assert_int_equal(hm_cond_compile(&c, hm_yaml_doc(y, 0), y, &diags), HM_OK);
	met = hm_cond_eval(c, hm_yaml_doc(doc, 0), now_2024_05_02(), why);
	hm_cond_free(c);
	hm_strv_free(&diags);
	hm_yaml_free(y);
	hm_yaml_free(doc);
	return met;
}

/* [*] sees every element of a large list: one bad entry far past any
 * count (an SBOM of 20000 packages) still fails the condition. */
static void test_every_element_of_a_large_list(void **state)
{
	hm_buf doc = HM_BUF_INIT, why = HM_BUF_INIT;
	const size_t n = 20000, bad = 19990;

	assert_int_equal(hm_buf_addstr(&doc, "{\"predicate\":{\"packages\":["), HM_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hm_buf_addf(&doc, "%s{\"license\":\"%s\"}", i ? "," : "",
					     i == bad ? "GPL-3.0" : "MIT"), HM_OK);
	assert_int_equal(hm_buf_addstr(&doc, "]}}"), HM_OK);
	assert_int_equal(eval_over("{path: \"predicate.packages[*].license\", in: [MIT, Apache-2.0]}",
				   hm_buf_cstr(&doc), &why), 0);
	assert_non_null(strstr(hm_buf_cstr(&why), "and 19992 more"));
	assert_non_null(strstr(hm_buf_cstr(&why), "first failing: predicate.packages[19990].license = \"GPL-3.0\""));
	hm_buf_reset(&why);
	/* [any]: one element is enough */
	assert_int_equal(eval_over("{path: \"predicate.packages[any].license\", equals: GPL-3.0}",
				   hm_buf_cstr(&doc), &why), 1);
	hm_buf_release(&why);
	hm_buf_release(&doc);
}

/* [*] is "every element": an element without the member fails it (it
 * used to be skipped), [any] is "some element". */
static void test_every_and_any(void **state)
{
	static const char *deps = "{\"d\":[{\"uri\":\"docker.io/a\"},{\"name\":\"x\"},{\"uri\":\"docker.io/b\"}]}";
	hm_buf why = HM_BUF_INIT;

	assert_int_equal(eval_over("{path: \"d[*].uri\", matches: \"docker.io/*\"}", deps, &why), 0);
	assert_non_null(strstr(hm_buf_cstr(&why), "first failing: d[1].uri is missing"));
	assert_int_equal(eval_over("{path: \"d[*].uri\", exists: true}", deps, &why), 0);
	assert_int_equal(eval_over("{path: \"d[any].uri\", exists: true}", deps, &why), 1);
	assert_int_equal(eval_over("{path: \"d[any].uri\", equals: docker.io/b}", deps, &why), 1);
	assert_int_equal(eval_over("{path: \"d[any].uri\", equals: docker.io/c}", deps, &why), 0);
	assert_int_equal(eval_over("{path: \"d[*].tag\", absent: true}", deps, &why), 1);
	assert_int_equal(eval_over("{path: \"d[any].name\", absent: true}", deps, &why), 1);
	assert_int_equal(eval_over("{path: \"d[*].name\", absent: true}", deps, &why), 0);
	assert_int_equal(eval_over("{path: \"d[*].uri\", notEquals: docker.io/c}", deps, &why), 0);
	/* an empty list is "nothing found", for both */
	assert_int_equal(eval_over("{path: \"e[*]\", equals: 1}", "{\"e\":[]}", &why), 0);
	assert_int_equal(eval_over("{path: \"e[any]\", equals: 1}", "{\"e\":[]}", &why), 0);
	assert_int_equal(eval_over("{path: \"e[*]\", absent: true}", "{\"e\":[]}", &why), 1);
	/* nested: every build has some step by the CI */
	assert_int_equal(eval_over("{path: \"b[*].s[any]\", equals: ci}",
				   "{\"b\":[{\"s\":[\"x\",\"ci\"]},{\"s\":[\"ci\"]}]}", &why), 1);
	assert_int_equal(eval_over("{path: \"b[*].s[any]\", equals: ci}",
				   "{\"b\":[{\"s\":[\"x\",\"ci\"]},{\"s\":[\"y\"]}]}", &why), 0);
	hm_buf_release(&why);
}

static void test_groups(void **state)
{
	check("{any: [{path: predicateType, equals: x}, {path: predicateType, matches: \"https://slsa.dev/*\"}]}", 1,
	      "predicateType matches");
	check("{any: [{path: predicateType, equals: x}, {path: predicateType, equals: y}]}", 0, "none of: ");
	check("[{path: predicateType, equals: x}, {path: _type, exists: true}]", 0, "predicateType equals \"x\"");
	check("{all: [{path: _type, exists: true}, {any: [{path: a, exists: true}, {path: _type, matches: \"*\"}]}]}", 1,
	      "all of: ");
}

static void compile_fails(const char *yaml, const char *want)
{
	hm_yaml *y = NULL;
	hm_strv diags = HM_STRV_INIT;
	hm_cond *c = NULL;

	assert_int_equal(hm_yaml_parse(&y, yaml, strlen(yaml), "c.yaml"), HM_OK);
	assert_int_equal(hm_cond_compile(&c, hm_yaml_doc(y, 0), y, &diags), HM_E_USAGE);
	assert_null(c);
	for (size_t i = 0; i < diags.n; i++)
		if (strstr(diags.v[i], want))
			goto found;
	fail_msg("'%s': no diagnostic with '%s' (first: %s)", yaml, want, diags.n ? diags.v[0] : "none");
found:
	hm_strv_free(&diags);
	hm_yaml_free(y);
}

static void test_compile_errors(void **state)
{
	compile_fails("{path: a, equal: x}", "c.yaml:1:11: unknown key 'equal'");
	compile_fails("{path: a, equals: x, matches: y}", "second one");
	compile_fails("{path: a}", "no operator");
	compile_fails("{equals: a}", "needs a 'path'");
	compile_fails("{path: a, regex: \"(\"}", "c.yaml:1:18: invalid regex '('");
	compile_fails("{path: a, maxAge: 3x}", "duration");
	compile_fails("{path: a, in: []}", "non-empty list");
	compile_fails("{path: \"a[\", exists: true}", "invalid path");
	compile_fails("{path: \"a..b\", exists: true}", "empty member name");
	compile_fails("{path: \"a[all]\", exists: true}", "a number, * or any");
	compile_fails("{path: \"a[*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*]"
		      "[*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*][*]"
		      "[*][*][*][*][*][*]\", exists: true}", "more than 64 steps");
	compile_fails("{path: a, lessThan: soon}", "RFC 3339");
	compile_fails("{any: {path: a, exists: true}}", "needs a list");
	compile_fails("[{path: a, exists: true}, {path: b, exist: true}]", "c.yaml:1:37: unknown key 'exist'");
	compile_fails("- x\n", "must be a mapping");
}

static void test_time(void **state)
{
	time_t a, b;
	long long d;

	assert_int_equal(hm_time_parse(&a, "2024-05-01T12:00:00Z"), HM_OK);
	assert_int_equal(hm_time_parse(&b, "2024-05-01T14:00:00.5+02:00"), HM_OK);
	assert_true(a == b);
	assert_int_equal(hm_time_parse(&a, "2024-05-01 12:00:00Z"), HM_E_USAGE);
	assert_int_equal(hm_time_parse(&a, "2024-13-01T12:00:00Z"), HM_E_USAGE);
	assert_int_equal(hm_time_parse(&a, "2024-05-01T12:00:00"), HM_E_USAGE);
	assert_int_equal(hm_duration_parse(&d, "1w2d"), HM_OK);
	assert_true(d == 9 * 86400);
	assert_int_equal(hm_duration_parse(&d, "0d"), HM_E_USAGE);
	assert_int_equal(hm_duration_parse(&d, "d"), HM_E_USAGE);
	assert_int_equal(hm_duration_parse(&d, "5"), HM_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_every_element_of_a_large_list),
		cmocka_unit_test(test_every_and_any),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests_name("condition", tests, NULL, NULL);
}
