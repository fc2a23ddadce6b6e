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
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = hm_reason_vset(&out->reason, fmt, ap);
	va_end(ap);
	if (!err)
		hm_error_clear(); /* the reason carries it */
	cJSON_Delete(out->statement);
	free(out->predicate_type);
	out->statement = NULL;
	out->predicate_type = NULL;
	out->key_index = -1;
	return err;
}

void hm_evidence_signer(hm_signer *signer, hm_bundle_verdict *v, hm_key *const *keys, const hm_authority *id)
{
	hm_signer_release(signer);
	if (v->keyless && id) {
		hm_signer_set_keyless(signer, &v->cert, &id->identity, id->trustroot);
	} else if (v->key_index >= 0) {
		signer->kind = HM_AUTH_KEY;
		signer->key = keys[v->key_index];
	}
	signer->log_index = v->log_index;
	signer->time = v->n_times ? v->times[0] : 0;
}

/* A certificate bundle, keyless: the first identity under which it
 * verifies; the last refusal otherwise. */
static int verify_keyless(hm_bundle_verdict *out, int *which, const hm_bundle *b, const char *digest,
			  const hm_evidence_opts *eo)
{
	int err = HM_OK;

	for (size_t i = 0; i < eo->n_identities; i++) {
		hm_bundle_verify_opts o = {.artifact_digest = digest,
					   .identity = &eo->identities[i].identity,
					   .trustroot = eo->identities[i].trustroot};

		if (i)
			hm_bundle_verdict_free(out);
		err = hm_bundle_verify(out, b, &o);
		if (err == HM_OK) {
			*which = (int)i;
			return HM_OK;
		}
		if (err != HM_E_VERIFY && err != HM_E_USAGE)
			return err;
	}
	return err;
}

int hm_evidence_bundle(hm_bundle_verdict *out, hm_signer *signer, hm_store *s, const hm_attached *a,
		       const char *digest, const hm_evidence_opts *eo)
{
	hm_bundle_verify_opts o = {.keys = eo->keys, .n_keys = eo->n_keys, .artifact_digest = digest};
	int which = -1;
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
	if (b.material == HM_BUNDLE_PUBLIC_KEY && eo->n_keys == 0) {
		err = refuse(out, eo->n_identities ? "bundle is signed with a public key, not a Fulcio certificate: "
						     "it carries no identity to check (verify it with --key)"
						   : "no key to verify the bundle with");
		goto done;
	}
	if (b.material != HM_BUNDLE_PUBLIC_KEY && eo->n_identities == 0) {
		err = refuse(out, HM_EVIDENCE_NO_IDENTITY);
		goto done;
	}
	if (b.material == HM_BUNDLE_PUBLIC_KEY)
		err = hm_bundle_verify(out, &b, &o);
	else
		err = verify_keyless(out, &which, &b, digest, eo);
	if (err == HM_E_VERIFY || err == HM_E_USAGE)
		err = out->reason ? (hm_error_clear(), HM_OK) : refuse(out, "%s", hm_error_message());
	if (err == HM_OK && !out->reason && signer)
		hm_evidence_signer(signer, out, eo->keys, which >= 0 ? &eo->identities[which] : NULL);
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
