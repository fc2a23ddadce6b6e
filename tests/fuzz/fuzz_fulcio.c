/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes reading a Fulcio certificate: the DER (through OpenSSL), then the
 * SANs, the OIDC issuer and the CI claim extensions that hallmark decodes
 * itself, and matching them against an identity policy. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "sigstore/fulcio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const hm_identity_policy p = {
		.subject_regexp = "^https://github.com/.*$",
		.issuer = "https://token.actions.githubusercontent.com",
	};
	hm_fulcio_identity id = {0};
	X509 *leaf = NULL;

	if (hm_fulcio_load(&leaf, data, size, "fuzz certificate") != HM_OK)
		return 0;
	if (hm_fulcio_identity_get(&id, leaf) == HM_OK) {
		(void)hm_fulcio_identity_match(&id, &p);
		for (int arc = 0; arc <= HM_FULCIO_MAX_ARC; arc++)
			(void)hm_fulcio_claim_name(arc);
	}
	hm_fulcio_identity_release(&id);
	X509_free(leaf);
	return 0;
}
