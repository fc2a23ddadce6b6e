/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI image layout store (image-spec image-layout.md): a directory with
 * `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
 *
 * Tags are the org.opencontainers.image.ref.name annotation of index.json
 * entries, as umoci and skopeo write them.  Manifests stored without a tag
 * are still listed in index.json (untagged) so that they stay reachable, and
 * referrers are found by reading the manifests index.json lists.
 * The parsed index.json and the subjects of the manifests it lists are kept
 * on the store while index.json (its inode, size and mtime) stays the same,
 * so a lookup per tag of a large layout does not parse it again, nor read
 * every manifest once per referrers query.
 * index.json is rewritten atomically under an flock on the layout directory
 * itself (no lock file is left in the layout for other tools to trip on). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "oci/manifest.h"
#include "oci/store_impl.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define MAX_INDEX_JSON (16u << 20)
#define MAX_LAYOUT_FILE 4096
#define EMPTY_INDEX "{\"schemaVersion\":2,\"mediaType\":\"" HM_MT_OCI_INDEX "\",\"manifests\":[]}"
#define LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

/* A manifest index.json lists that names a subject. */
struct referrer {
	const char *subject; /* in m */
	size_t entry;        /* its index.json entry */
	hm_manifest *m;
};

/* A tag or digest of index.json and its entry. */
struct named {
	const char *name; /* in idx */
	size_t entry;
};

struct layout {
	char *dir;
	hm_manifest *idx; /* index.json as last read, while it stays as stat'ed */
	hm_buf idx_raw;   /* its bytes */
	struct stat idx_st;
	struct named *tags; /* idx's tags, sorted; one per tag, its last entry */
	size_t n_tags;
	struct referrer *refs; /* by subject; built on the first referrers query */
	size_t n_refs;
	int refs_built;
};

static struct layout *L(hm_store *s)
{
	return s->impl;
}

static char *join(const char *dir, const char *rel)
{
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

/* dir/blobs/<alg>/<hex>; the digest is validated first so it cannot name a
 * path outside blobs/. */
static int blob_path(char **out, const struct layout *l, const char *digest)
{
	size_t n;

	*out = NULL;
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_USAGE, "invalid digest '%s'", digest ? digest : "");
	n = strlen(l->dir) + strlen(digest) + 16;
	if (!(*out = malloc(n)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	snprintf(*out, n, "%s/blobs/%.6s/%s", l->dir, digest, hm_digest_hex(digest));
	return HM_OK;
}

static int valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 ||
	    !(t[0] == '_' || (t[0] >= '0' && t[0] <= '9') || (t[0] >= 'a' && t[0] <= 'z') ||
	      (t[0] >= 'A' && t[0] <= 'Z')))
		return 0;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* cosign's tag scheme: sha256-<hex>.sig / .att / .sbom */
static int is_cosign_tag(const char *t)
{
	return t && strncmp(t, "sha256-", 7) == 0 && strlen(t) > 72 &&
	       strspn(t + 7, "0123456789abcdef") == 64 && t[71] == '.';
}

static const char *entry_tag(const hm_descriptor *e)
{
	return hm_annotation_get(e->annotations, e->n_annotations, REF_NAME);
}

static int fill_desc(hm_desc *out, const char *media_type, const char *digest, int64_t size)
{
	if (strlen(digest) >= sizeof(out->digest))
		return hm_error_set(HM_E_IO, "digest '%.16s...' is not supported here (sha256 only)", digest);
	if (strlen(media_type) >= sizeof(out->media_type))
		return hm_error_set(HM_E_IO, "media type '%.64s...' is too long", media_type);
	memset(out, 0, sizeof(*out));
	snprintf(out->media_type, sizeof(out->media_type), "%s", media_type);
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->size = size;
	return HM_OK;
}

/* Reads the blob of digest into out (reset first), refusing more than max
 * bytes and content that does not hash to digest. */
static int read_blob(const struct layout *l, const char *digest, size_t max, hm_buf *out)
{
	struct stat st;
	char *path = NULL;
	int err;

	hm_buf_reset(out);
	if ((err = blob_path(&path, l, digest)))
		goto done;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			err = hm_error_set(HM_E_NOTFOUND, "blob %s not found in layout '%s'", digest, l->dir);
		else
			err = hm_error_set(HM_E_IO, "reading '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		err = hm_error_set(HM_E_IO, "reading '%s': not a regular file", path);
		goto done;
	}
	if ((size_t)st.st_size > max) {
		err = hm_error_set(HM_E_LIMIT,
		                   "blob %s in layout '%s' is %lld bytes, more than the %zu-byte limit",
		                   digest, l->dir, (long long)st.st_size, max);
		goto done;
	}
	if ((err = hm_file_read(out, path, max)))
		goto done;
	err = hm_digest_check(digest, out->data, out->len, path);
done:
	if (err)
		hm_buf_reset(out);
	free(path);
	return err;
}

/* Reads index.json as a JSON tree, for rewriting it. */
static int load_tree(const struct layout *l, cJSON **tree)
{
	hm_buf b = HM_BUF_INIT;
	char *path = join(l->dir, "index.json");
	int err;

	*tree = NULL;
	if (!path)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (!(err = hm_file_read(&b, path, MAX_INDEX_JSON)) && !(*tree = hm_json_parse(b.data, b.len, path)))
		err = HM_E_IO;
	hm_buf_release(&b);
	free(path);
	return err;
}

static void drop_refs(struct layout *l)
{
	for (size_t i = 0; i < l->n_refs; i++)
		hm_manifest_free(l->refs[i].m);
	free(l->refs);
	l->refs = NULL;
	l->n_refs = 0;
	l->refs_built = 0;
}

static void drop_index(struct layout *l)
{
	drop_refs(l);
	free(l->tags);
	l->tags = NULL;
	l->n_tags = 0;
	hm_manifest_free(l->idx);
	l->idx = NULL;
	hm_buf_release(&l->idx_raw);
}

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->entry > y->entry) - (x->entry < y->entry);
}

/* l->tags from l->idx: sorted by tag, and of duplicates (a tool may leave
 * them) only the last entry kept, as it wins. */
static int index_tags(struct layout *l)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < l->idx->n_manifests; i++)
		n += entry_tag(&l->idx->manifests[i]) != NULL;
	if (n && !(l->tags = calloc(n, sizeof(*l->tags))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < l->idx->n_manifests; i++) {
		const char *t = entry_tag(&l->idx->manifests[i]);

		if (t)
			l->tags[k++] = (struct named){t, i};
	}
	if (n) /* (qsort and bsearch want a base even for nothing) */
		qsort(l->tags, n, sizeof(*l->tags), named_cmp);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || strcmp(l->tags[i].name, l->tags[i + 1].name) != 0)
			l->tags[l->n_tags++] = l->tags[i];
	return HM_OK;
}

static int tag_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The validated index.json, borrowed from the store: read again only when
 * the file is no longer the one last read (a writer replaces it by rename). */
static int load_index(struct layout *l, const hm_manifest **idx)
{
	hm_buf b = HM_BUF_INIT;
	char *path = join(l->dir, "index.json");
	struct stat st;
	hm_manifest *m = NULL;
	int err;

	*idx = NULL;
	if (!path)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (l->idx && stat(path, &st) == 0 && same_file(&st, &l->idx_st)) {
		*idx = l->idx;
		free(path);
		return HM_OK;
	}
	drop_index(l);
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st)); /* hm_file_read names the error */
	if ((err = hm_file_read(&b, path, MAX_INDEX_JSON)))
		goto done;
	if ((err = hm_manifest_parse(&m, b.data, b.len, HM_MT_OCI_INDEX))) {
		err = hm_error_wrap(err, "reading '%s'", path);
		goto done;
	}
	if (!m->is_index) {
		err = hm_error_set(HM_E_IO, "reading '%s': not an image index", path);
		goto done;
	}
	l->idx = m;
	l->idx_st = st;
	l->idx_raw = b;
	b = (hm_buf)HM_BUF_INIT;
	m = NULL;
	if ((err = index_tags(l))) {
		drop_index(l);
		goto done;
	}
	*idx = l->idx;
done:
	hm_manifest_free(m);
	hm_buf_release(&b);
	free(path);
	return err;
}

/* cosign save marks what it writes with a "kind" annotation: the signatures
 * and attestations manifests (dev.cosignproject.cosign/sigs, /atts) are
 * not images of the layout. */
static int is_cosign_save_attachment(const hm_descriptor *e)
{
	const char *k = hm_annotation_get(e->annotations, e->n_annotations, "kind");

	return k && (strcmp(k, "dev.cosignproject.cosign/sigs") == 0 || strcmp(k, "dev.cosignproject.cosign/atts") == 0);
}

/* The layout's only image: the entries that are not artifacts (no
 * artifactType, not a cosign sha256-<hex>.sig/.att tag nor what cosign save
 * marks as its signatures or attestations), counted by digest. */
static int only_image(const struct layout *l, const hm_manifest *idx, const hm_descriptor **out)
{
	const hm_descriptor *found = NULL;
	size_t n = 0;

	for (size_t i = 0; i < idx->n_manifests; i++) {
		const hm_descriptor *e = &idx->manifests[i];

		/* a manifest hallmark cannot read (Docker schema 1, say) is not
		 * the image meant: it stays reachable by its tag or digest */
		if (e->artifact_type || is_cosign_tag(entry_tag(e)) || is_cosign_save_attachment(e) ||
		    !hm_manifest_media_type_known(e->media_type))
			continue;
		if (found && strcmp(found->digest, e->digest) == 0)
			continue;
		found = e;
		n++;
	}
	if (n == 0)
		return hm_error_set(HM_E_NOTFOUND, "layout '%s' holds no image", l->dir);
	if (n > 1)
		return hm_error_set(HM_E_USAGE,
		                    "layout '%s' holds %zu images: name one as oci:%s:TAG or oci:%s@DIGEST",
		                    l->dir, n, l->dir, l->dir);
	*out = found;
	return HM_OK;
}

/* The index.json entry for tag_or_digest (NULL or "": the only image).
 * *out stays NULL for a digest that index.json does not list. */
static int find_entry(const struct layout *l, const hm_manifest *idx, const char *tag_or_digest,
                      const hm_descriptor **out)
{
	const hm_descriptor *hit = NULL;
	struct named key = {tag_or_digest, 0};
	const struct named *t;

	*out = NULL;
	if (!tag_or_digest || !*tag_or_digest)
		return only_image(l, idx, out);
	if (strchr(tag_or_digest, ':')) {
		if (!hm_digest_valid(tag_or_digest))
			return hm_error_set(HM_E_USAGE, "invalid digest '%s'", tag_or_digest);
		for (size_t i = 0; i < idx->n_manifests && !hit; i++)
			if (strcmp(idx->manifests[i].digest, tag_or_digest) == 0)
				hit = &idx->manifests[i];
		*out = hit;
		return HM_OK;
	}
	if (!valid_tag(tag_or_digest))
		return hm_error_set(HM_E_USAGE, "invalid tag '%s'", tag_or_digest);
	/* l->tags keeps the last entry of a tag, should a tool have left duplicates */
	if (!l->n_tags || !(t = bsearch(&key, l->tags, l->n_tags, sizeof(*l->tags), tag_cmp)))
		return hm_error_set(HM_E_NOTFOUND, "tag '%s' not found in layout '%s'", tag_or_digest,
		                    l->dir);
	*out = &idx->manifests[t->entry];
	return HM_OK;
}

static int layout_resolve(hm_store *s, const char *tag_or_digest, hm_desc *out)
{
	struct layout *l = L(s);
	const hm_manifest *idx;
	hm_manifest *m = NULL;
	const hm_descriptor *e;
	hm_buf b = HM_BUF_INIT;
	char *path = NULL;
	struct stat st;
	int err;

	if ((err = load_index(l, &idx)) || (err = find_entry(l, idx, tag_or_digest, &e)))
		goto done;
	if (e) {
		err = fill_desc(out, e->media_type, e->digest, e->size);
		goto done;
	}
	/* a digest index.json does not list: a blob, such as a platform manifest */
	if ((err = blob_path(&path, l, tag_or_digest)))
		goto done;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = hm_error_set(HM_E_NOTFOUND, "manifest %s not found in layout '%s'", tag_or_digest,
		                   l->dir);
		goto done;
	}
	if ((size_t)st.st_size > HM_MAX_MANIFEST) {
		err = fill_desc(out, "application/octet-stream", tag_or_digest, (int64_t)st.st_size);
		goto done;
	}
	if ((err = read_blob(l, tag_or_digest, HM_MAX_MANIFEST, &b)))
		goto done;
	/* not a manifest: still a blob, described as such */
	if (hm_manifest_parse(&m, b.data, b.len, NULL) != HM_OK)
		hm_error_clear();
	err = fill_desc(out, m ? m->media_type : "application/octet-stream", tag_or_digest, (int64_t)b.len);
done:
	hm_manifest_free(m);
	hm_buf_release(&b);
	free(path);
	return err;
}

static int layout_get_manifest(hm_store *s, const char *tag_or_digest, hm_buf *body, hm_desc *desc)
{
	struct layout *l = L(s);
	hm_manifest *m = NULL;
	hm_desc d;
	int err;

	if ((err = layout_resolve(s, tag_or_digest, &d)) ||
	    (err = read_blob(l, d.digest, HM_MAX_MANIFEST, body)))
		goto done;
	if ((int64_t)body->len != d.size) {
		err = hm_error_set(HM_E_IO,
		                   "manifest %s in layout '%s': index.json says %lld bytes, the blob has %zu",
		                   d.digest, l->dir, (long long)d.size, body->len);
		goto done;
	}
	/* The bytes are handed back even when they do not parse, as a
	 * registry does: what to make of a broken manifest is the reader's
	 * call (discovery refuses that attachment; nothing else is failed). */
	err = hm_manifest_parse(&m, body->data, body->len, d.media_type);
	if (err == HM_E_IO) {
		hm_error_clear();
		err = HM_OK;
	}
	if (err)
		goto done;
	err = fill_desc(desc, m ? m->media_type : d.media_type, d.digest, d.size);
done:
	if (err)
		hm_buf_reset(body);
	hm_manifest_free(m);
	return err;
}

static int layout_blob_exists(hm_store *s, const char *digest)
{
	struct stat st;
	char *path = NULL;
	int err;

	if ((err = blob_path(&path, L(s), digest)))
		return err;
	err = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return err;
}

static int layout_put_blob(hm_store *s, const void *data, size_t len, const char *digest)
{
	struct layout *l = L(s);
	char *path = NULL, *dir = NULL;
	int err;

	if ((err = layout_blob_exists(s, digest)) != 0)
		return err < 0 ? err : HM_OK;
	if ((err = blob_path(&path, l, digest)))
		goto done;
	dir = strdup(path);
	if (!dir) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	*strrchr(dir, '/') = '\0';
	if ((err = hm_mkdir_p(dir, 0755)))
		goto done;
	err = hm_file_write_atomic(path, data, len, 0644, 1);
done:
	free(dir);
	free(path);
	return err;
}

static int layout_get_blob(hm_store *s, const char *digest, size_t max, hm_buf *out)
{
	return read_blob(L(s), digest, max ? max : (64u << 20), out);
}

/* Adds {mediaType, digest, size, artifactType, annotations{ref.name}} to the
 * manifests array of the index.json tree, after removing the entries it
 * replaces: the same tag, or an untagged entry of the same digest.  An
 * untagged put of a digest already listed changes nothing. */
static int index_add(cJSON *tree, const hm_desc *d, const char *artifact_type, const char *tag)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(tree, "manifests");
	cJSON *e, *ann;
	int n = cJSON_GetArraySize(arr);

	for (int i = n - 1; i >= 0; i--) {
		cJSON *it = cJSON_GetArrayItem(arr, i);
		const char *dig = hm_json_str(it, "digest");
		const char *t = hm_json_str(cJSON_GetObjectItemCaseSensitive(it, "annotations"), REF_NAME);
		int same = dig && strcmp(dig, d->digest) == 0;

		if (!tag && same)
			return HM_OK;
		if (tag && ((t && strcmp(t, tag) == 0) || (!t && same)))
			cJSON_DeleteItemFromArray(arr, i);
	}
	if (!(e = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, e)) {
		cJSON_Delete(e);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (!cJSON_AddStringToObject(e, "mediaType", d->media_type) ||
	    !cJSON_AddStringToObject(e, "digest", d->digest) ||
	    !cJSON_AddNumberToObject(e, "size", (double)d->size) ||
	    (artifact_type && !cJSON_AddStringToObject(e, "artifactType", artifact_type)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (tag && (!(ann = cJSON_AddObjectToObject(e, "annotations")) ||
	            !cJSON_AddStringToObject(ann, REF_NAME, tag)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

static int layout_put_manifest(hm_store *s, const char *tag, const char *media_type, const void *data,
                               size_t len, hm_desc *out)
{
	struct layout *l = L(s);
	hm_manifest *m = NULL;
	cJSON *tree = NULL;
	char digest[HM_DIGEST_SIZE], *path = NULL, *json = NULL;
	const char *artifact_type;
	hm_desc d;
	int lock = -1, err;

	if (tag && !valid_tag(tag))
		return hm_error_set(HM_E_USAGE, "invalid tag '%s'", tag);
	if (len > HM_MAX_MANIFEST)
		return hm_error_set(HM_E_USAGE, "manifest of %zu bytes exceeds the %u-byte limit", len,
		                    HM_MAX_MANIFEST);
	if ((err = hm_manifest_parse(&m, data, len, media_type)))
		return err;
	hm_digest_compute(digest, data, len);
	if ((err = fill_desc(&d, m->media_type, digest, (int64_t)len)) ||
	    (err = layout_put_blob(s, data, len, digest)))
		goto done;
	/* referrers are marked as artifacts so that "oci:PATH" still names the image */
	artifact_type = m->artifact_type;
	if (!artifact_type && m->subject && !m->is_index)
		artifact_type = m->config.media_type;

	lock = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		err = hm_error_set(HM_E_IO, "locking layout '%s': %s", l->dir, strerror(errno));
		goto done;
	}
	if ((err = load_tree(l, &tree)))
		goto done;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(tree, "manifests"))) {
		err = hm_error_set(HM_E_IO, "layout '%s': index.json has no manifests array", l->dir);
		goto done;
	}
	if ((err = index_add(tree, &d, artifact_type, tag)))
		goto done;
	if (!(json = cJSON_PrintUnformatted(tree)) || !(path = join(l->dir, "index.json"))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if ((err = hm_file_write_atomic(path, json, strlen(json), 0644, 1)))
		goto done;
	if (out)
		*out = d;
done:
	if (lock >= 0)
		close(lock); /* releases the flock */
	cJSON_free(json);
	cJSON_Delete(tree);
	hm_manifest_free(m);
	free(path);
	return err;
}

static int layout_list_tags(hm_store *s, hm_strv *out)
{
	struct layout *l = L(s);
	const hm_manifest *idx;
	int err;

	if ((err = load_index(l, &idx)))
		return err;
	for (size_t i = 0; i < l->n_tags && !err; i++)
		err = hm_strv_push(out, l->tags[i].name);
	return err;
}

/* Adds the referrer m (whose bytes are d) to result when it passes the filter. */
static int add_referrer(hm_manifest *result, const hm_manifest *m, const hm_descriptor *d, const char *filter)
{
	const char *at = m->artifact_type ? m->artifact_type : (!m->is_index ? m->config.media_type : NULL);
	hm_descriptor *r;
	int err;

	if (filter && (!at || strcmp(at, filter) != 0))
		return HM_OK;
	if ((err = hm_manifest_add(&r, result, m->media_type, d->digest, d->size)) ||
	    (at && (err = hm_descriptor_set_artifact_type(r, at))))
		return err;
	for (size_t i = 0; i < m->n_annotations; i++)
		if ((err = hm_descriptor_annotate(r, m->annotations[i].key, m->annotations[i].value)))
			return err;
	return HM_OK;
}

static int referrer_cmp(const void *a, const void *b)
{
	const struct referrer *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	return c ? c : (x->entry > y->entry) - (x->entry < y->entry);
}

static int subject_cmp(const void *key, const void *r)
{
	return strcmp(key, ((const struct referrer *)r)->subject);
}

/* l->refs: every manifest index.json lists (each digest read once) that
 * names a subject, sorted by subject.  A manifest that is over the cap or
 * does not parse names no subject we can trust: it is no one's referrer
 * (discovery refuses the manifests it does find), and not a reason to fail
 * every image of the layout. */

static int build_refs(struct layout *l, const hm_manifest *idx)
{
	hm_buf b = HM_BUF_INIT;
	hm_manifest *m = NULL;
	struct named *order = NULL;
	size_t cap = 0, n = idx->n_manifests;
	int err = HM_OK;

	if (n && !(order = calloc(n, sizeof(*order))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		order[i] = (struct named){idx->manifests[i].digest, i};
	if (n)
		qsort(order, n, sizeof(*order), named_cmp);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k].entry;
		const hm_descriptor *e = &idx->manifests[i];

		/* each digest once, at its first entry */
		if (k > 0 && strcmp(order[k - 1].name, e->digest) == 0)
			continue;
		err = read_blob(l, e->digest, HM_MAX_MANIFEST, &b);
		if (err == HM_E_LIMIT || err == HM_E_NOTFOUND ||
		    (!err && (err = hm_manifest_parse(&m, b.data, b.len, e->media_type)) == HM_E_IO)) {
			hm_error_clear();
			err = HM_OK;
			continue;
		}
		if (err)
			break;
		if (!m->subject) {
			hm_manifest_free(m);
			m = NULL;
			continue;
		}
		if ((err = hm_array_reserve(&l->refs, l->n_refs, &cap, sizeof(*l->refs), 8)))
			break;
		l->refs[l->n_refs++] = (struct referrer){m->subject->digest, i, m};
		m = NULL;
	}
	free(order);
	hm_manifest_free(m);
	hm_buf_release(&b);
	if (err) {
		drop_refs(l);
		return err;
	}
	if (l->n_refs)
		qsort(l->refs, l->n_refs, sizeof(*l->refs), referrer_cmp);
	l->refs_built = 1;
	return HM_OK;
}

static int layout_referrers(hm_store *s, const char *digest, const char *artifact_type, hm_buf *index)
{
	struct layout *l = L(s);
	const hm_manifest *idx;
	hm_manifest *result = NULL;
	const struct referrer *r;
	int err;

	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_USAGE, "invalid digest '%s'", digest ? digest : "");
	if ((err = load_index(l, &idx)) || (!l->refs_built && (err = build_refs(l, idx))) ||
	    (err = hm_manifest_new(&result, HM_MT_OCI_INDEX)))
		goto done;
	/* the first of this subject: bsearch finds any of them */
	r = l->n_refs ? bsearch(digest, l->refs, l->n_refs, sizeof(*l->refs), subject_cmp) : NULL;
	while (r && r > l->refs && strcmp(r[-1].subject, digest) == 0)
		r--;
	for (; r && r < l->refs + l->n_refs && strcmp(r->subject, digest) == 0; r++)
		if ((err = add_referrer(result, r->m, &idx->manifests[r->entry], artifact_type)))
			goto done;
	hm_buf_reset(index);
	err = hm_manifest_serialize(index, result);
done:
	hm_manifest_free(result);
	return err;
}

static int layout_index(hm_store *s, hm_buf *out)
{
	const hm_manifest *idx;
	int err;

	hm_buf_reset(out);
	if ((err = load_index(L(s), &idx)))
		return err;
	return hm_buf_add(out, L(s)->idx_raw.data, L(s)->idx_raw.len);
}

/* Copies exactly size bytes from `in` to `out`, hashing them; HM_E_IO when
 * in has more or fewer bytes or other content than digest. */
static int copy_hashed(FILE *in, FILE *out, const char *digest, int64_t size, const char *what)
{
	hm_digester *md = hm_digester_new(digest);
	char chunk[65536];
	int64_t left = size;
	int err = HM_OK;

	if (!md)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	while (left > 0) {
		size_t want = left < (int64_t)sizeof(chunk) ? (size_t)left : sizeof(chunk);
		size_t got = fread(chunk, 1, want, in);

		if (got == 0) {
			err = ferror(in) ? hm_error_set(HM_E_IO, "%s: reading: %s", what, strerror(errno))
					 : hm_error_set(HM_E_IO, "%s has %lld bytes, its descriptor says %lld", what,
							(long long)(size - left), (long long)size);
			goto done;
		}
		if (fwrite(chunk, 1, got, out) != got) {
			err = hm_error_set(HM_E_IO, "%s: writing: %s", what, strerror(errno));
			goto done;
		}
		hm_digester_update(md, chunk, got);
		left -= (int64_t)got;
	}
	if (fgetc(in) != EOF) {
		err = hm_error_set(HM_E_IO, "%s is larger than the %lld bytes its descriptor says", what, (long long)size);
		goto done;
	}
	if (fflush(out) != 0) {
		err = hm_error_set(HM_E_IO, "%s: writing: %s", what, strerror(errno));
		goto done;
	}
	err = hm_digester_check(md, what);
done:
	hm_digester_free(md);
	return err;
}

static int layout_get_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	char *path = NULL;
	FILE *in = NULL;
	int err;

	if ((err = blob_path(&path, L(s), digest)))
		return err;
	if (!(in = fopen(path, "rb"))) {
		err = errno == ENOENT ? hm_error_set(HM_E_NOTFOUND, "blob %s not found in layout '%s'", digest, L(s)->dir)
				      : hm_error_set(HM_E_IO, "reading '%s': %s", path, strerror(errno));
		goto done;
	}
	err = copy_hashed(in, f, digest, size, path);
done:
	if (in)
		fclose(in);
	free(path);
	return err;
}

/* Copies the blob into blobs/ through a temporary file in the same
 * directory, renamed into place once its digest is checked. */
static int layout_put_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	char *path = NULL, *tmp = NULL;
	FILE *out = NULL;
	size_t n;
	int fd = -1, err;

	if ((err = layout_blob_exists(s, digest)) != 0)
		return err < 0 ? err : HM_OK;
	if ((err = blob_path(&path, L(s), digest)))
		return err;
	n = strlen(path) + 16;
	if (!(tmp = malloc(n))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	snprintf(tmp, n, "%s", path);
	*strrchr(tmp, '/') = '\0';
	if ((err = hm_mkdir_p(tmp, 0755)))
		goto done;
	snprintf(tmp + strlen(tmp), n - strlen(tmp), "/.tmp-XXXXXX");
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0644) < 0 || !(out = fdopen(fd, "wb"))) {
		err = hm_error_set(HM_E_IO, "writing into '%s': %s", L(s)->dir, strerror(errno));
		goto done;
	}
	fd = -1;
	if (fseeko(f, 0, SEEK_SET) != 0) {
		err = hm_error_set(HM_E_IO, "rewinding a blob to copy: %s", strerror(errno));
		goto done;
	}
	if ((err = copy_hashed(f, out, digest, size, digest)))
		goto done;
	if (fsync(fileno(out)) < 0 || fclose(out) != 0) {
		out = NULL;
		err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
		goto done;
	}
	out = NULL;
	if (rename(tmp, path) < 0) {
		err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
done:
	if (out)
		fclose(out);
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(path);
	return err;
}

static void layout_free(hm_store *s)
{
	struct layout *l = L(s);

	if (l) {
		drop_index(l);
		free(l->dir);
	}
	free(l);
	s->impl = NULL;
}

static const struct hm_store_ops layout_ops = {
    .resolve = layout_resolve,
    .get_manifest = layout_get_manifest,
    .put_manifest = layout_put_manifest,
    .get_blob = layout_get_blob,
    .blob_exists = layout_blob_exists,
    .put_blob = layout_put_blob,
    .list_tags = layout_list_tags,
    .referrers = layout_referrers,
    .layout_index = layout_index,
    .free = layout_free,
    .get_blob_file = layout_get_blob_file,
    .put_blob_file = layout_put_blob_file,
};

/* Checks dir/oci-layout, or makes an empty layout when create is set. */
static int check_or_create(const char *dir, int create)
{
	char *marker = join(dir, "oci-layout"), *blobs = join(dir, "blobs/sha256"),
	     *index = join(dir, "index.json");
	hm_buf b = HM_BUF_INIT;
	cJSON *j = NULL;
	const char *v;
	struct stat st;
	int err = HM_OK;

	if (!marker || !blobs || !index) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (stat(marker, &st) < 0) {
		if (!create) {
			err = hm_error_set(HM_E_NOTFOUND, "no OCI image layout at '%s' (no oci-layout file)",
			                   dir);
			goto done;
		}
		if ((err = hm_mkdir_p(blobs, 0755)) ||
		    (stat(index, &st) < 0 &&
		     (err = hm_file_write_atomic(index, EMPTY_INDEX, strlen(EMPTY_INDEX), 0644, 0))))
			goto done;
		/* oci-layout last: a layout is only one once it is complete */
		err = hm_file_write_atomic(marker, LAYOUT_FILE, strlen(LAYOUT_FILE), 0644, 0);
		goto done;
	}
	if ((err = hm_file_read(&b, marker, MAX_LAYOUT_FILE)))
		goto done;
	if (!(j = hm_json_parse(b.data, b.len, marker))) {
		err = HM_E_IO;
		goto done;
	}
	v = hm_json_str(j, "imageLayoutVersion");
	if (!v || strncmp(v, "1.", 2) != 0)
		err = hm_error_set(HM_E_IO, "'%s': unsupported imageLayoutVersion '%s'", marker, v ? v : "");
done:
	cJSON_Delete(j);
	hm_buf_release(&b);
	free(marker);
	free(blobs);
	free(index);
	return err;
}

int hm_layout_open(hm_store **out, const hm_ref *ref, int create)
{
	hm_store *s = NULL;
	struct layout *l = NULL;
	int err;

	*out = NULL;
	if (ref->kind != HM_REF_LAYOUT || !ref->repository || !*ref->repository)
		return hm_error_set(HM_E_USAGE, "not an OCI layout reference");
	if ((err = check_or_create(ref->repository, create)))
		return err;
	s = calloc(1, sizeof(*s));
	l = calloc(1, sizeof(*l));
	if (!s || !l || !(l->dir = strdup(ref->repository)) || !(s->name = hm_ref_name(ref))) {
		if (l)
			free(l->dir);
		free(l);
		free(s);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	s->ops = &layout_ops;
	s->impl = l;
	*out = s;
	return HM_OK;
}
