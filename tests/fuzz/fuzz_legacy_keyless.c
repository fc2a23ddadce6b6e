/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes cosign v2's legacy keyless signature layer (verify/legacy_keyless.c):
 * the input is the layer's annotations as a JSON object -- the certificate
 * and chain (PEM), cosign's rekor bundle (JSON with base64 and hex fields),
 * the RFC 3161 timestamp (JSON with base64) and the signature (base64) --
 * read and verified as hm_verify does, under the built-in trusted root. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "verify/evidence.h"

static const char payload[] = "{\"critical\":{\"identity\":{\"docker-reference\":\"r.example/app\"},"
			      "\"image\":{\"docker-manifest-digest\":\"sha256:00\"},"
			      "\"type\":\"cosign container image signature\"},\"optional\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hm_trustroot *root;
	hm_authority id = {.kind = HM_AUTH_KEYLESS,
			   .name = "fuzz",
			   .identity = {.subject_regexp = "github", .issuer = "https://token.actions.githubusercontent.com"}};
	hm_evidence_opts o = {0};
	hm_signer signer = HM_SIGNER_INIT;
	hm_buf sig = HM_BUF_INIT;
	const char *b64;
	char *reason = NULL;
	cJSON *ann;

	if (!root && hm_trustroot_builtin(&root) != HM_OK)
		abort();
	id.trustroot = root;
	o.identities = &id;
	o.n_identities = 1;
	if (!(ann = cJSON_ParseWithLength((const char *)data, size)))
		return 0;
	/* as hm_verify: only a layer with a certificate is a keyless one */
	if (hm_evidence_is_legacy_keyless(ann)) {
		b64 = hm_json_str(ann, "dev.cosignproject.cosign/signature");
		if (b64)
			(void)hm_base64_decode(&sig, b64, strlen(b64));
		(void)hm_evidence_legacy_keyless(&reason, &signer, ann, sig.data, sig.len, payload, sizeof(payload) - 1,
						 &o);
	}
	free(reason);
	hm_signer_release(&signer);
	hm_buf_release(&sig);
	cJSON_Delete(ann);
	hm_error_clear();
	return 0;
}
