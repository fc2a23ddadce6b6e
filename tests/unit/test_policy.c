/* SPDX-License-Identifier: Apache-2.0 */
/* policy/policy: loading, defaults, and lint errors with their positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "crypto/key.h"
#include "policy/policy.h"
#include "tests/unit/testdir.h"

static char dir[] = "/tmp/hm-test-policy-XXXXXX";
static char pem[4096];

static int setup(void **state)
{
	hm_key *k = NULL;
	hm_buf b = HM_BUF_INIT;
	char path[256];

	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/k%d.pub", dir, i);
		if (hm_key_generate(&k, HM_KEY_ECDSA_P256) || hm_key_save_public(k, path, 1))
			return -1;
		if (i == 0 && hm_key_public_pem(k, &b) == HM_OK)
			snprintf(pem, sizeof(pem), "%s", hm_buf_cstr(&b));
		hm_key_free(k);
	}
	hm_buf_release(&b);
	return 0;
}

static int teardown(void **state)
{
	return hm_testdir_remove(dir);
}

static int load(hm_policy **p, hm_strv *diags, const char *yaml)
{
	return hm_policy_load_mem(p, yaml, strlen(yaml), "p.yaml", dir, diags);
}

#define HEADER "apiVersion: hallmark/v1\nkind: Policy\n"
#define KEYS "keys:\n  release: {file: k0.pub}\n  security: {file: k1.pub}\n"

static void test_full_policy(void **state)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	const char *yaml =
		HEADER KEYS
		"mutate: digest\n"
		"default: allow\n"
		"rules:\n"
		"  - name: production\n"
		"    images: [\"registry.example.com/prod/**\"]\n"
		"    exclude: [\"registry.example.com/prod/sandbox/**\"]\n"
		"    mode: warn\n"
		"    on_error: allow\n"
		"    require:\n"
		"      digest: true\n"
		"      tags: {deny: [latest, \"*-rc*\"]}\n"
		"      signatures: {keys: [release, security], threshold: 1, annotations: {team: web}}\n"
		"      attestations:\n"
		"        - type: https://slsa.dev/provenance/v1\n"
		"          keys: [release]\n"
		"          where:\n"
		"            - {path: predicate.runDetails.builder.id, equals: \"https://ci.example.com/b\"}\n"
		"      baseImages: {allow: [\"docker.io/library/*\"], pinned: true}\n"
		"  - name: everything else\n"
		"    images: [\"**\"]\n"
		"    deny: not from an approved registry\n";
	int err = load(&p, &diags, yaml);

	if (err)
		fail_msg("%s / %s", hm_error_message(), diags.n ? diags.v[0] : "");
	assert_int_equal(p->n_keys, 2);
	assert_int_equal(p->n_rules, 2);
	assert_true(p->default_allow);
	assert_true(p->mutate_digest);
	assert_int_equal(p->rules[0].mode, HM_MODE_WARN);
	assert_true(p->rules[0].on_error_allow);
	assert_true(p->rules[0].digest);
	assert_int_equal(p->rules[0].n_deny_tags, 2);
	assert_int_equal(p->rules[0].sig_keys.n, 2);
	assert_int_equal(p->rules[0].sig_keys.threshold, 1);
	assert_string_equal(p->rules[0].annotations[0], "team=web");
	assert_int_equal(p->rules[0].n_attestations, 1);
	assert_int_equal(p->rules[0].attestations[0].keys.threshold, 1);
	assert_non_null(p->rules[0].attestations[0].where);
	assert_true(p->rules[0].base_pinned);
	assert_string_equal(p->rules[1].deny, "not from an approved registry");
	assert_int_equal(hm_policy_match(p, "registry.example.com/prod/app", "v1", NULL), 0);
	assert_int_equal(hm_policy_match(p, "registry.example.com/prod/sandbox/x", "v1", NULL), 1);
	assert_int_equal(hm_policy_match(p, "docker.io/library/nginx", "latest", NULL), 1);
	hm_policy_free(p);
	hm_strv_free(&diags);
}

static void test_defaults_and_inline_pem(void **state)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	hm_buf y = HM_BUF_INIT;

	hm_buf_addstr(&y, HEADER "keys:\n  inline:\n    pem: |\n");
	for (const char *l = pem; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		hm_buf_addf(&y, "      %.*s\n", (int)n, l);
		l += n + (nl != NULL);
	}
	hm_buf_addstr(&y, "rules:\n  - name: r\n    images: [nginx]\n    require:\n"
			  "      signatures: {keys: [inline]}\n");
	if (load(&p, &diags, hm_buf_cstr(&y)))
		fail_msg("%s / %s", hm_error_message(), diags.n ? diags.v[0] : "");
	assert_false(p->default_allow);
	assert_false(p->mutate_digest);
	assert_int_equal(p->rules[0].mode, HM_MODE_ENFORCE);
	assert_false(p->rules[0].on_error_allow);
	/* threshold defaults to every key listed */
	assert_int_equal(p->rules[0].sig_keys.threshold, 1);
	assert_string_equal(p->rules[0].images[0].name, "docker.io/library/nginx");
	hm_policy_free(p);
	hm_strv_free(&diags);
	hm_buf_release(&y);
}

/* Loads yaml, expects failure with a diagnostic containing each of want. */
static void lint(const char *yaml, const char *const *want)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;

	assert_int_equal(load(&p, &diags, yaml), HM_E_IO);
	assert_null(p);
	for (; *want; want++) {
		size_t i;

		for (i = 0; i < diags.n; i++)
			if (strstr(diags.v[i], *want))
				break;
		if (i == diags.n) {
			for (i = 0; i < diags.n; i++)
				fprintf(stderr, "  got: %s\n", diags.v[i]);
			fail_msg("no diagnostic with '%s'", *want);
		}
	}
	hm_strv_free(&diags);
}

static void test_lint_reports_every_error(void **state)
{
	/* the policy starts on line 6, after the header and the keys */
	const char *yaml = HEADER KEYS
		"colour: blue\n"
		"default: maybe\n"
		"rules:\n"
		"  - name: a\n"
		"    images: [\"registry.example.com/X\"]\n"
		"    mode: enforcing\n"
		"    require:\n"
		"      digest: yes\n"
		"      signatures: {keys: [release, ops], threshold: 3}\n"
		"      attestations:\n"
		"        - type: https://slsa.dev/provenance/v1\n"
		"          keys: [release]\n"
		"          where: [{path: a, regex: \"[\"}]\n"
		"      sbom: true\n"
		"  - images: \"**\"\n";
	const char *want[] = {
		"p.yaml:6:1: unknown key 'colour' in the policy",
		"p.yaml:7:10: 'default' in the policy must be deny | allow, not 'maybe'",
		"p.yaml:10:14: invalid image pattern 'registry.example.com/X': repository must be lowercase",
		"p.yaml:11:11: 'mode' in rule 'a' must be enforce | warn | audit, not 'enforcing'",
		"p.yaml:13:15: 'digest' in 'require' of rule 'a' must be true or false, not a string",
		"p.yaml:14:36: unknown key name 'ops' in 'signatures' (defined: release, security)",
		"p.yaml:14:53: 'threshold' in 'signatures' is 3 but only 2 keys are listed",
		"p.yaml:18:36: invalid regex '['",
		"p.yaml:19:7: unknown key 'sbom'",
		"p.yaml:20:5: rule 2 needs a 'name'",
		"p.yaml:20:13: 'images' in rule 2 must be a list of strings, not a string",
		NULL,
	};

	lint(yaml, want);
}

static void test_lint_keys(void **state)
{
	const char *missing[] = {"p.yaml:4:16: key 'gone': ", "nope.pub", NULL};
	const char *both[] = {"p.yaml:4:3: key 'k' needs exactly one of 'file' or 'pem'", NULL};
	const char *badpem[] = {"p.yaml:4:12: key 'k': ", NULL};
	const char *header[] = {"p.yaml:1:13: unsupported apiVersion", "p.yaml:2:7: unsupported kind",
				"the policy has no 'rules'", NULL};
	const char *base[] = {"'baseImages' reads the provenance", NULL};
	const char *twice[] = {"key 'release' is listed twice", "two rules are named 'r'", NULL};
	const char *deny_req[] = {"refuses with 'deny' and so takes no 'require'", NULL};

	lint(HEADER "keys:\n  gone: {file: nope.pub}\nrules: [{name: r, images: [x]}]\n", missing);
	lint(HEADER "keys:\n  k: {file: k0.pub, pem: x}\nrules: [{name: r, images: [x]}]\n", both);
	lint(HEADER "keys:\n  k: {pem: \"not a key\"}\nrules: [{name: r, images: [x]}]\n", badpem);
	lint("apiVersion: hallmark/v2\nkind: Poliy\n", header);
	lint(HEADER KEYS "rules:\n  - name: r\n    images: [x]\n    require:\n      baseImages: {pinned: true}\n", base);
	lint(HEADER KEYS "rules:\n  - {name: r, images: [x], require: {signatures: {keys: [release, release]}}}\n"
			 "  - {name: r, images: [y]}\n",
	     twice);
	lint(HEADER "rules:\n  - {name: r, images: [x], deny: no, require: {digest: true}}\n", deny_req);
}

/* require.vsa: loaded, and every field linted. */
static void test_vsa_requirement(void **state)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	const char *bad[] = {
		"p.yaml:7:51: unknown key name 'ops' in 'vsa'",
		"p.yaml:7:71: 'policyDigest' in 'vsa' must be sha256:<64 hex digits>, not 'md5:12'",
		"p.yaml:7:89: 'maxAge' in 'vsa' needs a duration such as 30d, 12h or 90m, not 'soon'",
		"p.yaml:7:107: 'verifierId' in 'vsa' must be a non-empty string",
		"p.yaml:7:111: unknown key 'level' in 'vsa'",
		NULL,
	};
	const char *no_keys[] = {"'keys'", NULL};

	assert_int_equal(load(&p, &diags,
			      HEADER KEYS "rules:\n  - name: r\n    images: [x]\n    require:\n      vsa: {keys: [security], "
					  "policyDigest: \"sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
					  "\", maxAge: 1d, verifierId: \"https://ci/v\"}\n"),
			 HM_OK);
	assert_non_null(p->rules[0].vsa);
	assert_int_equal(p->rules[0].vsa->keys.n, 1);
	assert_int_equal(p->rules[0].vsa->keys.threshold, 1);
	assert_int_equal(p->rules[0].vsa->max_age, 86400);
	assert_string_equal(p->rules[0].vsa->verifier_id, "https://ci/v");
	assert_string_equal(p->rules[0].vsa->policy_digest,
			    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	hm_policy_free(p);
	hm_strv_free(&diags);
	lint(HEADER KEYS "rules:\n  - {name: r, images: [x], require: {vsa: {keys: [ops], policyDigest: \"md5:12\", "
			 "maxAge: soon, verifierId: \"\", level: 3}}}\n",
	     bad);
	lint(HEADER KEYS "rules:\n  - {name: r, images: [x], require: {vsa: {maxAge: 1d}}}\n", no_keys);
}

/* The same public key under two names counts once: a threshold that needs
 * both (explicitly, or by default every key listed) can never be met. */
static void test_lint_threshold_counts_distinct_keys(void **state)
{
	const char *explicit_th[] = {"p.yaml:7:85: 'threshold' in 'signatures' is 2 but the keys listed are only 1 "
				     "distinct key ('release' and 'copy' are the same key)", NULL};
	const char *default_th[] = {"keys 'release' and 'copy' in 'signatures' are the same key, so the default "
				    "threshold (every key listed: 2) cannot be met", NULL};
	const char *in_att[] = {"'threshold' in an attestation requirement is 3 but the keys listed are only 2 distinct keys", NULL};
	hm_policy *p = NULL;
	hm_strv diags = HM_STRV_INIT;
	char yaml[8192], esc[4096];
	size_t e = 0;

	/* k0.pub is release; the same file under another name */
	lint(HEADER "keys:\n  release: {file: k0.pub}\n  copy: {file: k0.pub}\n"
	     "rules:\n  - {name: r, images: [x], require: {signatures: {keys: [release, copy], threshold: 2}}}\n",
	     explicit_th);
	lint(HEADER "keys:\n  release: {file: k0.pub}\n  copy: {file: k0.pub}\n"
	     "rules:\n  - {name: r, images: [x], require: {signatures: {keys: [release, copy]}}}\n",
	     default_th);
	/* the same key written as a file and inline */
	for (const char *c = pem; *c && e + 3 < sizeof(esc); c++) {
		if (*c == '\n') {
			esc[e++] = '\\';
			esc[e++] = 'n';
		} else {
			esc[e++] = *c;
		}
	}
	esc[e] = '\0';
	snprintf(yaml, sizeof(yaml), HEADER "keys:\n  release: {file: k0.pub}\n  security: {file: k1.pub}\n"
		 "  inline: {pem: \"%s\"}\nrules:\n  - name: r\n    images: [x]\n    require:\n      attestations:\n"
		 "        - {type: spdx, keys: [release, security, inline], threshold: 3}\n", esc);
	lint(yaml, in_att);
	/* distinct keys, or a threshold the distinct keys can meet, are fine */
	assert_int_equal(load(&p, &diags, HEADER "keys:\n  release: {file: k0.pub}\n  copy: {file: k0.pub}\n"
			      "  security: {file: k1.pub}\nrules:\n  - {name: r, images: [x], require: {signatures: "
			      "{keys: [release, copy, security], threshold: 2}}}\n"), HM_OK);
	hm_policy_free(p);
	hm_strv_free(&diags);
}

static void test_lint_syntax_and_documents(void **state)
{
	const char *syntax[] = {"p.yaml:4:1:", NULL};
	const char *dup[] = {"p.yaml:3:1: duplicate key 'kind'", NULL};
	const char *two[] = {"exactly one document", NULL};
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;

	lint(HEADER "rules: [\n", syntax);
	lint(HEADER "kind: Policy\n", dup);
	lint(HEADER "rules: [{name: r, images: [x]}]\n---\n" HEADER, two);
	assert_int_equal(hm_policy_load(&p, "/nonexistent/policy.yaml", &diags), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "/nonexistent/policy.yaml"));
	hm_strv_free(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_policy),
		cmocka_unit_test(test_defaults_and_inline_pem),
		cmocka_unit_test(test_lint_reports_every_error),
		cmocka_unit_test(test_lint_keys),
		cmocka_unit_test(test_lint_threshold_counts_distinct_keys),
		cmocka_unit_test(test_vsa_requirement),
		cmocka_unit_test(test_lint_syntax_and_documents),
	};

	return cmocka_run_group_tests_name("policy", tests, setup, teardown);
}
