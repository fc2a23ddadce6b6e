/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: hm_manifest_parse with each media type hint; what parses must
 * serialise, and the serialisation must parse to the same shape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/manifest.h"
#include "oci/store.h"

static const char *const hints[] = {NULL, HM_MT_OCI_MANIFEST, HM_MT_OCI_INDEX, HM_MT_DOCKER_MANIFEST,
                                    HM_MT_DOCKER_LIST};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_manifest *m = NULL, *back = NULL;
	hm_buf out = HM_BUF_INIT;
	const char *hint;

	if (size == 0)
		return 0;
	hint = hints[data[0] % (sizeof(hints) / sizeof(hints[0]))];
	if (hm_manifest_parse(&m, data + 1, size - 1, hint) == 0) {
		if (hm_manifest_serialize(&out, m) != 0)
			abort();
		if (hm_manifest_parse(&back, out.data, out.len, NULL) != 0)
			abort();
		if (back->is_index != m->is_index || back->n_layers != m->n_layers ||
		    back->n_manifests != m->n_manifests || !back->subject != !m->subject ||
		    strcmp(back->media_type, m->media_type) != 0)
			abort();
	}
	hm_manifest_free(m);
	hm_manifest_free(back);
	hm_buf_release(&out);
	return 0;
}
