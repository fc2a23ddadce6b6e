/* SPDX-License-Identifier: Apache-2.0 */
/* Manifests and indexes: valid documents of each kind, every malformed case
 * refused with a message that says where, and the builder round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/limits.h"
#include "oci/manifest.h"
#include "oci/store.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define D1 "sha256:" H1
#define D2 "sha256:" H2
#define D3 "sha256:" H3

#define CONFIG "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":7}"
#define LAYER(d)                                                                                             \
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" d "\",\"size\":32}"

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_OCI_MANIFEST "\",\"config\":" CONFIG ",\"layers\":[" LAYER(
        D2) ",{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"digest\":\"" D3
            "\",\"size\":250,"
            "\"annotations\":{\"dev.cosignproject.cosign/signature\":\"MEUCIQ==\"}}],"
            "\"subject\":{\"mediaType\":\"" HM_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":500},"
            "\"artifactType\":\"application/"
            "vnd.example+type\",\"annotations\":{\"a\":\"b\"},\"unknown\":[1,2]}";

static const char docker_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_DOCKER_MANIFEST "\",\"config\":{\"mediaType\":"
    "\"application/vnd.docker.container.image.v1+json\",\"size\":1469,\"digest\":\"" D1 "\"},"
    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":3370706,"
    "\"digest\":\"" D2 "\"}]}";

static const char oci_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_OCI_INDEX "\",\"manifests\":["
    "{\"mediaType\":\"" HM_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":100,"
    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" HM_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":100,"
    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}";

static const char docker_list[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_DOCKER_LIST "\",\"manifests\":["
    "{\"mediaType\":\"" HM_MT_DOCKER_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":528,"
    "\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"}}]}";

static hm_manifest *parse_ok(const char *json, const char *hint)
{
	hm_manifest *m = NULL;
	int err = hm_manifest_parse(&m, json, strlen(json), hint);

	if (err)
		fail_msg("refused: %s", hm_error_message());
	return m;
}

/* json must be refused with HM_E_IO and a message "manifest sha256:..: <why>". */
static void refused(const char *json, const char *hint, const char *why)
{
	hm_manifest *m = NULL;
	char digest[HM_DIGEST_SIZE], prefix[128];
	int err = hm_manifest_parse(&m, json, strlen(json), hint);

	if (err != HM_E_IO)
		fail_msg("accepted (err %d): %s", err, json);
	assert_null(m);
	hm_digest_compute(digest, json, strlen(json));
	snprintf(prefix, sizeof(prefix), "manifest %s: ", digest);
	if (strncmp(hm_error_message(), prefix, strlen(prefix)) != 0 || !strstr(hm_error_message(), why))
		fail_msg("message '%s' lacks '%s'", hm_error_message(), why);
}

static void test_oci_manifest(void **state)
{
	hm_manifest *m = parse_ok(oci_manifest, HM_MT_OCI_MANIFEST);
	char d[HM_DIGEST_SIZE];

	hm_digest_compute(d, oci_manifest, strlen(oci_manifest));
	assert_string_equal(m->digest, d);
	assert_string_equal(m->media_type, HM_MT_OCI_MANIFEST);
	assert_false(m->is_index);
	assert_string_equal(m->config.media_type, "application/vnd.oci.image.config.v1+json");
	assert_int_equal(m->config.size, 7);
	assert_int_equal(m->n_layers, 2);
	assert_string_equal(m->layers[0].digest, D2);
	assert_int_equal(m->layers[1].size, 250);
	assert_string_equal(hm_annotation_get(m->layers[1].annotations, m->layers[1].n_annotations,
	                                      "dev.cosignproject.cosign/signature"),
	                    "MEUCIQ==");
	assert_non_null(m->subject);
	assert_string_equal(m->subject->digest, D1);
	assert_string_equal(m->artifact_type, "application/vnd.example+type");
	assert_string_equal(hm_annotation_get(m->annotations, m->n_annotations, "a"), "b");
	assert_null(hm_annotation_get(m->annotations, m->n_annotations, "c"));
	hm_manifest_free(m);
}

static void test_docker_manifest(void **state)
{
	hm_manifest *m = parse_ok(docker_manifest, NULL);

	assert_string_equal(m->media_type, HM_MT_DOCKER_MANIFEST);
	assert_int_equal(m->n_layers, 1);
	assert_int_equal(m->layers[0].size, 3370706);
	assert_null(m->subject);
	hm_manifest_free(m);
}

static void test_indexes(void **state)
{
	hm_manifest *m = parse_ok(oci_index, NULL);

	assert_true(m->is_index);
	assert_int_equal(m->n_manifests, 2);
	assert_string_equal(m->manifests[0].platform->architecture, "arm64");
	assert_string_equal(m->manifests[0].platform->variant, "v8");
	assert_null(m->manifests[1].platform->variant);
	assert_string_equal(hm_annotation_get(m->manifests[1].annotations, m->manifests[1].n_annotations,
	                                      "org.opencontainers.image.ref.name"),
	                    "v1");
	hm_manifest_free(m);

	m = parse_ok(docker_list, HM_MT_DOCKER_LIST);
	assert_true(m->is_index);
	assert_string_equal(m->manifests[0].platform->os, "linux");
	hm_manifest_free(m);

	assert_true(hm_manifest_is_index(HM_MT_OCI_INDEX));
	assert_true(hm_manifest_is_index(HM_MT_DOCKER_LIST));
	assert_false(hm_manifest_is_index(HM_MT_OCI_MANIFEST));
	assert_false(hm_manifest_is_index(NULL));
}

static void test_media_type_choice(void **state)
{
	/* no mediaType: the hint, else inferred */
	hm_manifest *m = parse_ok("{\"schemaVersion\":2,\"manifests\":[]}", NULL);

	assert_string_equal(m->media_type, HM_MT_OCI_INDEX);
	hm_manifest_free(m);
	m = parse_ok("{\"schemaVersion\":2,\"config\":" CONFIG ",\"layers\":[]}", "application/json");
	assert_string_equal(m->media_type, HM_MT_OCI_MANIFEST);
	hm_manifest_free(m);
	m = parse_ok("{\"schemaVersion\":2,\"config\":" CONFIG ",\"layers\":[]}", HM_MT_DOCKER_MANIFEST);
	assert_string_equal(m->media_type, HM_MT_DOCKER_MANIFEST);
	hm_manifest_free(m);
	refused(oci_manifest, HM_MT_OCI_INDEX, "does not match the expected");
	refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}", NULL,
	        "is not an image manifest or index");
}

#define M(body) "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_OCI_MANIFEST "\"," body "}"
#define I(body) "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_OCI_INDEX "\"," body "}"

static void test_malformed(void **state)
{
	refused("", NULL, "invalid JSON");
	refused("{\"schemaVersion\":2,", NULL, "invalid JSON");
	refused("[]", NULL, "not a JSON object");
	refused("{\"config\":" CONFIG ",\"layers\":[]}", NULL, "schemaVersion is missing");
	refused("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL, "schemaVersion is not 2");
	refused("{\"schemaVersion\":\"2\",\"config\":" CONFIG ",\"layers\":[]}", NULL,
	        "schemaVersion is not 2");
	refused("{\"schemaVersion\":2,\"mediaType\":7,\"layers\":[]}", NULL, "mediaType is not a string");
	refused(M("\"layers\":[]"), NULL, "config is missing");
	refused(M("\"config\":" CONFIG), NULL, "layers is missing");
	refused(M("\"config\":" CONFIG ",\"layers\":{}"), NULL, "layers is not an array");
	refused(M("\"config\":[],\"layers\":[]"), NULL, "config is not an object");
	refused(M("\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]"), NULL,
	        "config.mediaType is missing");
	refused(M("\"config\":{\"mediaType\":\"\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]"), NULL,
	        "config.mediaType is empty");
	refused(M("\"config\":{\"mediaType\":1,\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]"), NULL,
	        "config.mediaType is not a string");
	refused(M("\"config\":{\"mediaType\":\"x\",\"size\":1},\"layers\":[]"), NULL,
	        "config.digest is missing");
	refused(M("\"config\":" CONFIG
	          ",\"layers\":[" LAYER(D1) "," LAYER(D2) ",{\"mediaType\":\"x\",\"digest\":"
	                                                  "\"sha256:abc\",\"size\":1}]"),
	        NULL, "layers[2].digest is not a valid digest");
	refused(M("\"config\":" CONFIG
	          ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"../../etc/passwd\",\"size\":1}]"),
	        NULL, "layers[0].digest is not a valid digest");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1 "\"}]"), NULL,
	        "layers[0].size is missing");
	refused(
	    M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":-1}]"),
	    NULL, "layers[0].size is not a non-negative integer");
	refused(
	    M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1.5}]"),
	    NULL, "layers[0].size is not a non-negative integer");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":\"1\"}]"),
	        NULL, "layers[0].size is not a non-negative integer");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1e300}]"),
	        NULL, "layers[0].size is not a non-negative integer");
	refused(M("\"config\":" CONFIG ",\"layers\":[7]"), NULL, "layers[0] is not an object");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"annotations\":{\"k\":1}}]"),
	        NULL, "layers[0].annotations['k'] is not a string");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"annotations\":[]}]"),
	        NULL, "layers[0].annotations is not an object");
	refused(M("\"config\":" CONFIG ",\"layers\":[],\"annotations\":\"x\""), NULL,
	        "annotations is not an object");
	refused(M("\"config\":" CONFIG
	          ",\"layers\":[],\"subject\":{\"mediaType\":\"x\",\"digest\":\"sha256:\",\"size\":1}"),
	        NULL, "subject.digest is not a valid digest");
	refused(M("\"config\":" CONFIG ",\"layers\":[],\"artifactType\":[]"), NULL,
	        "artifactType is not a string");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"artifactType\":false}]"),
	        NULL, "layers[0].artifactType is not a string");

	/* parser differentials: duplicates and case variants of the keys we read */
	refused(M("\"config\":" CONFIG ",\"layers\":[],\"layers\":[" LAYER(D1) "]"), NULL,
	        "layers appears more than once");
	refused(M("\"config\":" CONFIG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"Digest\":\"" D2 "\",\"size\":1}]"),
	        NULL, "layers[0].digest appears more than once");
	refused(M("\"Config\":" CONFIG ",\"layers\":[]"), NULL, "'Config' is not spelt 'config'");
	refused(I("\"layers\":[]"), NULL, "manifests is missing");
	refused(I("\"manifests\":{}"), NULL, "manifests is not an array");
	refused(I("\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"platform\":\"linux\"}]"),
	        NULL, "manifests[0].platform is not an object");
	refused(I("\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]"),
	        NULL, "manifests[0].platform.architecture is missing");
	refused(I("\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	          "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":7}}]"),
	        NULL, "manifests[0].platform.variant is not a string");
	refused(I("\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1},{\"digest\":\"" D2
	          "\",\"size\":1}]"),
	        NULL, "manifests[1].mediaType is missing");
}

/* An image manifest with n layers, each carrying per_layer annotations
 * (keys a0, a1, ...; dup makes the last key repeat the first). */
static char *manifest_of(size_t n, size_t per_layer, int dup)
{
	hm_buf b = HM_BUF_INIT;

	assert_int_equal(hm_buf_addstr(&b, "{\"schemaVersion\":2,\"config\":" CONFIG ",\"layers\":["), HM_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hm_buf_addf(&b, "%s{\"mediaType\":\"x\",\"digest\":\"" D2 "\",\"size\":1", i ? "," : ""),
				 HM_OK);
		for (size_t k = 0; k < per_layer; k++)
			assert_int_equal(hm_buf_addf(&b, "%s\"a%zu\":\"v\"", k ? "," : ",\"annotations\":{",
						     dup && k == per_layer - 1 ? (size_t)0 : k),
					 HM_OK);
		assert_int_equal(hm_buf_addstr(&b, per_layer ? "}}" : "}"), HM_OK);
	}
	assert_int_equal(hm_buf_addstr(&b, "]}"), HM_OK);
	return hm_buf_detach(&b, NULL);
}

/* The caps of core/limits.h: at the cap accepted, one over refused with a
 * message naming it; a repeated annotation key is refused (readers differ
 * on which value wins). */
static void test_caps(void **state)
{
	hm_buf idx = HM_BUF_INIT;
	char *j;
	hm_manifest *m;

	j = manifest_of(HM_MAX_LAYERS, 0, 0);
	m = parse_ok(j, NULL);
	assert_int_equal(m->n_layers, HM_MAX_LAYERS);
	hm_manifest_free(m);
	free(j);
	j = manifest_of(HM_MAX_LAYERS + 1, 0, 0);
	refused(j, NULL, "layers has 1001 entries, more than the 1000 allowed (the cap)");
	free(j);

	/* annotations count over the whole manifest: 10 layers of 1000 is the cap */
	j = manifest_of(10, HM_MAX_ANNOTATIONS / 10, 0);
	m = parse_ok(j, NULL);
	assert_int_equal(m->layers[9].n_annotations, HM_MAX_ANNOTATIONS / 10);
	assert_string_equal(hm_annotation_get(m->layers[9].annotations, m->layers[9].n_annotations, "a999"), "v");
	hm_manifest_free(m);
	free(j);
	j = manifest_of(11, HM_MAX_ANNOTATIONS / 10, 0);
	refused(j, NULL, "more than 10000 annotations (the cap)");
	free(j);
	j = manifest_of(1, 50, 1);
	refused(j, NULL, "layers[0].annotations['a0'] appears more than once");
	free(j);
	refused(M("\"config\":" CONFIG ",\"layers\":[],\"annotations\":{\"k\":\"1\",\"k\":\"2\"}"), NULL,
		"annotations['k'] appears more than once");

	assert_int_equal(hm_buf_addstr(&idx, "{\"schemaVersion\":2,\"manifests\":["), HM_OK);
	for (int i = 0; i <= HM_MAX_INDEX_ENTRIES; i++)
		assert_int_equal(hm_buf_addf(&idx, "%s{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1}", i ? "," : ""),
				 HM_OK);
	assert_int_equal(hm_buf_addstr(&idx, "]}"), HM_OK);
	refused(hm_buf_cstr(&idx), NULL, "manifests has 10001 entries, more than the 10000 allowed (the cap)");
	hm_buf_release(&idx);
}

static void test_build_round_trip(void **state)
{
	hm_manifest *m = NULL, *back = NULL;
	hm_descriptor *layer;
	hm_buf out = HM_BUF_INIT;

	assert_int_equal(hm_manifest_new(&m, "text/plain"), HM_E_USAGE);
	assert_int_equal(hm_manifest_new(&m, HM_MT_OCI_MANIFEST), HM_OK);
	assert_int_equal(hm_manifest_set_config(m, "application/vnd.oci.image.config.v1+json", D1, 233),
	                 HM_OK);
	assert_int_equal(
	    hm_manifest_add(&layer, m, "application/vnd.dev.cosign.simplesigning.v1+json", D2, 250), HM_OK);
	assert_int_equal(hm_descriptor_annotate(layer, "dev.cosignproject.cosign/signature", "old"), HM_OK);
	assert_int_equal(hm_descriptor_annotate(layer, "dev.cosignproject.cosign/signature", "MEUCIQ=="),
	                 HM_OK);
	assert_int_equal(hm_manifest_add(NULL, m, "application/vnd.dsse.envelope.v1+json", D3, 3000000000LL),
	                 HM_OK);
	assert_int_equal(hm_manifest_add(NULL, m, "x", "sha256:nothex", 1), HM_E_USAGE);
	assert_int_equal(hm_manifest_add(NULL, m, "x", D3, -1), HM_E_USAGE);
	assert_int_equal(hm_manifest_set_subject(m, HM_MT_OCI_MANIFEST, D3, 42), HM_OK);
	assert_int_equal(hm_manifest_annotate(m, "org.opencontainers.image.created", "2024-01-01T00:00:00Z"),
	                 HM_OK);
	assert_int_equal(hm_manifest_serialize(&out, m), HM_OK);

	back = parse_ok(hm_buf_cstr(&out), HM_MT_OCI_MANIFEST);
	assert_int_equal(back->n_layers, 2);
	assert_int_equal(back->layers[0].n_annotations, 1);
	assert_string_equal(back->layers[0].annotations[0].value, "MEUCIQ==");
	assert_int_equal(back->layers[1].size, 3000000000LL);
	assert_string_equal(back->subject->digest, D3);
	assert_int_equal(back->subject->size, 42);
	assert_string_equal(back->config.digest, D1);
	assert_string_equal(
	    hm_annotation_get(back->annotations, back->n_annotations, "org.opencontainers.image.created"),
	    "2024-01-01T00:00:00Z");

	/* append a layer to a parsed manifest: what attaching a second signature does */
	assert_int_equal(
	    hm_manifest_add(NULL, back, "application/vnd.dev.cosign.simplesigning.v1+json", D1, 1), HM_OK);
	hm_buf_reset(&out);
	assert_int_equal(hm_manifest_serialize(&out, back), HM_OK);
	hm_manifest_free(back);
	back = parse_ok(hm_buf_cstr(&out), NULL);
	assert_int_equal(back->n_layers, 3);
	hm_manifest_free(back);
	hm_manifest_free(m);

	/* an index, as the referrers API returns */
	assert_int_equal(hm_manifest_new(&m, HM_MT_OCI_INDEX), HM_OK);
	assert_int_equal(hm_manifest_set_config(m, "x", D1, 1), HM_E_USAGE);
	assert_int_equal(hm_manifest_add(&layer, m, HM_MT_OCI_MANIFEST, D2, 10), HM_OK);
	assert_int_equal(
	    hm_descriptor_set_artifact_type(layer, "application/vnd.dev.cosign.artifact.sig.v1+json"), HM_OK);
	hm_buf_reset(&out);
	assert_int_equal(hm_manifest_serialize(&out, m), HM_OK);
	back = parse_ok(hm_buf_cstr(&out), HM_MT_OCI_INDEX);
	assert_int_equal(back->n_manifests, 1);
	assert_string_equal(back->manifests[0].artifact_type,
	                    "application/vnd.dev.cosign.artifact.sig.v1+json");
	hm_manifest_free(back);
	hm_manifest_free(m);

	/* an incomplete manifest is not written */
	assert_int_equal(hm_manifest_new(&m, HM_MT_OCI_MANIFEST), HM_OK);
	hm_buf_reset(&out);
	assert_int_equal(hm_manifest_serialize(&out, m), HM_E_USAGE);
	hm_manifest_free(m);
	hm_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oci_manifest), cmocka_unit_test(test_docker_manifest),
	    cmocka_unit_test(test_indexes),      cmocka_unit_test(test_media_type_choice),
	    cmocka_unit_test(test_malformed),    cmocka_unit_test(test_build_round_trip),
	    cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
