/* Attestations: in-toto statements in DSSE envelopes attached to images.
 * (The attest/ owner extends this header with statement building,
 * Dockerfile parsing and provenance generation.) */
#ifndef HM_ATTEST_ATTEST_H
#define HM_ATTEST_ATTEST_H

#include <cjson/cJSON.h>
#include "crypto/key.h"
#include "oci/store.h"

#define HM_MT_DSSE "application/vnd.dsse.envelope.v1+json"

typedef struct hm_att_result {
	char *source;                /* where it was found (see hm_attached.source) */
	char layer[HM_DIGEST_SIZE];  /* envelope blob digest */
	int valid;                   /* 1 when accepted */
	int key_index;               /* index into keys of the verifying key, or -1 */
	char *reason;                /* why it was refused (NULL when valid) */
	char *predicate_type;        /* from the verified statement (or the annotation when not verified) */
	cJSON *statement;            /* the verified, parsed statement (owned), NULL when not valid */
} hm_att_result;

typedef struct hm_att_results {
	char digest[HM_DIGEST_SIZE];
	hm_att_result *v;
	size_t n;
	size_t n_valid;
} hm_att_results;

/* Checks every attestation attached to digest; with predicate_type (a URI
 * or short name) only those of that type are listed.  HM_OK whenever
 * discovery worked (look at n_valid); operational errors return their code. */
int hm_attest_verify(hm_att_results *out, hm_store *s, const char *digest, hm_key *const *keys,
		     size_t nkeys, const char *predicate_type);
void hm_att_results_free(hm_att_results *r);

#endif
