/* SPDX-License-Identifier: Apache-2.0 */
/* cosign's "simple signing" payload and attaching signatures to images. */
#ifndef HM_SIGN_SIGN_H
#define HM_SIGN_SIGN_H

#include <cjson/cJSON.h>
#include "core/buf.h"
#include "core/strv.h"
#include "crypto/key.h"
#include "oci/attach.h" /* HM_MT_SIMPLESIGNING */
#include "oci/store.h"

#define HM_ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define HM_SIGNATURE_TYPE "cosign container image signature"

/* Appends the payload exactly as cosign serialises it:
 * {"critical":{"identity":{"docker-reference":ID},"image":{"docker-manifest-digest":D},
 *  "type":"cosign container image signature"},"optional":null|{sorted k:v}}
 * annotations holds "key=value" strings (a later key replaces an earlier one). */
int hm_payload_build(hm_buf *out, const char *identity, const char *digest,
		     const hm_strv *annotations);

/* Checks a payload (bytes already verified by a signature) against the
 * image digest and the required "key=value" annotations.  HM_OK, or
 * HM_E_VERIFY with the reason; *parsed (may be NULL) receives the JSON. */
int hm_payload_check(cJSON **parsed, const void *data, size_t len, const char *digest,
		     const char *const *annotations, size_t n_annotations);

/* Whether the JSON object obj (may be NULL) holds every "key=value" (or
 * "key", any value) of annotations as strings.  HM_E_VERIFY "annotation
 * k=v is not in <where>" otherwise. */
int hm_annotations_check(const cJSON *obj, const char *const *annotations, size_t n_annotations,
			 const char *where);

/* The docker-reference cosign writes for ref: Docker Hub is spelled
 * index.docker.io, as go-containerregistry does.  Caller frees. */
char *hm_sign_identity(const hm_ref *ref);

/* How a signature or attestation is stored. */
enum hm_sign_format {
	HM_FORMAT_BUNDLE = 0, /* cosign v3: a Sigstore bundle v0.3 as an OCI 1.1 referrer (the default) */
	HM_FORMAT_LEGACY = 1, /* cosign v2: a layer of the tag sha256-<hex>.sig / .att */
};

/* "bundle" or "legacy" -> *out; HM_E_USAGE otherwise. */
int hm_sign_format_parse(enum hm_sign_format *out, const char *name);

/* cosign v3's image signature: the compact in-toto Statement v1
 * {"_type","subject":[{"digest":{"sha256":hex},"annotations":{...}}],
 *  "predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}
 * (annotations "key=value", only when there are some). */
int hm_sign_statement(hm_buf *out, const char *digest, const hm_strv *annotations);

/* Signs the in-toto statement bytes into a bundle v0.3 (DSSE, publicKey)
 * and stores it as a referrer of digest in s (hm_referrers_write: the API
 * when the store serves it, else the referrers tag): artifactType and layer
 * media type application/vnd.dev.sigstore.bundle.v0.3+json, the empty
 * config, annotations org.opencontainers.image.created,
 * dev.sigstore.bundle.content "dsse-envelope" and
 * dev.sigstore.bundle.predicateType, as cosign v3 writes them.  Nothing is
 * added (*added = 0) when a bundle by key over the same statement bytes is
 * attached already. */
int hm_bundle_attach(int *added, hm_store *s, const char *digest, const hm_key *key, const void *statement,
		     size_t len, const char *predicate_type);

typedef struct hm_sign_opts {
	const hm_key *key;
	enum hm_sign_format format;
	const hm_strv *annotations; /* "key=value" */
	int recursive;              /* also sign every manifest of an index */
	int upload;                 /* attach to the store (0: only compute) */
} hm_sign_opts;

typedef struct hm_signed {
	char digest[HM_DIGEST_SIZE];
	char *identity;
	hm_buf payload;   /* the simple-signing payload, or the statement of a bundle */
	hm_buf signature; /* base64 (legacy format only) */
	int added;        /* 0 when an equal signature by this key was already attached */
} hm_signed;

typedef struct hm_sign_result {
	hm_signed *v;
	size_t n;
} hm_sign_result;

/* Resolves ref once (a digest in ref is checked to exist), signs the digest
 * (and with recursive the manifests of an index) and attaches the
 * signatures in o->format. */
int hm_sign_image(hm_sign_result *out, hm_store *s, const hm_ref *ref, const hm_sign_opts *o);
void hm_sign_result_free(hm_sign_result *r);

#endif
