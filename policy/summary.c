/* SPDX-License-Identifier: Apache-2.0 */
/* Verification summaries of decisions.  See policy/summary.h. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "policy/summary.h"

/* The URI of an evidence blob of repository name. */
static int evidence_uri(hm_buf *out, const char *name, const char *digest)
{
	return hm_buf_addf(out, "%s%s@%s", strncmp(name, "oci:", 4) ? "oci://" : "", name, digest);
}

int hm_decision_vsa(cJSON **out, int *passed, const hm_decision *d, size_t i, const hm_vsa_opts *base)
{
	const hm_image_decision *o = &d->v[i];
	hm_vsa_opts vo = *base;
	hm_vsa_input *in = NULL;
	hm_buf *uris = NULL;
	size_t n_in = 0, cap = 0;
	int err = HM_OK;

	*out = NULL;
	*passed = 1;
	if (!o->digest || !o->name)
		return hm_error_set(HM_E_USAGE, "'%s' was decided on no digest", o->in.image ? o->in.image : "?");
	for (size_t j = 0; j < d->n; j++) {
		const hm_image_decision *q = &d->v[j];

		if (!q->digest || strcmp(q->digest, o->digest) || q->error)
			continue;
		*passed &= q->allowed && !q->violated;
		cap += q->n_evidence;
	}
	if (!(in = calloc(cap + 1, sizeof(*in))) || !(uris = calloc(cap + 1, sizeof(*uris)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t j = 0; j < d->n; j++) {
		const hm_image_decision *q = &d->v[j];

		if (!q->digest || strcmp(q->digest, o->digest) || q->error || !q->name)
			continue;
		for (size_t k = 0; k < q->n_evidence; k++) {
			size_t m;

			for (m = 0; m < n_in && strcmp(in[m].digest, q->evidence[k].digest); m++)
				;
			if (m < n_in)
				continue;
			if (evidence_uri(&uris[n_in], q->name, q->evidence[k].digest) < 0) {
				err = hm_error_set(HM_E_NOMEM, "out of memory");
				goto done;
			}
			in[n_in].uri = hm_buf_cstr(&uris[n_in]);
			in[n_in].name = q->evidence[k].source;
			in[n_in].digest = q->evidence[k].digest;
			n_in++;
		}
	}
	vo.name = o->name;
	vo.digest = o->digest;
	vo.inputs = in;
	vo.n_inputs = n_in;
	vo.passed = *passed;
	err = hm_vsa_statement(out, &vo);
done:
	for (size_t k = 0; uris && k < cap; k++)
		hm_buf_release(&uris[k]);
	free(uris);
	free(in);
	return err;
}
