/* SPDX-License-Identifier: Apache-2.0 */
/* The audit's policy hook: a policy file decides on each digest.
 *
 * hm_policy_backend_store() would open a store per image; here the audit's
 * worker already holds one for the repository, owned by its thread, so the
 * backend (hm_policy_backend_borrow) hands that store out as every session
 * and never frees it.  With a
 * single pinned input hm_policy_eval() resolves nothing and verifies on the
 * calling thread, so the store never leaves the worker that owns it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/error.h"
#include "policy/eval.h"

void hm_audit_decision_release(hm_audit_decision *d)
{
	free(d->rule);
	hm_strv_free(&d->violations);
	d->rule = NULL;
	d->allowed = -1;
}

int hm_audit_decision_from_policy(hm_audit_decision *out, const struct hm_image_decision *d)
{
	int err = HM_OK;

	hm_audit_decision_release(out);
	out->allowed = d->allowed != 0;
	if (d->rule_name && !(out->rule = strdup(d->rule_name)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t k = 0; !err && k < d->n_checks; k++) {
		char *line = NULL;

		if (d->checks[k].met)
			continue;
		if (asprintf(&line, "%s: %s", d->checks[k].what,
			     d->checks[k].detail ? d->checks[k].detail : "") < 0 ||
		    hm_strv_push_owned(&out->violations, line) < 0)
			err = hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (err)
		hm_audit_decision_release(out);
	return err;
}

int hm_audit_policy_decide(void *ctx, hm_store *s, const char *image, hm_audit_decision *out)
{
	const hm_policy *p = ctx;
	hm_policy_backend b;
	hm_eval_input in = {image, NULL, NULL, NULL, NULL, NULL};
	hm_eval_opts eo = HM_EVAL_OPTS_INIT;
	hm_decision d;
	int err;

	hm_policy_backend_borrow(&b, s);
	eo.jobs = 1; /* one input: no thread of its own */
	if ((err = hm_policy_eval(&d, p, &b, &in, 1, &eo)))
		return err;
	err = d.n == 1 ? hm_audit_decision_from_policy(out, &d.v[0])
		       : hm_error_set(HM_E_IO, "policy evaluation of '%s' gave no decision", image);
	hm_decision_free(&d);
	return err;
}
