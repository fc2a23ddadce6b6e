/* SPDX-License-Identifier: Apache-2.0 */
/* Provenance from git repositories made here (with the git command) and
 * Dockerfiles whose base images resolve through a fixed table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "attest/provenance.h"
#include "core/error.h"
#include "core/file.h"
#include "tests/unit/testdir.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static char dir[256];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", dir);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >/dev/null 2>&1");
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void put(const char *name, const char *text)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(hm_file_write_atomic(p, text, strlen(text), 0644, 1), HM_OK);
}

#define GIT "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false -c tag.gpgsign=false "

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hm-prov-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	sh("git init -q -b main . && git remote add origin https://user:s3cret@example.com/org/app.git");
	put("Dockerfile", "ARG V=3.19\nFROM alpine:${V} AS build\nRUN true\n"
			  "FROM --platform=linux/arm64 ghcr.io/org/base:1\nCOPY --from=build / /\n");
	put(".gitignore", "*.log\n");
	sh(GIT "add . && " GIT "commit -qm one");
	return 0;
}

static int teardown(void **state)
{
	return hm_testdir_remove(dir);
}

static int resolve(void *ctx, const char *ref, char digest[HM_DIGEST_SIZE])
{
	static const char *table[][2] = {
		{"alpine:3.19", D1}, {"alpine:3.20", D1}, {"ghcr.io/org/base:1", D2}};
	size_t i;

	(*(int *)ctx)++;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(ref, table[i][0])) {
			memcpy(digest, table[i][1], HM_DIGEST_SIZE);
			return HM_OK;
		}
	return hm_error_set(HM_E_NOTFOUND, "no such image");
}

static cJSON *generate(hm_provenance_opts *o, int want)
{
	cJSON *p = NULL;
	static int calls;
	int err;

	o->git_dir = dir;
	o->resolve = resolve;
	o->resolve_ctx = &calls;
	err = hm_provenance_generate(&p, o);
	if (err != want)
		fail_msg("got %d (%s), want %d", err, hm_error_message(), want);
	return p;
}

static const char *path_str(const cJSON *j, const char *path)
{
	char buf[256], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(j))
			j = cJSON_GetArrayItem(j, atoi(k));
		else
			j = cJSON_GetObjectItemCaseSensitive(j, k);
	}
	if (!cJSON_IsString(j))
		fail_msg("%s is not a string", path);
	return j->valuestring;
}

static void test_branch(void **state)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	const char *args[] = {"V=3.20", "OTHER=x"};
	cJSON *p, *deps, *intl;

	o.build_args = args;
	o.n_build_args = 2;
	o.started_on = "2024-05-01T12:00:00Z";
	o.builder_id = "https://ci.example.com/builder";
	o.builder_version = "0.1.0";
	p = generate(&o, HM_OK);
	assert_string_equal(path_str(p, "buildDefinition.buildType"), HM_PROVENANCE_BUILD_TYPE);
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.repository"),
			    "https://example.com/org/app.git");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.ref"), "refs/heads/main");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.ref"), "refs/heads/main");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.dockerfile"), "Dockerfile");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.context"), ".");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.buildArgs.V"), "3.20");
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.buildArgs.OTHER"), "x");
	intl = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "buildDefinition"), "internalParameters");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(intl, "dirty")));
	assert_string_equal(path_str(intl, "branch"), "main");
	assert_null(cJSON_GetObjectItem(intl, "tag"));
	deps = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "buildDefinition"), "resolvedDependencies");
	assert_int_equal(cJSON_GetArraySize(deps), 3);
	assert_string_equal(path_str(deps, "0.uri"), "git+https://example.com/org/app.git@refs/heads/main");
	assert_int_equal(strlen(path_str(deps, "0.digest.gitCommit")), 40);
	assert_string_equal(path_str(deps, "1.uri"), "pkg:docker/alpine@3.20");
	assert_string_equal(path_str(deps, "1.name"), "alpine:3.20");
	assert_string_equal(path_str(deps, "1.digest.sha256"), D1 + 7);
	assert_string_equal(path_str(deps, "2.uri"), "pkg:docker/ghcr.io/org/base@1?platform=linux%2Farm64");
	assert_string_equal(path_str(deps, "2.digest.sha256"), D2 + 7);
	assert_string_equal(path_str(p, "runDetails.builder.id"), "https://ci.example.com/builder");
	assert_string_equal(path_str(p, "runDetails.builder.version.hallmark"), "0.1.0");
	assert_string_equal(path_str(p, "runDetails.metadata.startedOn"), "2024-05-01T12:00:00Z");
	assert_true(hm_rfc3339_valid(path_str(p, "runDetails.metadata.finishedOn")));
	assert_int_equal(strlen(path_str(p, "runDetails.metadata.invocationId")), 36);
	assert_int_equal(path_str(p, "runDetails.metadata.invocationId")[14], '4');
	/* nothing secret leaks anywhere */
	{
		char *txt = cJSON_PrintUnformatted(p);

		assert_null(strstr(txt, "s3cret"));
		free(txt);
	}
	cJSON_Delete(p);
}

static void test_tags(void **state)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	cJSON *p;

	/* lightweight tag */
	sh("git tag release-candidate && git tag v1.0.0");
	p = generate(&o, HM_OK);
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.ref"), "refs/tags/v1.0.0");
	assert_string_equal(path_str(p, "buildDefinition.internalParameters.tag"), "v1.0.0");
	assert_string_equal(path_str(p, "buildDefinition.resolvedDependencies.0.uri"),
			    "git+https://example.com/org/app.git@refs/tags/v1.0.0");
	cJSON_Delete(p);

	/* annotated tags are peeled; the highest version wins, release over rc */
	sh(GIT "tag -a v1.10.0 -m ten && " GIT "tag -a v1.9.0 -m nine && " GIT "tag -a v1.10.0-rc.1 -m rc");
	p = generate(&o, HM_OK);
	assert_string_equal(path_str(p, "buildDefinition.externalParameters.ref"), "refs/tags/v1.10.0");
	cJSON_Delete(p);

	/* a tag on another commit does not count; detached HEAD gives the commit */
	sh("echo two >>.gitignore && " GIT "commit -qam two && " GIT "tag v9.0.0 && git checkout -q HEAD~1 && "
	   "git tag -d v1.0.0 v1.9.0 v1.10.0 v1.10.0-rc.1 release-candidate");
	p = generate(&o, HM_OK);
	{
		const char *ref = path_str(p, "buildDefinition.externalParameters.ref");

		assert_int_equal(strlen(ref), 40);
		assert_string_equal(path_str(p, "buildDefinition.resolvedDependencies.0.digest.gitCommit"), ref);
		assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "buildDefinition"),
								    "internalParameters"), "branch"));
	}
	cJSON_Delete(p);
	sh("git checkout -q main");
}

static void test_dirty(void **state)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	cJSON *p;

	/* ignored files are not dirt */
	put("build.log", "x");
	p = generate(&o, HM_OK);
	cJSON_Delete(p);

	put("new.txt", "untracked");
	generate(&o, HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "1 uncommitted change (e.g. 'new.txt')"));
	assert_non_null(strstr(hm_error_message(), "--allow-dirty"));
	sh("rm new.txt && echo change >>.gitignore");
	generate(&o, HM_E_USAGE);
	sh("git checkout -q .gitignore && echo staged >staged.txt && git add staged.txt");
	generate(&o, HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "staged.txt"));

	o.allow_dirty = 1;
	p = generate(&o, HM_OK);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(p, "buildDefinition"), "internalParameters"), "dirty")));
	cJSON_Delete(p);
	sh("git rm -q --cached staged.txt && rm staged.txt");
}

static void test_not_a_repo(void **state)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	char sub[300];
	cJSON *p = NULL;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(hm_mkdir_p(sub, 0755), HM_OK);
	o.git_dir = sub;
	assert_int_equal(hm_provenance_generate(&p, &o), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "is not a git repository"));
	o.git_dir = "/nonexistent/hm";
	assert_int_equal(hm_provenance_generate(&p, &o), HM_E_USAGE);
	assert_null(p);
	rmdir(sub);
}

static void test_unresolvable(void **state)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	const char *args[] = {"V=9.9"};

	o.build_args = args;
	o.n_build_args = 1;
	generate(&o, HM_E_NOTFOUND);
	assert_non_null(strstr(hm_error_message(), "Dockerfile:2: resolving base image 'alpine:9.9': no such image"));

	/* a missing Dockerfile, and a custom path relative to the repository */
	o.n_build_args = 0;
	o.dockerfile = "/nonexistent/Dockerfile";
	generate(&o, HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "/nonexistent/Dockerfile"));
	{
		char df[300];
		cJSON *p;

		snprintf(df, sizeof(df), "%s/Dockerfile", dir);
		o.dockerfile = df;
		o.started_on = "yesterday";
		generate(&o, HM_E_USAGE);
		o.started_on = NULL;
		p = generate(&o, HM_OK);
		assert_string_equal(path_str(p, "buildDefinition.externalParameters.dockerfile"),
				    "Dockerfile");
		cJSON_Delete(p);
	}
}

static void test_url_sanitize(void **state)
{
	static const char *cases[][2] = {
		{"https://user:tok@github.com/org/x.git", "https://github.com/org/x.git"},
		{"https://tok@github.com/org/x", "https://github.com/org/x"},
		{"https://github.com/org/x", "https://github.com/org/x"},
		{"https://h/p@ath", "https://h/p@ath"},
		{"ssh://git@host:22/x.git", "ssh://host:22/x.git"},
		{"git@github.com:org/x.git", "ssh://github.com/org/x.git"},
		{"host:/srv/x", "ssh://host/srv/x"},
		{"/srv/git/x", "/srv/git/x"},
		{"./rel/x", "./rel/x"},
		{"C:/x", "C:/x"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = hm_git_url_sanitize(cases[i][0]);

		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

static void test_rfc3339(void **state)
{
	assert_true(hm_rfc3339_valid("2024-05-01T12:00:00Z"));
	assert_true(hm_rfc3339_valid("2024-05-01T12:00:00.123+02:00"));
	assert_false(hm_rfc3339_valid("2024-05-01 12:00:00Z"));
	assert_false(hm_rfc3339_valid("2024-05-01T12:00:00"));
	assert_false(hm_rfc3339_valid("2024-05-01T12:00:00Zjunk"));
	assert_false(hm_rfc3339_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_branch),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_not_a_repo),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_url_sanitize),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests_name("provenance", tests, setup, teardown);
}
