/* SPDX-License-Identifier: Apache-2.0 */
/* The real evaluation backend: stores, one discovery per digest shared by
 * the signature and attestation checks (hm_verify_signatures_in,
 * hm_attest_verify_in). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "oci/discover.h"

#include "policy/eval.h"

struct session {
	hm_store *s;
	int borrowed; /* s is the caller's: not freed on close */
	char digest[HM_DIGEST_SIZE]; /* what found holds ("" when nothing yet) */
	hm_attached_list found;
};

static int store_open(void **out, void *ctx, const hm_ref *ref)
{
	struct session *se = calloc(1, sizeof(*se));
	int err;

	*out = NULL;
	if (!se)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if ((err = hm_store_open(&se->s, ref, ctx, 0))) {
		free(se);
		return err;
	}
	*out = se;
	return HM_OK;
}

/* What is attached to digest, discovered once per session and digest. */
static int found(const hm_attached_list **out, struct session *se, const char *digest)
{
	int err;

	if (se->digest[0] && strcmp(se->digest, digest) == 0) {
		*out = &se->found;
		return HM_OK;
	}
	hm_attached_list_free(&se->found);
	se->digest[0] = '\0';
	if ((err = hm_discover(&se->found, se->s, digest)))
		return hm_error_wrap(err, "finding what is attached to %s", digest);
	snprintf(se->digest, sizeof(se->digest), "%s", digest);
	*out = &se->found;
	return HM_OK;
}

static int store_resolve(void *session, const char *tag, char digest[HM_DIGEST_SIZE])
{
	struct session *se = session;
	hm_desc d;
	int err = hm_store_resolve(se->s, tag, &d);

	if (err == HM_OK)
		memcpy(digest, d.digest, HM_DIGEST_SIZE);
	return err;
}

static int store_signatures(void *session, const char *digest, const hm_verify_opts *opts, hm_verify_result *out)
{
	struct session *se = session;
	const hm_attached_list *l;
	int err = found(&l, se, digest);

	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	return hm_verify_signatures_in(out, se->s, l, digest, opts);
}

static int store_attestations(void *session, const char *digest, hm_key *const *keys, size_t nkeys,
			      const hm_authority *ids, size_t n_ids, const char *type, hm_att_results *out)
{
	struct session *se = session;
	const hm_attached_list *l;
	int err = found(&l, se, digest);

	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	return hm_attest_verify_who(out, se->s, l, digest, keys, nkeys, ids, n_ids, type);
}

static void store_close(void *session)
{
	struct session *se = session;

	if (!se)
		return;
	hm_attached_list_free(&se->found);
	if (!se->borrowed)
		hm_store_free(se->s);
	free(se);
}

/* Every session is the borrowed store ctx, for its one repository. */
static int borrow_open(void **out, void *ctx, const hm_ref *ref)
{
	char *name = hm_ref_name(ref);
	int same = name && strcmp(name, hm_store_name(ctx)) == 0;
	struct session *se;

	free(name);
	*out = NULL;
	if (!same)
		return hm_error_set(HM_E_IO, "the policy check reached outside '%s'", hm_store_name(ctx));
	if (!(se = calloc(1, sizeof(*se))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	se->s = ctx;
	se->borrowed = 1;
	*out = se;
	return HM_OK;
}

void hm_policy_backend_borrow(hm_policy_backend *out, hm_store *s)
{
	hm_policy_backend_store(out, NULL);
	out->ctx = s;
	out->open = borrow_open;
}

void hm_policy_backend_store(hm_policy_backend *out, const hm_store_opts *opts)
{
	out->ctx = (void *)opts;
	out->open = store_open;
	out->resolve = store_resolve;
	out->signatures = store_signatures;
	out->attestations = store_attestations;
	out->close = store_close;
}
