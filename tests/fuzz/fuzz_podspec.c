/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the generic pod-spec search of policy/workload.c, which reads
 * objects of kinds hallmark does not know (and YAML merge keys in them).
 * The input is one object's body; it is given an unknown kind so that the
 * search, not a known path, finds its images, then the refusals are turned
 * into a decision as the CLI and the webhook do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "kind: FuzzedKind\n";
	hm_workload w = HM_WORKLOAD_INIT;
	char *doc = malloc(sizeof(head) + size);

	if (!doc)
		return 0;
	memcpy(doc, head, sizeof(head) - 1);
	memcpy(doc + sizeof(head) - 1, data, size);
	if (hm_workload_from_yaml(&w, doc, sizeof(head) - 1 + size, "fuzz") == 0) {
		hm_decision d = {0};

		d.allowed = 1;
		hm_workload_deny_refused(&d, &w, data[0] & 1);
		hm_decision_free(&d);
	}
	hm_workload_free(&w);
	free(doc);
	return 0;
}
