/* SPDX-License-Identifier: Apache-2.0 */
/* SLSA Verification Summary Attestations v1
 * (https://slsa.dev/spec/v1.0/verification_summary): hallmark writes one for
 * every image a policy decided, and a policy may accept one from a verifier
 * it trusts instead of checking the image's signatures itself.
 *
 * Trees handed out are owned by the caller (cJSON_Delete). */
#ifndef HM_ATTEST_VSA_H
#define HM_ATTEST_VSA_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "core/buf.h"
#include "crypto/digest.h"

#define HM_PREDICATE_VSA_V1 "https://slsa.dev/verification_summary/v1"
/* verifier.id when none is given. */
#define HM_VSA_VERIFIER_ID "https://github.com/hallmark-dev/hallmark"
/* A VSA whose timeVerified lies further than this in the future of the
 * reader's clock is refused (clock skew between verifier and reader). */
#define HM_VSA_MAX_SKEW 300

/* One signature or attestation the decision used. */
typedef struct hm_vsa_input {
	const char *uri;            /* where it is, e.g. oci://repo@sha256:<blob> */
	const char *name;           /* how it was found ("tag sha256-<hex>.sig"), or NULL */
	const char *digest;         /* "sha256:<hex>" of its blob */
} hm_vsa_input;

typedef struct hm_vsa_opts {
	const char *verifier_id;    /* NULL: HM_VSA_VERIFIER_ID */
	const char *version;        /* hallmark's version (verifier.version.hallmark) */
	int64_t time_verified;      /* Unix seconds */
	const char *name;           /* the image's repository (subject name) */
	const char *digest;         /* the image digest, "sha256:<hex>" */
	const char *policy_uri;
	const char *policy_digest;  /* "sha256:<hex>" of the policy file's bytes */
	const hm_vsa_input *inputs;
	size_t n_inputs;
	int passed;                 /* verificationResult PASSED (1) or FAILED (0) */
} hm_vsa_opts;

/* The predicate: verifier {id, version {hallmark}}, timeVerified,
 * resourceUri "<name>@<digest>", policy {uri, digest {sha256}},
 * inputAttestations [{uri, name, digest {sha256}}], verificationResult,
 * verifiedLevels ([] when PASSED: hallmark's policies do not grade SLSA
 * levels; ["FAILED"] when FAILED, as the spec says), slsaVersion "1.0".
 * HM_E_USAGE for a malformed digest or missing field. */
int hm_vsa_predicate(cJSON **out, const hm_vsa_opts *o);
/* The whole in-toto Statement v1 around it, subject {name, digest}. */
int hm_vsa_statement(cJSON **out, const hm_vsa_opts *o);

/* What a policy accepts in a VSA (all but digest may be 0/NULL). */
typedef struct hm_vsa_expect {
	const char *digest;         /* the image: a subject must carry it */
	const char *policy_digest;  /* "sha256:<hex>": policy.digest.sha256 must equal it */
	const char *verifier_id;    /* verifier.id must equal it */
	long long max_age;          /* seconds; timeVerified no older than this */
	int64_t now;
} hm_vsa_expect;

/* 1 when the (verified) statement is a VSA v1 that meets e, else 0 with
 * why it does not appended to why. */
int hm_vsa_accepts(const cJSON *statement, const hm_vsa_expect *e, hm_buf *why);

#endif
