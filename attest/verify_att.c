/* Checking the attestations attached to an image against a set of keys.
 * Only the bytes the signature covers are interpreted: the statement comes
 * from the verified DSSE payload, never from the annotations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "attest/statement.h"
#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/attach.h"

static int refuse(hm_att_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(hm_att_result *r, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	r->valid = 0;
	r->reason = strdup(tmp);
	return r->reason ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

/* Checks one attached envelope.  Only operational errors are returned; a
 * refused attestation is recorded in r. */
static int check_one(hm_att_result *r, hm_store *s, const hm_attached *a, const char *digest,
		     hm_key *const *keys, size_t nkeys, const char *want_type)
{
	hm_buf env = HM_BUF_INIT;
	hm_dsse_result dr = {0};
	hm_statement st = HM_STATEMENT_INIT;
	const char *ann_type = hm_json_str(a->annotations, "predicateType");
	int err = HM_OK;

	r->key_index = -1;
	snprintf(r->layer, sizeof(r->layer), "%s", a->desc.digest);
	if (!(r->source = strdup(a->source)) ||
	    (ann_type && !(r->predicate_type = strdup(ann_type))))
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
	err = hm_dsse_verify(&dr, env.data, env.len, keys, nkeys);
	if (err == HM_E_VERIFY || err == HM_E_IO) {
		err = refuse(r, "%s", hm_error_message());
		goto done;
	}
	if (err)
		goto done;
	r->key_index = dr.verified_by;
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
	r->statement = st.json;
	st.json = NULL;
done:
	if (!r->valid)
		r->key_index = -1;
	hm_statement_free(&st);
	hm_dsse_result_free(&dr);
	hm_buf_release(&env);
	return err;
}

static void result_release(hm_att_result *r)
{
	free(r->source);
	free(r->reason);
	free(r->predicate_type);
	cJSON_Delete(r->statement);
	memset(r, 0, sizeof(*r));
}

int hm_attest_verify(hm_att_results *out, hm_store *s, const char *digest, hm_key *const *keys,
		     size_t nkeys, const char *predicate_type)
{
	hm_attached_list l = {0};
	const char *want = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	if (predicate_type && (err = hm_predicate_type_resolve(&want, predicate_type)))
		return err;
	err = hm_attached_find(&l, s, digest, "att", HM_MT_DSSE);
	if (err)
		return hm_error_wrap(err, "finding the attestations of %s", digest);
	out->v = l.n ? calloc(l.n, sizeof(*out->v)) : NULL;
	if (l.n && !out->v) {
		hm_attached_list_free(&l);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < l.n && !err; i++) {
		hm_att_result *r = &out->v[out->n];
		const char *ann = hm_json_str(l.v[i].annotations, "predicateType");

		err = check_one(r, s, &l.v[i], digest, keys, nkeys, want);
		if (err) {
			result_release(r);
			break;
		}
		/* with a type asked for, list what claims (annotation) or turns
		 * out (signed statement) to be of that type, and what could not
		 * be read at all: it might have been of that type */
		if (want && !l.v[i].refused && !(ann && !strcmp(ann, want)) &&
		    !(r->predicate_type && !strcmp(r->predicate_type, want))) {
			result_release(r);
			continue;
		}
		if (r->valid)
			out->n_valid++;
		out->n++;
	}
	hm_attached_list_free(&l);
	if (err) {
		hm_att_results_free(out);
		return hm_error_wrap(err, "checking the attestations of %s", digest);
	}
	hm_error_clear();
	return HM_OK;
}

void hm_att_results_free(hm_att_results *r)
{
	for (size_t i = 0; i < r->n; i++)
		result_release(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = r->n_valid = 0;
}
