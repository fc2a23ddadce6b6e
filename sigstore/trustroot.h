/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore TrustedRoot (protobuf-specs sigstore_trustroot.proto, JSON form):
 * the Fulcio CAs, Rekor logs, CT logs and timestamp authorities that make a
 * keyless signature count, each with the window of time it may be used in.
 *
 * Accepted media types: application/vnd.dev.sigstore.trustedroot.v0.1+json,
 * ...v0.2+json and application/vnd.dev.sigstore.trustedroot+json;version=0.1
 * (and 0.2).  Times are Unix seconds; windows are inclusive at both ends.
 * validFor.start is required (a root that omits it is refused rather than
 * read as unbounded).  An entry whose
 * key or certificate OpenSSL cannot load is skipped, so that nothing verifies
 * against it.  hm_trustroot owns everything it points to. */
#ifndef HM_SIGSTORE_TRUSTROOT_H
#define HM_SIGSTORE_TRUSTROOT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define HM_TRUST_FOREVER INT64_MAX

/* Caps on a trusted root (it is local configuration, but a fuzzer and a
 * hostile file must not make it unbounded). */
#define HM_TRUSTROOT_MAX_BYTES (4u << 20)
#define HM_TRUSTROOT_MAX_ENTRIES 64 /* per list */
#define HM_TRUSTROOT_MAX_CHAIN 8    /* certificates per CA/TSA */

typedef struct hm_trust_ca {
	X509 **certs;          /* as listed: issuing (leaf-most) first, root last */
	size_t n_certs;
	int64_t start, end;    /* validFor; end HM_TRUST_FOREVER when open */
	char *uri;             /* may be "" */
	char *organization;    /* subject.organization, may be "" */
	char *common_name;     /* subject.commonName, may be "" */
} hm_trust_ca;

typedef struct hm_trust_log {
	char *base_url;
	char *origin;                /* base_url without scheme and path (host[:port]): the checkpoint key name */
	EVP_PKEY *key;
	char *key_details;           /* e.g. "PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519" */
	unsigned char log_id[64];    /* logId.keyId */
	size_t log_id_len;
	unsigned char key_hint[4];   /* signed-note key hint (see hm_trust_log_key_hint) */
	int64_t start, end;
} hm_trust_log;

typedef struct hm_trustroot {
	hm_trust_ca *cas, *tsas;
	size_t n_cas, n_tsas;
	hm_trust_log *tlogs, *ctlogs;
	size_t n_tlogs, n_ctlogs;
} hm_trustroot;

/* Parses a TrustedRoot document of len bytes; what names it in errors.
 * HM_E_IO "<what>: ..." for malformed input, unknown media type, or caps. */
int hm_trustroot_parse(hm_trustroot **out, const void *json, size_t len, const char *what);
/* The same from an already parsed tree (borrowed). */
int hm_trustroot_from_json(hm_trustroot **out, const cJSON *root, const char *what);
/* Reads and parses the TrustedRoot file at path (at most
 * HM_TRUSTROOT_MAX_BYTES).  HM_E_IO "<path>: ..." when unreadable or invalid. */
int hm_trustroot_load(hm_trustroot **out, const char *path);
/* The Sigstore public-good root built into the binary (sigstore/data/). */
int hm_trustroot_builtin(hm_trustroot **out);
/* The bytes of the built-in root (borrowed, static). */
const unsigned char *hm_trustroot_builtin_bytes(size_t *len);
void hm_trustroot_free(hm_trustroot *r);

/* 1 when start <= t <= end. */
int hm_trust_valid_at(int64_t start, int64_t end, int64_t t);

/* The tlog / CT log whose logId.keyId is id (NULL when none). */
const hm_trust_log *hm_trustroot_tlog_by_id(const hm_trustroot *r, const unsigned char *id,
					    size_t len);
const hm_trust_log *hm_trustroot_ctlog_by_id(const hm_trustroot *r, const unsigned char *id,
					     size_t len);
/* The tlog that signs checkpoints as key name origin with key hint hint
 * (NULL when none). */
const hm_trust_log *hm_trustroot_tlog_by_hint(const hm_trustroot *r, const char *origin,
					      const unsigned char hint[4]);

/* The signed-note key hint of a log key named origin: for Ed25519 the first
 * 4 bytes of SHA-256(origin || "\n" || 0x01 || key) (C2SP signed-note); for
 * ECDSA and RSA the first 4 bytes of SHA-256 of the DER SubjectPublicKeyInfo,
 * which is what Rekor v1 puts on its checkpoints (and is its log id). */
int hm_trust_log_key_hint(unsigned char hint[4], EVP_PKEY *key, const char *origin);


#endif
