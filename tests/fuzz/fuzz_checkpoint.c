/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the outside inputs of a Rekor entry: the signed checkpoint note
 * (against the public-good Rekor key) and the entry body binding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "sigstore/rekor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hm_trustroot *root;
	static const unsigned char z[32];
	hm_rekor_subject s = {.sig = z, .sig_len = 8, .cert_der = z, .cert_len = 8, .digest = z};
	hm_rekor_subject d = {.sig = z, .sig_len = 8, .cert_der = z, .cert_len = 8, .payload_type = "t",
			      .payload = z, .payload_len = 8, .envelope = z, .envelope_len = 8};
	hm_checkpoint cp;

	if (!root && hm_trustroot_builtin(&root) != HM_OK)
		abort();
	for (size_t i = 0; i < root->n_tlogs; i++)
		(void)hm_checkpoint_verify(&cp, (const char *)data, size, &root->tlogs[i]);
	(void)hm_rekor_entry_binds(data, size, &s);
	(void)hm_rekor_entry_binds(data, size, &d);
	return 0;
}
