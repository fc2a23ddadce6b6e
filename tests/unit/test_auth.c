/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials, WWW-Authenticate, tokens, Link headers: no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/error.h"
#include "oci/auth.h"
#include "oci/http.h"
#include "oci/store_impl.h"
#include "tests/unit/testdir.h"

__attribute__((weak)) int hm_layout_open(hm_store **out, const hm_ref *ref, int create)
{
	(void)ref;
	(void)create;
	*out = NULL;
	return hm_error_set(HM_E_IO, "layout store not built");
}

static char tmpdir[64];

static int parse(hm_auth_cred *c, char **helper, const char *json, const char *registry)
{
	return hm_auth_config_parse(c, helper, json, strlen(json), registry, "config.json");
}

static void test_config_auths(void **state)
{
	hm_auth_cred c = HM_AUTH_CRED_INIT;
	char *helper = NULL;
	/* "alice:se:cret" */
	const char *cfg = "{\"auths\":{\"reg.example\":{\"auth\":\"YWxpY2U6c2U6Y3JldA==\"},"
			  "\"https://index.docker.io/v1/\":{\"username\":\"bob\",\"password\":\"pw\"},"
			  "\"http://other.example:5000/v2/\":{\"identitytoken\":\"refresh\"}}}";

	assert_int_equal(parse(&c, &helper, cfg, "reg.example"), HM_OK);
	assert_null(helper);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "se:cret");
	hm_auth_cred_free(&c);

	assert_int_equal(parse(&c, &helper, cfg, "docker.io"), HM_OK);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "pw");
	hm_auth_cred_free(&c);

	assert_int_equal(parse(&c, &helper, cfg, "other.example:5000"), HM_OK);
	assert_string_equal(c.identity_token, "refresh");
	assert_null(c.password);
	hm_auth_cred_free(&c);

	assert_int_equal(parse(&c, &helper, cfg, "unknown.example"), HM_OK);
	assert_null(c.username);
	assert_null(helper);
	/* no partial host matches */
	assert_int_equal(parse(&c, &helper, cfg, "reg.example:443"), HM_OK);
	assert_null(c.username);
}

static void test_config_helpers(void **state)
{
	hm_auth_cred c = HM_AUTH_CRED_INIT;
	char *helper = NULL;
	const char *cfg = "{\"auths\":{\"a.example\":{\"auth\":\"dTpw\"},\"b.example\":{}},"
			  "\"credHelpers\":{\"a.example\":\"ecr-login\"},\"credsStore\":\"desktop\"}";

	/* credHelpers wins over auths */
	assert_int_equal(parse(&c, &helper, cfg, "a.example"), HM_OK);
	assert_string_equal(helper, "ecr-login");
	assert_null(c.username);
	free(helper);
	/* an empty auths entry falls through to the store */
	assert_int_equal(parse(&c, &helper, cfg, "b.example"), HM_OK);
	assert_string_equal(helper, "desktop");
	free(helper);
}

static void test_config_bad(void **state)
{
	hm_auth_cred c = HM_AUTH_CRED_INIT;
	char *helper = NULL;

	assert_int_equal(parse(&c, &helper, "{\"auths\":{\"r\":{\"auth\":\"!!!\"}}}", "r"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "not base64"));
	/* base64 of "nocolon" */
	assert_int_equal(parse(&c, &helper, "{\"auths\":{\"r\":{\"auth\":\"bm9jb2xvbg==\"}}}", "r"), HM_E_IO);
	assert_int_equal(parse(&c, &helper, "[1]", "r"), HM_E_IO);
	assert_int_equal(parse(&c, &helper, "{\"auths\":", "r"), HM_E_IO);
	assert_null(c.username);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_helper(void **state)
{
	hm_auth_cred c = HM_AUTH_CRED_INIT;
	char path[256], cfg[256], newpath[4096];
	const char *old = getenv("PATH");

	snprintf(path, sizeof(path), "%s/docker-credential-fake", tmpdir);
	write_file(path,
		   "#!/bin/sh\nread server\n"
		   "case \"$server\" in\n"
		   "  reg.example) echo '{\"ServerURL\":\"reg.example\",\"Username\":\"carol\",\"Secret\":\"s3\"}';;\n"
		   "  tok.example) echo '{\"Username\":\"<token>\",\"Secret\":\"idtok\"}';;\n"
		   "  *) echo 'credentials not found in native keychain'; exit 1;;\n"
		   "esac\n",
		   0755);
	snprintf(newpath, sizeof(newpath), "%s:%s", tmpdir, old ? old : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	snprintf(cfg, sizeof(cfg), "%s/config.json", tmpdir);
	write_file(cfg, "{\"credsStore\":\"fake\",\"credHelpers\":{\"x.example\":\"missing-helper\"}}", 0600);

	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", cfg, 0), HM_OK);
	assert_string_equal(c.username, "carol");
	assert_string_equal(c.password, "s3");
	hm_auth_cred_free(&c);
	assert_int_equal(hm_auth_cred_lookup(&c, "tok.example", cfg, 0), HM_OK);
	assert_string_equal(c.identity_token, "idtok");
	hm_auth_cred_free(&c);
	assert_int_equal(hm_auth_cred_lookup(&c, "none.example", cfg, 0), HM_OK);
	assert_null(c.username);
	assert_int_equal(hm_auth_cred_lookup(&c, "x.example", cfg, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "'docker-credential-missing-helper' not found"));

	/* a file named explicitly (--registry-config) must be there */
	snprintf(cfg, sizeof(cfg), "%s/absent.json", tmpdir);
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", cfg, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "absent.json"));
	assert_null(c.username);
	if (old)
		setenv("PATH", old, 1);
}

/* "user:password" in an auths entry for host, base64 as docker writes it. */
static void write_auths(const char *path, const char *host, const char *b64)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}", host, b64);
	write_file(path, text, 0600);
}

/* The search without --registry-config: $REGISTRY_AUTH_FILE, docker's
 * file, $XDG_RUNTIME_DIR/containers/auth.json, then
 * $XDG_CONFIG_HOME/containers/auth.json (~/.config/...); the first file
 * that knows the registry wins, missing files are skipped. */
static void test_search_order(void **state)
{
	static const char *const vars[] = {"HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR",
					   "XDG_CONFIG_HOME"};
	char *saved[5];
	char home[256], run[256], p[1024];
	hm_auth_cred c = HM_AUTH_CRED_INIT;

	for (size_t i = 0; i < 5; i++) {
		const char *v = getenv(vars[i]);

		saved[i] = v ? strdup(v) : NULL;
		unsetenv(vars[i]);
	}
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	snprintf(p, sizeof(p), "mkdir -p %s/.docker %s/.config/containers %s/containers", home, home, run);
	assert_int_equal(system(p), 0);
	setenv("HOME", home, 1);

	/* nothing anywhere: anonymous */
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_null(c.username);

	/* ~/.config/containers/auth.json (podman's, read-only one) */
	snprintf(p, sizeof(p), "%s/.config/containers/auth.json", home);
	write_auths(p, "reg.example", "Y2ZnOnB3"); /* cfg:pw */
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "cfg");
	hm_auth_cred_free(&c);

	/* $XDG_RUNTIME_DIR/containers/auth.json comes before it */
	setenv("XDG_RUNTIME_DIR", run, 1);
	snprintf(p, sizeof(p), "%s/containers/auth.json", run);
	write_auths(p, "reg.example", "cnVuOnB3"); /* run:pw */
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "run");
	hm_auth_cred_free(&c);

	/* docker's file before podman's, but only when it knows the registry */
	snprintf(p, sizeof(p), "%s/.docker/config.json", home);
	write_auths(p, "other.example", "ZG9jOnB3"); /* doc:pw */
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "run");
	hm_auth_cred_free(&c);
	write_auths(p, "reg.example", "ZG9jOnB3");
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "doc");
	hm_auth_cred_free(&c);

	/* $REGISTRY_AUTH_FILE first of all; when missing, skipped */
	snprintf(p, sizeof(p), "%s/env.json", tmpdir);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "doc");
	hm_auth_cred_free(&c);
	write_auths(p, "reg.example", "ZW52OnB3"); /* env:pw */
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_OK);
	assert_string_equal(c.username, "env");
	hm_auth_cred_free(&c);

	/* an explicit file alone: the others are not searched */
	snprintf(p, sizeof(p), "%s/only.json", tmpdir);
	write_auths(p, "other.example", "eDp5");
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", p, 0), HM_OK);
	assert_null(c.username);

	/* a malformed file on the way is an error, not skipped */
	snprintf(p, sizeof(p), "%s/env.json", tmpdir);
	write_file(p, "{not json", 0600);
	assert_int_equal(hm_auth_cred_lookup(&c, "reg.example", NULL, 0), HM_E_IO);

	for (size_t i = 0; i < 5; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
}

static void test_challenge(void **state)
{
	hm_auth_challenge c = HM_AUTH_CHALLENGE_INIT;

	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"https://auth.docker.io/token\","
						     "service=\"registry.docker.io\",scope=\"repository:library/alpine:pull\""),
			 HM_OK);
	assert_string_equal(c.scheme, "bearer");
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/alpine:pull");
	hm_auth_challenge_free(&c);

	/* spaces, case, escapes, tokens, unknown params, another challenge after */
	assert_int_equal(hm_auth_challenge_parse(&c, "  BEARER  Realm = \"https://a/t\\\"q\" , foo=bar,"
						     "service=svc ,error=\"insufficient_scope\", Basic realm=\"x\""),
			 HM_OK);
	assert_string_equal(c.scheme, "bearer");
	assert_string_equal(c.realm, "https://a/t\"q");
	assert_string_equal(c.service, "svc");
	assert_string_equal(c.error, "insufficient_scope");
	assert_null(c.scope);
	hm_auth_challenge_free(&c);

	assert_int_equal(hm_auth_challenge_parse(&c, "Basic realm=\"Registry Realm\""), HM_OK);
	assert_string_equal(c.scheme, "basic");
	assert_string_equal(c.realm, "Registry Realm");
	hm_auth_challenge_free(&c);

	assert_int_equal(hm_auth_challenge_parse(&c, "Basic"), HM_OK);
	hm_auth_challenge_free(&c);

	assert_int_equal(hm_auth_challenge_parse(&c, ""), HM_E_IO);
	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"unterminated"), HM_E_IO);
	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"x\\"), HM_E_IO);
	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"a\" junk"), HM_E_IO);
	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer =x"), HM_E_IO);
	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"a\nb\""), HM_E_IO);
	assert_null(c.realm);
}

static void test_token_url_and_parse(void **state)
{
	hm_auth_challenge c = HM_AUTH_CHALLENGE_INIT;
	hm_buf u = HM_BUF_INIT;
	char *tok = NULL;

	assert_int_equal(hm_auth_challenge_parse(&c, "Bearer realm=\"https://a/token?x=1\",service=\"reg svc\","
						     "scope=\"repository:other/repo:pull\""),
			 HM_OK);
	assert_int_equal(hm_auth_token_url(&u, &c, "team/app", 1), HM_OK);
	assert_string_equal(u.data, "https://a/token?x=1&service=reg%20svc&scope=repository%3Ateam%2Fapp%3Apull%2Cpush"
				    "&scope=repository%3Aother%2Frepo%3Apull");
	hm_buf_reset(&u);
	assert_int_equal(hm_auth_token_form(&u, &c, "team/app", 0, "r&t"), HM_OK);
	assert_non_null(strstr(u.data, "grant_type=refresh_token"));
	assert_non_null(strstr(u.data, "refresh_token=r%26t"));
	hm_auth_challenge_free(&c);
	hm_buf_reset(&u);
	assert_int_equal(hm_auth_token_url(&u, &c, "x", 0), HM_E_IO); /* no realm */

	assert_int_equal(hm_auth_token_parse(&tok, "{\"token\":\"abc\"}", 15), HM_OK);
	assert_string_equal(tok, "abc");
	free(tok);
	assert_int_equal(hm_auth_token_parse(&tok, "{\"access_token\":\"def\",\"expires_in\":60}", 38), HM_OK);
	assert_string_equal(tok, "def");
	free(tok);
	assert_int_equal(hm_auth_token_parse(&tok, "{\"token\":\"a\\r\\nX-Evil: 1\"}", 26), HM_E_IO);
	assert_int_equal(hm_auth_token_parse(&tok, "{}", 2), HM_E_IO);
	assert_int_equal(hm_auth_token_parse(&tok, "nope", 4), HM_E_IO);
	assert_null(tok);

	{
		hm_auth_cred cr = {"alice", "secret", NULL};
		hm_buf_reset(&u);
		assert_int_equal(hm_auth_basic(&u, &cr), HM_OK);
		assert_string_equal(u.data, "Basic YWxpY2U6c2VjcmV0");
	}
	hm_buf_release(&u);
}

static void test_link(void **state)
{
	char *u = NULL;

	assert_int_equal(hm_http_link_next(&u, "</v2/x/tags/list?last=b&n=2>; rel=\"next\""), HM_OK);
	assert_string_equal(u, "/v2/x/tags/list?last=b&n=2");
	free(u);
	assert_int_equal(hm_http_link_next(&u, "<https://a/prev>; rel=prev, <https://a/n,1>;type=\"x\"; REL=\"last next\""),
			 HM_OK);
	assert_string_equal(u, "https://a/n,1");
	free(u);
	assert_int_equal(hm_http_link_next(&u, "<https://a/prev>; rel=prev"), HM_OK);
	assert_null(u);
	assert_int_equal(hm_http_link_next(&u, ""), HM_OK);
	assert_null(u);
	assert_int_equal(hm_http_link_next(&u, "https://a; rel=next"), HM_E_IO);
	assert_int_equal(hm_http_link_next(&u, "<https://a; rel=next"), HM_E_IO);
	assert_int_equal(hm_http_link_next(&u, "<a>; rel=\"next"), HM_E_IO);
	assert_int_equal(hm_http_link_next(&u, "<>; rel=next"), HM_E_IO);
	assert_null(u);
}

static void test_loopback(void **state)
{
	assert_true(hm_http_is_loopback("localhost"));
	assert_true(hm_http_is_loopback("localhost:5000"));
	assert_true(hm_http_is_loopback("127.0.0.1:5000"));
	assert_true(hm_http_is_loopback("127.8.9.10"));
	assert_true(hm_http_is_loopback("[::1]:5000"));
	assert_true(hm_http_is_loopback("::1"));
	assert_false(hm_http_is_loopback("localhost.evil.example"));
	assert_false(hm_http_is_loopback("127.0.0.1.evil.example"));
	assert_false(hm_http_is_loopback("10.0.0.1:5000"));
	assert_false(hm_http_is_loopback("[::2]:5000"));
	assert_false(hm_http_is_loopback("docker.io"));
	assert_false(hm_http_is_loopback(""));
}

/* Credentials go to the realm a registry names, but over plain HTTP only
 * when that registry itself was allowed plain HTTP. */
static void test_realm_rules(void **state)
{
	assert_int_equal(hm_http_realm_check("https://registry-1.docker.io", "https://auth.docker.io/token"), HM_OK);
	assert_int_equal(hm_http_realm_check("http://127.0.0.1:5000", "http://127.0.0.1:5001/token"), HM_OK);
	assert_int_equal(hm_http_realm_check("http://127.0.0.1:5000", "HTTPS://auth.example/token"), HM_OK);
	/* a secure registry naming a plain-HTTP realm, even on loopback */
	assert_int_equal(hm_http_realm_check("https://reg.example", "http://127.0.0.1:9/token"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "over plain HTTP"));
	assert_int_equal(hm_http_realm_check("https://reg.example", "http://auth.example/token"), HM_E_IO);
	assert_int_equal(hm_http_realm_check("https://reg.example", "ftp://auth.example/token"), HM_E_IO);
	assert_int_equal(hm_http_realm_check("http://127.0.0.1:5000", "file:///etc/passwd"), HM_E_IO);
	assert_int_equal(hm_http_realm_check("https://reg.example", "httpx://auth.example/"), HM_E_IO);
	assert_int_equal(hm_http_realm_check("https://reg.example", "/token"), HM_E_IO);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hm-test-auth.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return hm_testdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_auths),  cmocka_unit_test(test_config_helpers),
		cmocka_unit_test(test_config_bad),    cmocka_unit_test(test_helper),
		cmocka_unit_test(test_challenge),     cmocka_unit_test(test_token_url_and_parse),
		cmocka_unit_test(test_link),          cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_realm_rules),   cmocka_unit_test(test_search_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
