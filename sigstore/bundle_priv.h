/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the key path (bundle_verify.c) and the keyless path and
 * log checks (bundle_keyless.c) of hm_bundle_verify; not a public API. */
#ifndef HM_SIGSTORE_BUNDLE_PRIV_H
#define HM_SIGSTORE_BUNDLE_PRIV_H

#include "sigstore/bundle.h"

/* A message signature's messageDigest, when present, must be SHA2_256 and
 * want (the artifact's SHA-256, computed by the verifier). */
int hm_bundle_check_message_digest(const hm_bundle *b, const hm_bundle_verdict *v, const unsigned char want[32]);

/* The DSSE payloadType must be in-toto. */
int hm_bundle_check_payload_type(const hm_bundle *b);

/* After the signature verified: the payload is an in-toto statement naming
 * out->digest among its subjects (and of o->predicate_type when given);
 * fills out->predicate_type and out->statement. */
int hm_bundle_check_statement(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o);

/* The keyless path: certificate material, o->identity given. */
int hm_bundle_verify_keyless(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			     const unsigned char digest[32]);

/* A key bundle's log entries and timestamps, bound to key k (which already
 * verified the signature); nothing to do when the bundle has neither. */
int hm_bundle_verify_key_log(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			     const hm_key *k, const unsigned char digest[32]);

#endif
