/* SPDX-License-Identifier: Apache-2.0 */
/* The store interface: dispatch to the registry or the layout implementation. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "oci/store_impl.h"

/* The attachment repository text: "host[:port]/path" and nothing else
 * (cosign's rule: a bare registry is not a repository). */
static int attachment_ref(hm_ref *out, const char *text)
{
	const char *slash = strrchr(text, '/');
	int err;

	if (strncmp(text, "oci:", 4) == 0)
		return hm_error_set(HM_E_USAGE, "attachment repository '%.200s': an OCI layout cannot be one; "
						"name a registry repository (host/path)", text);
	if (!slash || strchr(text, '@') || strchr(slash, ':'))
		return hm_error_set(HM_E_USAGE, "attachment repository '%.200s': name a registry repository "
						"(host[:port]/path), without tag or digest", text);
	if ((err = hm_ref_parse(out, text)))
		return hm_error_wrap(err, "attachment repository");
	return HM_OK;
}

/* Opens s->att for opts->attachment_repo, unless that is s's own repository. */
static int open_attachments(hm_store *s, const hm_ref *ref, const hm_store_opts *opts)
{
	hm_store_opts o = *opts;
	hm_ref ar = HM_REF_INIT;
	char *name;
	int err;

	if (ref->kind == HM_REF_LAYOUT)
		return hm_error_set(HM_E_USAGE, "'%s' is an OCI layout, which keeps its attachments in itself: "
						"an attachment repository ('%.200s', from --attachment-repository or "
						"COSIGN_REPOSITORY) applies to registry images only", s->name,
				    opts->attachment_repo);
	if ((err = attachment_ref(&ar, opts->attachment_repo)))
		return err;
	if (!(name = hm_ref_name(&ar))) {
		hm_ref_free(&ar);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	o.attachment_repo = NULL;
	err = strcmp(name, s->name) == 0 ? HM_OK : hm_registry_open(&s->att, &ar, &o);
	if (!err)
		hm_log(HM_LOG_INFO, "attachments of %s: in %s", s->name, name);
	free(name);
	hm_ref_free(&ar);
	return err;
}

int hm_store_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts, int create)
{
	static const hm_store_opts none;
	int err;

	*out = NULL;
	opts = opts ? opts : &none;
	if (ref->kind == HM_REF_LAYOUT)
		err = hm_layout_open(out, ref, create);
	else
		err = hm_registry_open(out, ref, opts);
	if (err || !opts->attachment_repo || !*opts->attachment_repo)
		return err;
	if ((err = open_attachments(*out, ref, opts))) {
		hm_store_free(*out);
		*out = NULL;
	}
	return err;
}

hm_store *hm_store_attachments(hm_store *s)
{
	return s->att ? s->att : s;
}

void hm_store_set_known_tags(hm_store *s, const char *const *tags, size_t n)
{
	s->known_tags = tags;
	s->n_known_tags = tags ? n : 0;
	s->tags_known = tags != NULL;
}

static int tag_cmp(const void *key, const void *elt)
{
	return strcmp(key, *(const char *const *)elt);
}

/* Whether ref is a tag that the known tag list says is absent. */
static int known_absent(const hm_store *s, const char *ref)
{
	if (!s->tags_known || !ref || strchr(ref, ':'))
		return 0; /* no hint, or a digest */
	return !s->n_known_tags || !bsearch(ref, s->known_tags, s->n_known_tags, sizeof(*s->known_tags), tag_cmp);
}

static int absent(const hm_store *s, const char *tag)
{
	return hm_error_set(HM_E_NOTFOUND, "'%.200s' not found in '%s' (not in its tag list)", tag, s->name);
}

void hm_store_free(hm_store *s)
{
	if (!s)
		return;
	hm_store_free(s->att);
	s->ops->free(s);
	free(s->name);
	free(s);
}

int hm_store_resolve(hm_store *s, const char *tag_or_digest, hm_desc *out)
{
	if (known_absent(s, tag_or_digest))
		return absent(s, tag_or_digest);
	return s->ops->resolve(s, tag_or_digest, out);
}

/* The implementations differ in whether they append to an output buffer;
 * callers get a buffer holding exactly the answer. */
int hm_store_get_manifest(hm_store *s, const char *tag_or_digest, hm_buf *body, hm_desc *desc)
{
	hm_buf_reset(body);
	if (known_absent(s, tag_or_digest))
		return absent(s, tag_or_digest);
	return s->ops->get_manifest(s, tag_or_digest, body, desc);
}

int hm_store_put_manifest(hm_store *s, const char *tag, const char *media_type, const void *data,
			  size_t len, hm_desc *out)
{
	if (tag)
		hm_store_set_known_tags(s, NULL, 0); /* the list is no longer complete */
	return s->ops->put_manifest(s, tag, media_type, data, len, out);
}

int hm_store_get_blob(hm_store *s, const char *digest, size_t max, hm_buf *out)
{
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_IO, "invalid blob digest '%s'", digest);
	hm_buf_reset(out);
	return s->ops->get_blob(s, digest, max, out);
}

int hm_store_blob_exists(hm_store *s, const char *digest)
{
	return s->ops->blob_exists(s, digest);
}

int hm_store_put_blob(hm_store *s, const void *data, size_t len, char digest_out[HM_DIGEST_SIZE])
{
	char d[HM_DIGEST_SIZE];

	hm_digest_compute(d, data, len);
	if (digest_out)
		memcpy(digest_out, d, sizeof(d));
	return s->ops->put_blob(s, data, len, d);
}

int hm_store_get_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_IO, "invalid blob digest '%s'", digest);
	if (size < 0)
		return hm_error_set(HM_E_IO, "blob %s: negative size %lld", digest, (long long)size);
	return s->ops->get_blob_file(s, digest, size, f);
}

int hm_store_put_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_IO, "invalid blob digest '%s'", digest);
	if (size < 0)
		return hm_error_set(HM_E_IO, "blob %s: negative size %lld", digest, (long long)size);
	return s->ops->put_blob_file(s, digest, size, f);
}

int hm_store_list_tags(hm_store *s, hm_strv *out)
{
	return s->ops->list_tags(s, out);
}

int hm_store_referrers(hm_store *s, const char *digest, const char *artifact_type, hm_buf *index)
{
	hm_buf_reset(index);
	return s->ops->referrers(s, digest, artifact_type, index);
}

int hm_store_prefetch(hm_store *s, const hm_prefetch *v, size_t n)
{
	hm_prefetch *keep;
	size_t k = 0;
	int err;

	if (!s->ops->prefetch)
		return HM_OK;
	if (!s->tags_known)
		return s->ops->prefetch(s, v, n);
	/* what the tag list says is absent is answered when asked, without a request */
	if (!(keep = malloc((n ? n : 1) * sizeof(*keep))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == HM_PREFETCH_REFERRERS || !known_absent(s, v[i].ref))
			keep[k++] = v[i];
	err = s->ops->prefetch(s, keep, k);
	free(keep);
	return err;
}

void hm_store_prefetch_drop(hm_store *s)
{
	if (s->ops->prefetch_drop)
		s->ops->prefetch_drop(s);
}

int hm_store_layout_index(hm_store *s, hm_buf *out)
{
	hm_buf_reset(out);
	if (!s->ops->layout_index)
		return hm_error_set(HM_E_NOTFOUND, "'%s' is not an OCI layout", s->name);
	return s->ops->layout_index(s, out);
}

const char *hm_store_name(const hm_store *s)
{
	return s->name;
}
