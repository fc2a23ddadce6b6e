/* SPDX-License-Identifier: Apache-2.0 */
/* Caps on everything a registry, a layout or whoever can push to a
 * repository controls.  One place, so that the limits can be read (and
 * documented) together; each is generous for real use and small enough that
 * hostile input cannot make hallmark fetch, hold or compute without bound.
 *
 * Going over a cap is refused with a message naming it.  Over a cap in
 * something attached to an image (a .sig/.att manifest, a referrer, a
 * blob), the attachment is refused, like any other bad signature: it is
 * data anyone with push access can write, not a registry outage. */
#ifndef HM_CORE_LIMITS_H
#define HM_CORE_LIMITS_H

/* Bytes of one manifest or index (what docker's registry also accepts). */
#define HM_MAX_MANIFEST (4u << 20)
/* Bytes of one simple-signing payload blob. */
#define HM_MAX_SIG_BLOB (1u << 20)
/* Bytes of one DSSE envelope blob (SBOM attestations can be large). */
#define HM_ATT_MAX_ENVELOPE (4u << 20)

/* Layers of one image manifest (docker stops at 127). */
#define HM_MAX_LAYERS 1000
/* Entries of one index (a multi-platform image has a few dozen; an OCI
 * layout's index.json lists every tag, signature and attestation in it). */
#define HM_MAX_INDEX_ENTRIES 10000
/* Annotations in one manifest: its own plus those of all its descriptors. */
#define HM_MAX_ANNOTATIONS 10000

/* Layers of one attached manifest (a .sig/.att tag or a referrer): cosign
 * appends one per signature, so a few is usual and hundreds is not. */
#define HM_MAX_ATTACHED_LAYERS 256
/* Attached layers (signatures, attestations, bundles, others) read for one
 * image by one discovery, over every place they are found. */
#define HM_MAX_ATTACHED 1000

/* The referrers of one image: entries, pages and bytes over all pages. */
#define HM_MAX_REFERRERS 1000
#define HM_MAX_REFERRER_PAGES 100
#define HM_MAX_REFERRERS_BYTES (4u << 20)

/* Lookups made at once (hm_store_prefetch: discovery's referrers API,
 * referrers tag, .sig and .att, then the referrer manifests): answers held
 * at once (each under HM_MAX_MANIFEST), and connections to one registry
 * for them (HTTP/2 multiplexes them on one). */
#define HM_FETCH_BATCH 16
#define HM_FETCH_PARALLEL 6

/* The tags of one repository: count, pages and bytes over all pages
 * (a page of 1000 tags is some 50 KiB). */
#define HM_MAX_TAGS 100000
#define HM_MAX_TAG_PAGES 1000
#define HM_MAX_TAG_LIST_BYTES (16u << 20)

/* Signatures in one DSSE envelope, and signature checks (signatures times
 * keys tried) spent on one envelope before it is refused. */
#define HM_MAX_DSSE_SIGNATURES 16
#define HM_MAX_DSSE_CHECKS 256

/* Bytes of one in-toto statement, the payload of a DSSE envelope (a bundle's
 * included); larger ones are refused when parsing. */
#define HM_STATEMENT_MAX (4u << 20)

/* Signature material, whichever format carries it (a Sigstore bundle,
 * cosign's legacy keyless layer, a Notary Project envelope), and the
 * transparency log and timestamp checks that read it. */
/* Bytes of one DER certificate. */
#define HM_MAX_CERT_DER (64u << 10)
/* Certificates in the chain one signature carries, leaf included (a
 * bundle's x509CertificateChain, notation's x5c / x5chain). */
#define HM_MAX_CHAIN_CERTS 10
/* Bytes of one RFC 3161 timestamp (a DER TimeStampResp or TimeStampToken). */
#define HM_MAX_TIMESTAMP_DER (64u << 10)
/* Transparency log entries and RFC 3161 timestamps of one signature. */
#define HM_MAX_TLOG_ENTRIES 32
#define HM_MAX_TIMESTAMPS 32
/* Bytes of one transparency log entry body (canonicalizedBody). */
#define HM_MAX_TLOG_BODY (2u << 20)
/* Hashes of one inclusion proof: a tree of 2^64 leaves needs no more. */
#define HM_MAX_PROOF_HASHES 64
/* Bytes of one checkpoint (the log's signed note). */
#define HM_MAX_CHECKPOINT (64u << 10)

#endif
