/* SPDX-License-Identifier: Apache-2.0 */
/* Checking the attestations attached to an image against a set of keys.
 * Only the bytes the signature covers are interpreted: the statement comes
 * from the verified DSSE payload, never from the annotations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "crypto/statement.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/discover.h"
#include "verify/evidence.h"

static int refuse(hm_att_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(hm_att_result *r, const char *fmt, ...)
{
	va_list ap;
	int err;

	r->valid = 0;
	va_start(ap, fmt);
	err = hm_reason_vset(&r->reason, fmt, ap);
	va_end(ap);
	return err;
}

/* Checks one attached envelope.  Only operational errors are returned; a
 * refused attestation is recorded in r. */
static int check_one(hm_att_result *r, hm_store *s, const hm_attached *a, const char *digest,
		     const hm_evidence_opts *who, const char *want_type)
{
	hm_key *const *keys = who->keys;
	size_t nkeys = who->n_keys;
	hm_buf env = HM_BUF_INIT;
	hm_dsse_result dr = {0};
	hm_statement st = HM_STATEMENT_INIT;
	const char *ann_type = hm_json_str(a->annotations, "predicateType");
	int keyless = hm_evidence_is_legacy_keyless(a->annotations);
	int err = HM_OK;

	if (ann_type && !(r->predicate_type = strdup(ann_type)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (a->refused) {
		err = refuse(r, "%s", a->refused);
		goto done;
	}
	err = hm_attached_fetch(&env, s, a, HM_ATT_MAX_ENVELOPE);
	if (err == HM_E_VERIFY) {
		err = refuse(r, "envelope: %s", hm_error_message());
		goto done;
	}
	if (err)
		goto done;
	if (keyless) {
		/* cosign v2's keyless attestation layer: a certificate, never a key */
		char *reason = NULL;

		if ((err = hm_evidence_legacy_keyless_att(&reason, &r->signer, a->annotations, env.data, env.len, who,
							  &dr.payload_type, &dr.payload)))
			goto done;
		if (reason) {
			r->reason = reason;
			goto done;
		}
		r->identity_index = hm_trust_find(who->identities, who->n_identities, &r->signer);
	} else {
		err = hm_dsse_verify(&dr, env.data, env.len, keys, nkeys);
		if (err == HM_E_VERIFY || err == HM_E_IO) {
			err = refuse(r, "%s", hm_error_message());
			goto done;
		}
		if (err)
			goto done;
		r->key_index = dr.verified_by;
	}
	if (!dr.payload_type || strcmp(dr.payload_type, HM_DSSE_INTOTO)) {
		err = refuse(r, "payload type '%.100s' is not %s", dr.payload_type ? dr.payload_type : "",
			     HM_DSSE_INTOTO);
		goto done;
	}
	if (hm_statement_parse(&st, dr.payload.data, dr.payload.len)) {
		err = refuse(r, "%s", hm_error_message());
		goto done;
	}
	free(r->predicate_type);
	if (!(r->predicate_type = strdup(st.predicate_type))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (!hm_statement_has_subject(&st, digest)) {
		const char *other = st.subjects[0].digest[0] ? st.subjects[0].digest : "";

		if (*other)
			err = refuse(r, "subject is for %s, not the image", other);
		else
			err = refuse(r, "subject has no sha256 digest");
		goto done;
	}
	if (want_type && strcmp(st.predicate_type, want_type)) {
		err = refuse(r, "predicate type is %.200s, not %s", st.predicate_type, want_type);
		goto done;
	}
	r->valid = 1;
	if (!keyless) {
		r->signer.kind = HM_AUTH_KEY;
		r->signer.key = keys[r->key_index];
	}
	r->statement = st.json;
	st.json = NULL;
done:
	if (!r->valid) {
		r->key_index = -1;
		r->identity_index = -1;
		if (keyless)
			hm_signer_release(&r->signer);
	}
	hm_statement_free(&st);
	hm_dsse_result_free(&dr);
	hm_buf_release(&env);
	return err;
}

static void result_release(hm_att_result *r)
{
	hm_signer_release(&r->signer);
	free(r->source);
	free(r->reason);
	free(r->predicate_type);
	cJSON_Delete(r->statement);
	memset(r, 0, sizeof(*r));
}

/* Checks one bundle: *listed is 0 when it is no attestation of the type
 * wanted (a signature, verified or claiming to be one; another type). */
static int check_bundle(hm_att_result *r, int *listed, hm_store *s, const hm_attached *a, const char *digest,
			const hm_evidence_opts *who, const char *want)
{
	hm_bundle_verdict v;
	int err = hm_evidence_bundle(&v, &r->signer, s, a, digest, who);

	*listed = 1;
	if (err)
		goto done;
	if (v.reason) {
		*listed = hm_evidence_may_be_attestation(a, want);
		if (a->hint && !(r->predicate_type = strdup(a->hint)))
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		else
			err = refuse(r, "%s", v.reason);
		goto done;
	}
	if (hm_bundle_verdict_is_signature(&v) || (want && strcmp(v.predicate_type, want) != 0)) {
		*listed = 0;
		goto done;
	}
	r->key_index = v.key_index;
	r->identity_index = hm_trust_find(who->identities, who->n_identities, &r->signer);
	r->predicate_type = v.predicate_type;
	r->statement = v.statement;
	v.predicate_type = NULL;
	v.statement = NULL;
	r->valid = 1;
done:
	hm_bundle_verdict_free(&v);
	return err;
}

int hm_attest_verify_in(hm_att_results *out, hm_store *s, const hm_attached_list *l, const char *digest,
			hm_key *const *keys, size_t nkeys, const char *predicate_type)
{
	return hm_attest_verify_who(out, s, l, digest, keys, nkeys, NULL, 0, predicate_type);
}

static int verify_found(hm_att_results *out, hm_store *s, const hm_attached_list *l, const char *digest,
			const hm_evidence_opts *who, const char *predicate_type)
{
	const char *want = NULL;
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	if (predicate_type && (err = hm_predicate_type_resolve(&want, predicate_type)))
		return err;
	out->v = l->n ? calloc(l->n, sizeof(*out->v)) : NULL;
	if (l->n && !out->v)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < l->n && !err; i++) {
		const hm_attached *a = &l->v[i];
		hm_att_result *r = &out->v[out->n];
		int listed = 1;

		/* a refused manifest from a referrer might have held an
		 * attestation; one from the .sig tag did not */
		if (a->kind != HM_KIND_DSSE && a->kind != HM_KIND_BUNDLE && !(a->refused && a->kind == HM_KIND_UNKNOWN))
			continue;
		r->key_index = -1;
		r->identity_index = -1;
		r->signer.log_index = -1;
		r->kind = a->kind;
		r->form = a->form;
		snprintf(r->layer, sizeof(r->layer), "%s", a->desc.digest);
		if (!(r->source = strdup(a->source))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			break;
		}
		if (a->kind == HM_KIND_BUNDLE) {
			err = check_bundle(r, &listed, s, a, digest, who, want);
		} else {
			err = check_one(r, s, a, digest, who, want);
			/* with a type asked for, list what claims (annotation) or turns
			 * out (signed statement) to be of that type, and what could not
			 * be read at all: it might have been of that type */
			listed = !want || a->refused || (a->hint && !strcmp(a->hint, want)) ||
				 (r->predicate_type && !strcmp(r->predicate_type, want));
		}
		if (err || !listed) {
			result_release(r);
			continue;
		}
		if (r->valid)
			out->n_valid++;
		out->n++;
	}
	if (err) {
		hm_att_results_free(out);
		return hm_error_wrap(err, "checking the attestations of %s", digest);
	}
	hm_error_clear();
	return HM_OK;
}

int hm_attest_verify_who(hm_att_results *out, hm_store *s, const hm_attached_list *found, const char *digest,
			 hm_key *const *keys, size_t nkeys, const hm_authority *identities, size_t n_identities,
			 const char *predicate_type)
{
	hm_evidence_opts who = {keys, nkeys, identities, n_identities};
	hm_attached_list l;
	int err;

	if (found)
		return verify_found(out, s, found, digest, &who, predicate_type);
	memset(out, 0, sizeof(*out));
	if ((err = hm_discover(&l, s, digest)))
		return hm_error_wrap(err, "finding the attestations of %s", digest);
	err = verify_found(out, s, &l, digest, &who, predicate_type);
	hm_attached_list_free(&l);
	return err;
}

int hm_attest_verify(hm_att_results *out, hm_store *s, const char *digest, hm_key *const *keys, size_t nkeys,
		     const char *predicate_type)
{
	return hm_attest_verify_who(out, s, NULL, digest, keys, nkeys, NULL, 0, predicate_type);
}

void hm_att_results_free(hm_att_results *r)
{
	for (size_t i = 0; i < r->n; i++)
		result_release(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = r->n_valid = 0;
}
