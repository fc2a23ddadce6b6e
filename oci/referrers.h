/* SPDX-License-Identifier: Apache-2.0 */
/* OCI 1.1 referrers: manifests whose `subject` names another manifest, in
 * every store.
 *
 * Writing.  The referrer manifest is stored by digest.  A store that answers
 * the referrers API (a registry that implements it, or an OCI layout) lists
 * it from then on: a layout lists every manifest it holds in index.json
 * (untagged entries carry their artifactType, as layout.c writes them), and
 * its referrers are found by reading the manifests it lists.  A registry
 * without the API (its referrers endpoint answers 404, e.g. distribution 2.8
 * or GHCR) gets the distribution-spec "referrers tag schema": the tag
 * sha256-<hex> of the subject holds an image index whose manifests are the
 * referrer descriptors (mediaType, digest, size, artifactType, annotations).
 *
 * That tag is shared: updating it is a read-modify-write that concurrent
 * writers can lose for each other, and registries offer no compare-and-swap
 * (the spec leaves conditional PUTs optional; distribution 2.8 has none).
 * So after writing, a writer reads the tag again until it has seen its entry
 * twice, one settle delay apart, rewriting with backoff when it is missing,
 * at most HM_REFERRERS_TRIES times.  Entries are unique by digest.  A writer
 * whose own read-modify-write takes longer than the settle delay can still
 * overwrite an entry confirmed by another: the delay makes that window
 * narrow, not empty.
 *
 * Reading.  hm_referrers_list gives the referrer descriptors of a digest
 * from the API, or from the referrers tag when the API answers 404, or from
 * a layout.  The descriptors are what the store says: whoever fetches a
 * referrer must check that its subject is the digest asked for. */
#ifndef HM_OCI_REFERRERS_H
#define HM_OCI_REFERRERS_H

#include <cjson/cJSON.h>
#include "oci/manifest.h"
#include "core/limits.h"
#include "oci/store.h"

#define HM_REFERRERS_TRIES 8               /* writes of the referrers tag by one writer */

/* A read-modify-write of a shared tag (the referrers tag here, cosign's
 * .sig/.att tags in hm_attach_layer), one protocol for both.  Registries
 * offer no compare-and-swap, so a writer:
 *   - looks again (HEAD) just before writing, and reads afresh when the tag
 *     changed since its read (hm_rmw_before_write);
 *   - after writing, reads back after a settle delay longer than its own
 *     read-modify-write took, until it has seen its entry
 *     HM_RMW_CONFIRMATIONS times (a concurrent writer can only undo it with
 *     a write based on a read made before ours landed);
 *   - writes again, after a backoff, when its entry is gone, at most
 *     HM_REFERRERS_TRIES times.
 * Use: hm_rmw r = HM_RMW_INIT; loop { hm_rmw_begin; read; on a transient
 * error hm_rmw_transient; step = hm_rmw_after_read(present); DONE: stop,
 * AGAIN: loop, WRITE: build the update, hm_rmw_before_write, write,
 * hm_rmw_wrote }. */
#define HM_RMW_CONFIRMATIONS 2

typedef struct hm_rmw {
	int writes;  /* writes made */
	int seen;    /* confirmations since the last write */
	int paused;  /* the backoff before the next write was taken */
	int faults;  /* transient registry errors */
	int stale;   /* reads redone because the tag changed before a write */
	long start;  /* when this round's read began */
	long rmw_ms; /* how long our last read-modify-write took */
} hm_rmw;
#define HM_RMW_INIT {0, 0, 0, 0, 0, 0, 0}

enum hm_rmw_step { HM_RMW_DONE = 0, HM_RMW_AGAIN = 1, HM_RMW_WRITE = 2 };

void hm_rmw_begin(hm_rmw *r);
/* After a read: present says whether our entry is in what was read.
 * HM_RMW_DONE (there before we wrote, or confirmed), HM_RMW_AGAIN (read
 * again; the pause it needs is taken), HM_RMW_WRITE, or HM_E_IO naming
 * what (e.g. "'TAG' in 'REPO'") when other writers replaced it
 * HM_REFERRERS_TRIES times. */
int hm_rmw_after_read(hm_rmw *r, int present, const char *what);
/* 1 when tag still holds what was read as read_digest ("" for absent), so
 * the write may go; 0 (read again) when it changed or could not be looked
 * at, a bounded number of times.  What is left of the race is the time
 * between this look and the write, not a whole read-modify-write. */
int hm_rmw_before_write(hm_rmw *r, hm_store *s, const char *tag, const char *read_digest);
/* After a write that succeeded: counts it and waits the settle delay. */
void hm_rmw_wrote(hm_rmw *r);
/* Registries fail now and then under concurrent writes of one tag
 * (distribution 2.8 answers 500 to a read racing a write).  For an
 * operational error (HM_E_IO) of a read or write of the shared tag: backs
 * off and returns 1 while *faults stays within HM_REFERRERS_TRIES, so that
 * the caller starts its read-modify-write again; 0 otherwise. */
int hm_rmw_transient(int err, int *faults);

/* The referrers tag of digest: the algorithm truncated to 32 characters,
 * "-", the encoded part truncated to 64 ("sha256-<hex>").  Caller frees;
 * NULL for an invalid digest or out of memory. */
char *hm_referrers_tag(const char *digest);

/* A new referrer image manifest.  Its blobs (config, layers) must already
 * be in the store. */
typedef struct hm_referrer_spec {
	const char *artifact_type;     /* may be NULL (then the config's media type says it) */
	hm_desc config;                /* e.g. HM_MT_OCI_EMPTY of "{}" */
	const hm_descriptor *layers;   /* with their annotations */
	size_t n_layers;
	const cJSON *annotations;      /* the manifest's, an object of strings, or NULL (borrowed) */
	hm_desc subject;
} hm_referrer_spec;

/* Builds the manifest of spec and stores it as a referrer of spec->subject
 * (see the top of this file).  out (may be NULL): the manifest's descriptor. */
int hm_referrers_write(hm_desc *out, hm_store *s, const hm_referrer_spec *spec);

/* Stores manifest bytes (an image manifest or index with a subject) by
 * digest and makes it a referrer of its subject.  out may be NULL. */
int hm_referrers_put(hm_desc *out, hm_store *s, const char *media_type, const void *data, size_t len);

/* Adds entry (a referrer descriptor) to the referrers tag index of subject,
 * unless the store answers the referrers API (*via_tag = 0, nothing to do:
 * the store lists the referrer by itself).  Retries as described above. */
int hm_referrers_register(hm_store *s, const char *subject, const hm_descriptor *entry, int *via_tag);

enum hm_referrers_source { HM_REFERRERS_API = 0, HM_REFERRERS_TAG = 1 };

/* Every referrer descriptor of digest, as an OCI image index (*out, free
 * with hm_manifest_free): unique by digest, image manifests and indexes
 * only, those of artifact_type when it is not NULL (a hint: the filter is
 * applied here whatever the registry does).  An image without referrers
 * gives an empty index; so does a referrers tag that is not an image index
 * (as the spec says).  HM_E_IO past HM_MAX_REFERRERS entries or
 * HM_MAX_REFERRERS_BYTES.  source (may be NULL): where the list came from. */
int hm_referrers_list(hm_manifest **out, hm_store *s, const char *digest, const char *artifact_type,
		      enum hm_referrers_source *source);

/* The descriptor that lists manifest m (whose bytes have descriptor d) as a
 * referrer: mediaType, digest, size, artifactType (m's, or its config's media
 * type for an image manifest), and m's annotations.  Appended to index. */
int hm_referrers_entry_add(hm_manifest *index, const hm_manifest *m, const hm_desc *d);

#endif
