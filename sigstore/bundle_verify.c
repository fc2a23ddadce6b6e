/* Sigstore bundles: verifying one with public keys. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "attest/statement.h"
#include "core/error.h"
#include "crypto/dsse.h"
#include "oci/digest.h"
#include "sigstore/bundle.h"

#define KEYLESS_REFUSAL                                                                          \
	"bundle carries a certificate; keyless verification needs --certificate-identity and " \
	"--certificate-oidc-issuer"

void hm_bundle_verdict_free(hm_bundle_verdict *v)
{
	if (!v)
		return;
	free(v->predicate_type);
	cJSON_Delete(v->statement);
	free(v->reason);
	memset(v, 0, sizeof(*v));
	v->key_index = -1;
}

int hm_bundle_verdict_is_signature(const hm_bundle_verdict *v)
{
	return v->kind == HM_BUNDLE_KIND_MESSAGE ||
	       (v->predicate_type && strcmp(v->predicate_type, HM_PREDICATE_COSIGN_SIGN) == 0);
}

static int verify_message(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	unsigned char *want = NULL;
	long n = 0;
	int usable = 0, err;

	out->kind = HM_BUNDLE_KIND_MESSAGE;
	if (o->predicate_type)
		return hm_error_set(HM_E_VERIFY,
				    "bundle holds a message signature, not an attestation of type %s",
				    o->predicate_type);
	want = OPENSSL_hexstr2buf(hm_digest_hex(out->digest), &n);
	if (!want || n != 32) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (b->has_digest && b->digest_alg != HM_HASH_SHA2_256) {
		err = hm_error_set(HM_E_VERIFY, "bundle: messageSignature.messageDigest.algorithm: %d is not SHA2_256",
				   (int)b->digest_alg);
		goto done;
	}
	if (b->has_digest && (b->message_digest.len != 32 || memcmp(b->message_digest.data, want, 32) != 0)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: messageSignature.messageDigest is not the artifact's digest %s",
				   out->digest);
		goto done;
	}
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
done:
	OPENSSL_free(want);
	return err;
}

static int verify_dsse(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	hm_statement st = HM_STATEMENT_INIT;
	hm_buf pae = HM_BUF_INIT;
	int err;

	out->kind = HM_BUNDLE_KIND_STATEMENT;
	/* The spec asks for equal hints; a mismatch means the parts were put
	 * together from different signings. */
	if (b->hint[0] && b->keyid[0] && strcmp(b->hint, b->keyid) != 0)
		return hm_error_set(HM_E_VERIFY,
				    "bundle: verificationMaterial.publicKey.hint '%.80s' disagrees with the DSSE "
				    "signature keyid '%.80s'",
				    b->hint, b->keyid);
	if (strcmp(b->payload_type, HM_DSSE_INTOTO) != 0)
		return hm_error_set(HM_E_VERIFY, "bundle: dsseEnvelope.payloadType is '%.80s', not %s",
				    b->payload_type, HM_DSSE_INTOTO);
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
	err = hm_statement_parse(&st, b->payload.data, b->payload.len);
	if (err)
		goto refused;
	if (!hm_statement_has_subject(&st, out->digest)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: the statement's subjects do not include %s",
				   out->digest);
		goto refused;
	}
	if (o->predicate_type && strcmp(st.predicate_type, o->predicate_type) != 0) {
		err = hm_error_set(HM_E_VERIFY, "bundle: the statement's predicate type is %.120s, not %s",
				   st.predicate_type, o->predicate_type);
		goto refused;
	}
	out->predicate_type = strdup(st.predicate_type);
	out->statement = st.json;
	st.json = NULL;
	if (!out->predicate_type)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	hm_statement_free(&st);
	return err;
refused:
	out->key_index = -1;
	hm_statement_free(&st);
	return err;
}

int hm_bundle_verify(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->key_index = -1;
	if (o->n_keys == 0)
		return hm_error_set(HM_E_USAGE, "no public key to verify the bundle with");
	if (o->artifact) {
		hm_digest_compute(out->digest, o->artifact, o->artifact_len);
	} else if (o->artifact_digest && strncmp(o->artifact_digest, "sha256:", 7) == 0 &&
		   hm_digest_valid(o->artifact_digest)) {
		snprintf(out->digest, sizeof(out->digest), "%s", o->artifact_digest);
	} else {
		return hm_error_set(HM_E_USAGE, "the artifact must be given as bytes or as sha256:<64 hex digits>");
	}
	if (b->material != HM_BUNDLE_PUBLIC_KEY)
		err = hm_error_set(HM_E_VERIFY, KEYLESS_REFUSAL);
	else if (b->content == HM_BUNDLE_MESSAGE_SIGNATURE)
		err = verify_message(out, b, o);
	else
		err = verify_dsse(out, b, o);
	if (err == HM_E_VERIFY) {
		out->key_index = -1;
		out->reason = strdup(hm_error_message());
		if (!out->reason)
			err = hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return err;
}
