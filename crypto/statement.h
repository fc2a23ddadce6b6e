/* SPDX-License-Identifier: Apache-2.0 */
/* in-toto statements (https://github.com/in-toto/attestation/tree/main/spec),
 * the payload of DSSE envelopes: here, below attest/ and sigstore/, which
 * both read them.
 *
 * hallmark writes Statement v1 and reads v1 and v0.1 (cosign still writes
 * v0.1).  Trees handed in are borrowed (copied where kept); trees handed out
 * are owned by the caller. */
#ifndef HM_CRYPTO_STATEMENT_H
#define HM_CRYPTO_STATEMENT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "core/buf.h"
#include "core/limits.h"
#include "crypto/digest.h"

#define HM_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define HM_INTOTO_STATEMENT_V01 "https://in-toto.io/Statement/v0.1"

#define HM_PREDICATE_SLSA_V1 "https://slsa.dev/provenance/v1"
#define HM_PREDICATE_SLSA_V02 "https://slsa.dev/provenance/v0.2"
#define HM_PREDICATE_SPDX "https://spdx.dev/Document"
#define HM_PREDICATE_CYCLONEDX "https://cyclonedx.org/bom"
#define HM_PREDICATE_LINK "https://in-toto.io/Link/v1"
#define HM_PREDICATE_OPENVEX "https://openvex.dev/ns"
#define HM_PREDICATE_VULN "https://cosign.sigstore.dev/attestation/vuln/v1"
#define HM_PREDICATE_CUSTOM "https://cosign.sigstore.dev/attestation/v1"

/* Statements larger than HM_STATEMENT_MAX (core/limits.h) are refused when
 * parsing. */

/* Maps a predicate type given by the user to its URI.  Short names, as
 * cosign's --type (case-sensitive): slsaprovenance and slsaprovenance1
 * (SLSA v1; cosign maps plain "slsaprovenance" to v0.2, hallmark to v1),
 * slsaprovenance02, spdx, spdxjson, cyclonedx, cyclonedxxml, link, openvex,
 * vuln, custom.  Anything else must look like an absolute URI
 * (scheme ":" rest, no spaces) and is returned as given.  *out is either a
 * static string or name itself.  HM_E_USAGE "unknown predicate type 'x'". */
int hm_predicate_type_resolve(const char **out, const char *name);

/* Builds {"_type": v1, "subject": [{"name", "digest": {"sha256": hex}}],
 * "predicateType", "predicate"}.  digest is "sha256:<hex>"; predicate_type
 * a URI or short name; predicate is borrowed (deep-copied), NULL gives {}.
 * *out is owned by the caller (cJSON_Delete). */
int hm_statement_build(cJSON **out, const char *subject_name, const char *digest,
		       const char *predicate_type, const cJSON *predicate);

typedef struct hm_subject {
	const char *name;            /* borrowed from the statement; "" when absent */
	char digest[HM_DIGEST_SIZE]; /* "sha256:<hex>", "" when the subject has no sha256 */
} hm_subject;

typedef struct hm_statement {
	cJSON *json;                /* the whole statement (owned) */
	const char *type;           /* _type (borrowed from json) */
	const char *predicate_type; /* borrowed from json */
	const cJSON *predicate;     /* borrowed from json; NULL when absent */
	hm_subject *subjects;       /* owned array */
	size_t n_subjects;
} hm_statement;

#define HM_STATEMENT_INIT {NULL, NULL, NULL, NULL, NULL, 0}

/* Parses and validates a statement (v1 or v0.1): _type known, subject a
 * non-empty array of objects each with a non-empty digest object of string
 * values (sha256 values must be 64 lowercase hex digits, as the in-toto
 * spec writes them), predicateType a non-empty
 * string, predicate an object when present.  HM_E_VERIFY "statement: why"
 * when malformed (it is untrusted input from an attestation). */
int hm_statement_parse(hm_statement *out, const void *data, size_t len);
void hm_statement_free(hm_statement *st);

/* 1 when one of the subjects has this "<alg>:<hex>" digest (compared byte
 * for byte).  The one subject check: verify-attestation (through
 * hm_attest_verify) and policy evaluation both use it. */
int hm_statement_has_subject(const hm_statement *st, const char *digest);
/* The same over a statement tree (borrowed), for callers that kept the
 * JSON of a verified statement. */
int hm_statement_json_has_subject(const cJSON *statement, const char *digest);

#endif
