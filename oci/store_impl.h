/* SPDX-License-Identifier: Apache-2.0 */
/* Internal: the two store implementations fill this table. */
#ifndef HM_OCI_STORE_IMPL_H
#define HM_OCI_STORE_IMPL_H

#include "oci/store.h"

struct hm_store_ops {
	int (*resolve)(hm_store *s, const char *tag_or_digest, hm_desc *out);
	int (*get_manifest)(hm_store *s, const char *tag_or_digest, hm_buf *body, hm_desc *desc);
	int (*put_manifest)(hm_store *s, const char *tag, const char *media_type, const void *data,
			    size_t len, hm_desc *out);
	int (*get_blob)(hm_store *s, const char *digest, size_t max, hm_buf *out);
	int (*blob_exists)(hm_store *s, const char *digest);
	int (*put_blob)(hm_store *s, const void *data, size_t len, const char *digest);
	int (*list_tags)(hm_store *s, hm_strv *out);
	int (*referrers)(hm_store *s, const char *digest, const char *artifact_type, hm_buf *index);
	void (*free)(hm_store *s);
	int (*get_blob_file)(hm_store *s, const char *digest, int64_t size, FILE *f);
	int (*put_blob_file)(hm_store *s, const char *digest, int64_t size, FILE *f);
	int (*layout_index)(hm_store *s, hm_buf *out); /* NULL for a registry */
	/* NULL where lookups are local: hm_store_prefetch does nothing */
	int (*prefetch)(hm_store *s, const hm_prefetch *v, size_t n);
	void (*prefetch_drop)(hm_store *s);
};

struct hm_store {
	const struct hm_store_ops *ops;
	char *name;
	void *impl;
	hm_store *att;                 /* the attachment repository's, or NULL */
	const char *const *known_tags; /* hm_store_set_known_tags (borrowed), or NULL */
	size_t n_known_tags;
	int tags_known;
};

int hm_layout_open(hm_store **out, const hm_ref *ref, int create);
int hm_registry_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts);

#endif
