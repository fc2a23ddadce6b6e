/* SPDX-License-Identifier: Apache-2.0 */
/* SLSA Verification Summary Attestations: building and accepting them.
 * See attest/vsa.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto/statement.h"
#include "attest/vsa.h"
#include "core/error.h"
#include "core/json.h"
#include "core/time.h"

static int sha256_digest(const char *d)
{
	return d && !strncmp(d, "sha256:", 7) && hm_digest_valid(d);
}

/* {"sha256": hex} under key of parent. */
static int add_digest(cJSON *parent, const char *key, const char *digest)
{
	cJSON *d = cJSON_AddObjectToObject(parent, key);

	return d && cJSON_AddStringToObject(d, "sha256", digest + 7);
}

int hm_vsa_predicate(cJSON **out, const hm_vsa_opts *o)
{
	cJSON *p = NULL, *v, *ver, *pol, *list;
	hm_buf uri = HM_BUF_INIT;
	char when[32];

	*out = NULL;
	if (!sha256_digest(o->digest))
		return hm_error_set(HM_E_USAGE, "VSA: invalid image digest '%s'", o->digest ? o->digest : "");
	if (!sha256_digest(o->policy_digest))
		return hm_error_set(HM_E_USAGE, "VSA: invalid policy digest '%s'",
				    o->policy_digest ? o->policy_digest : "");
	if (!o->name || !*o->name || !o->policy_uri || !*o->policy_uri)
		return hm_error_set(HM_E_USAGE, "VSA: the image name and the policy URI are required");
	for (size_t i = 0; i < o->n_inputs; i++)
		if (!sha256_digest(o->inputs[i].digest) || !o->inputs[i].uri)
			return hm_error_set(HM_E_USAGE, "VSA: input attestation %zu has no URI or no sha256 digest", i);
	hm_time_format(when, o->time_verified);
	if (hm_buf_addf(&uri, "%s@%s", o->name, o->digest) < 0)
		goto nomem;
	if (!(p = cJSON_CreateObject()) || !(v = cJSON_AddObjectToObject(p, "verifier")) ||
	    !cJSON_AddStringToObject(v, "id", o->verifier_id ? o->verifier_id : HM_VSA_VERIFIER_ID) ||
	    !(ver = cJSON_AddObjectToObject(v, "version")) ||
	    !cJSON_AddStringToObject(ver, "hallmark", o->version ? o->version : "unknown") ||
	    !cJSON_AddStringToObject(p, "timeVerified", when) ||
	    !cJSON_AddStringToObject(p, "resourceUri", hm_buf_cstr(&uri)) ||
	    !(pol = cJSON_AddObjectToObject(p, "policy")) || !cJSON_AddStringToObject(pol, "uri", o->policy_uri) ||
	    !add_digest(pol, "digest", o->policy_digest) || !(list = cJSON_AddArrayToObject(p, "inputAttestations")))
		goto nomem;
	for (size_t i = 0; i < o->n_inputs; i++) {
		cJSON *e = cJSON_CreateObject();

		if (!e)
			goto nomem;
		cJSON_AddItemToArray(list, e);
		if (!cJSON_AddStringToObject(e, "uri", o->inputs[i].uri) ||
		    (o->inputs[i].name && !cJSON_AddStringToObject(e, "name", o->inputs[i].name)) ||
		    !add_digest(e, "digest", o->inputs[i].digest))
			goto nomem;
	}
	if (!cJSON_AddStringToObject(p, "verificationResult", o->passed ? "PASSED" : "FAILED") ||
	    !(list = cJSON_AddArrayToObject(p, "verifiedLevels")) ||
	    (!o->passed && !cJSON_AddItemToArray(list, cJSON_CreateString("FAILED"))) ||
	    !cJSON_AddStringToObject(p, "slsaVersion", "1.0"))
		goto nomem;
	hm_buf_release(&uri);
	*out = p;
	return HM_OK;
nomem:
	hm_buf_release(&uri);
	cJSON_Delete(p);
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

int hm_vsa_statement(cJSON **out, const hm_vsa_opts *o)
{
	cJSON *pred = NULL;
	int err;

	*out = NULL;
	if ((err = hm_vsa_predicate(&pred, o)))
		return err;
	err = hm_statement_build(out, o->name, o->digest, HM_PREDICATE_VSA_V1, pred);
	cJSON_Delete(pred);
	return err;
}

int hm_vsa_accepts(const cJSON *statement, const hm_vsa_expect *e, hm_buf *why)
{
	const cJSON *pred = cJSON_GetObjectItemCaseSensitive(statement, "predicate");
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(pred, "policy");
	const char *type = hm_json_str(statement, "predicateType");
	const char *result = hm_json_str(pred, "verificationResult");
	const char *when = hm_json_str(pred, "timeVerified");
	const char *pdig = hm_json_str(cJSON_GetObjectItemCaseSensitive(pol, "digest"), "sha256");
	const char *vid = hm_json_str(cJSON_GetObjectItemCaseSensitive(pred, "verifier"), "id");
	int64_t t;

	if (!type || strcmp(type, HM_PREDICATE_VSA_V1)) {
		hm_buf_addf(why, "predicate type '%s' is not %s", type ? type : "", HM_PREDICATE_VSA_V1);
		return 0;
	}
	if (!cJSON_IsObject(pred)) {
		hm_buf_addstr(why, "the VSA has no predicate");
		return 0;
	}
	if (!e->digest || !hm_statement_json_has_subject(statement, e->digest)) {
		hm_buf_addf(why, "the VSA is for another image (no subject %s)", e->digest ? e->digest : "");
		return 0;
	}
	if (!result || strcmp(result, "PASSED")) {
		hm_buf_addf(why, "verificationResult is '%s', not PASSED", result ? result : "");
		return 0;
	}
	if (e->verifier_id && (!vid || strcmp(vid, e->verifier_id))) {
		hm_buf_addf(why, "verifier.id is '%s', not '%s'", vid ? vid : "", e->verifier_id);
		return 0;
	}
	if (e->policy_digest && (!pdig || strncmp(e->policy_digest, "sha256:", 7) || strcmp(pdig, e->policy_digest + 7))) {
		hm_buf_addf(why, "policy.digest.sha256 is '%s', not the policy %s", pdig ? pdig : "", e->policy_digest);
		return 0;
	}
	if (!when || hm_time_parse(&t, when) < 0) {
		hm_buf_addf(why, "timeVerified '%s' is not an RFC 3339 time", when ? when : "");
		return 0;
	}
	if (t > e->now + HM_VSA_MAX_SKEW) {
		hm_buf_addf(why, "timeVerified %s is in the future", when);
		return 0;
	}
	if (e->max_age > 0 && e->now - t > e->max_age) {
		hm_buf_addf(why, "verified at %s, more than the maxAge of %llds ago", when, e->max_age);
		return 0;
	}
	return 1;
}
