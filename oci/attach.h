/* SPDX-License-Identifier: Apache-2.0 */
/* Things attached to an image: cosign's tag scheme (tag
 * "sha256-<hex>.<suffix>" in the image's repository holding one image
 * manifest whose layers are the attached blobs: ".sig" signatures, ".att"
 * attestations) and OCI 1.1 referrers (manifests whose subject is the
 * image).  Writing the tag scheme is here; finding everything is
 * oci/discover.h. */
#ifndef HM_OCI_ATTACH_H
#define HM_OCI_ATTACH_H

#include <cjson/cJSON.h>
#include "oci/store.h"

/* The media types discovery recognises (the layer's, which says what a
 * blob is; never a descriptor's artifactType or annotations). */
#define HM_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define HM_MT_DSSE "application/vnd.dsse.envelope.v1+json"
#define HM_MT_BUNDLE "application/vnd.dev.sigstore.bundle.v0.3+json"
/* ...and its older spelling, followed by 0.1, 0.2 or 0.3 */
#define HM_MT_BUNDLE_VERSIONED "application/vnd.dev.sigstore.bundle+json;version="
/* a Notary Project signature is recognised by its manifest's artifactType */
#define HM_AT_NOTATION "application/vnd.cncf.notary.signature"
/* the annotation cosign v3 puts on a bundle's referrer manifest: a hint, never trusted */
#define HM_ANN_BUNDLE_PREDICATE "dev.sigstore.bundle.predicateType"
#define HM_ANN_BUNDLE_CONTENT "dev.sigstore.bundle.content"

/* What an attached blob is, by its media type. */
enum hm_attach_kind {
	HM_KIND_UNKNOWN = 0,   /* refused before its layers were read: could be anything */
	HM_KIND_SIMPLESIGNING, /* cosign's simple-signing payload, signature in an annotation */
	HM_KIND_DSSE,          /* a DSSE envelope: an in-toto attestation */
	HM_KIND_BUNDLE,        /* a Sigstore bundle: a signature or an attestation, as its
				* verified statement says */
	HM_KIND_NOTATION,      /* a Notary Project envelope (listed; not verified yet) */
	HM_KIND_OTHER,         /* anything else (an SBOM, ...) */
};

/* Where it was found. */
enum hm_attach_form {
	HM_FORM_TAG_SIG = 0,     /* cosign's tag sha256-<hex>.sig */
	HM_FORM_TAG_ATT,         /* cosign's tag sha256-<hex>.att */
	HM_FORM_REFERRERS_API,   /* OCI 1.1 referrers API of a registry */
	HM_FORM_REFERRERS_TAG,   /* the referrers tag sha256-<hex> (registries without the API) */
	HM_FORM_LAYOUT_REFERRER, /* a manifest of an OCI layout whose subject is the image */
	HM_FORM_LAYOUT_COSIGN,   /* an index.json entry cosign save marks kind .../sigs or .../atts */
};

/* The one classifier: kind of a layer of media type layer_mt in a manifest
 * of artifact_type (may be NULL). */
enum hm_attach_kind hm_attach_classify(const char *artifact_type, const char *layer_mt);
/* "simple-signing", "dsse", "sigstore-bundle", "notation", "other", "unknown" */
const char *hm_attach_kind_name(enum hm_attach_kind k);
/* "tag", "referrers-api", "referrers-tag", "layout-referrer", "cosign-save-layout" */
const char *hm_attach_form_name(enum hm_attach_form f);

/* One thing found attached to an image.  An attachment that cannot be read
 * (its manifest does not parse, holds more layers than HM_MAX_ATTACHED_LAYERS,
 * is over a size cap, or lies past a count cap) is still listed, with
 * refused set: anyone who can push can write such data next to an image, so
 * it must count as "no valid signature/attestation from that source", never
 * as an operational error, and every consumer shows why. */
typedef struct hm_attached {
	hm_desc desc;        /* the layer (blob); for a refused manifest, the manifest
			      * (digest "" when it was not even fetched) */
	cJSON *annotations;  /* the layer's annotations (owned; may be NULL) */
	char *source;        /* where it was found: "tag sha256-<hex>.sig" or "referrer sha256:<m>" */
	char *refused;       /* why it was refused while discovering it (owned), NULL when usable */
	enum hm_attach_kind kind;  /* for a refused entry: what its source holds (UNKNOWN for a referrer) */
	enum hm_attach_form form;
	char manifest[HM_DIGEST_SIZE]; /* the manifest holding the layer ("" when not fetched) */
	/* The predicate type the attachment claims outside what is signed (a
	 * DSSE layer's "predicateType" annotation, a bundle referrer's
	 * dev.sigstore.bundle.predicateType): for display and grouping only,
	 * never for a decision.  Owned; NULL when none. */
	char *hint;
} hm_attached;

typedef struct hm_attached_list {
	hm_attached *v;
	size_t n;
	size_t cap;
	size_t n_refused; /* entries with refused set */
} hm_attached_list;

/* Appends a layer (blob + annotations, borrowed) to the manifest under tag
 * "sha256-<hex of subject_digest>.<suffix>", creating it when absent.  A
 * layer with the same digest and annotations is not added again (*added = 0).
 * Blobs are uploaded before the manifest that references them. */
int hm_attach_layer(hm_store *s, const char *subject_digest, const char *suffix,
		    const char *layer_media_type, const void *blob, size_t len,
		    const cJSON *annotations, int *added);

/* hm_discover (oci/discover.h) filtered to the layers of
 * layer_media_type found as referrers or under the tag of suffix ("sig",
 * "att"), with the refused entries of those sources. */
int hm_attached_find(hm_attached_list *out, hm_store *s, const char *subject_digest,
		     const char *suffix, const char *layer_media_type);
void hm_attached_list_free(hm_attached_list *l);

/* Fetches the blob of an attached layer into out (digest checked), refusing
 * more than max bytes.  HM_OK; HM_E_VERIFY with the reason when the
 * attachment was refused at discovery, the layer is over max, its blob is
 * missing or not the size its descriptor says, which refuses that attachment
 * but not the run; any other code is an operational error (the registry
 * failed or lied). */
int hm_attached_fetch(hm_buf *out, hm_store *s, const hm_attached *a, size_t max);

/* "sha256-<hex>.<suffix>" for digest; caller frees. */
char *hm_attach_tag(const char *digest, const char *suffix);

#endif
