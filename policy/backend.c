/* The real evaluation backend: stores, hm_verify_signatures, hm_attest_verify. */
#include <string.h>

#include "core/error.h"

#include "policy/eval.h"

static int store_open(void **session, void *ctx, const hm_ref *ref)
{
	return hm_store_open((hm_store **)session, ref, ctx, 0);
}

static int store_resolve(void *session, const char *tag, char digest[HM_DIGEST_SIZE])
{
	hm_desc d;
	int err = hm_store_resolve(session, tag, &d);

	if (err == HM_OK)
		memcpy(digest, d.digest, HM_DIGEST_SIZE);
	return err;
}

static int store_signatures(void *session, const char *digest, const hm_verify_opts *opts, hm_verify_result *out)
{
	return hm_verify_signatures(out, session, digest, opts);
}

static int store_attestations(void *session, const char *digest, hm_key *const *keys, size_t nkeys,
			      const char *type, hm_att_results *out)
{
	return hm_attest_verify(out, session, digest, keys, nkeys, type);
}

static void store_close(void *session)
{
	hm_store_free(session);
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
