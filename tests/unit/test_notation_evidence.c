/* SPDX-License-Identifier: Apache-2.0 */
/* verify/notation_evidence.c: trusts made from a trust store and
 * identities (what a policy's notation key is), and from notation's files;
 * the envelopes themselves are verified end to end in tests/cli/notation.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "verify/notation_evidence.h"
#include "tests/unit/testdir.h"

#define STORE "tests/notation/notation-go/store"

static int has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static void test_made_from_store_and_identities(void **state)
{
	const char *ids[] = {"x509.subject: C=US, ST=WA, O=Notary"};
	hm_notation_trust *t = NULL;
	const hm_notation_trust_policy *st;

	(void)state;
	assert_int_equal(hm_notation_trust_make(&t, STORE, NULL, ids, 1, "key 'sec'"), HM_OK);
	assert_non_null(t);
	assert_int_equal(hm_notation_policy_count(t->policy), 1);
	st = hm_notation_policy_get(t->policy, 0);
	assert_int_equal(st->level, HM_NOTATION_STRICT);
	assert_int_equal(st->n_scopes, 1);
	assert_string_equal(st->scopes[0], "*");
	/* every ca store, no tsa store (that would require timestamps) */
	assert_true(has(st->trust_stores, st->n_trust_stores, "ca:internal-testdata"));
	assert_true(has(st->trust_stores, st->n_trust_stores, "ca:valid-trust-store"));
	assert_false(has(st->trust_stores, st->n_trust_stores, "tsa:test-timestamp"));
	assert_int_equal(st->n_identities, 1);
	assert_string_equal(st->identities[0], ids[0]);
	assert_int_equal(t->n_identities, 0); /* held by the statement */
	assert_null(t->policy_file);
	hm_notation_trust_free(t);
}

static void test_refusals(void **state)
{
	const char *no_o[] = {"x509.subject: C=US, ST=WA"};
	const char *ok[] = {"*"};
	char dir[] = "/tmp/hm-nev-XXXXXX";
	hm_notation_trust *t = (hm_notation_trust *)1;

	(void)state;
	/* an identity without O: the trust policy rules apply */
	assert_int_equal(hm_notation_trust_make(&t, STORE, NULL, no_o, 1, "key 'sec'"), HM_E_USAGE);
	assert_null(t);
	assert_non_null(strstr(hm_error_message(), "key 'sec'"));
	/* a store with no named ca or signingAuthority store */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hm_notation_trust_make(&t, dir, NULL, ok, 1, "key 'sec'"), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "has no x509/ca/NAME"));
	/* a store that is not there */
	assert_true(hm_notation_trust_make(&t, "/nonexistent/store", NULL, ok, 1, "key 'sec'") < 0);
	/* a trust policy file that is not there */
	assert_true(hm_notation_trust_load(&t, "/nonexistent/trustpolicy.json", STORE) < 0);
	assert_non_null(strstr(hm_error_message(), "/nonexistent/trustpolicy.json"));
	assert_int_equal(hm_testdir_remove(dir), 0);
}

static void test_policy_file_and_identities(void **state)
{
	const char *ids[] = {"x509.subject: C=US, ST=WA, O=Notary"};
	char dir[] = "/tmp/hm-nev-XXXXXX", path[64];
	hm_notation_trust *t = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tp.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"registryScopes\":[\"*\"],"
	      "\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:internal-testdata\"],"
	      "\"trustedIdentities\":[\"*\"]}]}", f);
	fclose(f);
	assert_int_equal(hm_notation_trust_make(&t, STORE, path, ids, 1, "key 'sec'"), HM_OK);
	assert_string_equal(t->policy_file, path);
	assert_int_equal(t->n_identities, 1); /* checked beside the file's own */
	assert_string_equal(hm_notation_policy_get(t->policy, 0)->name, "a");
	hm_notation_trust_free(t);
	assert_int_equal(hm_notation_trust_load(&t, path, STORE), HM_OK);
	assert_int_equal(t->n_identities, 0);
	hm_notation_trust_free(t);
	assert_int_equal(hm_testdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_from_store_and_identities),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_policy_file_and_identities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
