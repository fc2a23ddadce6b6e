/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles (protobuf-specs dev.sigstore.bundle.v1, JSON encoding):
 * parsing v0.1, v0.2 and v0.3 into hm_bundle, verifying a bundle with a
 * public key, and writing v0.3 bundles signed with a key.
 *
 * hm_bundle carries everything a verifier needs, decoded: the content (a
 * message signature or a DSSE envelope with exactly one signature), the key
 * material (a key hint, a certificate chain or one certificate, as DER), the
 * transparency log entries (numbers, decoded bytes, the checkpoint text) and
 * the RFC 3161 timestamps (DER TimeStampResp).  Parsing checks shape only
 * (types, required fields, version rules, caps); no signature, certificate,
 * proof or timestamp is checked by hm_bundle_parse.
 *
 * Every pointer and hm_buf inside an hm_bundle is owned by it and freed by
 * hm_bundle_free.  Functions return HM_OK or a negative HM_E_* code with one
 * message recorded (core/error.h). */
#ifndef HM_SIGSTORE_BUNDLE_H
#define HM_SIGSTORE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "core/buf.h"
#include "core/limits.h"
#include "crypto/key.h"
#include "sigstore/fulcio.h"
#include "sigstore/keyless.h"
#include "sigstore/trustroot.h"

#define HM_BUNDLE_MEDIA_TYPE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define HM_BUNDLE_MEDIA_TYPE_LEGACY "application/vnd.dev.sigstore.bundle+json;version="
/* The predicate type of cosign v3's image signature statement. */
#define HM_PREDICATE_COSIGN_SIGN "https://sigstore.dev/cosign/sign/v1"

/* Caps on what a bundle may hold; past them the bundle is refused.  Those
 * it shares with other signature formats are in core/limits.h: the DSSE
 * payload is an in-toto statement (HM_STATEMENT_MAX), certificates
 * HM_MAX_CERT_DER and HM_MAX_CHAIN_CERTS, canonicalizedBody
 * HM_MAX_TLOG_BODY, checkpoint.envelope HM_MAX_CHECKPOINT, one
 * signedTimestamp HM_MAX_TIMESTAMP_DER. */
#define HM_BUNDLE_MAX (8u << 20)      /* the whole JSON document */
#define HM_BUNDLE_MAX_SIG (16u << 10) /* a signature, a SET */
#define HM_BUNDLE_MAX_HASH 64         /* a digest, a log id, a proof hash */
#define HM_BUNDLE_MAX_STRING 1024     /* hint, keyid, payloadType, kind, version */
/* The bundle's names of shared caps: tlogEntries, rfc3161Timestamps,
 * inclusionProof.hashes. */
#define HM_BUNDLE_MAX_TLOG HM_MAX_TLOG_ENTRIES
#define HM_BUNDLE_MAX_TIMESTAMPS HM_MAX_TIMESTAMPS
#define HM_BUNDLE_MAX_PROOF_HASHES HM_MAX_PROOF_HASHES

enum hm_bundle_version { HM_BUNDLE_V01 = 1, HM_BUNDLE_V02 = 2, HM_BUNDLE_V03 = 3 };

enum hm_bundle_content { HM_BUNDLE_MESSAGE_SIGNATURE = 1, HM_BUNDLE_DSSE = 2 };

enum hm_bundle_material {
	HM_BUNDLE_PUBLIC_KEY = 1, /* publicKey {hint}: the key comes from elsewhere */
	HM_BUNDLE_CERT_CHAIN = 2, /* x509CertificateChain (v0.1, v0.2): leaf first */
	HM_BUNDLE_CERTIFICATE = 3 /* certificate (v0.3): the leaf alone */
};

/* dev.sigstore.common.v1.HashAlgorithm, numbered as in the proto. */
enum hm_hash_alg {
	HM_HASH_UNSPECIFIED = 0,
	HM_HASH_SHA2_256 = 1,
	HM_HASH_SHA2_384 = 2,
	HM_HASH_SHA2_512 = 3,
	HM_HASH_SHA3_256 = 4,
	HM_HASH_SHA3_384 = 5,
};

typedef struct hm_inclusion_proof {
	int64_t log_index;
	hm_buf root_hash;
	int64_t tree_size;
	hm_buf *hashes; /* n_hashes entries, leaf to root */
	size_t n_hashes;
	char *checkpoint; /* checkpoint.envelope: the signed note, as text */
} hm_inclusion_proof;

typedef struct hm_bundle_tlog {
	int64_t log_index;
	hm_buf log_id; /* logId.keyId */
	char *kind;    /* kindVersion.kind, e.g. "hashedrekord" */
	char *version; /* kindVersion.version, e.g. "0.0.1" */
	int64_t integrated_time; /* 0 when absent (Rekor v2 entries) */
	int has_promise;
	hm_buf signed_entry_timestamp; /* inclusionPromise.signedEntryTimestamp */
	int has_proof;
	hm_inclusion_proof proof;
	hm_buf canonicalized_body; /* len 0 when absent */
} hm_bundle_tlog;

typedef struct hm_bundle {
	enum hm_bundle_version version;
	char *media_type;
	enum hm_bundle_content content;

	/* HM_BUNDLE_MESSAGE_SIGNATURE: messageDigest (optional in the proto;
	 * has_digest says whether it was there) and signature. */
	int has_digest;
	enum hm_hash_alg digest_alg;
	hm_buf message_digest;
	/* The signature bytes: messageSignature.signature, or the DSSE
	 * envelope's only signature (signatures[0].sig). */
	hm_buf signature;

	/* HM_BUNDLE_DSSE */
	char *payload_type;
	hm_buf payload;
	char *keyid; /* signatures[0].keyid, "" when absent */

	enum hm_bundle_material material;
	char *hint;     /* publicKey.hint, "" when absent */
	hm_buf *certs;  /* DER: the chain (leaf first) or the one certificate */
	size_t n_certs; /* 0 with a public key */

	hm_bundle_tlog *tlog;
	size_t n_tlog;
	hm_buf *timestamps; /* DER RFC 3161 TimeStampResp each */
	size_t n_timestamps;
} hm_bundle;

/* Parses a bundle in protobuf JSON (lowerCamelCase or proto field names,
 * int64 as string or number, bytes as standard or URL-safe base64 with or
 * without padding and line breaks, enums by name or number; unknown fields
 * ignored).  On success *out is filled and owned by the caller
 * (hm_bundle_free, also after a failure).  A malformed bundle gives HM_E_VERIFY
 * with one message naming the field path, e.g.
 * "bundle: verificationMaterial.tlogEntries[0].inclusionProof: required from
 * v0.2 on"; an oversized one too.  HM_E_NOMEM when memory runs out. */
int hm_bundle_parse(hm_bundle *out, const void *json, size_t len);
void hm_bundle_free(hm_bundle *b);

/* "0.1", "0.2", "0.3" */
const char *hm_bundle_version_name(enum hm_bundle_version v);

/* Appends the sigstore key hint of k: base64 of the SHA-256 of its DER
 * SubjectPublicKeyInfo (what sigstore-go and cosign write). */
int hm_bundle_key_hint(hm_buf *out, const hm_key *k);

/* ---- verifying: with keys, or keyless with an identity ---- */

typedef struct hm_bundle_verify_opts {
	hm_key *const *keys; /* borrowed; the first key that verifies wins */
	size_t n_keys;
	/* The artifact: its bytes, or (artifact NULL) its "sha256:<hex>"
	 * digest.  A message signature by digest needs a key that signs a
	 * SHA-256 prehash (ECDSA, RSA), not Ed25519. */
	const void *artifact;
	size_t artifact_len;
	const char *artifact_digest;
	/* When not NULL, the bundle must be a DSSE in-toto statement of exactly
	 * this predicate type (a message signature is then refused too). */
	const char *predicate_type;
	/* Keyless: who a certificate bundle's signer must be (borrowed).  NULL:
	 * a certificate bundle is refused.  Given: a public-key bundle is
	 * verified only with keys, never "keyless" (GHSA-fx35-mq7g-6g98). */
	const hm_identity_policy *identity;
	/* The trusted root for keyless bundles and for the log entries and
	 * timestamps of key bundles (borrowed).  NULL: the built-in Sigstore
	 * public-good root, loaded only when a bundle needs one. */
	const hm_trustroot *trustroot;
	int64_t now; /* 0: the current time (tests pin it) */
} hm_bundle_verify_opts;

enum hm_bundle_kind { HM_BUNDLE_KIND_MESSAGE = 1, HM_BUNDLE_KIND_STATEMENT = 2 };

#define HM_BUNDLE_MAX_TIMES (HM_MAX_TLOG_ENTRIES + HM_MAX_TIMESTAMPS)

typedef struct hm_bundle_verdict {
	enum hm_bundle_kind kind;
	char digest[72];       /* "sha256:<hex>" of the artifact checked */
	char *predicate_type;  /* owned; NULL for a message signature */
	cJSON *statement;      /* owned; the verified statement, NULL for a message signature */
	int key_index;         /* which of opts.keys verified, -1 when none (or keyless) */
	char *reason;          /* owned; why the bundle was refused, NULL when verified */
	/* Keyless (keyless == 1 when the bundle verified by its certificate): */
	int keyless;
	hm_fulcio_identity cert;   /* owned; the leaf's SANs, OIDC issuer (cert.issuer), claims */
	const char *identity;      /* the SAN that satisfied the policy; points into cert */
	/* Both: what the transparency log and the timestamps established. */
	int64_t log_index;         /* the first log entry's index, -1 when none */
	int64_t times[HM_BUNDLE_MAX_TIMES]; /* verified times (Unix seconds): TSA genTimes, then SET integratedTimes */
	size_t n_times;
} hm_bundle_verdict;

/* Verifies a parsed bundle against the artifact, and fills out.
 *
 * The material decides the path.  A public key: its signature must verify
 * with one of o->keys (none given: refused, as a bare key cannot satisfy an
 * identity); a DSSE envelope's keyid and the publicKey hint must agree when
 * both are non-empty; then, when the bundle carries transparency log entries
 * or RFC 3161 timestamps, every one must verify against the trusted root and
 * bind this signature and key (a key bundle with neither is accepted
 * offline, as hallmark's own are).  A certificate (v0.3) or certificate chain
 * (v0.1/v0.2): o->identity is required, and hm_keyless_verify runs every
 * check of the Sigstore client specification (times from the log and TSAs,
 * the Fulcio chain at those times, an SCT, the signature, the identity);
 * bundles v0.2 and later need an inclusion proof on every entry.
 *
 * For both: a message signature's messageDigest, when present, must be
 * SHA2_256 and the artifact's digest (the artifact is hashed here, never
 * taken from the bundle).  A DSSE envelope must have payloadType
 * application/vnd.in-toto+json, and the verified payload must be an in-toto
 * statement with the artifact's digest among its subjects (and, with
 * o->predicate_type, of that type).
 *
 * HM_OK when verified; HM_E_VERIFY with the reason (also in out->reason)
 * when refused; HM_E_USAGE for options that cannot work (no keys and no
 * identity, no artifact, an Ed25519 key with a digest, a bad regexp);
 * HM_E_IO when the built-in trusted root cannot be loaded.  out is always
 * filled; free it with hm_bundle_verdict_free. */
int hm_bundle_verify(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o);
void hm_bundle_verdict_free(hm_bundle_verdict *v);

/* 1 when a verified bundle is a signature of its subject (a message
 * signature, or a statement of predicate type HM_PREDICATE_COSIGN_SIGN),
 * 0 when it is an attestation of another predicate type. */
int hm_bundle_verdict_is_signature(const hm_bundle_verdict *v);

/* ---- writing ---- */

/* Append a v0.3 bundle (compact JSON) signed with k, whose material is
 * publicKey {hint: hm_bundle_key_hint(k)}, without transparency log entries
 * or timestamps (an offline bundle).
 *
 * message: a messageSignature over data, with messageDigest SHA2_256.
 * dsse: a DSSE envelope of payload_type/payload, signature keyid = the hint. */
int hm_bundle_write_message(hm_buf *out, const hm_key *k, const void *data, size_t len);
int hm_bundle_write_dsse(hm_buf *out, const hm_key *k, const char *payload_type, const void *payload,
			 size_t len);

#endif
