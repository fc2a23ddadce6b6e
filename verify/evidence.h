/* SPDX-License-Identifier: Apache-2.0 */
/* Turning a discovered Sigstore bundle into a verified statement, for an
 * image: the one function that verify/ (signatures) and attest/
 * (attestations) both call, so that a bundle is judged the same way
 * whichever requirement reads it. */
#ifndef HM_VERIFY_EVIDENCE_H
#define HM_VERIFY_EVIDENCE_H

#include "crypto/key.h"
#include "oci/attach.h"
#include "sigstore/bundle.h"
#include "trust/trust.h"

/* Who may have signed: keys, and keyless identities (authorities of kind
 * HM_AUTH_KEYLESS, each with its trusted root).  All borrowed. */
typedef struct hm_evidence_opts {
	hm_key *const *keys;
	size_t n_keys;
	const hm_authority *identities;
	size_t n_identities;
} hm_evidence_opts;

/* Verifies the bundle attachment a of image digest with the keys: fetched
 * (at most HM_BUNDLE_MAX bytes, digest checked), parsed, its DSSE envelope
 * verified by one of the keys and its statement's subjects holding digest.
 * A message-signature bundle is refused (cosign signs images with a
 * https://sigstore.dev/cosign/sign/v1 statement, never a bare signature
 * over the manifest digest, which would say nothing of the image's name).
 * A public-key bundle verifies only with o->keys; a certificate bundle
 * only keyless, with one of o->identities (tried in order, each under its
 * own trusted root: every check of hm_bundle_verify's keyless path).
 * signer (may be NULL) is filled with who verified it: the key, or the
 * certificate identity with *identity_index the authority that matched.
 *
 * HM_OK with *out filled: verified when out->reason is NULL
 * (hm_bundle_verdict_is_signature(out) then says signature or
 * attestation), refused with the reason otherwise.  Only an operational
 * error (the store failing) is returned.  Free out with
 * hm_bundle_verdict_free. */
int hm_evidence_bundle(hm_bundle_verdict *out, hm_signer *signer, hm_store *s, const hm_attached *a,
		       const char *digest, const hm_evidence_opts *o);

/* Fills signer from a verified verdict v (a key of keys, or keyless under
 * the authority id, whose certificate identity is moved out of v). */
void hm_evidence_signer(hm_signer *signer, hm_bundle_verdict *v, hm_key *const *keys, const hm_authority *id);

/* The refusal of a certificate (keyless) signature when no identity was
 * given, shared by bundles and cosign's legacy keyless layers. */
#define HM_EVIDENCE_NO_IDENTITY "keyless signature: give --certificate-identity and --certificate-oidc-issuer"

/* cosign v2's keyless layer annotations (verify/legacy_keyless.c). */
#define HM_ANN_COSIGN_CERT "dev.sigstore.cosign/certificate"
#define HM_ANN_COSIGN_CHAIN "dev.sigstore.cosign/chain"
#define HM_ANN_COSIGN_BUNDLE "dev.sigstore.cosign/bundle"
#define HM_ANN_COSIGN_TSA "dev.sigstore.cosign/rfc3161timestamp"

/* 1 when a layer's annotations make it a keyless signature (a certificate). */
int hm_evidence_is_legacy_keyless(const cJSON *annotations);

/* Verifies cosign's legacy keyless signature sig over payload (a
 * simple-signing payload, logged as hashedrekord of its SHA-256) with the
 * certificate, chain, rekor bundle and timestamp of annotations, under one
 * of o->identities (o->keys play no part: a certificate is never a key).
 * HM_OK with *reason NULL and signer filled when verified, HM_OK with
 * *reason (owned) when refused; only HM_E_NOMEM or a failure to load the
 * built-in root is returned. */
int hm_evidence_legacy_keyless(char **reason, hm_signer *signer, const cJSON *annotations, const void *sig,
			       size_t sig_len, const void *payload, size_t len, const hm_evidence_opts *o);

/* The same for cosign's legacy keyless attestation layer: env is the DSSE
 * envelope (one signature, over PAE(payloadType, payload)) exactly as
 * fetched; the Rekor entry (intoto 0.0.1) must record its SHA-256, the
 * timestamp cover its bytes.  When verified, *payload_type (owned) and
 * payload hold what the signature covers; the caller checks the statement. */
int hm_evidence_legacy_keyless_att(char **reason, hm_signer *signer, const cJSON *annotations, const void *env,
				   size_t env_len, const hm_evidence_opts *o, char **payload_type, hm_buf *payload);

/* Whether a's unverified claim (hint) allows it to be a signature, or an
 * attestation of type want (NULL: any): used only to decide under which
 * heading a refused bundle is shown. */
int hm_evidence_may_be_signature(const hm_attached *a);
int hm_evidence_may_be_attestation(const hm_attached *a, const char *want);

#endif
