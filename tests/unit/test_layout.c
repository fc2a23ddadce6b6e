/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI image layout store: create, blobs, manifests and tags, retagging,
 * untagged manifests, referrers, tampered blobs, and layouts made by umoci. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "oci/attach.h"
#include "oci/manifest.h"
#include "oci/store_impl.h"
#include "tests/unit/testdir.h"

/* oci/registry.c may not be linked yet: the layout tests never reach it. */
__attribute__((weak)) int hm_registry_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts)
{
	return hm_error_set(HM_E_USAGE, "registry support not linked");
}

static char tmp[256];

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "%s/hm-layout-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	return hm_testdir_remove(tmp);
}

static hm_store *open_layout(const char *sub, const char *suffix, int create)
{
	char s[512];
	hm_ref r = HM_REF_INIT;
	hm_store *st = NULL;

	snprintf(s, sizeof(s), "oci:%s/%s%s", tmp, sub, suffix);
	assert_int_equal(hm_ref_parse(&r, s), HM_OK);
	if (hm_store_open(&st, &r, NULL, create))
		fail_msg("opening %s: %s", s, hm_error_message());
	hm_ref_free(&r);
	return st;
}

static char *path_of(const char *sub, const char *rel)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s%s%s", tmp, sub, *rel ? "/" : "", rel);
	return p;
}

/* An image manifest over a config blob and one layer blob, both stored;
 * subject (may be NULL) makes it a referrer. */
static void make_image(hm_store *st, hm_buf *out, const char *layer_text, const char *subject,
                       const char *artifact_type)
{
	static const char config[] =
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[]},\"config\":{}}";
	char cd[HM_DIGEST_SIZE], ld[HM_DIGEST_SIZE];
	hm_manifest *m = NULL;

	assert_int_equal(hm_store_put_blob(st, config, strlen(config), cd), HM_OK);
	assert_int_equal(hm_store_put_blob(st, layer_text, strlen(layer_text), ld), HM_OK);
	assert_int_equal(hm_manifest_new(&m, HM_MT_OCI_MANIFEST), HM_OK);
	assert_int_equal(hm_manifest_set_config(m, "application/vnd.oci.image.config.v1+json", cd,
	                                        (int64_t)strlen(config)),
	                 HM_OK);
	assert_int_equal(hm_manifest_add(NULL, m, "application/vnd.oci.image.layer.v1.tar", ld,
	                                 (int64_t)strlen(layer_text)),
	                 HM_OK);
	if (subject)
		assert_int_equal(hm_manifest_set_subject(m, HM_MT_OCI_MANIFEST, subject, 100), HM_OK);
	if (artifact_type)
		assert_int_equal(hm_manifest_set_artifact_type(m, artifact_type), HM_OK);
	hm_buf_reset(out);
	assert_int_equal(hm_manifest_serialize(out, m), HM_OK);
	hm_manifest_free(m);
}

static void put(hm_store *st, const char *tag, const hm_buf *body, hm_desc *d)
{
	if (hm_store_put_manifest(st, tag, HM_MT_OCI_MANIFEST, body->data, body->len, d))
		fail_msg("put_manifest: %s", hm_error_message());
}

static size_t count_in_file(const char *path, const char *needle)
{
	hm_buf b = HM_BUF_INIT;
	size_t n = 0;

	assert_int_equal(hm_file_read(&b, path, 0), HM_OK);
	for (const char *p = hm_buf_cstr(&b); (p = strstr(p, needle)); p++)
		n++;
	hm_buf_release(&b);
	return n;
}

static void test_create_and_blobs(void **state)
{
	char s[512];
	hm_ref r = HM_REF_INIT;
	hm_store *st = NULL;
	hm_strv tags = HM_STRV_INIT;
	hm_buf b = HM_BUF_INIT;
	hm_desc d;
	char dg[HM_DIGEST_SIZE];

	snprintf(s, sizeof(s), "oci:%s/new", tmp);
	assert_int_equal(hm_ref_parse(&r, s), HM_OK);
	assert_int_equal(hm_store_open(&st, &r, NULL, 0), HM_E_NOTFOUND);
	assert_non_null(strstr(hm_error_message(), "no OCI image layout"));
	assert_int_equal(hm_store_open(&st, &r, NULL, 1), HM_OK);
	assert_string_equal(hm_store_name(st), s);
	assert_int_equal(access(path_of("new", "oci-layout"), F_OK), 0);
	assert_int_equal(count_in_file(path_of("new", "oci-layout"), "\"imageLayoutVersion\":\"1.0.0\""), 1);
	assert_int_equal(hm_store_list_tags(st, &tags), HM_OK);
	assert_int_equal(tags.n, 0);
	assert_int_equal(hm_store_resolve(st, NULL, &d), HM_E_NOTFOUND);
	assert_int_equal(hm_store_resolve(st, "nope", &d), HM_E_NOTFOUND);
	assert_int_equal(hm_store_resolve(st, "bad/tag", &d), HM_E_USAGE);

	assert_int_equal(hm_store_put_blob(st, "hello", 5, dg), HM_OK);
	assert_int_equal(hm_store_put_blob(st, "hello", 5, NULL), HM_OK); /* again: skipped */
	assert_int_equal(hm_store_blob_exists(st, dg), 1);
	assert_int_equal(hm_store_get_blob(st, dg, 100, &b), HM_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	assert_int_equal(hm_store_get_blob(st, dg, 4, &b), HM_E_LIMIT);
	assert_non_null(strstr(hm_error_message(), "limit"));
	assert_int_equal(b.len, 0);
	/* a digest that would leave blobs/ never becomes a path */
	assert_int_equal(hm_store_get_blob(st, "sha256:../../oci-layout", 100, &b), HM_E_IO);
	assert_int_equal(hm_store_blob_exists(st, "sha256:../../oci-layout"), HM_E_USAGE);
	assert_int_equal(hm_store_resolve(st, "sha256:../../oci-layout", &d), HM_E_USAGE);
	dg[8] = dg[8] == '0' ? '1' : '0';
	assert_int_equal(hm_store_blob_exists(st, dg), 0);
	assert_int_equal(hm_store_get_blob(st, dg, 100, &b), HM_E_NOTFOUND);

	/* opening it again finds it */
	hm_store_free(st);
	assert_int_equal(hm_store_open(&st, &r, NULL, 0), HM_OK);
	hm_store_free(st);
	hm_ref_free(&r);
	hm_buf_release(&b);
	hm_strv_free(&tags);
}

static void test_tags(void **state)
{
	hm_store *st = open_layout("tags", "", 1);
	hm_buf m1 = HM_BUF_INIT, m2 = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_strv tags = HM_STRV_INIT;
	hm_desc d1, d2, d;

	make_image(st, &m1, "layer one", NULL, NULL);
	make_image(st, &m2, "layer two", NULL, NULL);
	put(st, "v1", &m1, &d1);
	assert_string_equal(d1.media_type, HM_MT_OCI_MANIFEST);
	assert_int_equal(d1.size, (int64_t)m1.len);

	assert_int_equal(hm_store_resolve(st, "v1", &d), HM_OK);
	assert_string_equal(d.digest, d1.digest);
	assert_int_equal(hm_store_resolve(st, NULL, &d), HM_OK); /* the only image */
	assert_string_equal(d.digest, d1.digest);
	assert_int_equal(hm_store_get_manifest(st, "v1", &body, &d), HM_OK);
	assert_int_equal(body.len, m1.len);
	assert_memory_equal(body.data, m1.data, m1.len);
	assert_string_equal(d.digest, d1.digest);
	assert_int_equal(hm_store_get_manifest(st, d1.digest, &body, &d), HM_OK);
	assert_memory_equal(body.data, m1.data, m1.len);

	/* retag v1 to the second image; the first stays reachable by digest */
	put(st, "v1", &m2, &d2);
	assert_int_equal(hm_store_resolve(st, "v1", &d), HM_OK);
	assert_string_equal(d.digest, d2.digest);
	assert_int_equal(hm_store_resolve(st, d1.digest, &d), HM_OK);
	assert_string_equal(d.media_type, HM_MT_OCI_MANIFEST);
	assert_int_equal(d.size, (int64_t)m1.len);
	assert_int_equal(hm_store_get_manifest(st, d1.digest, &body, &d), HM_OK);
	assert_int_equal(count_in_file(path_of("tags", "index.json"), "\"v1\""), 1);

	put(st, "v2", &m1, NULL);
	assert_int_equal(hm_store_list_tags(st, &tags), HM_OK);
	assert_int_equal(tags.n, 2);
	assert_string_equal(tags.v[0], "v1");
	assert_string_equal(tags.v[1], "v2");
	/* two images now: "oci:PATH" alone is ambiguous */
	assert_int_equal(hm_store_resolve(st, NULL, &d), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "holds 2 images"));
	assert_int_equal(hm_store_put_manifest(st, "bad tag", HM_MT_OCI_MANIFEST, m1.data, m1.len, NULL),
	                 HM_E_USAGE);
	assert_int_equal(hm_store_put_manifest(st, "v3", HM_MT_OCI_MANIFEST, "{}", 2, NULL), HM_E_IO);

	hm_strv_free(&tags);
	hm_buf_release(&m1);
	hm_buf_release(&m2);
	hm_buf_release(&body);
	hm_store_free(st);
}

static void test_untagged(void **state)
{
	hm_store *st = open_layout("untagged", "", 1);
	hm_buf m1 = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_strv tags = HM_STRV_INIT;
	hm_desc d1, d;

	make_image(st, &m1, "untagged layer", NULL, NULL);
	put(st, NULL, &m1, &d1);
	put(st, NULL, &m1, NULL); /* twice: still one entry */
	assert_int_equal(count_in_file(path_of("untagged", "index.json"), d1.digest), 1);
	assert_int_equal(hm_store_list_tags(st, &tags), HM_OK);
	assert_int_equal(tags.n, 0);
	assert_int_equal(hm_store_resolve(st, d1.digest, &d), HM_OK);
	assert_int_equal(hm_store_resolve(st, NULL, &d), HM_OK);
	assert_string_equal(d.digest, d1.digest);
	/* tagging it replaces the untagged entry */
	put(st, "latest", &m1, NULL);
	assert_int_equal(count_in_file(path_of("untagged", "index.json"), d1.digest), 1);
	assert_int_equal(hm_store_get_manifest(st, "latest", &body, &d), HM_OK);
	hm_strv_free(&tags);
	hm_buf_release(&m1);
	hm_buf_release(&body);
	hm_store_free(st);
}

static void test_referrers(void **state)
{
	hm_store *st = open_layout("refs", "", 1);
	hm_buf img = HM_BUF_INIT, sig = HM_BUF_INIT, att = HM_BUF_INIT, out = HM_BUF_INIT;
	hm_manifest *idx = NULL;
	hm_desc di, ds, da, d;
	char other[HM_DIGEST_SIZE];

	make_image(st, &img, "the image", NULL, NULL);
	put(st, "v1", &img, &di);
	make_image(st, &sig, "a signature", di.digest, "application/vnd.dev.cosign.artifact.sig.v1+json");
	make_image(st, &att, "an attestation", di.digest, NULL);
	put(st, NULL, &sig, &ds);
	put(st, NULL, &att, &da);

	/* referrers are artifacts: the layout still has one image */
	assert_int_equal(hm_store_resolve(st, NULL, &d), HM_OK);
	assert_string_equal(d.digest, di.digest);

	assert_int_equal(hm_store_referrers(st, di.digest, NULL, &out), HM_OK);
	assert_int_equal(hm_manifest_parse(&idx, out.data, out.len, HM_MT_OCI_INDEX), HM_OK);
	assert_int_equal(idx->n_manifests, 2);
	assert_string_equal(idx->manifests[0].digest, ds.digest);
	assert_string_equal(idx->manifests[0].artifact_type,
	                    "application/vnd.dev.cosign.artifact.sig.v1+json");
	assert_string_equal(idx->manifests[1].digest, da.digest);
	/* no artifactType: the config media type stands in */
	assert_string_equal(idx->manifests[1].artifact_type, "application/vnd.oci.image.config.v1+json");
	hm_manifest_free(idx);

	assert_int_equal(
	    hm_store_referrers(st, di.digest, "application/vnd.dev.cosign.artifact.sig.v1+json", &out),
	    HM_OK);
	assert_int_equal(hm_manifest_parse(&idx, out.data, out.len, NULL), HM_OK);
	assert_int_equal(idx->n_manifests, 1);
	assert_string_equal(idx->manifests[0].digest, ds.digest);
	hm_manifest_free(idx);

	hm_digest_compute(other, "x", 1);
	assert_int_equal(hm_store_referrers(st, other, NULL, &out), HM_OK);
	assert_int_equal(hm_manifest_parse(&idx, out.data, out.len, NULL), HM_OK);
	assert_int_equal(idx->n_manifests, 0);
	hm_manifest_free(idx);
	assert_int_equal(hm_store_referrers(st, "sha256:zz", NULL, &out), HM_E_USAGE);

	hm_buf_release(&img);
	hm_buf_release(&sig);
	hm_buf_release(&att);
	hm_buf_release(&out);
	hm_store_free(st);
}

/* Appends a layer of blob text (stored) with annotations "k=v,k=v" to m. */
static void add_layer(hm_store *st, hm_manifest *m, const char *text, const char *anns)
{
	char d[HM_DIGEST_SIZE], kv[64];
	hm_descriptor *l;

	assert_int_equal(hm_store_put_blob(st, text, strlen(text), d), HM_OK);
	assert_int_equal(hm_manifest_add(&l, m, "application/x-test", d, (int64_t)strlen(text)), HM_OK);
	for (const char *p = anns; p && *p;) {
		size_t n = strcspn(p, ",");
		char *eq;

		snprintf(kv, sizeof(kv), "%.*s", (int)n, p);
		eq = strchr(kv, '=');
		*eq = '\0';
		assert_int_equal(hm_descriptor_annotate(l, kv, eq + 1), HM_OK);
		p += n + (p[n] == ',');
	}
}

/* Discovery over a referrer and the tag: duplicates (same blob, same
 * annotations in any order, from either place) listed once, in the order
 * found; the same blob with other annotations is another attachment. */
static void test_attached_dedup(void **state)
{
	hm_store *st = open_layout("attached", "", 1);
	hm_buf img = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_manifest *ref = NULL, *tagged = NULL;
	hm_attached_list l;
	hm_desc di, d;
	char cd[HM_DIGEST_SIZE], *tag;

	make_image(st, &img, "the image", NULL, NULL);
	put(st, "v1", &img, &di);
	assert_int_equal(hm_store_put_blob(st, "{}", 2, cd), HM_OK);
	assert_int_equal(hm_manifest_new(&ref, HM_MT_OCI_MANIFEST), HM_OK);
	assert_int_equal(hm_manifest_set_config(ref, HM_MT_OCI_EMPTY, cd, 2), HM_OK);
	assert_int_equal(hm_manifest_set_subject(ref, HM_MT_OCI_MANIFEST, di.digest, di.size), HM_OK);
	add_layer(st, ref, "A", "a=1,b=2");
	add_layer(st, ref, "B", NULL);
	add_layer(st, ref, "A", "b=2,a=1");
	add_layer(st, ref, "A", "a=1");
	add_layer(st, ref, "other type", NULL);
	ref->layers[4].media_type[0] = 'X';
	assert_int_equal(hm_manifest_serialize(&body, ref), HM_OK);
	put(st, NULL, &body, &d);
	assert_int_equal(hm_manifest_new(&tagged, HM_MT_OCI_MANIFEST), HM_OK);
	assert_int_equal(hm_manifest_set_config(tagged, HM_MT_OCI_EMPTY, cd, 2), HM_OK);
	add_layer(st, tagged, "B", NULL);
	add_layer(st, tagged, "C", "a=1");
	hm_buf_reset(&body);
	assert_int_equal(hm_manifest_serialize(&body, tagged), HM_OK);
	tag = hm_attach_tag(di.digest, "sig");
	put(st, tag, &body, &d);

	assert_int_equal(hm_attached_find(&l, st, di.digest, "sig", "application/x-test"), HM_OK);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.n_refused, 0);
	assert_string_equal(hm_json_str(l.v[0].annotations, "b"), "2");
	assert_null(l.v[1].annotations);
	assert_null(hm_json_str(l.v[2].annotations, "b"));
	assert_string_equal(l.v[2].desc.digest, l.v[0].desc.digest);
	assert_non_null(strstr(l.v[3].source, tag));
	assert_non_null(strstr(l.v[0].source, "referrer sha256:"));
	for (size_t i = 0; i < l.n; i++)
		assert_null(l.v[i].refused);
	hm_attached_list_free(&l);

	free(tag);
	hm_manifest_free(ref);
	hm_manifest_free(tagged);
	hm_buf_release(&img);
	hm_buf_release(&body);
	hm_store_free(st);
}

static void test_tampered(void **state)
{
	hm_store *st = open_layout("tamper", "", 1);
	hm_buf m = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_desc d;
	char rel[128];
	FILE *f;

	make_image(st, &m, "honest layer", NULL, NULL);
	put(st, "v1", &m, &d);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hm_digest_hex(d.digest));
	f = fopen(path_of("tamper", rel), "r+");
	assert_non_null(f);
	fputc(' ', f); /* same size, different bytes */
	fclose(f);
	assert_int_equal(hm_store_get_manifest(st, "v1", &body, &d), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "digest mismatch"));
	assert_int_equal(body.len, 0);
	assert_int_equal(hm_store_get_blob(st, d.digest, 1 << 20, &body), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "digest mismatch"));
	assert_int_equal(hm_store_referrers(st, d.digest, NULL, &body), HM_E_IO);
	hm_buf_release(&m);
	hm_buf_release(&body);
	hm_store_free(st);
}

static void test_umoci_layout(void **state)
{
	char cmd[1024];
	hm_store *st;
	hm_buf body = HM_BUF_INIT, cfg = HM_BUF_INIT;
	hm_manifest *m = NULL;
	hm_strv tags = HM_STRV_INIT;
	hm_desc d, d2;

	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && umoci init --layout um >/dev/null 2>&1 && umoci new --image um:v1 >/dev/null 2>&1",
	    tmp);
	if (system(cmd) != 0)
		skip();
	st = open_layout("um", ":v1", 0);
	assert_int_equal(hm_store_resolve(st, "v1", &d), HM_OK);
	assert_string_equal(d.media_type, HM_MT_OCI_MANIFEST);
	assert_int_equal(hm_store_resolve(st, NULL, &d2), HM_OK);
	assert_string_equal(d.digest, d2.digest);
	assert_int_equal(hm_store_get_manifest(st, "v1", &body, &d2), HM_OK);
	assert_int_equal(hm_manifest_parse(&m, body.data, body.len, d2.media_type), HM_OK);
	assert_int_equal(hm_store_get_blob(st, m->config.digest, HM_MAX_MANIFEST, &cfg), HM_OK);
	assert_int_equal((int64_t)cfg.len, m->config.size);
	assert_int_equal(hm_store_list_tags(st, &tags), HM_OK);
	assert_int_equal(tags.n, 1);
	assert_string_equal(tags.v[0], "v1");

	/* tag it again through hallmark: umoci must see both tags */
	assert_int_equal(hm_store_put_manifest(st, "v2", d.media_type, body.data, body.len, NULL), HM_OK);
	snprintf(cmd, sizeof(cmd), "cd '%s' && umoci ls --layout um > um.tags 2>&1", tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(count_in_file(path_of("um.tags", ""), "v1"), 1);
	assert_int_equal(count_in_file(path_of("um.tags", ""), "v2"), 1);
	snprintf(cmd, sizeof(cmd), "cd '%s' && umoci stat --image um:v2 >/dev/null 2>&1", tmp);
	assert_int_equal(system(cmd), 0);

	hm_strv_free(&tags);
	hm_manifest_free(m);
	hm_buf_release(&body);
	hm_buf_release(&cfg);
	hm_store_free(st);
}

/* hm_store_set_known_tags: a tag missing from the list is absent without
 * looking; a tag in it is looked up; writing a tag drops the hint. */
static void test_known_tags(void **state)
{
	hm_store *st = open_layout("known", "", 1);
	const char *const none[] = {"a-tag-not-there"};
	hm_buf body = HM_BUF_INIT, got = HM_BUF_INIT;
	hm_prefetch pf[] = {{"v1", HM_PREFETCH_MANIFEST}};
	hm_desc d, r;

	make_image(st, &body, "known", NULL, NULL);
	put(st, "v1", &body, &d);
	assert_int_equal(hm_store_resolve(st, "v1", &r), HM_OK);
	hm_store_set_known_tags(st, none, 1);
	assert_int_equal(hm_store_resolve(st, "v1", &r), HM_E_NOTFOUND);
	assert_non_null(strstr(hm_error_message(), "not in its tag list"));
	assert_int_equal(hm_store_get_manifest(st, "v1", &got, &r), HM_E_NOTFOUND);
	assert_int_equal(hm_store_prefetch(st, pf, 1), HM_OK);
	/* digests are never judged by the tag list */
	assert_int_equal(hm_store_resolve(st, d.digest, &r), HM_OK);
	/* a tag written through the store: the list no longer holds */
	put(st, "v2", &body, NULL);
	assert_int_equal(hm_store_resolve(st, "v1", &r), HM_OK);
	hm_store_set_known_tags(st, none, 1);
	hm_store_set_known_tags(st, NULL, 0);
	assert_int_equal(hm_store_get_manifest(st, "v1", &got, &r), HM_OK);
	assert_string_equal(r.digest, d.digest);
	/* no attachment repository: attachments live in the store itself */
	assert_ptr_equal(hm_store_attachments(st), st);
	hm_buf_release(&body);
	hm_buf_release(&got);
	hm_store_free(st);
}

/* An OCI layout keeps its attachments in itself: an attachment repository
 * with a layout image, or a layout as one, is refused. */
static void test_layout_attachment_repo(void **state)
{
	hm_store_opts o = {0};
	hm_store *st = NULL;
	hm_ref r = HM_REF_INIT;
	char s[512];

	snprintf(s, sizeof(s), "oci:%s/known", tmp);
	assert_int_equal(hm_ref_parse(&r, s), HM_OK);
	o.attachment_repo = "registry.example/sigs";
	assert_int_equal(hm_store_open(&st, &r, &o, 1), HM_E_USAGE);
	assert_null(st);
	assert_non_null(strstr(hm_error_message(), "applies to registry images only"));
	o.attachment_repo = "";
	assert_int_equal(hm_store_open(&st, &r, &o, 1), HM_OK);
	hm_store_free(st);
	hm_ref_free(&r);
}

/* A store keeps index.json parsed while the file stays the same: what
 * another store (another process) writes is seen at the next lookup. */
static void test_index_cache(void **state)
{
	hm_store *a = open_layout("cache", "", 1), *b = open_layout("cache", "", 0);
	hm_buf one = HM_BUF_INIT, two = HM_BUF_INIT, sig = HM_BUF_INIT, out = HM_BUF_INIT;
	hm_manifest *idx = NULL;
	hm_strv tags = HM_STRV_INIT;
	hm_desc d1, d2, ds, r;

	(void)state;
	make_image(a, &one, "first", NULL, NULL);
	make_image(a, &two, "second", NULL, NULL);
	put(a, "v1", &one, &d1);
	assert_int_equal(hm_store_resolve(a, "v1", &r), HM_OK);
	assert_int_equal(hm_store_referrers(a, d1.digest, NULL, &out), HM_OK);
	assert_int_equal(hm_manifest_parse(&idx, out.data, out.len, NULL), HM_OK);
	assert_int_equal(idx->n_manifests, 0);
	hm_manifest_free(idx);

	/* b moves v1, adds v0 and a referrer of the first image */
	put(b, "v1", &two, &d2);
	put(b, "v0", &one, NULL);
	make_image(b, &sig, "a signature", d1.digest, NULL);
	put(b, NULL, &sig, &ds);

	assert_int_equal(hm_store_resolve(a, "v1", &r), HM_OK);
	assert_string_equal(r.digest, d2.digest);
	assert_int_equal(hm_store_list_tags(a, &tags), HM_OK);
	assert_int_equal(tags.n, 2);
	assert_string_equal(tags.v[0], "v0");
	assert_string_equal(tags.v[1], "v1");
	assert_int_equal(hm_store_referrers(a, d1.digest, NULL, &out), HM_OK);
	assert_int_equal(hm_manifest_parse(&idx, out.data, out.len, NULL), HM_OK);
	assert_int_equal(idx->n_manifests, 1);
	assert_string_equal(idx->manifests[0].digest, ds.digest);
	hm_manifest_free(idx);

	hm_strv_free(&tags);
	hm_buf_release(&one);
	hm_buf_release(&two);
	hm_buf_release(&sig);
	hm_buf_release(&out);
	hm_store_free(a);
	hm_store_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_and_blobs), cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_untagged),         cmocka_unit_test(test_referrers),
	    cmocka_unit_test(test_attached_dedup),
	    cmocka_unit_test(test_tampered),         cmocka_unit_test(test_umoci_layout),
	    cmocka_unit_test(test_known_tags),       cmocka_unit_test(test_layout_attachment_repo),
	    cmocka_unit_test(test_index_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
