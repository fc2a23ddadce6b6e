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

/* Verifies the bundle attachment a of image digest with the keys: fetched
 * (at most HM_BUNDLE_MAX bytes, digest checked), parsed, its DSSE envelope
 * verified by one of the keys and its statement's subjects holding digest.
 * A message-signature bundle is refused (cosign signs images with a
 * https://sigstore.dev/cosign/sign/v1 statement, never a bare signature
 * over the manifest digest, which would say nothing of the image's name).
 * Key-signed bundles only for now: a certificate bundle is refused by
 * hm_bundle_verify until keyless verification plugs in here.
 *
 * HM_OK with *out filled: verified when out->reason is NULL
 * (hm_bundle_verdict_is_signature(out) then says signature or
 * attestation), refused with the reason otherwise.  Only an operational
 * error (the store failing) is returned.  Free out with
 * hm_bundle_verdict_free. */
int hm_evidence_bundle(hm_bundle_verdict *out, hm_store *s, const hm_attached *a, const char *digest,
		       hm_key *const *keys, size_t nkeys);

/* Whether a's unverified claim (hint) allows it to be a signature, or an
 * attestation of type want (NULL: any): used only to decide under which
 * heading a refused bundle is shown. */
int hm_evidence_may_be_signature(const hm_attached *a);
int hm_evidence_may_be_attestation(const hm_attached *a, const char *want);

#endif
