/* SPDX-License-Identifier: Apache-2.0 */
/* Notary Project (notation) signatures attached to an image, verified: the
 * one function that verify/ (and through it policy and audit) calls, so
 * that a notation signature is judged the same way whichever command reads
 * it.  notation/notation.h does the cryptography; this fetches the
 * envelope, builds the target descriptor from the image's own manifest and
 * says which trust (a trust store with its trust policy) verified it. */
#ifndef HM_VERIFY_NOTATION_EVIDENCE_H
#define HM_VERIFY_NOTATION_EVIDENCE_H

#include <stdint.h>
#include "notation/notation.h"
#include "oci/attach.h"

/* One way to trust notation signatures: a trust store and the trust
 * policy that says which of its named stores and which identities count.
 * Owns everything (hm_notation_trust_free). */
typedef struct hm_notation_trust {
	char *store_dir;          /* the trust store directory, as given */
	char *policy_file;        /* the trust policy file, or NULL when made from identities */
	hm_notation_policy *policy;
	hm_notation_store *store;
	char **identities;        /* when n_identities: the signer's subject must also match one */
	size_t n_identities;
} hm_notation_trust;

/* A trust from notation's own set-up: trustpolicy.json (policy_file) and
 * a trust store directory laid out as notation's.  HM_E_USAGE / HM_E_IO
 * naming the file when either cannot be read. */
int hm_notation_trust_load(hm_notation_trust **out, const char *policy_file, const char *store_dir);
/* A trust from a trust store and trusted identities ("x509.subject: C=US,
 * ST=WA, O=acme" or "*"): a strict trust policy for every repository
 * trusting every named store of store_dir (x509/ca/NAME and
 * x509/signingAuthority/NAME; no timestamp is required).  When
 * policy_file is given it is loaded instead, and the identities further
 * restrict whom it trusts.  what names the caller's entry in errors. */
int hm_notation_trust_make(hm_notation_trust **out, const char *store_dir, const char *policy_file,
			   const char *const *identities, size_t n_identities, const char *what);
void hm_notation_trust_free(hm_notation_trust *t);

typedef struct hm_notation_verdict {
	int trust_index;            /* index into trusts of the one that verified it, or -1 */
	char *reason;               /* why it was refused (NULL when verified) */
	hm_notation_result *result; /* details of the envelope (the verifying trust's result, else
				     * the last one tried); NULL when it never parsed.  Owned. */
} hm_notation_verdict;

/* Verifies the notation attachment a of image digest: its envelope layer
 * fetched (at most HM_NOTATION_MAX_ENVELOPE bytes, digest checked), of
 * media type application/jose+json or application/cose, verified against
 * the image's own manifest descriptor (media type, digest, size, read from
 * the store by digest) under each trust in turn, for repository (a fully
 * qualified name for the trust policy's scopes) at time now.  HM_OK with
 * *out filled (refused when out->reason is set); only an operational error
 * (the store failing, a trust store unreadable) is returned.  Free with
 * hm_notation_verdict_free. */
int hm_evidence_notation(hm_notation_verdict *out, hm_store *s, const hm_attached *a, const char *digest,
			 const char *repository, hm_notation_trust *const *trusts, size_t n_trusts, int64_t now);
void hm_notation_verdict_free(hm_notation_verdict *v);

#endif
