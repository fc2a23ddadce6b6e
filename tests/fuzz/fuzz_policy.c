/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: policy/policy.c lint from memory (key files are looked up in
 * a directory that does not exist), then rule matching. */
#include <stdint.h>
#include <stdlib.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;

	if (hm_policy_load_mem(&p, data, size, "fuzz.yaml", "/nonexistent", &diags) == 0) {
		hm_policy_match(p, "docker.io/library/nginx", "latest", NULL);
		hm_policy_match(p, "registry.example.com/prod/app", NULL,
				"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
		hm_policy_free(p);
	}
	hm_strv_free(&diags);
	return 0;
}
