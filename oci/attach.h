/* Things attached to an image: cosign's tag scheme (tag
 * "sha256-<hex>.<suffix>" in the image's repository holding one image
 * manifest whose layers are the attached blobs: ".sig" signatures, ".att"
 * attestations) and OCI 1.1 referrers (manifests whose subject is the
 * image). */
#ifndef HM_OCI_ATTACH_H
#define HM_OCI_ATTACH_H

#include <cjson/cJSON.h>
#include "oci/store.h"

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

/* Finds every attached layer of layer_media_type for subject_digest: OCI 1.1
 * referrers first (when the store supports them), then the tag scheme;
 * duplicates (same layer digest and annotations) are listed once, in the
 * order found.  An image with nothing attached gives an empty list and HM_OK.
 * What attackers can write (a broken or oversized manifest, too many
 * referrers or layers) is listed as refused; only the store failing
 * (connection, 5xx, auth, a digest mismatch) returns an error. */
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
