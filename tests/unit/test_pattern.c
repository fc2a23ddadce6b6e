/* SPDX-License-Identifier: Apache-2.0 */
/* policy/pattern: normalisation, segment wildcards, tags and digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "oci/ref.h"
#include "policy/pattern.h"

#define D1 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int m(const char *pat, const char *name, const char *tag, const char *digest)
{
	hm_pattern p;
	int r;

	assert_int_equal(hm_pattern_parse(&p, pat), HM_OK);
	r = hm_pattern_match(&p, name, tag, digest);
	hm_pattern_free(&p);
	return r;
}

static void test_normalise(void **state)
{
	const char *cases[][2] = {
		{"nginx", "docker.io/library/nginx"},
		{"bitnami/redis", "docker.io/bitnami/redis"},
		{"docker.io/nginx", "docker.io/library/nginx"},
		{"index.docker.io/x/y", "docker.io/x/y"},
		{"localhost/a", "localhost/a"},
		{"localhost:5000/a/b", "localhost:5000/a/b"},
		{"ghcr.io/o/r", "ghcr.io/o/r"},
		{"**", "**"},
		{"*/prod/**", "*/prod/**"},
		{"**/alpine", "**/alpine"},
		{"nginx*", "docker.io/library/nginx*"},
		/* every spelling of a registry, as references are normalised */
		{"REGISTRY.Example.COM/prod/**", "registry.example.com/prod/**"},
		{"registry.example.com:443/prod/**", "registry.example.com/prod/**"},
		{"registry-1.docker.io/library/**", "docker.io/library/**"},
		{"registry.hub.docker.com/alpine", "docker.io/library/alpine"},
		{"Index.Docker.IO:443/alpine", "docker.io/library/alpine"},
		{"*.Example.com:443/**", "*.example.com/**"},
		{"localhost:80/a", "localhost/a"},
		{"localhost:443/a", "localhost:443/a"},
		{"[0:0::1]:5000/a", "[::1]:5000/a"},
		{"[2001:DB8:0:0::1]/a", "[2001:db8::1]/a"},
		{"registry.example.com:5*/**", "registry.example.com:5*/**"},
		{"localhost:5*/**", "localhost:5*/**"},
		/* "docker.io/" + "**" is all of Docker Hub, not only library/ */
		{"docker.io/**", "docker.io/**"},
		{"docker.io/*", "docker.io/library/*"},
		/* a dotless host keeps :443, as references do */
		{"*:443/**", "*:443/**"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		hm_pattern p;

		if (hm_pattern_parse(&p, cases[i][0]) != HM_OK)
			fail_msg("'%s' refused: %s", cases[i][0], hm_error_message());
		if (strcmp(p.name, cases[i][1]))
			fail_msg("'%s': got '%s', want '%s'", cases[i][0], p.name, cases[i][1]);
		hm_pattern_free(&p);
	}
}

/* A rule naming one spelling of a registry meets every other spelling:
 * the pattern and the reference go through one normalisation. */
static void test_spellings_meet(void **state)
{
	const char *refs[] = {"alpine", "docker.io/alpine", "docker.io/library/alpine", "index.docker.io/library/alpine",
			      "registry-1.docker.io/library/alpine", "DOCKER.IO/alpine", "docker.io:443/alpine",
			      "Registry-1.Docker.IO:443/library/alpine:3.19", "registry.hub.docker.com/alpine"};
	const char *pats[] = {"docker.io/library/**", "alpine", "registry-1.docker.io/alpine", "INDEX.docker.io/library/*",
			      "docker.io/**", "**/alpine", "*/library/alpine"};

	for (size_t i = 0; i < sizeof(refs) / sizeof(*refs); i++) {
		hm_ref r;
		char *name;

		assert_int_equal(hm_ref_parse(&r, refs[i]), HM_OK);
		name = hm_ref_name(&r);
		for (size_t j = 0; j < sizeof(pats) / sizeof(*pats); j++)
			if (!m(pats[j], name, r.tag, r.digest))
				fail_msg("'%s' (%s) escapes the pattern '%s'", refs[i], name, pats[j]);
		free(name);
		hm_ref_free(&r);
	}
	{
		const char *spell[] = {"REGISTRY.example.com/prod/app", "registry.example.com:443/prod/app",
				       "Registry.Example.Com:443/prod/app:v1"};
		const char *pat[] = {"registry.example.com/prod/**", "REGISTRY.EXAMPLE.COM:443/prod/app"};

		for (size_t i = 0; i < sizeof(spell) / sizeof(*spell); i++) {
			hm_ref r;
			char *name;

			assert_int_equal(hm_ref_parse(&r, spell[i]), HM_OK);
			name = hm_ref_name(&r);
			for (size_t j = 0; j < sizeof(pat) / sizeof(*pat); j++)
				if (!m(pat[j], name, r.tag, r.digest))
					fail_msg("'%s' (%s) escapes the pattern '%s'", spell[i], name, pat[j]);
			free(name);
			hm_ref_free(&r);
		}
	}
	/* a wildcard host does not cross '/' */
	assert_false(m("*.example.com/**", "evil.com/a.example.com/x", "v", NULL));
}

static void test_segments(void **state)
{
	assert_true(m("registry.example.com/prod/**", "registry.example.com/prod/a", "v1", NULL));
	assert_true(m("registry.example.com/prod/**", "registry.example.com/prod/a/b/c", NULL, D1));
	assert_false(m("registry.example.com/prod/**", "registry.example.com/prod", "v1", NULL));
	assert_false(m("registry.example.com/prod/**", "registry.example.com/production/a", "v1", NULL));
	assert_true(m("registry.example.com/*/app", "registry.example.com/team/app", "v1", NULL));
	assert_false(m("registry.example.com/*/app", "registry.example.com/a/b/app", "v1", NULL));
	assert_true(m("registry.example.com/**/app", "registry.example.com/a/b/app", "v1", NULL));
	assert_true(m("registry.example.com/ap?", "registry.example.com/app", "v1", NULL));
	assert_false(m("registry.example.com/ap?", "registry.example.com/ap/", "v1", NULL));
	assert_true(m("nginx", "docker.io/library/nginx", "latest", NULL));
	assert_false(m("nginx", "docker.io/library/nginx2", "latest", NULL));
	assert_true(m("**", "ghcr.io/a/b", "x", NULL));
	assert_true(m("*/prod/**", "ghcr.io/prod/x", "x", NULL));
	assert_false(m("*.example.com/**", "evil.com/x", "x", NULL));
	assert_true(m("*.example.com/**", "r.example.com/x", "x", NULL));
	/* a wildcard does not widen the registry into a suffix match */
	assert_false(m("example.com/**", "example.com.evil.net/x", "x", NULL));
}

static void test_tags_and_digests(void **state)
{
	assert_true(m("nginx:1.*", "docker.io/library/nginx", "1.25", NULL));
	assert_false(m("nginx:1.*", "docker.io/library/nginx", "2.0", NULL));
	assert_false(m("nginx:1.*", "docker.io/library/nginx", NULL, D1));
	assert_true(m("nginx@" D1, "docker.io/library/nginx", "1.25", D1));
	assert_false(m("nginx@" D1, "docker.io/library/nginx", "1.25", D2));
	assert_false(m("nginx@" D1, "docker.io/library/nginx", "1.25", NULL));
	assert_true(m("localhost:5000/app", "localhost:5000/app", "v1", NULL));
	assert_true(m("localhost:5000/app:v*", "localhost:5000/app", "v1", NULL));
	/* "app:trusted@sha256:..." : the digest runs, the tag chooses nothing */
	assert_false(m("registry.example.com/app:trusted", "registry.example.com/app", "trusted", D1));
	assert_false(m("registry.example.com/app:*", "registry.example.com/app", "trusted", D1));
	assert_true(m("registry.example.com/app", "registry.example.com/app", "trusted", D1));
}

static void test_invalid(void **state)
{
	const char *bad[] = {"", "Nginx", "a//b", "a/", "nginx:", "nginx@sha256:12", "a b", "a/***",
			     "nginx:t@g",
			     /* a tag beside a digest would never be checked */
			     "nginx:v1@" D1,
			     /* hosts: one spelling each, or refused */
			     "registry.example.com./prod/**", "registry.example.com:0443/**", "127.1/**",
			     "0x7f.0.0.1:5000/**", "docker.io:5000/**", "**.example.com/**", "[::1/**",
			     "registry.example.com/Prod/**", "docker.io/a**",
			     /* folded to "registry.example.*" it would match every port */
			     "registry.example.*:443/**",
			     /* "host:*" would miss "host", which is how host:443 is spelled */
			     "registry.example.com:*/**", "registry.example.com:4?3/**", "localhost:*/**"};
	hm_pattern p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (hm_pattern_parse(&p, bad[i]) != HM_E_USAGE)
			fail_msg("pattern '%s' was accepted", bad[i]);
		assert_non_null(strstr(hm_error_message(), "invalid image pattern"));
	}
}

static void test_glob(void **state)
{
	char big[4001];

	assert_true(hm_glob_match("refs/tags/v*", "refs/tags/v1.2.3", 0));
	assert_false(hm_glob_match("refs/tags/v*", "refs/heads/main", 0));
	assert_true(hm_glob_match("a?c", "abc", 0));
	assert_true(hm_glob_match("*", "", 0));
	assert_false(hm_glob_match("?", "", 0));
	/* no exponential backtracking */
	memset(big, 'a', 4000);
	big[4000] = '\0';
	assert_false(hm_glob_match("*a*a*a*a*a*a*a*a*a*a*a*b", big, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_spellings_meet),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_tags_and_digests),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_glob),
	};

	return cmocka_run_group_tests_name("pattern", tests, NULL, NULL);
}
