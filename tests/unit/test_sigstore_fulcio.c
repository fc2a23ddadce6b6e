/* SPDX-License-Identifier: Apache-2.0 */
/* Fulcio chain at a time, leaf usage, identity extraction and cosign's
 * identity matching; SCTs of the same real leaf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "sigstore/sct.h"
#include "tests/unit/sigstore_fixture.h"

#define T_SIGNED 1710869186 /* happy-path-v0.3: integratedTime */

static fx_case c;
static X509 *leaf;

static int setup(void **state)
{
	if (fx_load(&c, "happy-path-v0.3") != HM_OK)
		return -1;
	return hm_fulcio_load(&leaf, c.in.leaf_der, c.in.leaf_len, "leaf");
}

static int teardown(void **state)
{
	X509_free(leaf);
	fx_free(&c);
	return 0;
}

static void test_chain_at_time(void **state)
{
	const hm_trust_ca *ca;
	int64_t saved;

	assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, c.root, T_SIGNED, &ca), HM_OK);
	assert_non_null(ca);
	/* Outside the leaf's ten minutes. */
	assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, c.root, T_SIGNED + 3600, NULL), HM_E_VERIFY);
	assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, c.root, T_SIGNED - 3600, NULL), HM_E_VERIFY);
	/* The CA's window must contain the time. */
	saved = ca->end;
	((hm_trust_ca *)ca)->end = T_SIGNED - 1;
	assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, c.root, T_SIGNED, NULL), HM_E_VERIFY);
	((hm_trust_ca *)ca)->end = saved;
	/* A leaf is not its own chain: trusting nothing verifies nothing. */
	{
		hm_trustroot empty = {0};

		assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, &empty, T_SIGNED, NULL), HM_E_VERIFY);
	}
	/* A root supplied by the bundle is refused. */
	{
		X509 *root = ca->certs[ca->n_certs - 1];

		assert_int_equal(hm_fulcio_verify(leaf, &root, 1, c.root, T_SIGNED, NULL), HM_E_VERIFY);
		assert_non_null(strstr(hm_error_message(), "root certificate"));
	}
	/* An issuer that is not a leaf: the intermediate has no codeSigning leaf usage. */
	assert_int_equal(hm_fulcio_verify(ca->certs[0], NULL, 0, c.root, T_SIGNED, NULL), HM_E_VERIFY);
}

static void test_identity(void **state)
{
	hm_fulcio_identity id;

	assert_int_equal(hm_fulcio_identity_get(&id, leaf), HM_OK);
	assert_int_equal(id.n_sans, 1);
	assert_string_equal(id.sans[0], FX_IDENTITY);
	assert_string_equal(id.issuer, FX_ISSUER);
	assert_string_equal(id.claims[1], FX_ISSUER); /* legacy raw form */
	assert_string_equal(id.claims[12],
			    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon");
	assert_string_equal(id.claims[14], "refs/heads/main");
	assert_string_equal(id.claims[22], "public");
	assert_null(id.claims[23]);
	assert_string_equal(hm_fulcio_claim_name(12), "sourceRepositoryURI");
	assert_string_equal(hm_fulcio_claim_name(9), "buildSignerURI");
	assert_null(hm_fulcio_claim_name(7));
	assert_null(hm_fulcio_claim_name(99));
	hm_fulcio_identity_release(&id);
}

static void test_match(void **state)
{
	char *sans[] = {"https://evil.example/x?https://github.com/sigstore-conformance/"};
	hm_fulcio_identity attacker = {.sans = sans, .n_sans = 1, .issuer = FX_ISSUER};
	hm_fulcio_identity real;
	hm_identity_policy exact = {.subject = FX_IDENTITY, .issuer = FX_ISSUER};
	hm_identity_policy loose = {.subject_regexp = "https://github.com/sigstore-conformance/", .issuer = FX_ISSUER};
	hm_identity_policy anchored = {.subject_regexp = "^https://github\\.com/sigstore-conformance/",
				       .issuer_regexp = "^https://token\\.actions\\.githubusercontent\\.com$"};
	hm_identity_policy other_issuer = {.subject = FX_IDENTITY, .issuer = "https://accounts.google.com"};
	hm_identity_policy incomplete = {.subject = FX_IDENTITY};
	hm_identity_policy badre = {.subject_regexp = "(", .issuer = FX_ISSUER};

	assert_int_equal(hm_fulcio_identity_get(&real, leaf), HM_OK);
	assert_int_equal(hm_fulcio_identity_match(&real, &exact), HM_OK);
	assert_int_equal(hm_fulcio_identity_match(&real, &loose), HM_OK);
	assert_int_equal(hm_fulcio_identity_match(&real, &anchored), HM_OK);
	assert_int_equal(hm_fulcio_identity_match(&real, &other_issuer), HM_E_VERIFY);
	assert_int_equal(hm_fulcio_identity_match(&real, &incomplete), HM_E_USAGE);
	assert_int_equal(hm_fulcio_identity_match(&real, &badre), HM_E_USAGE);
	/* The attacker's SAN contains the expected text: exact and anchored
	 * refuse it; an unanchored regexp accepts it, exactly as cosign does. */
	assert_int_equal(hm_fulcio_identity_match(&attacker, &exact), HM_E_VERIFY);
	assert_int_equal(hm_fulcio_identity_match(&attacker, &anchored), HM_E_VERIFY);
	assert_int_equal(hm_fulcio_identity_match(&attacker, &loose), HM_OK);
	/* The SAN that matched, for the verdict. */
	assert_string_equal(hm_fulcio_identity_san(&real, &loose), FX_IDENTITY);
	assert_null(hm_fulcio_identity_san(&attacker, &anchored));
	/* cosign's --certificate-github-workflow-repository is claim 5, exact. */
	assert_non_null(real.claims[5]);
	exact.claims[5] = real.claims[5];
	assert_int_equal(hm_fulcio_identity_match(&real, &exact), HM_OK);
	exact.claims[5] = "attacker/repo";
	assert_int_equal(hm_fulcio_identity_match(&real, &exact), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "githubWorkflowRepository"));
	exact.claims[5] = NULL;
	exact.claims[2] = "workflow_dispatch-not";
	assert_int_equal(hm_fulcio_identity_match(&real, &exact), HM_E_VERIFY);
	hm_fulcio_identity_release(&real);
}

static void test_sct(void **state)
{
	const hm_trust_ca *ca;
	X509 *issuer;
	hm_trust_log *saved;
	size_t n;

	assert_int_equal(hm_fulcio_verify(leaf, NULL, 0, c.root, T_SIGNED, &ca), HM_OK);
	issuer = hm_fulcio_issuer(leaf, NULL, 0, ca);
	assert_non_null(issuer);
	assert_int_equal(hm_sct_verify(leaf, issuer, c.root), HM_OK);
	/* The wrong issuer changes the precertificate: refused. */
	assert_int_equal(hm_sct_verify(leaf, ca->certs[ca->n_certs - 1], c.root), HM_E_VERIFY);
	/* No CT log trusted: refused. */
	saved = c.root->ctlogs;
	n = c.root->n_ctlogs;
	c.root->n_ctlogs = 0;
	assert_int_equal(hm_sct_verify(leaf, issuer, c.root), HM_E_VERIFY);
	c.root->n_ctlogs = n;
	/* The CT log's window must contain the SCT time. */
	for (size_t i = 0; i < n; i++)
		saved[i].start += 4000000000LL;
	assert_int_equal(hm_sct_verify(leaf, issuer, c.root), HM_E_VERIFY);
	for (size_t i = 0; i < n; i++)
		saved[i].start -= 4000000000LL;
	/* A certificate without SCTs: the intermediate. */
	assert_int_equal(hm_sct_verify(ca->certs[0], ca->certs[ca->n_certs - 1], c.root), HM_E_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_at_time),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_sct),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
