/* SPDX-License-Identifier: Apache-2.0 */
/* trust/: whether a verified signer is one of the authorities (a key, a
 * keyless identity under its root, claims), the certificate as data, and
 * the authorities a policy's keyless entries become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/error.h"
#include "policy/policy.h"
#include "trust/trust.h"

#define ID "https://github.com/myorg/app/.github/workflows/release.yml@refs/tags/v1.4.0"
#define ISS "https://token.actions.githubusercontent.com"

/* A keyless signer certified as ID by ISS, with a sourceRepositoryDigest
 * (arc 13), under root. */
static void keyless_signer(hm_signer *s, const hm_trustroot *root)
{
	hm_fulcio_identity cert = {0};
	hm_identity_policy p = {.subject = ID, .issuer = ISS};

	*s = (hm_signer)HM_SIGNER_INIT;
	cert.sans = calloc(2, sizeof(char *));
	assert_non_null(cert.sans);
	cert.sans[cert.n_sans++] = strdup("mailto:someone@example.com");
	cert.sans[cert.n_sans++] = strdup(ID);
	cert.issuer = strdup(ISS);
	cert.claims[8] = strdup(ISS);
	cert.claims[13] = strdup("0123abcd");
	hm_signer_set_keyless(s, &cert, &p, root);
	assert_null(cert.sans);
}

static void test_key_match(void **state)
{
	hm_key *a = NULL, *b = NULL;
	hm_signer s = HM_SIGNER_INIT;
	hm_authority auths[2] = {{.kind = HM_AUTH_KEY, .name = "a"}, {.kind = HM_AUTH_KEY, .name = "b"}};

	(void)state;
	assert_int_equal(hm_key_generate(&a, HM_KEY_ECDSA_P256), HM_OK);
	assert_int_equal(hm_key_generate(&b, HM_KEY_ECDSA_P256), HM_OK);
	auths[0].key = a;
	auths[1].key = b;
	s.kind = HM_AUTH_KEY;
	s.key = b;
	assert_int_equal(hm_trust_match(&auths[0], &s), 0);
	assert_int_equal(hm_trust_match(&auths[1], &s), 1);
	assert_int_equal(hm_trust_find(auths, 2, &s), 1);
	assert_int_equal(hm_trust_find(auths, 1, &s), -1);
	/* a keyless signer is never a key, and nothing verified is no one */
	s.kind = HM_AUTH_KEYLESS;
	assert_int_equal(hm_trust_find(auths, 2, &s), -1);
	s.kind = HM_AUTH_NONE;
	assert_int_equal(hm_trust_find(auths, 2, &s), -1);
	hm_key_free(a);
	hm_key_free(b);
}

static void test_keyless_match_and_root(void **state)
{
	hm_trustroot *r1 = NULL, *r2 = NULL;
	hm_signer s;
	hm_authority a = {.kind = HM_AUTH_KEYLESS, .name = "ci", .identity = {.subject = ID, .issuer = ISS}};
	hm_authority key = {.kind = HM_AUTH_KEY, .name = "k"};

	(void)state;
	assert_int_equal(hm_trustroot_builtin(&r1), HM_OK);
	assert_int_equal(hm_trustroot_builtin(&r2), HM_OK);
	keyless_signer(&s, r1);
	assert_string_equal(s.identity, ID);
	a.trustroot = r1;
	assert_int_equal(hm_trust_match(&a, &s), 1);
	assert_int_equal(hm_trust_match(&key, &s), 0);
	/* the same identity under another root is another authority */
	a.trustroot = r2;
	assert_int_equal(hm_trust_match(&a, &s), 0);
	a.trustroot = NULL;
	assert_int_equal(hm_trust_match(&a, &s), 0);
	a.trustroot = r1;
	/* another subject, another issuer, a regexp (unanchored, as cosign) */
	a.identity.subject = ID "x";
	assert_int_equal(hm_trust_match(&a, &s), 0);
	a.identity.subject = NULL;
	a.identity.subject_regexp = "github\\.com/myorg/";
	assert_int_equal(hm_trust_match(&a, &s), 1);
	a.identity.subject_regexp = "^github\\.com/myorg/";
	assert_int_equal(hm_trust_match(&a, &s), 0);
	a.identity.subject_regexp = NULL;
	a.identity.subject = ID;
	a.identity.issuer = "https://accounts.google.com";
	assert_int_equal(hm_trust_match(&a, &s), 0);
	/* an incomplete identity matches nothing (and leaves no error behind) */
	a.identity.issuer = NULL;
	assert_int_equal(hm_trust_match(&a, &s), 0);
	assert_string_equal(hm_error_message(), "");
	hm_signer_release(&s);
	hm_trustroot_free(r1);
	hm_trustroot_free(r2);
}

static void test_claims(void **state)
{
	hm_signer s;
	hm_authority a = {.kind = HM_AUTH_KEYLESS, .name = "ci", .identity = {.subject = ID, .issuer = ISS}};
	cJSON *c;

	(void)state;
	keyless_signer(&s, NULL);
	a.identity.claims[13] = "0123abcd";
	assert_int_equal(hm_trust_match(&a, &s), 1);
	a.identity.claims[13] = "ffff";
	assert_int_equal(hm_trust_match(&a, &s), 0);
	a.identity.claims[13] = NULL;
	a.identity.claims[12] = "https://github.com/myorg/app"; /* a claim the certificate lacks */
	assert_int_equal(hm_trust_match(&a, &s), 0);
	c = hm_signer_certificate_json(&s);
	assert_non_null(c);
	assert_string_equal(cJSON_GetObjectItem(c, "subject")->valuestring, ID);
	assert_string_equal(cJSON_GetObjectItem(c, "issuer")->valuestring, ISS);
	assert_string_equal(cJSON_GetObjectItem(c, "sourceRepositoryDigest")->valuestring, "0123abcd");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "sans")), 2);
	assert_null(cJSON_GetObjectItem(c, "sourceRepositoryURI"));
	cJSON_Delete(c);
	hm_signer_release(&s);
	/* a key signer has no certificate */
	s.kind = HM_AUTH_KEY;
	assert_null(hm_signer_certificate_json(&s));
}

/* A policy's keyless entries become HM_AUTH_KEYLESS authorities; entries
 * naming the same trustedRoot file share one loaded root. */
static void test_policy_authorities(void **state)
{
	const char *y = "apiVersion: hallmark/v1\nkind: Policy\nkeys:\n"
			"  a: { issuer: " ISS ", subject: " ID ", claims: { sourceRepositoryDigest: abc } }\n"
			"  b: { issuerRegExp: token, subjectRegExp: myorg }\n"
			"rules:\n  - { name: r, images: ['*'], require: { signatures: { keys: [a, b], threshold: 2 } } }\n";
	hm_policy *p = NULL;
	hm_strv diags = HM_STRV_INIT;

	(void)state;
	assert_int_equal(hm_policy_load_mem(&p, y, strlen(y), "p.yaml", NULL, &diags), HM_OK);
	assert_int_equal(p->n_keys, 2);
	assert_int_equal(p->keys[0].auth.kind, HM_AUTH_KEYLESS);
	assert_null(p->keys[0].key);
	assert_string_equal(p->keys[0].auth.name, "a");
	assert_string_equal(p->keys[0].auth.identity.subject, ID);
	assert_string_equal(p->keys[0].auth.identity.claims[13], "abc");
	assert_null(p->keys[0].auth.trustroot); /* the built-in root */
	assert_string_equal(p->keys[1].auth.identity.subject_regexp, "myorg");
	assert_int_equal(p->rules[0].sig_keys.threshold, 2);
	hm_policy_free(p);
	hm_strv_free(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_match),
		cmocka_unit_test(test_keyless_match_and_root),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_policy_authorities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
