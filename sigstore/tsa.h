/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 3161 timestamps over a signature, checked with OpenSSL's TS API
 * against the timestamp authorities of the trusted root. */
#ifndef HM_SIGSTORE_TSA_H
#define HM_SIGSTORE_TSA_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "sigstore/trustroot.h"

/* One DER TimeStampResp is at most HM_MAX_TIMESTAMP_DER bytes. */

/* Verifies der (a DER TimeStampResp, status granted) as a timestamp of the
 * bytes sig: the message imprint is the hash of sig (with the token's
 * algorithm), the token is signed by a TSA of tr whose validFor contains the
 * genTime, its chain verified at genTime with OpenSSL (the signer needs
 * extended key usage timeStamping; certificates embedded in the token may
 * only complete a path to the trusted root, never anchor one).
 * *gen_time receives genTime (Unix seconds).  HM_OK or HM_E_VERIFY. */
int hm_tsa_verify(int64_t *gen_time, const unsigned char *der, size_t len, const unsigned char *sig,
		  size_t sig_len, const hm_trustroot *tr);

#endif
