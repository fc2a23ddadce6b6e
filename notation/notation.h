/* SPDX-License-Identifier: Apache-2.0 */
/* Notary Project (notation) signatures: JWS and COSE envelopes verified
 * under a notation trust policy and trust store, as the Notary Project
 * specifications describe them (signature specification, JWS and COSE
 * envelopes, signing schemes notary.x509 and notary.x509.signingAuthority,
 * trust store and trust policy v1.0).
 *
 * Use:
 *
 *	hm_notation_policy *pol;  hm_notation_store *st;  hm_notation_result r;
 *	hm_notation_policy_load(&pol, "trustpolicy.json");
 *	hm_notation_store_open(&st, "trust-store");        // holds x509/ca/NAME ...
 *	hm_notation_verify_opts o = HM_NOTATION_VERIFY_OPTS_INIT;
 *	o.repository = "registry.example.com/team/app"; o.policy = pol; o.store = st;
 *	o.now = time(NULL);
 *	err = hm_notation_verify(&r, env, env_len, "application/jose+json", &image_desc, &o);
 *	...  hm_notation_result_free(&r);
 *
 * Everything here returns HM_OK or a negative HM_E_* code with one message
 * recorded (core/error.h); nothing prints.  Revocation (OCSP, CRL) is not
 * checked: it is reported as skipped.  Verification plugins are refused. */
#ifndef HM_NOTATION_NOTATION_H
#define HM_NOTATION_NOTATION_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <openssl/x509.h>
#include "core/buf.h"
#include "core/limits.h"
#include "oci/manifest.h"

/* Media types: the signature artifact, the two envelopes, the payload. */
#define HM_NOTATION_ARTIFACT_TYPE "application/vnd.cncf.notary.signature"
#define HM_NOTATION_MT_JWS "application/jose+json"
#define HM_NOTATION_MT_COSE "application/cose"
#define HM_NOTATION_MT_PAYLOAD "application/vnd.cncf.notary.payload.v1+json"

/* Caps on outside input (also in docs/security.md); those shared with
 * Sigstore are in core/limits.h: certificates in x5c / x5chain
 * HM_MAX_CHAIN_CERTS, one DER certificate HM_MAX_CERT_DER, one DER
 * TimeStampToken HM_MAX_TIMESTAMP_DER. */
#define HM_NOTATION_MAX_ENVELOPE (4u << 20)   /* one envelope: 4 MiB */
#define HM_NOTATION_MAX_PAYLOAD (256u << 10)  /* the signed payload: 256 KiB */
#define HM_NOTATION_MAX_POLICY (1u << 20)     /* trustpolicy.json */
#define HM_NOTATION_MAX_STORE_FILE (1u << 20) /* one trust store certificate file */
#define HM_NOTATION_MAX_STORE_CERTS 256       /* certificates in one named store */
#define HM_NOTATION_MAX_CBOR_DEPTH 8          /* nesting inside a COSE envelope */

enum hm_notation_format { HM_NOTATION_JWS = 1, HM_NOTATION_COSE };
enum hm_notation_alg {
	HM_NOTATION_PS256 = 1,
	HM_NOTATION_PS384,
	HM_NOTATION_PS512,
	HM_NOTATION_ES256,
	HM_NOTATION_ES384,
	HM_NOTATION_ES512,
};
enum hm_notation_scheme { HM_NOTATION_X509 = 1, HM_NOTATION_X509_SIGNING_AUTHORITY };

/* "PS256" ..., "notary.x509" ..., "jws" | "cose". */
const char *hm_notation_alg_name(enum hm_notation_alg a);
const char *hm_notation_scheme_name(enum hm_notation_scheme s);
const char *hm_notation_format_name(enum hm_notation_format f);

/* ---- Envelopes ------------------------------------------------------- */

/* A parsed envelope: syntax and the Notary Project header rules checked
 * (alg in the allowed set, cty, crit listing exactly the critical
 * attributes present and nothing unknown, the times the scheme requires,
 * no verification plugin), nothing cryptographic.  Owns everything. */
typedef struct hm_notation_envelope {
	enum hm_notation_format format;
	enum hm_notation_alg alg;
	enum hm_notation_scheme scheme;
	int64_t signing_time;           /* notary.x509 (untrusted); 0 when absent */
	int64_t authentic_signing_time; /* notary.x509.signingAuthority */
	int64_t expiry;                 /* 0 when absent */
	int has_signing_time, has_authentic_signing_time, has_expiry;
	char *signing_agent;    /* unprotected, informational; NULL when absent */
	hm_buf payload;         /* the payload bytes (JSON) */
	hm_buf signed_bytes;    /* what the signature covers (JWS signing input / Sig_structure) */
	hm_buf signature;       /* the signature as carried (raw r||s for ECDSA) */
	hm_buf timestamp;       /* DER TimeStampToken over signature; len 0 when absent */
	STACK_OF(X509) *chain;  /* leaf first, as carried */
} hm_notation_envelope;

/* Parses an envelope of media type HM_NOTATION_MT_JWS or HM_NOTATION_MT_COSE.
 * Refusals are HM_E_VERIFY "notation JWS envelope: <what>" (or COSE);
 * an unknown media type is HM_E_VERIFY too.  *out is zeroed first and
 * needs hm_notation_envelope_free() whatever the result. */
int hm_notation_envelope_parse(hm_notation_envelope *out, const void *data, size_t len,
			       const char *media_type);
void hm_notation_envelope_free(hm_notation_envelope *e);

/* ---- Trust policy and trust store ------------------------------------ */

enum hm_notation_level {
	HM_NOTATION_STRICT = 1,
	HM_NOTATION_PERMISSIVE,
	HM_NOTATION_AUDIT,
	HM_NOTATION_SKIP,
};
/* What a level (with its override) does with a validation's failure. */
enum hm_notation_action { HM_NOTATION_ACT_ENFORCE = 1, HM_NOTATION_ACT_LOG, HM_NOTATION_ACT_SKIP };
/* The validations of the trust policy specification, in that order. */
enum hm_notation_check {
	HM_NOTATION_INTEGRITY = 0,
	HM_NOTATION_AUTHENTICITY,
	HM_NOTATION_AUTHENTIC_TIMESTAMP,
	HM_NOTATION_EXPIRY,
	HM_NOTATION_REVOCATION,
	HM_NOTATION_N_CHECKS,
};
const char *hm_notation_level_name(enum hm_notation_level l);
const char *hm_notation_check_name(enum hm_notation_check c); /* "integrity" ... "revocation" */

/* One statement of trustpolicy.json, validated.  Borrowed from its policy. */
typedef struct hm_notation_trust_policy {
	char *name;
	char **scopes; /* registryScopes: "*" or fully qualified repositories */
	size_t n_scopes;
	enum hm_notation_level level;
	enum hm_notation_action actions[HM_NOTATION_N_CHECKS]; /* level with override applied */
	int verify_timestamp_always; /* verifyTimestamp: always (1, default) | afterCertExpiry (0) */
	char **trust_stores; /* "ca:NAME", "signingAuthority:NAME", "tsa:NAME" */
	size_t n_trust_stores;
	char **identities; /* "*" or "x509.subject: ..." */
	size_t n_identities;
} hm_notation_trust_policy;

typedef struct hm_notation_policy hm_notation_policy;

/* Parses a trust policy document (version "1.0", as trustpolicy.json or
 * trustpolicy.oci.json) and checks the specification's constraints (names
 * unique, scopes, one global policy, levels and overrides, store
 * references, identities with C, ST/S and O, no overlapping identities,
 * skip not global).  what names the input in errors: HM_E_USAGE
 * "what: trustPolicies[1].signatureVerification.level: ..." */
int hm_notation_policy_parse(hm_notation_policy **out, const void *json, size_t len, const char *what);
/* The same from a file (at most HM_NOTATION_MAX_POLICY bytes). */
int hm_notation_policy_load(hm_notation_policy **out, const char *path);
size_t hm_notation_policy_count(const hm_notation_policy *p);
const hm_notation_trust_policy *hm_notation_policy_get(const hm_notation_policy *p, size_t i);
/* The statement that applies to a fully qualified repository
 * ("registry.example.com/team/app", no tag or digest): the one naming it
 * exactly, else the global one.  HM_E_VERIFY "no notation trust policy
 * applies to 'repo'" when none does. */
int hm_notation_policy_select(const hm_notation_trust_policy **out, const hm_notation_policy *p,
			      const char *repository);
void hm_notation_policy_free(hm_notation_policy *p);

/* A trust store directory laid out as notation's: x509/{ca,signingAuthority,tsa}/NAME/
 * with .pem, .crt, .cer files (PEM, several certificates allowed, or DER).
 * Named stores are read when first asked for; symlinks are refused,
 * sub-directories ignored. */
typedef struct hm_notation_store hm_notation_store;

int hm_notation_store_open(hm_notation_store **out, const char *dir);
/* The certificates of named store ref ("ca:NAME", "signingAuthority:NAME",
 * "tsa:NAME").  Borrowed: valid until hm_notation_store_free().  An empty,
 * missing or unreadable store is HM_E_IO naming it. */
int hm_notation_store_certs(STACK_OF(X509) **out, hm_notation_store *st, const char *ref);
void hm_notation_store_free(hm_notation_store *st);

/* ---- Verification ---------------------------------------------------- */

typedef struct hm_notation_verify_opts {
	unsigned version; /* HM_NOTATION_VERIFY_OPTS_VERSION */
	const char *repository;                 /* for scope matching */
	const hm_notation_policy *policy;       /* selects the statement by repository */
	const hm_notation_trust_policy *statement; /* or: this statement (policy may be NULL) */
	hm_notation_store *store;
	int64_t now; /* Unix seconds: the time of verification */
} hm_notation_verify_opts;

#define HM_NOTATION_VERIFY_OPTS_VERSION 1
#define HM_NOTATION_VERIFY_OPTS_INIT {HM_NOTATION_VERIFY_OPTS_VERSION, NULL, NULL, NULL, NULL, 0}

enum hm_notation_outcome {
	HM_NOTATION_VERIFIED = 1, /* every enforced validation passed */
	HM_NOTATION_SKIPPED,      /* the statement's level is skip: nothing was checked */
	HM_NOTATION_REFUSED,      /* an enforced validation failed: see reason */
};

/* The result of one validation. */
typedef struct hm_notation_check_result {
	enum hm_notation_action action; /* what the level does with a failure */
	int ran;    /* 0: not reached (an earlier enforced failure) or skipped */
	int passed; /* when ran */
	char *message; /* why it failed or was skipped; NULL when it passed */
} hm_notation_check_result;

typedef struct hm_notation_result {
	enum hm_notation_outcome outcome;
	char *reason; /* REFUSED: the first enforced failure (also the error message) */
	char *policy_name; /* the trust policy statement applied */
	enum hm_notation_level level;
	hm_notation_check_result checks[HM_NOTATION_N_CHECKS];

	/* From the envelope, once it parsed (format 0 otherwise). */
	enum hm_notation_format format;
	enum hm_notation_alg alg;
	enum hm_notation_scheme scheme;
	char *subject;        /* leaf subject DN, "C=US, ST=WA, O=acme, CN=x" order as in the cert */
	char **chain_subjects; /* every certificate of the chain, leaf first */
	char **chain_sha256;   /* hex SHA-256 of each DER certificate, leaf first */
	size_t n_chain;
	STACK_OF(X509) *chain; /* leaf first, owned */
	char *trust_store;     /* "ca:NAME" whose certificate anchored the chain, NULL if none */
	int signer_trusted;    /* authenticity passed (chain to the store and identity match) */
	int64_t signing_time;           /* untrusted, 0 when absent */
	int64_t authentic_signing_time; /* signingAuthority scheme, 0 when absent */
	int64_t timestamp_time;         /* verified RFC 3161 genTime, 0 when none */
	int64_t timestamp_lower, timestamp_upper; /* genTime -/+ accuracy */
	int64_t expiry;                 /* 0 when absent */
	char *signing_agent;
	char *payload;         /* the payload JSON, NUL-terminated */
	cJSON *annotations;    /* targetArtifact.annotations (owned), NULL when absent */
} hm_notation_result;

/* Verifies one envelope (its bytes and media type, as found as a referrer
 * of artifactType HM_NOTATION_ARTIFACT_TYPE) as a signature of target (the
 * image's descriptor: media type, digest and size must equal the payload's
 * targetArtifact) under the statement that applies to opts->repository.
 *
 * Returns HM_OK with outcome VERIFIED or SKIPPED (failures of validations
 * the level only logs are in checks[]), HM_E_VERIFY with outcome REFUSED
 * and the reason (also the error message), HM_E_USAGE for bad options,
 * HM_E_IO when the trust store cannot be read.  *out is zeroed first and
 * needs hm_notation_result_free() whatever the result. */
int hm_notation_verify(hm_notation_result *out, const void *envelope, size_t len, const char *media_type,
		       const hm_descriptor *target, const hm_notation_verify_opts *opts);
void hm_notation_result_free(hm_notation_result *r);

/* Whether the certificate's subject satisfies identity ("*" or
 * "x509.subject: C=US, ST=WA, O=acme"): every attribute the identity names
 * is in the subject with the same value, in any order.  1 or 0. */
int hm_notation_identity_match(const char *identity, X509 *leaf);

#endif
