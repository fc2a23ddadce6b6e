/* SPDX-License-Identifier: Apache-2.0 */
/* Rekor transparency log entries, v1 and v2: the signed entry timestamp
 * (v1 inclusion promise), RFC 6962 inclusion proofs, signed checkpoints
 * (C2SP signed-note / tlog-checkpoint), and the binding of the logged body
 * to the signature being verified.  All inputs are decoded bytes; nothing
 * here is fetched. */
#ifndef HM_SIGSTORE_REKOR_H
#define HM_SIGSTORE_REKOR_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "sigstore/trustroot.h"

/* Proof hashes, entry bodies and checkpoints are capped by HM_MAX_PROOF_HASHES,
 * HM_MAX_TLOG_BODY and HM_MAX_CHECKPOINT (core/limits.h). */
#define HM_REKOR_MAX_NOTE_SIGS 32 /* signature lines in one checkpoint */
#define HM_REKOR_MAX_ORIGIN 256

/* One transparency log entry of a bundle (TransparencyLogEntry), decoded.
 * Every pointer is borrowed. */
typedef struct hm_tlog_entry {
	const unsigned char *log_id;       /* logId.keyId */
	size_t log_id_len;
	int64_t log_index;                 /* logIndex */
	const char *kind, *version;        /* kindVersion */
	int64_t integrated_time;           /* 0 when absent (Rekor v2) */
	const unsigned char *set;          /* inclusionPromise.signedEntryTimestamp; NULL when absent */
	size_t set_len;
	const unsigned char *body;         /* canonicalizedBody */
	size_t body_len;
	int has_proof;                     /* inclusionProof present */
	int64_t proof_index, tree_size;
	const unsigned char *root_hash;    /* 32 bytes */
	size_t root_hash_len;
	const unsigned char *hashes;       /* n_hashes consecutive 32-byte hashes */
	size_t n_hashes;
	const char *checkpoint;            /* inclusionProof.checkpoint.envelope */
	size_t checkpoint_len;
} hm_tlog_entry;

/* What the entry must be about.  sig, and cert_der (a Fulcio certificate)
 * or key_der (a managed key's DER SubjectPublicKeyInfo); then either
 * digest (SHA-256 of the artifact, message signatures) or payload_type and
 * payload (a DSSE envelope's, whose signature covers PAE(type, payload)). */
typedef struct hm_rekor_subject {
	const unsigned char *sig;
	size_t sig_len;
	const unsigned char *cert_der;
	size_t cert_len;
	const unsigned char *digest;       /* 32 bytes, or NULL for DSSE */
	const char *payload_type;
	const unsigned char *payload;
	size_t payload_len;
	const unsigned char *key_der;      /* only when cert_der is NULL */
	size_t key_len;
	/* The DSSE envelope's bytes exactly as they were logged (cosign v2's
	 * attestation layer); only intoto 0.0.1 binds them, by their SHA-256. */
	const unsigned char *envelope;
	size_t envelope_len;
} hm_rekor_subject;

/* The parsed text of a checkpoint. */
typedef struct hm_checkpoint {
	char origin[HM_REKOR_MAX_ORIGIN];
	uint64_t size;
	unsigned char root[32];
} hm_checkpoint;

/* RFC 6962 hashes: leaf = SHA-256(0x00 || body). */
void hm_rekor_leaf_hash(unsigned char out[32], const void *body, size_t len);
/* Computes the root of a tree of size leaves from the leaf at index and its
 * audit path (n hashes of 32 bytes), RFC 9162 section 2.1.3.2.
 * HM_E_VERIFY when index/size/path do not fit together. */
int hm_rekor_root_from_proof(unsigned char root[32], const unsigned char leaf[32], uint64_t index,
			     uint64_t size, const unsigned char *hashes, size_t n);

/* Verifies the v1 signed entry timestamp: the log's signature over the RFC
 * 8785 canonical JSON {"body","integratedTime","logID","logIndex"}; the log
 * (found by e->log_id) must have been valid at integratedTime. */
int hm_rekor_verify_set(const hm_tlog_entry *e, const hm_trustroot *tr);

/* Parses a signed note and verifies it was signed by log (a signature line
 * named log->origin with log->key_hint that verifies; other lines, such as
 * witness cosignatures, are ignored).  Fills out.  HM_E_VERIFY on anything
 * malformed or unsigned. */
int hm_checkpoint_verify(hm_checkpoint *out, const char *note, size_t len, const hm_trust_log *log);

/* Verifies e's inclusion proof against its root hash and its checkpoint,
 * signed by the log that e->log_id names; the checkpoint's size and root
 * must equal the proof's, its origin the log's (v1: "<origin> - <tree id>"). */
int hm_rekor_verify_inclusion(const hm_tlog_entry *e, const hm_trustroot *tr);

/* HM_OK when body (canonicalizedBody) records exactly s: hashedrekord 0.0.1
 * and 0.0.2 (for DSSE, the digest of the PAE), dsse 0.0.1 and 0.0.2
 * (payload hash, and a signature equal to s->sig by s->cert_der), intoto
 * 0.0.1 (content.hash the SHA-256 of s->envelope, which carries the
 * signature; content.payloadHash, when recorded, that of the payload;
 * publicKey the certificate), intoto 0.0.2 (payload hash, signature,
 * certificate).  HM_E_VERIFY with what differs otherwise, including any
 * other kind. */
int hm_rekor_entry_binds(const void *body, size_t len, const hm_rekor_subject *s);

/* Everything about one entry: its log is in tr; it has a SET or an inclusion
 * proof (Rekor v2: the proof is required) and each present verifies; the
 * body's kind/apiVersion equal kindVersion; the body binds s.
 * *time_out is integratedTime when a SET verified, else 0. */
int hm_rekor_verify_entry(const hm_tlog_entry *e, const hm_trustroot *tr, const hm_rekor_subject *s,
			  int64_t *time_out);

#endif
