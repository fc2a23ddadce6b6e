/* SPDX-License-Identifier: Apache-2.0 */
/* DSSE envelopes (https://github.com/secure-systems-lab/dsse). */
#ifndef HM_CRYPTO_DSSE_H
#define HM_CRYPTO_DSSE_H

#include <stddef.h>
#include "core/buf.h"
#include "crypto/key.h"

#define HM_DSSE_INTOTO "application/vnd.in-toto+json"

/* Appends PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body. */
int hm_dsse_pae(hm_buf *out, const char *type, const void *body, size_t len);

/* Appends the JSON envelope {payloadType, payload, signatures:[{keyid, sig}]}
 * signed with k; keyid may be NULL (written as ""). */
int hm_dsse_sign(hm_buf *out, const hm_key *k, const char *keyid, const char *payload_type,
		 const void *payload, size_t len);

typedef struct hm_dsse_result {
	char *payload_type; /* owned */
	hm_buf payload;     /* the decoded, verified payload bytes */
	int verified_by;    /* index into keys of the first key that verified, -1 */
	size_t n_signatures;
} hm_dsse_result;

/* Parses an envelope and checks its signatures against keys.  HM_OK when at
 * least one signature verifies with one of the keys (payload then holds the
 * bytes that were signed); HM_E_VERIFY with a reason otherwise (malformed
 * envelope, no signature, no key verified).  Standard and URL-safe base64
 * are accepted. */
int hm_dsse_verify(hm_dsse_result *out, const void *env, size_t len, hm_key *const *keys,
		   size_t nkeys);
void hm_dsse_result_free(hm_dsse_result *r);

#endif
