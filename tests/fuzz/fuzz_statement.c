/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: in-toto statement parsing. */
#include <stddef.h>
#include <stdint.h>

#include "crypto/statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_statement st;

	if (hm_statement_parse(&st, data, size) == 0) {
		(void)hm_statement_has_subject(&st, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
		hm_statement_free(&st);
	}
	return 0;
}
