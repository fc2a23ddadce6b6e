/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: policy/workload.c — Kubernetes manifests and AdmissionReview
 * requests; the first byte picks which, the rest is the input.  A parsed
 * review gets a response built for an all-denied decision. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_workload w = HM_WORKLOAD_INIT;
	hm_admission a;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		hm_eval_input *in = NULL;

		if (hm_workload_from_yaml(&w, data + 1, size - 1, "fuzz") == 0 && hm_workload_inputs(&in, &w) == 0)
			free(in);
		hm_workload_free(&w);
		return 0;
	}
	if (hm_admission_parse(&a, data + 1, size - 1, "fuzz") == 0) {
		hm_decision d = {0};
		cJSON *r;

		d.n = a.images.n;
		d.v = calloc(d.n + 1, sizeof(*d.v));
		for (size_t i = 0; d.v && i < d.n; i++) {
			d.v[i].in.image = a.images.v[i].image;
			d.v[i].in.pointer = a.images.v[i].pointer;
			d.v[i].digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
			d.v[i].allowed = i % 2;
			d.v[i].violated = 1;
		}
		d.allowed = d.n < 2;
		if (d.v) {
			r = hm_admission_response(&a, &d, 1);
			cJSON_Delete(r);
		}
		free(d.v);
		hm_admission_free(&a);
	}
	return 0;
}
