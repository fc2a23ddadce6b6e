/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes TrustedRoot parsing and the log lookups over what it yields. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "sigstore/trustroot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_trustroot *r;
	static const unsigned char hint[4] = {0xc0, 0xd2, 0x3d, 0x6a};

	if (hm_trustroot_parse(&r, data, size, "fuzz root") != HM_OK)
		return 0;
	for (size_t i = 0; i < r->n_tlogs; i++)
		(void)hm_trustroot_tlog_by_id(r, r->tlogs[i].log_id, r->tlogs[i].log_id_len);
	(void)hm_trustroot_tlog_by_hint(r, "rekor.sigstore.dev", hint);
	hm_trustroot_free(r);
	return 0;
}
