/* SPDX-License-Identifier: Apache-2.0 */
/* The registry store against a real docker-registry ($HM_TEST_REGISTRY)
 * and a lying one ($HM_TEST_LIAR, tests/lib/liar.py).  tests/run.sh
 * starts both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "oci/http.h"
#include "oci/store_impl.h"
#include "tests/unit/testdir.h"

/* Until oci/layout.c lands: the registry tests never open a layout. */
__attribute__((weak)) int hm_layout_open(hm_store **out, const hm_ref *ref, int create)
{
	(void)ref;
	(void)create;
	*out = NULL;
	return hm_error_set(HM_E_IO, "layout store not built");
}

static char tmpdir[64];

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("%s is not set: run through `make unit` or `make check` (tests/run.sh starts the registries)", name);
	return v;
}

static hm_store *open_store(const char *registry, const char *repo, const hm_store_opts *opts)
{
	static const hm_store_opts none;
	hm_ref ref = {HM_REF_REGISTRY, (char *)registry, (char *)repo, NULL, NULL};
	hm_store *s = NULL;
	int err = hm_store_open(&s, &ref, opts ? opts : &none, 0);

	if (err)
		fail_msg("opening %s/%s: %s", registry, repo, hm_error_message());
	return s;
}

static hm_store *real(const char *repo)
{
	return open_store(env_or_fail("HM_TEST_REGISTRY"), repo, NULL);
}

static hm_store *liar(const char *repo, const hm_store_opts *opts)
{
	return open_store(env_or_fail("HM_TEST_LIAR"), repo, opts);
}

/* Pushes an empty config and a manifest naming it; fills digest. */
static void push_image(hm_store *s, const char *tag, const char *note, char digest[HM_DIGEST_SIZE])
{
	char cfg_digest[HM_DIGEST_SIZE], man[1024];
	hm_desc d;

	assert_int_equal(hm_store_put_blob(s, "{}", 2, cfg_digest), HM_OK);
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2},"
		 "\"layers\":[],\"annotations\":{\"note\":\"%s\"}}",
		 HM_MT_OCI_MANIFEST, HM_MT_OCI_EMPTY, cfg_digest, note);
	if (hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, man, strlen(man), &d))
		fail_msg("put manifest: %s", hm_error_message());
	hm_digest_compute(digest, man, strlen(man));
	assert_string_equal(d.digest, digest);
}

static void test_blob_roundtrip(void **state)
{
	hm_store *s = real("hallmark/blobs");
	hm_buf got = HM_BUF_INIT;
	char d[HM_DIGEST_SIZE], other[HM_DIGEST_SIZE];
	const char data[] = "a blob for the registry test";

	assert_int_equal(hm_store_put_blob(s, data, strlen(data), d), HM_OK);
	assert_int_equal(hm_store_blob_exists(s, d), 1);
	/* already there: skipped, still fine */
	assert_int_equal(hm_store_put_blob(s, data, strlen(data), NULL), HM_OK);
	assert_int_equal(hm_store_get_blob(s, d, 1024, &got), HM_OK);
	assert_int_equal(got.len, strlen(data));
	assert_memory_equal(got.data, data, got.len);
	/* the caller's cap holds */
	hm_buf_reset(&got);
	assert_int_equal(hm_store_get_blob(s, d, 4, &got), HM_E_LIMIT);
	assert_non_null(strstr(hm_error_message(), "limit"));
	hm_digest_compute(other, "nope", 4);
	assert_int_equal(hm_store_blob_exists(s, other), 0);
	assert_int_equal(hm_store_get_blob(s, other, 1024, &got), HM_E_NOTFOUND);
	hm_buf_release(&got);
	hm_store_free(s);
}

static void test_manifest_roundtrip(void **state)
{
	hm_store *s = real("hallmark/manifests");
	hm_buf body = HM_BUF_INIT;
	hm_desc d;
	char digest[HM_DIGEST_SIZE];

	push_image(s, "v1", "one", digest);
	assert_int_equal(hm_store_resolve(s, "v1", &d), HM_OK);
	assert_string_equal(d.digest, digest);
	assert_string_equal(d.media_type, HM_MT_OCI_MANIFEST);
	assert_true(d.size > 0);
	assert_int_equal(hm_store_resolve(s, digest, &d), HM_OK);
	assert_string_equal(d.digest, digest);

	assert_int_equal(hm_store_get_manifest(s, "v1", &body, &d), HM_OK);
	assert_string_equal(d.digest, digest);
	assert_int_equal((size_t)d.size, body.len);
	assert_non_null(strstr(body.data, "\"note\":\"one\""));
	hm_buf_reset(&body);
	assert_int_equal(hm_store_get_manifest(s, digest, &body, &d), HM_OK);
	assert_string_equal(d.media_type, HM_MT_OCI_MANIFEST);

	/* by digest, no tag */
	push_image(s, NULL, "untagged", digest);
	assert_int_equal(hm_store_resolve(s, digest, &d), HM_OK);

	assert_int_equal(hm_store_resolve(s, "missing", &d), HM_E_NOTFOUND);
	assert_non_null(strstr(hm_error_message(), "manifest 'missing' not found in"));
	assert_int_equal(hm_store_get_manifest(s, "missing", &body, &d), HM_E_NOTFOUND);
	assert_int_equal(hm_store_get_manifest(s, "bad/tag", &body, &d), HM_E_USAGE);
	hm_buf_release(&body);
	hm_store_free(s);
}

static void test_tags_pagination(void **state)
{
	hm_store *s = real("hallmark/tags");
	hm_strv tags = HM_STRV_INIT;
	char digest[HM_DIGEST_SIZE], tag[16];

	for (int i = 0; i < 7; i++) {
		snprintf(tag, sizeof(tag), "t%d", i);
		push_image(s, tag, tag, digest);
	}
	hm_registry_set_page_size(s, 2);
	if (hm_store_list_tags(s, &tags))
		fail_msg("list tags: %s", hm_error_message());
	assert_int_equal(tags.n, 7);
	for (int i = 0; i < 7; i++) {
		snprintf(tag, sizeof(tag), "t%d", i);
		assert_true(hm_strv_contains(&tags, tag));
	}
	hm_strv_free(&tags);
	hm_store_free(s);

	s = real("hallmark/never-pushed");
	assert_int_equal(hm_store_list_tags(s, &tags), HM_E_NOTFOUND);
	hm_strv_free(&tags);
	hm_store_free(s);
}

static void test_referrers_unsupported(void **state)
{
	hm_store *s = real("hallmark/manifests");
	hm_buf idx = HM_BUF_INIT;
	char digest[HM_DIGEST_SIZE];

	push_image(s, "ref", "ref", digest);
	/* distribution 2.8 has no referrers API */
	assert_int_equal(hm_store_referrers(s, digest, NULL, &idx), HM_E_NOTFOUND);
	assert_int_equal(hm_store_referrers(s, digest, "application/x", &idx), HM_E_NOTFOUND);
	hm_buf_release(&idx);
	hm_store_free(s);
}

/* An image built by umoci and pushed by skopeo reads back through us. */
static void test_skopeo_interop(void **state)
{
	const char *reg = env_or_fail("HM_TEST_REGISTRY");
	char cmd[1024];
	hm_store *s;
	hm_buf body = HM_BUF_INIT, cfg = HM_BUF_INIT;
	hm_desc d;
	const char *p;
	char cfg_digest[HM_DIGEST_SIZE];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && umoci init --layout img >/dev/null 2>&1 && umoci new --image img:v1 >/dev/null 2>&1 && "
		 "skopeo copy -q oci:img:v1 docker://%s/hallmark/skopeo:v1 --dest-tls-verify=false >/dev/null 2>&1",
		 tmpdir, reg);
	if (system(cmd) != 0)
		fail_msg("building/pushing with umoci+skopeo failed: %s", cmd);
	s = real("hallmark/skopeo");
	assert_int_equal(hm_store_get_manifest(s, "v1", &body, &d), HM_OK);
	assert_true(strcmp(d.media_type, HM_MT_OCI_MANIFEST) == 0 || strcmp(d.media_type, HM_MT_DOCKER_MANIFEST) == 0);
	p = strstr(body.data, "\"config\"");
	assert_non_null(p);
	p = strstr(p, "sha256:");
	assert_non_null(p);
	memcpy(cfg_digest, p, HM_DIGEST_LEN);
	cfg_digest[HM_DIGEST_LEN] = '\0';
	if (hm_store_get_blob(s, cfg_digest, 1 << 20, &cfg))
		fail_msg("config blob: %s", hm_error_message());
	assert_non_null(strstr(cfg.data, "architecture"));
	hm_buf_release(&body);
	hm_buf_release(&cfg);
	hm_store_free(s);
}

static void test_liar_digest_mismatch(void **state)
{
	hm_store *s = liar("mismatch/x", NULL);
	hm_buf b = HM_BUF_INIT;
	hm_desc d;
	char digest[HM_DIGEST_SIZE];

	hm_digest_compute(digest, "what we asked for", 17);
	assert_int_equal(hm_store_get_manifest(s, digest, &b, &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "digest mismatch"));
	assert_int_equal(b.len, 0);
	assert_int_equal(hm_store_get_manifest(s, "latest", &b, &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "does not match"));
	assert_int_equal(hm_store_resolve(s, digest, &d), HM_E_IO);
	assert_int_equal(hm_store_get_blob(s, digest, 1024, &b), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "digest mismatch"));
	assert_int_equal(b.len, 0);
	hm_buf_release(&b);
	hm_store_free(s);
}

static void test_liar_oversized(void **state)
{
	const char *repos[] = {"big/x", "bigchunked/x"};

	for (size_t i = 0; i < 2; i++) {
		hm_store *s = liar(repos[i], NULL);
		hm_buf b = HM_BUF_INIT;
		hm_desc d;

		assert_int_equal(hm_store_get_manifest(s, "latest", &b, &d), HM_E_LIMIT);
		assert_non_null(strstr(hm_error_message(), "limit"));
		assert_int_equal(b.len, 0);
		hm_buf_release(&b);
		hm_store_free(s);
	}
}

static void test_liar_stall(void **state)
{
	hm_store_opts o = {.timeout_ms = 1500};
	hm_store *s = liar("stall/x", &o);
	hm_buf b = HM_BUF_INIT;
	hm_desc d;
	time_t t0 = time(NULL);

	assert_int_equal(hm_store_get_manifest(s, "latest", &b, &d), HM_E_IO);
	assert_true(time(NULL) - t0 <= 5);
	assert_non_null(strstr(hm_error_message(), "talking to '127.0.0.1'"));
	hm_buf_release(&b);
	hm_store_free(s);
}

/* An endless chain of quick pages ends at the deadline of the whole
 * operation, not after HM_HTTP_MAX_PAGES pages. */
static void test_liar_deadline_pages(void **state)
{
	hm_store_opts o = {0};
	hm_store *s;
	hm_strv tags = HM_STRV_INIT;
	hm_desc d;
	int64_t t0;

	hm_http_set_deadline(&o, 2000);
	s = liar("slow/x", &o);
	t0 = hm_http_now_ms();
	assert_int_equal(hm_store_list_tags(s, &tags), HM_E_IO);
	assert_true(hm_http_now_ms() - t0 < 4000);
	assert_non_null(strstr(hm_error_message(), "the 2 s deadline passed while talking to '127.0.0.1'"));
	assert_true(tags.n >= 1); /* it did follow some pages */
	/* once passed, nothing more is asked */
	t0 = hm_http_now_ms();
	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_E_IO);
	assert_true(hm_http_now_ms() - t0 < 100);
	assert_non_null(strstr(hm_error_message(), "deadline passed"));
	hm_strv_free(&tags);
	hm_store_free(s);
}

static char *write_auth_file(const char *host, const char *userpass_b64)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}", host, userpass_b64);
	fclose(f);
	return path;
}

static long seen(const char *key)
{
	char cmd[256], out[256] = "";
	const char *p;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "curl -s --max-time 5 http://%s/seen", env_or_fail("HM_TEST_LIAR"));
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, sizeof(out), f))
		out[0] = '\0';
	pclose(f);
	p = strstr(out, key);
	assert_non_null(p);
	return strtol(p + strlen(key) + 3, NULL, 10);
}

static void test_liar_token_flow_and_redirect(void **state)
{
	hm_store_opts o = {0};
	hm_store *s;
	hm_buf b = HM_BUF_INIT;
	hm_desc d;
	char blob_digest[HM_DIGEST_SIZE];
	const char blob[] = "hello from the liar\n";
	long hits, leaked;

	/* alice:secret */
	o.auth_file = write_auth_file(env_or_fail("HM_TEST_LIAR"), "YWxpY2U6c2VjcmV0");
	s = liar("token/x", &o);
	if (hm_store_get_manifest(s, "latest", &b, &d))
		fail_msg("token flow: %s", hm_error_message());
	assert_string_equal(d.media_type, HM_MT_OCI_MANIFEST);

	hits = seen("redirect_hits");
	leaked = seen("redirect_auth");
	hm_digest_compute(blob_digest, blob, strlen(blob));
	hm_buf_reset(&b);
	if (hm_store_get_blob(s, blob_digest, 1024, &b))
		fail_msg("redirected blob: %s", hm_error_message());
	assert_memory_equal(b.data, blob, strlen(blob));
	assert_int_equal(seen("redirect_hits"), hits + 1);
	assert_int_equal(seen("redirect_auth"), leaked); /* no credentials to the other host */
	hm_store_free(s);

	/* wrong password: refused, in one line */
	o.auth_file = write_auth_file(env_or_fail("HM_TEST_LIAR"), "YWxpY2U6d3Jvbmc=");
	s = liar("token/x", &o);
	hm_buf_reset(&b);
	assert_int_equal(hm_store_get_manifest(s, "latest", &b, &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "denied"));
	hm_store_free(s);

	/* basic auth */
	o.auth_file = write_auth_file(env_or_fail("HM_TEST_LIAR"), "YWxpY2U6c2VjcmV0");
	s = liar("basic/x", &o);
	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_OK);
	hm_store_free(s);
	hm_buf_release(&b);
}

static void test_liar_errors(void **state)
{
	hm_store *s = liar("errors/x", NULL);
	hm_desc d;

	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "HTTP 500"));
	assert_non_null(strstr(hm_error_message(), "INTERNAL: the liar is having a bad day"));
	hm_store_free(s);
	s = liar("denied/x", NULL);
	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "access to '"));
	assert_non_null(strstr(hm_error_message(), "DENIED"));
	hm_store_free(s);
	s = liar("nobody/x", NULL);
	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_E_NOTFOUND);
	hm_store_free(s);
}

static void test_unreachable(void **state)
{
	hm_store *s = open_store("127.0.0.1:1", "x/y", NULL);
	hm_desc d;

	assert_int_equal(hm_store_resolve(s, "latest", &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "connecting to '127.0.0.1'"));
	assert_null(strchr(hm_error_message(), '\n'));
	hm_store_free(s);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hm-test-registry.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return hm_testdir_remove(tmpdir);
}

/* Endless pagination from a hostile registry stops at the caps of
 * core/limits.h, across pages and not only per page, naming the cap. */
static void test_liar_pagination_caps(void **state)
{
	static const struct {
		const char *repo;
		const char *tags_why, *referrers_why;
	} cases[] = {
		{"pages/flood", "more than 100000 tags (the cap)", "more than 1000 referrers (the cap)"},
		{"pages/empty", "more than 1000 pages (the cap)", "more than 100 pages (the cap)"},
		{"pages/fat", "more than 16777216 bytes over all pages (the cap)",
		 "more than 4194304 bytes over all pages (the cap)"},
	};
	char digest[HM_DIGEST_SIZE];

	hm_digest_compute(digest, "x", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hm_store *s = liar(cases[i].repo, NULL);
		hm_strv tags = HM_STRV_INIT;
		hm_buf idx = HM_BUF_INIT;

		assert_int_equal(hm_store_list_tags(s, &tags), HM_E_LIMIT);
		if (!strstr(hm_error_message(), cases[i].tags_why))
			fail_msg("%s: %s", cases[i].repo, hm_error_message());
		assert_int_equal(hm_store_referrers(s, digest, NULL, &idx), HM_E_LIMIT);
		if (!strstr(hm_error_message(), cases[i].referrers_why))
			fail_msg("%s: %s", cases[i].repo, hm_error_message());
		hm_strv_free(&tags);
		hm_buf_release(&idx);
		hm_store_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_roundtrip),
		cmocka_unit_test(test_manifest_roundtrip),
		cmocka_unit_test(test_tags_pagination),
		cmocka_unit_test(test_referrers_unsupported),
		cmocka_unit_test(test_skopeo_interop),
		cmocka_unit_test(test_liar_digest_mismatch),
		cmocka_unit_test(test_liar_oversized),
		cmocka_unit_test(test_liar_stall),
		cmocka_unit_test(test_liar_deadline_pages),
		cmocka_unit_test(test_liar_token_flow_and_redirect),
		cmocka_unit_test(test_liar_errors),
		cmocka_unit_test(test_liar_pagination_caps),
		cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
