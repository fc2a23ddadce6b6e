/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: accepting a verification summary (a statement that verified,
 * whose predicate is still the verifier's to shape). */
#include <stddef.h>
#include <stdint.h>

#include "crypto/statement.h"
#include "attest/vsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_vsa_expect e = {"sha256:0000000000000000000000000000000000000000000000000000000000000000",
			   "sha256:1111111111111111111111111111111111111111111111111111111111111111",
			   "https://github.com/hallmark-dev/hallmark", 86400, 1767225600};
	hm_statement st;
	hm_buf why = HM_BUF_INIT;

	if (hm_statement_parse(&st, data, size) == 0) {
		(void)hm_vsa_accepts(st.json, &e, &why);
		e.policy_digest = NULL;
		e.verifier_id = NULL;
		(void)hm_vsa_accepts(st.json, &e, &why);
		hm_statement_free(&st);
	}
	hm_buf_release(&why);
	return 0;
}
