/* SPDX-License-Identifier: Apache-2.0 */
/* Image manifests and indexes: parsing with validation, and building.
 *
 * Understands OCI image manifests and indexes and Docker v2 schema 2
 * manifests and manifest lists.  A parsed hm_manifest owns every string it
 * points to; free it with hm_manifest_free().  The same struct is what the
 * builder functions fill and hm_manifest_serialize() writes, so a manifest
 * read from a store can be extended (a layer appended) and written back.
 *
 * Parse errors are HM_E_IO "manifest sha256:<hex>: <where> <what>", e.g.
 * "manifest sha256:ab..: layers[2].digest is not a valid digest". */
#ifndef HM_OCI_MANIFEST_H
#define HM_OCI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "crypto/digest.h"

typedef struct hm_annotation {
	char *key;
	char *value;
} hm_annotation;

typedef struct hm_platform {
	char *os;           /* "linux" */
	char *architecture; /* "amd64" */
	char *variant;      /* "v8", or NULL */
} hm_platform;

typedef struct hm_descriptor {
	char *media_type;
	char *digest;          /* "sha256:<hex>" or "sha512:<hex>", validated */
	int64_t size;          /* >= 0 */
	char *artifact_type;   /* NULL when absent */
	hm_platform *platform; /* index entries only; NULL when absent */
	hm_annotation *annotations;
	size_t n_annotations;
} hm_descriptor;

typedef struct hm_manifest {
	char *media_type;            /* one of the HM_MT_* manifest/index types (oci/store.h) */
	char digest[HM_DIGEST_SIZE]; /* sha256 of the bytes parsed; "" when built */
	int is_index;
	char *artifact_type;   /* NULL when absent */
	hm_descriptor config;  /* image manifests; zeroed for indexes */
	hm_descriptor *layers; /* image manifests */
	size_t n_layers;
	hm_descriptor *manifests; /* indexes */
	size_t n_manifests;
	hm_descriptor *subject; /* NULL when absent */
	hm_annotation *annotations;
	size_t n_annotations;
} hm_manifest;

/* 1 for the OCI index and Docker manifest list media types, else 0. */
int hm_manifest_is_index(const char *media_type);
/* 1 for any of the four manifest/index media types we understand, else 0. */
int hm_manifest_media_type_known(const char *media_type);

/* Parses and validates len bytes.  The media type is the document's
 * "mediaType"; when absent, media_type_hint (e.g. a Content-Type or an index
 * entry's mediaType, may be NULL); when both are absent it is inferred
 * ("manifests" makes an OCI index, otherwise an OCI image manifest).  A hint
 * that is a known type and differs from the document's is refused.
 * Schema 1 and unknown media types are refused. */
int hm_manifest_parse(hm_manifest **out, const void *data, size_t len, const char *media_type_hint);
void hm_manifest_free(hm_manifest *m);

/* The value of annotation key, or NULL.  Borrowed. */
const char *hm_annotation_get(const hm_annotation *a, size_t n, const char *key);

/* Builder.  hm_manifest_new() makes an empty manifest of media_type
 * (an image manifest or an index: HM_E_USAGE for anything else). */
int hm_manifest_new(hm_manifest **out, const char *media_type);
/* Sets the config descriptor (image manifests). */
int hm_manifest_set_config(hm_manifest *m, const char *media_type, const char *digest, int64_t size);
/* Appends a layer (image manifests) or an entry (indexes); *out, when out is
 * not NULL, points at the new descriptor (valid until the next append), so
 * annotations or a platform can be added to it. */
int hm_manifest_add(hm_descriptor **out, hm_manifest *m, const char *media_type, const char *digest,
                    int64_t size);
/* Sets (or replaces) the subject. */
int hm_manifest_set_subject(hm_manifest *m, const char *media_type, const char *digest, int64_t size);
int hm_manifest_set_artifact_type(hm_manifest *m, const char *artifact_type);
/* Sets annotation key to value on the manifest, replacing an existing one. */
int hm_manifest_annotate(hm_manifest *m, const char *key, const char *value);
/* The same on a descriptor (a layer, an index entry). */
int hm_descriptor_annotate(hm_descriptor *d, const char *key, const char *value);
int hm_descriptor_set_artifact_type(hm_descriptor *d, const char *artifact_type);

/* Appends the compact JSON of m to out (schemaVersion 2 and mediaType are
 * always written).  Every digest must be valid: HM_E_USAGE otherwise. */
int hm_manifest_serialize(hm_buf *out, const hm_manifest *m);

#endif
