/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: verifying one with public keys, and the dispatch
 * between the key and keyless paths (bundle_keyless.c). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "crypto/statement.h"
#include "core/error.h"
#include "crypto/dsse.h"
#include "crypto/digest.h"
#include "sigstore/bundle_priv.h"

#define KEYLESS_REFUSAL                                                                          \
	"bundle carries a certificate; keyless verification needs --certificate-identity and " \
	"--certificate-oidc-issuer"
#define KEY_REFUSAL                                                                                  \
	"bundle is signed with a public key, not a Fulcio certificate: it carries no identity to check " \
	"(verify it with --key)"

void hm_bundle_verdict_free(hm_bundle_verdict *v)
{
	if (!v)
		return;
	free(v->predicate_type);
	cJSON_Delete(v->statement);
	free(v->reason);
	hm_fulcio_identity_release(&v->cert);
	memset(v, 0, sizeof(*v));
	v->key_index = -1;
	v->log_index = -1;
}

int hm_bundle_verdict_is_signature(const hm_bundle_verdict *v)
{
	return v->kind == HM_BUNDLE_KIND_MESSAGE ||
	       (v->predicate_type && strcmp(v->predicate_type, HM_PREDICATE_COSIGN_SIGN) == 0);
}

int hm_bundle_check_message_digest(const hm_bundle *b, const hm_bundle_verdict *v, const unsigned char want[32])
{
	if (b->has_digest && b->digest_alg != HM_HASH_SHA2_256)
		return hm_error_set(HM_E_VERIFY, "bundle: messageSignature.messageDigest.algorithm: %d is not SHA2_256",
				    (int)b->digest_alg);
	if (b->has_digest && (b->message_digest.len != 32 || memcmp(b->message_digest.data, want, 32) != 0))
		return hm_error_set(HM_E_VERIFY, "bundle: messageSignature.messageDigest is not the artifact's digest %s",
				    v->digest);
	return HM_OK;
}

int hm_bundle_check_payload_type(const hm_bundle *b)
{
	if (strcmp(b->payload_type, HM_DSSE_INTOTO) != 0)
		return hm_error_set(HM_E_VERIFY, "bundle: dsseEnvelope.payloadType is '%.80s', not %s",
				    b->payload_type, HM_DSSE_INTOTO);
	return HM_OK;
}

static int verify_message(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			  const unsigned char want[32])
{
	int usable = 0, err;

	if ((err = hm_bundle_check_message_digest(b, out, want)) != HM_OK)
		return err;
	err = HM_E_VERIFY;
	for (size_t i = 0; i < o->n_keys && err; i++) {
		if (o->artifact)
			err = hm_key_verify(o->keys[i], o->artifact, o->artifact_len, b->signature.data,
					    b->signature.len);
		else
			err = hm_key_verify_digest(o->keys[i], want, b->signature.data, b->signature.len);
		if (err == HM_OK)
			out->key_index = (int)i;
		else if (err != HM_E_USAGE)
			usable++;
	}
	if (err && !usable)
		err = hm_error_set(HM_E_USAGE, "a message signature checked by digest needs an ECDSA or RSA "
					       "key (Ed25519 signs the file itself): give the file");
	else if (err)
		err = hm_error_set(HM_E_VERIFY, "bundle: the message signature does not verify with the given key%s",
				   o->n_keys == 1 ? "" : "s");
	return err;
}

int hm_bundle_check_statement(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	hm_statement st = HM_STATEMENT_INIT;
	int err = hm_statement_parse(&st, b->payload.data, b->payload.len);

	if (err)
		goto done;
	if (!hm_statement_has_subject(&st, out->digest)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: the statement's subjects do not include %s", out->digest);
		goto done;
	}
	if (o->predicate_type && strcmp(st.predicate_type, o->predicate_type) != 0) {
		err = hm_error_set(HM_E_VERIFY, "bundle: the statement's predicate type is %.120s, not %s",
				   st.predicate_type, o->predicate_type);
		goto done;
	}
	out->predicate_type = strdup(st.predicate_type);
	out->statement = st.json;
	st.json = NULL;
	if (!out->predicate_type)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	hm_statement_free(&st);
	return err;
}

static int verify_dsse(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	hm_buf pae = HM_BUF_INIT;
	int err;

	/* The spec asks for equal hints; a mismatch means the parts were put
	 * together from different signings. */
	if (b->hint[0] && b->keyid[0] && strcmp(b->hint, b->keyid) != 0)
		return hm_error_set(HM_E_VERIFY,
				    "bundle: verificationMaterial.publicKey.hint '%.80s' disagrees with the DSSE "
				    "signature keyid '%.80s'",
				    b->hint, b->keyid);
	if ((err = hm_bundle_check_payload_type(b)) != HM_OK)
		return err;
	err = hm_dsse_pae(&pae, b->payload_type, b->payload.data, b->payload.len);
	for (size_t i = 0; !err && i < o->n_keys && out->key_index < 0; i++)
		if (hm_key_verify(o->keys[i], pae.data, pae.len, b->signature.data, b->signature.len) == HM_OK)
			out->key_index = (int)i;
	hm_buf_release(&pae);
	if (err)
		return err;
	if (out->key_index < 0)
		return hm_error_set(HM_E_VERIFY, "bundle: the DSSE signature does not verify with the given key%s",
				    o->n_keys == 1 ? "" : "s");
	/* Only now, with the signature verified, is the payload read. */
	return hm_bundle_check_statement(out, b, o);
}

/* The key path: the signature, then the log entries and timestamps. */
static int verify_with_keys(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			    const unsigned char want[32])
{
	int err;

	if (o->n_keys == 0)
		return hm_error_set(HM_E_VERIFY, KEY_REFUSAL);
	err = b->content == HM_BUNDLE_MESSAGE_SIGNATURE ? verify_message(out, b, o, want) : verify_dsse(out, b, o);
	if (err == HM_OK)
		err = hm_bundle_verify_key_log(out, b, o, o->keys[out->key_index], want);
	return err;
}

int hm_bundle_verify(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	unsigned char want[32];
	long n = 0;
	unsigned char *raw = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	out->key_index = -1;
	out->log_index = -1;
	if (o->n_keys == 0 && !o->identity)
		return hm_error_set(HM_E_USAGE, "no public key and no keyless identity to verify the bundle with");
	if (o->artifact) {
		hm_digest_compute(out->digest, o->artifact, o->artifact_len);
	} else if (o->artifact_digest && strncmp(o->artifact_digest, "sha256:", 7) == 0 &&
		   hm_digest_valid(o->artifact_digest)) {
		snprintf(out->digest, sizeof(out->digest), "%s", o->artifact_digest);
	} else {
		return hm_error_set(HM_E_USAGE, "the artifact must be given as bytes or as sha256:<64 hex digits>");
	}
	raw = OPENSSL_hexstr2buf(hm_digest_hex(out->digest), &n);
	if (!raw || n != 32) {
		OPENSSL_free(raw);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	memcpy(want, raw, 32);
	OPENSSL_free(raw);
	out->kind = b->content == HM_BUNDLE_MESSAGE_SIGNATURE ? HM_BUNDLE_KIND_MESSAGE : HM_BUNDLE_KIND_STATEMENT;
	if (o->predicate_type && b->content == HM_BUNDLE_MESSAGE_SIGNATURE)
		err = hm_error_set(HM_E_VERIFY, "bundle holds a message signature, not an attestation of type %s",
				   o->predicate_type);
	else if (b->material == HM_BUNDLE_PUBLIC_KEY)
		err = verify_with_keys(out, b, o, want);
	else if (!o->identity)
		err = hm_error_set(HM_E_VERIFY, KEYLESS_REFUSAL);
	else
		err = hm_bundle_verify_keyless(out, b, o, want);
	if (err != HM_OK) {
		char *why = err == HM_E_VERIFY ? strdup(hm_error_message()) : NULL;
		char digest[sizeof(out->digest)];

		/* A refusal reports nothing as verified: no key, identity or time. */
		memcpy(digest, out->digest, sizeof(digest));
		hm_bundle_verdict_free(out);
		memcpy(out->digest, digest, sizeof(digest));
		out->kind = b->content == HM_BUNDLE_MESSAGE_SIGNATURE ? HM_BUNDLE_KIND_MESSAGE : HM_BUNDLE_KIND_STATEMENT;
		if (err == HM_E_VERIFY && !(out->reason = why))
			err = hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return err;
}
