/* SPDX-License-Identifier: Apache-2.0 */
/* Attestations: in-toto statements in DSSE envelopes attached to images.
 *
 * Stored as cosign does: one layer per envelope (media type HM_MT_DSSE,
 * annotation "predicateType") of the manifest under the tag
 * "sha256-<hex>.att", or found as OCI 1.1 referrers.  Statements are in
 * crypto/statement.h (beside DSSE, whose payload they are), provenance in
 * attest/provenance.h, Dockerfiles in attest/dockerfile.h. */
#ifndef HM_ATTEST_ATTEST_H
#define HM_ATTEST_ATTEST_H

#include <cjson/cJSON.h>
#include "core/limits.h"
#include "crypto/key.h"
#include "oci/attach.h" /* HM_MT_DSSE */
#include "oci/store.h"
#include "trust/trust.h"


/* Appends the DSSE envelope (payloadType application/vnd.in-toto+json)
 * of the statement's compact JSON, signed with key (keyid ""). */
int hm_attest_envelope(hm_buf *out, const hm_key *key, const cJSON *statement);

/* Wraps predicate (borrowed; a JSON object) in a Statement v1 for
 * subject_name and digest, signs it and attaches it to digest in s:
 * legacy (format 1, HM_FORMAT_LEGACY of sign/sign.h) a DSSE layer of the tag
 * sha256-<hex>.att; bundle (0) a Sigstore bundle referrer (hm_bundle_attach).
 * predicate_type is a URI or short name (hm_predicate_type_resolve).
 * *added is 0 when an attestation by key of the same statement was attached
 * already in that format. */
int hm_attest_attach(int *added, hm_store *s, const char *digest, const char *subject_name,
		     const hm_key *key, const char *predicate_type, const cJSON *predicate, int format);

typedef struct hm_att_result {
	char *source;                /* where it was found (see hm_attached.source) */
	enum hm_attach_kind kind;    /* dsse or sigstore-bundle (or unknown when refused) */
	enum hm_attach_form form;
	char layer[HM_DIGEST_SIZE];  /* envelope blob digest */
	int valid;                   /* 1 when accepted */
	int key_index;               /* index into keys of the verifying key, or -1 */
	char *reason;                /* why it was refused (NULL when valid) */
	char *predicate_type;        /* from the verified statement (or the annotation when not verified) */
	cJSON *statement;            /* the verified, parsed statement (owned), NULL when not valid */
	hm_signer signer;            /* who made it, when valid: a key or a keyless identity */
	int identity_index;          /* keyless: index into the identities that matched, or -1 */
} hm_att_result;

typedef struct hm_att_results {
	char digest[HM_DIGEST_SIZE];
	hm_att_result *v;
	size_t n;
	size_t n_valid;
} hm_att_results;

/* Checks every attestation attached to digest: DSSE layers (cosign's .att
 * tag or referrers) and Sigstore bundles whose verified statement is of any
 * predicate type but https://sigstore.dev/cosign/sign/v1 (a signature); the
 * type that counts is the one in the verified statement, never an
 * annotation.  With predicate_type (a URI or short name) only those of
 * that type are listed (and refused ones that claim it or could be it).
 * HM_OK whenever discovery worked (look at n_valid); operational errors
 * return their code. */
int hm_attest_verify(hm_att_results *out, hm_store *s, const char *digest, hm_key *const *keys,
		     size_t nkeys, const char *predicate_type);
/* The same over what hm_discover found for digest. */
int hm_attest_verify_in(hm_att_results *out, hm_store *s, const hm_attached_list *found, const char *digest,
			hm_key *const *keys, size_t nkeys, const char *predicate_type);
/* The same with keyless identities beside the keys (HM_AUTH_KEYLESS
 * authorities, borrowed): found may be NULL (then discovered here). */
int hm_attest_verify_who(hm_att_results *out, hm_store *s, const hm_attached_list *found, const char *digest,
			 hm_key *const *keys, size_t nkeys, const hm_authority *identities, size_t n_identities,
			 const char *predicate_type);
void hm_att_results_free(hm_att_results *r);

#endif
