/* SPDX-License-Identifier: Apache-2.0 */
/* Keyless verification: everything that makes a Fulcio-certified signature
 * count, in the order of the Sigstore client specification.  Inputs are the
 * decoded pieces of a bundle (sigstore/bundle.h produces them); nothing is
 * fetched.  Steps:
 *   1. established times: every RFC 3161 token verifies (sigstore/tsa.h);
 *      every transparency log entry verifies (SET and/or inclusion proof with
 *      a signed checkpoint, and its body binds this signature,
 *      sigstore/rekor.h); a Rekor v1 integratedTime counts only with a
 *      verified SET.  At least one time and one log entry; none may be later
 *      than now; duplicates (same token bytes, same log id and index) are
 *      refused;
 *   2. the leaf chains to a Fulcio CA of the trusted root at every time;
 *   3. the leaf carries a valid SCT from a CT log of the trusted root;
 *   4. the signature verifies with the leaf's key over the artifact digest
 *      or the DSSE PAE;
 *   5. the identity policy holds (cosign's meaning, sigstore/fulcio.h). */
#ifndef HM_SIGSTORE_KEYLESS_H
#define HM_SIGSTORE_KEYLESS_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "sigstore/fulcio.h"
#include "sigstore/rekor.h"
#include "sigstore/trustroot.h"

/* Log entries (and, below it, timestamps: HM_MAX_TIMESTAMPS) one input
 * may hold. */
#define HM_KEYLESS_MAX_TLOG HM_MAX_TLOG_ENTRIES

typedef struct hm_keyless_input {
	const unsigned char *leaf_der;          /* the signing certificate */
	size_t leaf_len;
	const unsigned char *const *chain_der;  /* intermediates from the bundle (may be 0) */
	const size_t *chain_len;
	size_t n_chain;
	const unsigned char *sig;               /* the signature bytes */
	size_t sig_len;
	/* Exactly one of: the SHA-256 of the artifact (message signature),
	 * computed by the caller from the artifact; a bundle's messageDigest is
	 * only a hint, and the caller refuses one that differs ... */
	const unsigned char *digest;            /* 32 bytes */
	/* ... or the DSSE envelope's payload type and decoded payload. */
	const char *payload_type;
	const unsigned char *payload;
	size_t payload_len;
	/* cosign v2's attestation layer: the envelope's bytes as logged (an
	 * intoto 0.0.1 entry binds their SHA-256); NULL otherwise. */
	const unsigned char *envelope;
	size_t envelope_len;
	const hm_tlog_entry *tlog;
	size_t n_tlog;
	const unsigned char *const *tsa_der;    /* DER TimeStampResp each */
	const size_t *tsa_len;
	size_t n_tsa;
	/* The bytes the timestamps cover: NULL for the signature bytes
	 * (Sigstore bundles, cosign's .sig layer); cosign's .att layer
	 * timestamps the whole envelope. */
	const unsigned char *tsa_data;
	size_t tsa_data_len;
	int64_t now;                            /* 0: the current time */
	int require_inclusion_proof;            /* bundles v0.2 and later: every entry needs one */
	/* hm_keyless_verify_log only: the managed key's DER
	 * SubjectPublicKeyInfo, in place of leaf_der. */
	const unsigned char *key_der;
	size_t key_len;
} hm_keyless_input;

typedef struct hm_keyless_result {
	hm_fulcio_identity id;                  /* SANs, issuer, claims */
	int64_t log_index;                      /* of the first log entry */
	int64_t times[HM_MAX_TLOG_ENTRIES + HM_MAX_TIMESTAMPS]; /* established times */
	size_t n_times;
} hm_keyless_result;

/* Runs every check; HM_OK and out filled, or HM_E_VERIFY with the first
 * reason ("keyless: <step>: <why>"), HM_E_USAGE for an incomplete policy or
 * input.  Release out with hm_keyless_result_release() after HM_OK. */
int hm_keyless_verify(hm_keyless_result *out, const hm_keyless_input *in, const hm_trustroot *tr,
		      const hm_identity_policy *policy);
void hm_keyless_result_release(hm_keyless_result *r);

/* Step 1 alone, for a signature made with a managed key (in->key_der, no
 * certificate): every RFC 3161 token and every transparency log entry must
 * verify against tr and bind (sig, key_der) and the artifact or payload;
 * none may be duplicated or later than now.  Unlike keyless, no minimum:
 * with neither log entries nor timestamps (an offline key bundle) this
 * returns HM_OK with no times; the caller decides whether that is enough.
 * The signature itself is not checked here.  Same returns as above. */
int hm_keyless_verify_log(hm_keyless_result *out, const hm_keyless_input *in, const hm_trustroot *tr);

#endif
