/* SPDX-License-Identifier: Apache-2.0 */
/* Signed certificate timestamps embedded in a Fulcio leaf (RFC 6962
 * section 3.3), checked with OpenSSL's CT API against the CT logs of the
 * trusted root; OpenSSL rebuilds the precertificate from the leaf and its
 * issuer. */
#ifndef HM_SIGSTORE_SCT_H
#define HM_SIGSTORE_SCT_H

#include <openssl/x509.h>
#include "sigstore/trustroot.h"

#define HM_SCT_MAX 16 /* SCTs examined per certificate */

/* HM_OK when leaf carries at least one SCT that verifies under a CT log of
 * tr (looked up by log id) whose validFor contains the SCT's timestamp;
 * HM_E_VERIFY otherwise ("no SCT", "no valid SCT from a trusted CT log"). */
int hm_sct_verify(X509 *leaf, X509 *issuer, const hm_trustroot *tr);

#endif
