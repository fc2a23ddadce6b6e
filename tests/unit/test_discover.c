/* SPDX-License-Identifier: Apache-2.0 */
/* The one classifier of discovered layers (oci/discover.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "oci/discover.h"

static void classify_by_layer_media_type(void **state)
{
	(void)state;
	assert_int_equal(hm_attach_classify(NULL, HM_MT_SIMPLESIGNING), HM_KIND_SIMPLESIGNING);
	assert_int_equal(hm_attach_classify(NULL, HM_MT_DSSE), HM_KIND_DSSE);
	assert_int_equal(hm_attach_classify(NULL, HM_MT_BUNDLE), HM_KIND_BUNDLE);
	assert_int_equal(hm_attach_classify(NULL, "application/vnd.dev.sigstore.bundle+json;version=0.1"), HM_KIND_BUNDLE);
	assert_int_equal(hm_attach_classify(NULL, "application/vnd.dev.sigstore.bundle+json;version=0.3"), HM_KIND_BUNDLE);
	/* not a version that exists, nor a prefix match */
	assert_int_equal(hm_attach_classify(NULL, "application/vnd.dev.sigstore.bundle+json;version=0.4"), HM_KIND_OTHER);
	assert_int_equal(hm_attach_classify(NULL, "application/vnd.dev.sigstore.bundle+json;version=0.3x"), HM_KIND_OTHER);
	assert_int_equal(hm_attach_classify(NULL, "application/vnd.dev.sigstore.bundle.v0.3+jsonx"), HM_KIND_OTHER);
	/* the descriptor's artifactType never makes a bundle: only the layer does */
	assert_int_equal(hm_attach_classify(HM_MT_BUNDLE, "application/octet-stream"), HM_KIND_OTHER);
	assert_int_equal(hm_attach_classify(HM_MT_OCI_EMPTY, HM_MT_BUNDLE), HM_KIND_BUNDLE);
	assert_int_equal(hm_attach_classify(HM_AT_NOTATION, "application/jose+json"), HM_KIND_NOTATION);
	assert_int_equal(hm_attach_classify(NULL, NULL), HM_KIND_OTHER);
	assert_string_equal(hm_attach_kind_name(HM_KIND_BUNDLE), "sigstore-bundle");
	assert_string_equal(hm_attach_form_name(HM_FORM_REFERRERS_TAG), "referrers-tag");
	assert_string_equal(hm_attach_form_name(HM_FORM_LAYOUT_COSIGN), "cosign-save-layout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(classify_by_layer_media_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
