/* SPDX-License-Identifier: Apache-2.0 */
/* Discovery: everything attached to an image, whatever the storage, as one
 * list (oci/attach.h: hm_attached_list) that verification, policy, audit,
 * tree and copy all read.
 *
 * For an image digest it reads, in this order:
 *  - in an OCI layout written by `cosign save`, the index.json entries
 *    annotated kind dev.cosignproject.cosign/sigs and .../atts, when the
 *    entry annotated kind dev.cosignproject.cosign/image (or imageIndex) is
 *    the image (cosign keeps one image per such layout, and its signature
 *    and attestation manifests carry no subject);
 *  - the OCI 1.1 referrers: the registry's API, else the referrers tag
 *    sha256-<hex> (docker-registry 2.8 and GHCR have no API), or the
 *    manifests of a layout.  Every referrer manifest is fetched by digest
 *    and must name the image as its subject (one naming another digest is
 *    skipped: a referrers tag is written by whoever can push); what its
 *    layers are is decided by their media types (hm_attach_classify), never
 *    by the descriptor's artifactType or annotations;
 *  - cosign's tags sha256-<hex>.sig and sha256-<hex>.att.
 * Every layer of those manifests is listed with its kind and form, once
 * (same digest and annotations found twice are one attachment), in the
 * order found.  Nothing is verified here.
 *
 * Attackers' data (a manifest that does not parse, is over a cap, lists
 * too many layers or referrers) is listed refused; only the store failing
 * (connection, 5xx, auth, a digest mismatch) returns an error.  An image
 * with nothing attached gives an empty list and HM_OK. */
#ifndef HM_OCI_DISCOVER_H
#define HM_OCI_DISCOVER_H

#include "oci/attach.h"

#define HM_COSIGN_SAVE_KIND "kind"
#define HM_COSIGN_SAVE_IMAGE "dev.cosignproject.cosign/image"
#define HM_COSIGN_SAVE_INDEX "dev.cosignproject.cosign/imageIndex"
#define HM_COSIGN_SAVE_SIGS "dev.cosignproject.cosign/sigs"
#define HM_COSIGN_SAVE_ATTS "dev.cosignproject.cosign/atts"

/* Fills *out (free with hm_attached_list_free, also after an error). */
int hm_discover(hm_attached_list *out, hm_store *s, const char *digest);

#endif
