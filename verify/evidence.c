/* SPDX-License-Identifier: Apache-2.0 */
/* Bundles attached to images, verified (see evidence.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "verify/evidence.h"

static int refuse(hm_bundle_verdict *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(hm_bundle_verdict *out, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hm_error_clear();
	free(out->reason);
	cJSON_Delete(out->statement);
	free(out->predicate_type);
	out->statement = NULL;
	out->predicate_type = NULL;
	out->key_index = -1;
	out->reason = strdup(why);
	return out->reason ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

int hm_evidence_bundle(hm_bundle_verdict *out, hm_store *s, const hm_attached *a, const char *digest,
		       hm_key *const *keys, size_t nkeys)
{
	hm_bundle_verify_opts o = {.keys = keys, .n_keys = nkeys, .artifact_digest = digest};
	hm_buf raw = HM_BUF_INIT;
	hm_bundle b;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	out->key_index = -1;
	if (a->refused)
		return refuse(out, "%s", a->refused);
	err = hm_attached_fetch(&raw, s, a, HM_BUNDLE_MAX);
	if (err == HM_E_VERIFY) {
		err = refuse(out, "bundle: %s", hm_error_message());
		goto done;
	}
	if (err)
		goto done;
	if ((err = hm_bundle_parse(&b, raw.data, raw.len)) != HM_OK) {
		if (err != HM_E_NOMEM)
			err = refuse(out, "%s", hm_error_message());
		goto done;
	}
	if (b.content == HM_BUNDLE_MESSAGE_SIGNATURE) {
		err = refuse(out, "a message-signature bundle over the manifest digest: cosign signs images "
				  "with a " HM_PREDICATE_COSIGN_SIGN " statement, never so, and a bare "
				  "signature of the digest says nothing of the image it names");
		goto done;
	}
	if (nkeys == 0) {
		err = refuse(out, "no key to verify the bundle with");
		goto done;
	}
	/* Keyless: a certificate bundle (b.material != HM_BUNDLE_PUBLIC_KEY)
	 * is refused inside hm_bundle_verify today; its verification with an
	 * identity policy and a trusted root plugs in here. */
	err = hm_bundle_verify(out, &b, &o);
	if (err == HM_E_VERIFY || err == HM_E_USAGE)
		err = out->reason ? (hm_error_clear(), HM_OK) : refuse(out, "%s", hm_error_message());
done:
	hm_bundle_free(&b);
	hm_buf_release(&raw);
	return err;
}

int hm_evidence_may_be_signature(const hm_attached *a)
{
	return !a->hint || strcmp(a->hint, HM_PREDICATE_COSIGN_SIGN) == 0;
}

int hm_evidence_may_be_attestation(const hm_attached *a, const char *want)
{
	if (!a->hint)
		return 1;
	if (strcmp(a->hint, HM_PREDICATE_COSIGN_SIGN) == 0)
		return 0;
	return !want || strcmp(a->hint, want) == 0;
}
