/* SPDX-License-Identifier: Apache-2.0 */
/* The simple-signing payload check: any bytes a registry serves as a
 * payload (after a signature verified) must give HM_OK or HM_E_VERIFY. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ann[] = {"env=prod", "team"};
	cJSON *parsed = NULL;
	int err = hm_payload_check(&parsed, data, size,
				   "sha256:1111111111111111111111111111111111111111111111111111111111111111", ann, 2);

	if (err != HM_OK && err != HM_E_VERIFY)
		abort();
	cJSON_Delete(parsed);
	return 0;
}
