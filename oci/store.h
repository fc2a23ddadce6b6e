/* SPDX-License-Identifier: Apache-2.0 */
/* The store: one repository of images, in a registry or an OCI image layout.
 *
 * Every manifest or blob fetched by digest is hashed and compared with that
 * digest before it is returned.  Sizes are capped by the caller's max.
 * A store is not thread-safe; open one per thread. */
#ifndef HM_OCI_STORE_H
#define HM_OCI_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"
#include "core/limits.h"
#include "core/strv.h"
#include "crypto/digest.h"
#include "oci/ref.h"

#define HM_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define HM_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define HM_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define HM_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define HM_MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"


typedef struct hm_desc {
	char media_type[256];
	char digest[HM_DIGEST_SIZE];
	int64_t size;
} hm_desc;

typedef struct hm_store_opts {
	/* Hosts (host or host:port) whose certificate is not verified and
	 * that may fall back to plain HTTP when HTTPS fails (docker's
	 * insecure registries).  Loopback hosts may fall back too, but their
	 * certificate is verified. */
	const char *const *insecure_hosts;
	size_t n_insecure;
	int insecure_all;       /* every host as an insecure one (--tls-verify=false) */
	/* NULL: the search of hm_auth_cred_lookup; otherwise only this file,
	 * which must exist (HM_E_IO when it does not) */
	const char *auth_file;
	/* extra CA bundles (PEM) trusted for HTTPS besides the system store
	 * and the certs.d folders (oci/tls.h) */
	const char *const *ca_files;
	size_t n_ca_files;
	long timeout_ms;        /* one request at most; 0: 30000 */
	/* The deadline of the whole operation: an absolute hm_http_now_ms()
	 * time after which no request starts and every request under way is
	 * cut off (each request gets at most the time left), however many
	 * layers, pages, redirects and token requests a registry asks for.
	 * 0: none.  deadline_total_ms is the budget it was set from, for the
	 * message ("the 2 s deadline passed"). */
	int64_t deadline_ms;
	long deadline_total_ms;
	/* A connection pool shared by every store opened with these options
	 * (hm_http_share_new: connections kept alive, TLS sessions, DNS), or
	 * NULL: each store has its own connection. */
	void *share;
	/* Where signatures, attestations and other attachments of the images
	 * are written and looked up, instead of each image's own repository
	 * (cosign's COSIGN_REPOSITORY): a registry repository
	 * "host[:port]/path", no tag or digest.  NULL or "": the image's own. */
	const char *attachment_repo;
} hm_store_opts;

typedef struct hm_store hm_store;

/* Opens the store for ref's repository (registry) or layout directory.
 * Opening a layout that does not exist fails with HM_E_NOTFOUND unless
 * create is set, in which case an empty layout is made.  With
 * opts->attachment_repo, the store of that repository is opened too (see
 * hm_store_attachments); an OCI layout image with one is HM_E_USAGE (a
 * layout keeps its attachments in itself), and so is a repository that is
 * not "host/path" or names a tag, a digest or a layout. */
int hm_store_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts, int create);
void hm_store_free(hm_store *s);

/* Tag or digest -> descriptor of the manifest (HEAD, or GET when HEAD gives
 * no digest).  HM_E_NOTFOUND when absent. */
int hm_store_resolve(hm_store *s, const char *tag_or_digest, hm_desc *out);

/* Fetches a manifest by tag or digest (accepting OCI and Docker manifests
 * and indexes); fills desc with its media type, digest (computed from the
 * bytes, and checked against the digest asked for) and size. */
int hm_store_get_manifest(hm_store *s, const char *tag_or_digest, hm_buf *body, hm_desc *desc);

/* Stores a manifest, under tag when tag is not NULL. Fills out (may be NULL). */
int hm_store_put_manifest(hm_store *s, const char *tag, const char *media_type, const void *data,
			  size_t len, hm_desc *out);

/* Fetches a blob by digest, refusing more than max bytes, checking the digest. */
int hm_store_get_blob(hm_store *s, const char *digest, size_t max, hm_buf *out);
/* 1 when present, 0 when absent, <0 on error. */
int hm_store_blob_exists(hm_store *s, const char *digest);
/* Uploads a blob (skipped when already present); digest_out may be NULL. */
int hm_store_put_blob(hm_store *s, const void *data, size_t len, char digest_out[HM_DIGEST_SIZE]);

/* Blobs too large to hold in memory (image layers), through a file.
 * hm_store_get_blob_file writes the blob digest into f from its current
 * position, refusing anything but exactly size bytes that hash to digest
 * (checked while streaming: on failure f holds garbage).
 * hm_store_put_blob_file uploads the size bytes of f (from its start) as
 * blob digest, skipped when the store already has it; the store checks the
 * digest (the layout hashes while copying, a registry on completion). */
int hm_store_get_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f);
int hm_store_put_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f);

/* All tags, following pagination. */
int hm_store_list_tags(hm_store *s, hm_strv *out);

/* The OCI 1.1 referrers index of digest (filtered by artifact_type when not
 * NULL), as JSON.  HM_E_NOTFOUND when the store has no referrers support. */
int hm_store_referrers(hm_store *s, const char *digest, const char *artifact_type, hm_buf *index);

/* Lookups made at once (hm_store_prefetch): a manifest by tag or digest;
 * the referrers tag (a manifest needed only when the registry has no
 * referrers API: skipped where it is known to have one); or the first page
 * of the referrers API for a digest (no artifactType). */
enum hm_prefetch_kind { HM_PREFETCH_MANIFEST, HM_PREFETCH_REFERRERS_TAG, HM_PREFETCH_REFERRERS };
typedef struct {
	const char *ref;
	enum hm_prefetch_kind kind;
} hm_prefetch;

/* Makes the lookups of v concurrently where that helps (a registry: one
 * batch of GETs, at most HM_FETCH_PARALLEL at a time) and keeps each
 * answer for the first hm_store_get_manifest / hm_store_referrers that
 * asks the same, which then returns exactly what it would have without
 * the prefetch (errors included).  A lookup that cannot be made ahead is
 * simply made when asked.  Answers not asked for are dropped by
 * hm_store_prefetch_drop (call it when done) or the next prefetch.
 * Errors: only out of memory, or choosing the registry's scheme. */
int hm_store_prefetch(hm_store *s, const hm_prefetch *v, size_t n);
void hm_store_prefetch_drop(hm_store *s);

/* An OCI layout's index.json as it is on disk (at most 16 MiB, not
 * validated); HM_E_NOTFOUND for a registry.  Discovery reads what other
 * tools (cosign save) mark there with annotations. */
int hm_store_layout_index(hm_store *s, hm_buf *out);

/* The store that holds what is attached to s's images: the store of
 * hm_store_opts.attachment_repo when s was opened with one, else s
 * itself.  Owned by s.  Discovery (oci/discover.h), the .sig/.att tag
 * writer (hm_attach_layer), the referrers functions (oci/referrers.h) and
 * hm_attached_fetch all work on it whichever of the two they are given,
 * so callers pass the image's store; images themselves (their manifests,
 * digests, platforms) are only ever read from s. */
hm_store *hm_store_attachments(hm_store *s);

/* A hint that the store's complete tag list is known: tags (sorted by
 * strcmp, n of them, borrowed: they must stay valid until the store is
 * freed or the hint replaced) are all the tags the repository has, as just
 * listed.  From then on a lookup by tag (hm_store_resolve,
 * hm_store_get_manifest, hm_store_prefetch) of a tag not in the list
 * answers HM_E_NOTFOUND without a request: an audit, which lists the tags
 * anyway, then never asks for the sha256-<hex>.sig / .att / referrers tags
 * that are not there.  Writing a tag through the store drops the hint;
 * tags NULL drops it. */
void hm_store_set_known_tags(hm_store *s, const char *const *tags, size_t n);

/* "docker.io/library/alpine" or "oci:PATH": the repository this store reads. */
const char *hm_store_name(const hm_store *s);

#endif
