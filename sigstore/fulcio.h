/* SPDX-License-Identifier: Apache-2.0 */
/* Fulcio certificates: the chain to a CA of the trusted root at a given
 * time, the leaf's key usage, and the identity the leaf certifies (SANs,
 * OIDC issuer, CI claims of docs/oid-info.md in sigstore/fulcio). */
#ifndef HM_SIGSTORE_FULCIO_H
#define HM_SIGSTORE_FULCIO_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include "sigstore/trustroot.h"

/* Claims are indexed by the last arc N of 1.3.6.1.4.1.57264.1.N. */
#define HM_FULCIO_MAX_ARC 23
#define HM_FULCIO_MAX_SANS 16
#define HM_FULCIO_MAX_CHAIN 8 /* intermediates accepted from a bundle */

typedef struct hm_fulcio_identity {
	char **sans;    /* every SAN value: email, URI, DNS name, othername UTF-8 */
	size_t n_sans;
	char *issuer;   /* 1.8 (UTF8String), else legacy 1.1 (raw bytes); NULL when absent */
	char *claims[HM_FULCIO_MAX_ARC + 1]; /* NULL when absent; [8] duplicates issuer */
} hm_fulcio_identity;

/* What a keyless signer must be, with cosign's meaning:
 * --certificate-identity (subject: equal to one SAN),
 * --certificate-identity-regexp (subject_regexp: matches one SAN),
 * --certificate-oidc-issuer / -regexp likewise against the issuer.
 * A regexp is POSIX extended (regcomp REG_EXTENDED) and, as in cosign (Go's
 * regexp.MatchString), UNANCHORED: "github.com/org/" matches any SAN that
 * contains it anywhere.  Write ^...$ to pin the whole value.  One of subject
 * and subject_regexp, and one of issuer and issuer_regexp, is required.
 * claims[N], when not NULL, is the exact value claim arc N must have
 * (cosign's --certificate-github-workflow-trigger/-sha/-name/-repository/
 * -ref are arcs 2, 3, 4, 5, 6: the legacy raw-bytes extensions). */
typedef struct hm_identity_policy {
	const char *subject, *subject_regexp;
	const char *issuer, *issuer_regexp;
	const char *claims[HM_FULCIO_MAX_ARC + 1];
} hm_identity_policy;

/* Loads one DER certificate (exactly len bytes); HM_E_VERIFY "<what>: ...". */
int hm_fulcio_load(X509 **out, const unsigned char *der, size_t len, const char *what);

/* Verifies that leaf chains, at time t (Unix seconds), to a certificate
 * authority of tr whose validFor contains t: the CA's last certificate is the
 * trust anchor, its others and the given intermediates (at most
 * HM_FULCIO_MAX_CHAIN; a self-signed one is refused) may complete the path.
 * Also: t within the leaf's notBefore..notAfter, key usage digitalSignature,
 * extended key usage codeSigning.  *ca_out (may be NULL) is the CA used.
 * HM_OK or HM_E_VERIFY with the reason. */
int hm_fulcio_verify(X509 *leaf, X509 *const *intermediates, size_t n, const hm_trustroot *tr,
		     int64_t t, const hm_trust_ca **ca_out);

/* The certificate among ca's and the intermediates that issued leaf (NULL
 * when none); borrowed. */
X509 *hm_fulcio_issuer(X509 *leaf, X509 *const *intermediates, size_t n, const hm_trust_ca *ca);

/* Extracts the identity of leaf.  HM_E_VERIFY when a claim extension is
 * malformed, HM_E_NOMEM. */
int hm_fulcio_identity_get(hm_fulcio_identity *out, X509 *leaf);
void hm_fulcio_identity_release(hm_fulcio_identity *id);

/* cosign's name for claim arc N ("issuer", "buildSignerURI",
 * "sourceRepositoryRef", ...); NULL for an unknown arc. */
const char *hm_fulcio_claim_name(int arc);

/* HM_OK when id satisfies p; HM_E_VERIFY "certificate identity ... does not
 * match"; HM_E_USAGE for an incomplete policy or a bad regexp. */
int hm_fulcio_identity_match(const hm_fulcio_identity *id, const hm_identity_policy *p);

/* The first SAN of id that satisfies p's subject (exact or regexp); NULL
 * when none does or p is incomplete.  Borrowed from id. */
const char *hm_fulcio_identity_san(const hm_fulcio_identity *id, const hm_identity_policy *p);

#endif
