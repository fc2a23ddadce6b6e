/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to notation/: the pieces the envelope parsers, the x509 checks
 * and the verifier share.  Not for other modules. */
#ifndef HM_NOTATION_INTERNAL_H
#define HM_NOTATION_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "notation/notation.h"

/* Header names of the Notary Project signature specification. */
#define NT_SCHEME "io.cncf.notary.signingScheme"
#define NT_SIGNING_TIME "io.cncf.notary.signingTime"
#define NT_AUTHENTIC_TIME "io.cncf.notary.authenticSigningTime"
#define NT_EXPIRY "io.cncf.notary.expiry"
#define NT_PLUGIN "io.cncf.notary.verificationPlugin"
#define NT_PLUGIN_MIN "io.cncf.notary.verificationPluginMinVersion"
#define NT_TIMESTAMP "io.cncf.notary.timestampSignature"
#define NT_AGENT "io.cncf.notary.signingAgent"

/* Envelope parsers (jws.c, cose.c): fill e, HM_E_VERIFY on refusal. */
int nt_jws_parse(hm_notation_envelope *e, const unsigned char *data, size_t len);
int nt_cose_parse(hm_notation_envelope *e, const unsigned char *data, size_t len);

/* What the protected header said, in the terms both envelopes share;
 * checked by nt_headers_check (envelope.c), which fills e's scheme and
 * times.  Strings are borrowed. */
#define NT_MAX_CRIT 16
typedef struct nt_headers {
	const char *fmt; /* "JWS" | "COSE", for messages */
	const char *cty;
	const char *scheme;
	const char *crit[NT_MAX_CRIT];
	size_t n_crit;
	int has_crit;
	int has_signing_time, has_authentic_time, has_expiry, has_plugin, has_plugin_min;
	int64_t signing_time, authentic_time, expiry;
} nt_headers;

int nt_headers_check(hm_notation_envelope *e, const nt_headers *h);

/* Appends a DER certificate to e->chain (HM_MAX_CHAIN_CERTS,
 * HM_MAX_CERT_DER); fmt names the envelope in errors. */
int nt_chain_add(hm_notation_envelope *e, const unsigned char *der, size_t len, const char *fmt);

/* Integrity: the alg matches the leaf's key (RSA 2048/3072/4096 ->
 * PS256/384/512, P-256/384/521 -> ES256/384/512) and the signature
 * verifies over e->signed_bytes.  HM_E_VERIFY with the reason. */
int nt_signature_verify(const hm_notation_envelope *e);
/* The payload's targetArtifact equals target (mediaType, digest, size);
 * *annotations receives a copy of its annotations (or NULL). */
int nt_payload_check(cJSON **annotations, const hm_notation_envelope *e, const hm_descriptor *target);

/* x509.c */
/* Certificate requirements of the signature specification for a
 * code-signing chain (leaf first, ordered, ends at a self-signed root). */
int nt_chain_requirements(STACK_OF(X509) *chain);
/* The chain leads (OpenSSL path validation, times not checked here) to a
 * certificate of roots that is also in the chain. */
int nt_chain_trusted(STACK_OF(X509) *chain, STACK_OF(X509) *roots);
/* Every certificate of chain is valid during [from, to]; the message names the first that is not. */
int nt_chain_valid_during(STACK_OF(X509) *chain, int64_t from, int64_t to);
/* RFC 3161: der is a TimeStampToken over sig, by a TSA chaining to roots;
 * *lower and *upper receive genTime -/+ accuracy. */
int nt_timestamp_verify(int64_t *gen_time, int64_t *lower, int64_t *upper, const unsigned char *der,
			size_t len, const unsigned char *sig, size_t sig_len, STACK_OF(X509) *roots);
/* "C=US, ST=WA, O=acme" of the certificate (caller frees). */
char *nt_subject_string(X509 *x);
/* 1 if the time is an X.509 time convertible to Unix seconds. */
int nt_asn1_time(int64_t *out, const ASN1_TIME *t);

/* Strict base64url (RFC 7515 section 2: URL alphabet, no padding, no
 * other characters), appended to out; HM_E_VERIFY naming what. */
int nt_b64url_decode(hm_buf *out, const char *in, size_t len, const char *what);
/* One JSON value and nothing after it but white space; failures record
 * "what: invalid JSON near byte N" with code.  Caller cJSON_Deletes. */
cJSON *nt_json_parse(const void *data, size_t len, const char *what, int code);

#endif
