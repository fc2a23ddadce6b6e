/* SPDX-License-Identifier: Apache-2.0 */
/* The SLSA verification summary (attest/vsa.h) of what a decision decided
 * about one digest: `policy check --vsa-key` and `policy serve --vsa-key`
 * make theirs here. */
#ifndef HM_POLICY_SUMMARY_H
#define HM_POLICY_SUMMARY_H

#include <cjson/cJSON.h>
#include "attest/vsa.h"
#include "policy/eval.h"

/* The in-toto statement of the summary of d->v[i]'s digest, over every
 * image of d deciding that digest without an operational error: PASSED
 * when each was allowed with every requirement met, the blobs their met
 * requirements rested on as inputAttestations (oci://NAME@DIGEST each).
 * base gives verifier_id, version, time_verified, policy_uri and
 * policy_digest; the rest is filled here.  *passed says which.  HM_E_USAGE
 * when d->v[i] decided no digest; HM_E_NOMEM. */
int hm_decision_vsa(cJSON **out, int *passed, const hm_decision *d, size_t i, const hm_vsa_opts *base);

#endif
