/* SPDX-License-Identifier: Apache-2.0 */
/* Copying an image, and what is attached to it, from one store to another
 * (registry or OCI layout, either way), digests unchanged.
 *
 * The image is a manifest, or an index with every manifest it lists, with
 * their configs and layers.  Manifests are copied byte for byte, as fetched
 * by digest (so checked against it); blobs stream through a temporary file,
 * their size checked against the descriptor and their digest while they
 * stream, and are skipped when the destination has them.  Blobs a source
 * does not have because the manifest points elsewhere for them
 * (non-distributable "foreign" layers) are left out, as registries do.
 *
 * Attachments: cosign's tags sha256-<hex>.sig / .att / .sbom of every
 * manifest copied, and its OCI 1.1 referrers (API, referrers tag or layout),
 * then the attachments of those, HM_COPY_MAX_DEPTH levels down.  A tag the
 * destination already holds with other content is merged layer by layer
 * (hm_attach_layer), so that its signatures are kept, not replaced; a
 * referrer whose subject is not the manifest it is listed for is skipped. */
#ifndef HM_OCI_COPY_H
#define HM_OCI_COPY_H

#include "core/strv.h"
#include "oci/manifest.h"
#include "oci/store.h"

#define HM_COPY_MAX_DEPTH 3          /* nesting of indexes, and of attachments of attachments */
#define HM_COPY_MAX_MANIFESTS 10000  /* manifests copied in one run */
#define HM_COPY_MAX_MERGE_BLOB (16u << 20) /* a layer merged into an existing attachment tag */

/* Kinds of attachments. */
#define HM_ATT_SIGNATURES 1u
#define HM_ATT_ATTESTATIONS 2u
#define HM_ATT_SBOMS 4u
#define HM_ATT_OTHER 8u
#define HM_ATT_ALL 15u

/* What an attachment is: suffix is the cosign tag's ("sig", "att", "sbom")
 * or NULL for a referrer, whose layers are classified by discovery's one
 * classifier (hm_attach_classify: simple signing and notation: signatures;
 * DSSE: attestations; a Sigstore bundle: both, since its statement decides)
 * and whose in-toto or SPDX / CycloneDX types say attestations or SBOMs;
 * anything else: other. */
unsigned hm_attachment_kind(const char *suffix, const hm_manifest *m);

/* Parses "signatures,attestations" (also sboms, other) into *out. */
int hm_attachment_kinds_parse(unsigned *out, const char *list);

typedef struct hm_copy_opts {
	unsigned attachments; /* kinds to copy (HM_ATT_*); 0: none */
	int dst_layout;       /* the destination is an OCI layout: children of an
			       * index are stored as blobs, not listed in index.json */
} hm_copy_opts;

typedef struct hm_copy_item {
	unsigned kind;       /* HM_ATT_* */
	char *source;        /* "tag sha256-<hex>.sig", "referrer sha256:<hex>" */
	char digest[HM_DIGEST_SIZE]; /* the attachment manifest's */
	char subject[HM_DIGEST_SIZE];
	int merged;          /* merged into a tag the destination already had */
} hm_copy_item;

typedef struct hm_copy_result {
	size_t manifests, manifests_present; /* copied; already in the destination */
	size_t blobs, blobs_present;
	int64_t bytes;                       /* of the blobs copied */
	hm_copy_item *items;                 /* attachments copied */
	size_t n_items, cap_items;
	size_t skipped;                      /* referrers refused (subject mismatch) */
} hm_copy_result;

/* Copies the manifest root (by digest) of src to dst, under tag when not
 * NULL, then its attachments as o says.  Fills out (free with
 * hm_copy_result_free, also after an error). */
int hm_copy_image(hm_copy_result *out, hm_store *src, hm_store *dst, const hm_desc *root, const char *tag,
		  const hm_copy_opts *o);
void hm_copy_result_free(hm_copy_result *r);

#endif
