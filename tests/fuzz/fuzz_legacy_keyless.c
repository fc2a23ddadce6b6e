/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes cosign v2's legacy keyless layers (verify/legacy_keyless.c): the
 * input is both the layer's annotations (certificate and chain PEM, Rekor
 * bundle, RFC 3161 timestamp; when it parses as a JSON object) and the .att
 * layer's DSSE envelope, checked under an identity and the built-in root. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "verify/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hm_trustroot *root;
	static const unsigned char z[64];
	hm_authority a = {.kind = HM_AUTH_KEYLESS, .identity = {.subject = "x", .issuer = "y"}};
	hm_evidence_opts o = {NULL, 0, &a, 1};
	cJSON *ann = cJSON_ParseWithLength((const char *)data, size);
	hm_signer signer = {0};
	hm_buf payload = HM_BUF_INIT;
	char *reason = NULL, *type = NULL;

	if (!root && hm_trustroot_builtin(&root) != HM_OK)
		abort();
	a.trustroot = root;
	if (!cJSON_IsObject(ann)) {
		cJSON_Delete(ann);
		ann = cJSON_CreateObject();
	}
	if (hm_evidence_legacy_keyless(&reason, &signer, ann, z, sizeof(z), data, size, &o) == HM_OK)
		free(reason);
	hm_signer_release(&signer);
	reason = NULL;
	if (hm_evidence_legacy_keyless_att(&reason, &signer, ann, data, size, &o, &type, &payload) == HM_OK)
		free(reason);
	free(type);
	hm_buf_release(&payload);
	hm_signer_release(&signer);
	cJSON_Delete(ann);
	return 0;
}
