/* SPDX-License-Identifier: Apache-2.0 */
/* The store interface: dispatch to the registry or the layout implementation. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "oci/store_impl.h"

int hm_store_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts, int create)
{
	static const hm_store_opts none;

	*out = NULL;
	if (ref->kind == HM_REF_LAYOUT)
		return hm_layout_open(out, ref, create);
	return hm_registry_open(out, ref, opts ? opts : &none);
}

void hm_store_free(hm_store *s)
{
	if (!s)
		return;
	s->ops->free(s);
	free(s->name);
	free(s);
}

int hm_store_resolve(hm_store *s, const char *tag_or_digest, hm_desc *out)
{
	return s->ops->resolve(s, tag_or_digest, out);
}

/* The implementations differ in whether they append to an output buffer;
 * callers get a buffer holding exactly the answer. */
int hm_store_get_manifest(hm_store *s, const char *tag_or_digest, hm_buf *body, hm_desc *desc)
{
	hm_buf_reset(body);
	return s->ops->get_manifest(s, tag_or_digest, body, desc);
}

int hm_store_put_manifest(hm_store *s, const char *tag, const char *media_type, const void *data,
			  size_t len, hm_desc *out)
{
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
	return s->ops->prefetch ? s->ops->prefetch(s, v, n) : HM_OK;
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
