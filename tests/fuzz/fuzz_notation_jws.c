/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the notation JWS envelope parser and the signature check. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "notation/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_notation_envelope e;

	if (hm_notation_envelope_parse(&e, data, size, HM_NOTATION_MT_JWS) == HM_OK)
		(void)nt_signature_verify(&e);
	hm_notation_envelope_free(&e);
	hm_error_clear();
	return 0;
}
