/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the notation trust policy parser and scope selection. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "notation/notation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_notation_policy *p = NULL;
	const hm_notation_trust_policy *t;

	if (hm_notation_policy_parse(&p, data, size, "fuzz") == HM_OK)
		(void)hm_notation_policy_select(&t, p, "registry.example.com/team/app");
	hm_notation_policy_free(p);
	hm_error_clear();
	return 0;
}
