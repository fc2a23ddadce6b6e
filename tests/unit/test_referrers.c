/* SPDX-License-Identifier: Apache-2.0 */
/* OCI 1.1 referrers: the referrers tag schema against the real
 * docker-registry ($HM_TEST_REGISTRY, which has no referrers API), layouts,
 * and concurrent writers of one shared tag (eight threads, each with its
 * own store, as eight processes would be). */
#include <pthread.h>
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
#include "oci/attach.h"
#include "oci/referrers.h"
#include "oci/store.h"
#include "tests/unit/testdir.h"

#define WRITERS 8

static char tmpdir[64];
static char run_id[32];

static const char *registry(void)
{
	const char *v = getenv("HM_TEST_REGISTRY");

	if (!v || !*v)
		fail_msg("HM_TEST_REGISTRY is not set: run through `make unit` or `make check`");
	return v;
}

/* Opens repo (suffixed with this run's id) on the test registry, or the
 * layout dir when repo starts with '/'.  NULL on failure (message set). */
static hm_store *open_any(const char *repo)
{
	static const hm_store_opts none;
	char name[256];
	hm_ref ref = {HM_REF_REGISTRY, NULL, name, NULL, NULL};
	hm_store *s = NULL;

	if (repo[0] == '/') {
		ref.kind = HM_REF_LAYOUT;
		snprintf(name, sizeof(name), "%s", repo);
	} else {
		ref.registry = (char *)registry();
		snprintf(name, sizeof(name), "%s-%s", repo, run_id);
	}
	return hm_store_open(&s, &ref, &none, 1) == HM_OK ? s : NULL;
}

static hm_store *open_or_fail(const char *repo)
{
	hm_store *s = open_any(repo);

	if (!s)
		fail_msg("opening %s: %s", repo, hm_error_message());
	return s;
}

/* An image to refer to: an empty config and a manifest with a note. */
static void push_subject(hm_store *s, const char *tag, hm_desc *out)
{
	char cfg[HM_DIGEST_SIZE], man[1024];

	assert_int_equal(hm_store_put_blob(s, "{}", 2, cfg), HM_OK);
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2},"
		 "\"layers\":[],\"annotations\":{\"note\":\"%s\"}}",
		 HM_MT_OCI_MANIFEST, HM_MT_OCI_EMPTY, cfg, tag);
	if (hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, man, strlen(man), out))
		fail_msg("put manifest: %s", hm_error_message());
}

/* Writes one referrer of subject with a layer holding text. */
static int write_referrer(hm_store *s, const hm_desc *subject, const char *text, hm_desc *out)
{
	hm_descriptor layer = {0};
	hm_referrer_spec spec = {0};
	char ld[HM_DIGEST_SIZE], cd[HM_DIGEST_SIZE];
	int err;

	if ((err = hm_store_put_blob(s, text, strlen(text), ld)) || (err = hm_store_put_blob(s, "{}", 2, cd)))
		return err;
	layer.media_type = (char *)"text/plain";
	layer.digest = ld;
	layer.size = (int64_t)strlen(text);
	spec.artifact_type = "application/vnd.example.note";
	snprintf(spec.config.media_type, sizeof(spec.config.media_type), "%s", HM_MT_OCI_EMPTY);
	snprintf(spec.config.digest, sizeof(spec.config.digest), "%s", cd);
	spec.config.size = 2;
	spec.layers = &layer;
	spec.n_layers = 1;
	spec.subject = *subject;
	return hm_referrers_write(out, s, &spec);
}

static void test_tag_name(void **state)
{
	char *t = hm_referrers_tag("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	char d512[140] = "sha512:";

	assert_string_equal(t, "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	free(t);
	for (int i = 0; i < 128; i++)
		d512[7 + i] = "0123456789abcdef"[i % 16];
	d512[135] = '\0';
	t = hm_referrers_tag(d512);
	/* the encoded part is truncated to 64 characters */
	assert_int_equal(strlen(t), 7 + 64);
	assert_memory_equal(t, "sha512-0123", 11);
	free(t);
	assert_null(hm_referrers_tag("sha256:nothex"));
	assert_null(hm_referrers_tag("latest"));
}

/* docker-registry 2.8 has no referrers API: the referrer lands in the
 * sha256-<hex> index with its artifactType and annotations. */
static void test_registry_fallback(void **state)
{
	hm_store *s = open_or_fail("hallmark/ref-one");
	hm_manifest *l = NULL;
	enum hm_referrers_source src;
	hm_desc subject, r1, r2;
	hm_buf body = HM_BUF_INIT;
	hm_desc d;
	char *tag;

	push_subject(s, "v1", &subject);
	if (write_referrer(s, &subject, "first", &r1) || write_referrer(s, &subject, "second", &r2))
		fail_msg("writing: %s", hm_error_message());
	/* the same referrer again: still one entry */
	assert_int_equal(write_referrer(s, &subject, "first", NULL), HM_OK);
	assert_int_equal(hm_referrers_list(&l, s, subject.digest, NULL, &src), HM_OK);
	assert_int_equal(src, HM_REFERRERS_TAG);
	assert_int_equal(l->n_manifests, 2);
	assert_string_equal(l->manifests[0].digest, r1.digest);
	assert_string_equal(l->manifests[0].artifact_type, "application/vnd.example.note");
	assert_string_equal(l->manifests[1].digest, r2.digest);
	hm_manifest_free(l);
	/* the filter is applied here */
	assert_int_equal(hm_referrers_list(&l, s, subject.digest, "application/other", NULL), HM_OK);
	assert_int_equal(l->n_manifests, 0);
	hm_manifest_free(l);
	/* the tag is the spec's, an OCI index */
	tag = hm_referrers_tag(subject.digest);
	assert_int_equal(hm_store_get_manifest(s, tag, &body, &d), HM_OK);
	assert_string_equal(d.media_type, HM_MT_OCI_INDEX);
	free(tag);
	hm_buf_release(&body);
	hm_store_free(s);
}

/* A referrers tag that holds something else is not replaced when writing,
 * and gives no referrers when reading. */
static void test_registry_tag_not_an_index(void **state)
{
	hm_store *s = open_or_fail("hallmark/ref-squat");
	hm_manifest *l = NULL;
	hm_desc subject, other;
	char *tag;

	push_subject(s, "v1", &subject);
	tag = hm_referrers_tag(subject.digest);
	push_subject(s, tag, &other); /* an image manifest squatting on the tag */
	assert_int_equal(write_referrer(s, &subject, "x", NULL), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "not replacing it"));
	assert_int_equal(hm_referrers_list(&l, s, subject.digest, NULL, NULL), HM_OK);
	assert_int_equal(l->n_manifests, 0);
	hm_manifest_free(l);
	free(tag);
	hm_store_free(s);
}

struct writer {
	const char *repo;
	const hm_desc *subject;
	int index;
	int legacy; /* hm_attach_layer instead of a referrer */
	int err;
	char msg[256];
	hm_desc out;
};

static void *run_writer(void *arg)
{
	struct writer *w = arg;
	hm_store *s = open_any(w->repo);
	char text[64];

	snprintf(text, sizeof(text), "writer %d of %s", w->index, w->repo);
	if (!s) {
		w->err = HM_E_IO;
	} else if (w->legacy) {
		int added = 0;

		w->err = hm_attach_layer(s, w->subject->digest, "sig", "text/plain", text, strlen(text), NULL, &added);
		hm_digest_compute(w->out.digest, text, strlen(text));
	} else {
		w->err = write_referrer(s, w->subject, text, &w->out);
	}
	if (w->err)
		snprintf(w->msg, sizeof(w->msg), "%s", hm_error_message());
	hm_store_free(s);
	return NULL;
}

/* Eight writers at once on one subject; every entry must survive. */
static void concurrent(const char *repo, int legacy)
{
	hm_store *s = open_or_fail(repo);
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	hm_desc subject;

	push_subject(s, "v1", &subject);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){repo, &subject, i, legacy, 0, "", {{0}, {0}, 0}};
		assert_int_equal(pthread_create(&t[i], NULL, run_writer, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < WRITERS; i++)
		if (w[i].err)
			fail_msg("writer %d: %s", i, w[i].msg);
	if (legacy) {
		hm_attached_list l;

		assert_int_equal(hm_attached_find(&l, s, subject.digest, "sig", "text/plain"), HM_OK);
		assert_int_equal(l.n, WRITERS);
		for (int i = 0; i < WRITERS; i++) {
			int found = 0;

			for (size_t j = 0; j < l.n; j++)
				found |= strcmp(l.v[j].desc.digest, w[i].out.digest) == 0;
			assert_true(found);
		}
		hm_attached_list_free(&l);
	} else {
		hm_manifest *l = NULL;

		assert_int_equal(hm_referrers_list(&l, s, subject.digest, NULL, NULL), HM_OK);
		assert_int_equal(l->n_manifests, WRITERS);
		for (int i = 0; i < WRITERS; i++) {
			int found = 0;

			for (size_t j = 0; j < l->n_manifests; j++)
				found |= strcmp(l->manifests[j].digest, w[i].out.digest) == 0;
			assert_true(found);
		}
		hm_manifest_free(l);
	}
	hm_store_free(s);
}

static void test_concurrent_registry_referrers(void **state)
{
	concurrent("hallmark/ref-race", 0);
}

static void test_concurrent_registry_legacy(void **state)
{
	concurrent("hallmark/sig-race", 1);
}

static void test_concurrent_layout_referrers(void **state)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/ref-layout", tmpdir);
	concurrent(dir, 0);
}

static void test_concurrent_layout_legacy(void **state)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/sig-layout", tmpdir);
	concurrent(dir, 1);
}

/* In a layout the referrer is an untagged index.json entry: listed through
 * the store's own referrers, no sha256-<hex> tag made. */
static void test_layout_no_tag(void **state)
{
	char dir[128];
	hm_store *s;
	hm_manifest *l = NULL;
	enum hm_referrers_source src;
	hm_desc subject, r, d;
	hm_buf body = HM_BUF_INIT;
	char *tag;

	snprintf(dir, sizeof(dir), "%s/one-layout", tmpdir);
	s = open_or_fail(dir);
	push_subject(s, "v1", &subject);
	assert_int_equal(write_referrer(s, &subject, "in a layout", &r), HM_OK);
	assert_int_equal(hm_referrers_list(&l, s, subject.digest, NULL, &src), HM_OK);
	assert_int_equal(src, HM_REFERRERS_API);
	assert_int_equal(l->n_manifests, 1);
	assert_string_equal(l->manifests[0].digest, r.digest);
	hm_manifest_free(l);
	tag = hm_referrers_tag(subject.digest);
	assert_int_equal(hm_store_get_manifest(s, tag, &body, &d), HM_E_NOTFOUND);
	free(tag);
	hm_buf_release(&body);
	hm_store_free(s);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hm-referrers.XXXXXX");
	snprintf(run_id, sizeof(run_id), "%ld-%ld", (long)getpid(), (long)time(NULL));
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return hm_testdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_name),
		cmocka_unit_test(test_registry_fallback),
		cmocka_unit_test(test_registry_tag_not_an_index),
		cmocka_unit_test(test_concurrent_registry_referrers),
		cmocka_unit_test(test_concurrent_registry_legacy),
		cmocka_unit_test(test_concurrent_layout_referrers),
		cmocka_unit_test(test_concurrent_layout_legacy),
		cmocka_unit_test(test_layout_no_tag),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
