/* cosign's attached-artifact scheme and OCI 1.1 referrers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/attach.h"
#include "oci/manifest.h"
#include "oci/referrers.h"

/* How many referrers or layers we look at for one image: a registry that
 * lists more is not one we can check in bounded time. */
#define HM_ATTACH_MAX 1000

char *hm_attach_tag(const char *digest, const char *suffix)
{
	hm_buf b = HM_BUF_INIT;
	const char *colon = strchr(digest, ':');

	if (!colon || hm_buf_addf(&b, "%.*s-%s.%s", (int)(colon - digest), digest, colon + 1, suffix)) {
		hm_buf_release(&b);
		return NULL;
	}
	return hm_buf_detach(&b, NULL);
}

/* The annotations of a descriptor as a JSON object (NULL when it has none). */
static int annotations_json(cJSON **out, const hm_descriptor *d)
{
	*out = NULL;
	if (!d->n_annotations)
		return HM_OK;
	*out = cJSON_CreateObject();
	for (size_t i = 0; *out && i < d->n_annotations; i++)
		if (!cJSON_AddStringToObject(*out, d->annotations[i].key, d->annotations[i].value)) {
			cJSON_Delete(*out);
			*out = NULL;
		}
	return *out ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

static void to_desc(hm_desc *out, const hm_descriptor *d)
{
	snprintf(out->media_type, sizeof(out->media_type), "%s", d->media_type);
	snprintf(out->digest, sizeof(out->digest), "%s", d->digest);
	out->size = d->size;
}

static int same_annotations(const cJSON *a, const cJSON *b)
{
	return (!a && !b) || cJSON_Compare(a, b, 1);
}

static int list_add(hm_attached_list *l, const hm_desc *d, const cJSON *ann, const char *source)
{
	hm_attached *v;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].desc.digest, d->digest) == 0 &&
		    same_annotations(l->v[i].annotations, ann))
			return HM_OK;
	if (l->n >= HM_ATTACH_MAX)
		return hm_error_set(HM_E_IO, "more than %d attached artifacts", HM_ATTACH_MAX);
	if (hm_array_reserve(&l->v, l->n, &l->cap, sizeof(*l->v), 8))
		return HM_E_NOMEM;
	v = &l->v[l->n];
	memset(v, 0, sizeof(*v));
	v->desc = *d;
	v->annotations = ann ? cJSON_Duplicate(ann, 1) : NULL;
	v->source = strdup(source);
	if (!v->source || (ann && !v->annotations)) {
		cJSON_Delete(v->annotations);
		free(v->source);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	l->n++;
	return HM_OK;
}

/* Adds the layers of a manifest (bytes) whose media type is mt. */
static int add_layers(hm_attached_list *l, const hm_buf *body, const char *mt, const char *source)
{
	hm_manifest *m = NULL;
	int err = hm_manifest_parse(&m, body->data, body->len, HM_MT_OCI_MANIFEST);

	if (err)
		return hm_error_wrap(err, "%s", source);
	for (size_t i = 0; !err && i < m->n_layers; i++) {
		cJSON *ann = NULL;
		hm_desc d;

		if (strcmp(m->layers[i].media_type, mt) != 0)
			continue;
		to_desc(&d, &m->layers[i]);
		err = annotations_json(&ann, &m->layers[i]);
		if (!err)
			err = list_add(l, &d, ann, source);
		cJSON_Delete(ann);
	}
	hm_manifest_free(m);
	return err;
}

static int find_referrers(hm_attached_list *l, hm_store *s, const char *subject, const char *mt)
{
	hm_buf idx = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_manifest *index = NULL;
	int err = hm_store_referrers(s, subject, NULL, &idx);

	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
		goto done;
	}
	if (err || (err = hm_manifest_parse(&index, idx.data, idx.len, HM_MT_OCI_INDEX)))
		goto done;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const hm_descriptor *d = &index->manifests[i];
		char source[HM_DIGEST_SIZE + 16];
		hm_desc got;

		if (strcmp(d->media_type, HM_MT_OCI_MANIFEST) != 0)
			continue;
		err = hm_store_get_manifest(s, d->digest, &body, &got);
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = HM_OK;
			continue;
		}
		if (err)
			goto done;
		snprintf(source, sizeof(source), "referrer %s", d->digest);
		if ((err = add_layers(l, &body, mt, source)))
			goto done;
	}
done:
	if (err && index == NULL && err != HM_E_NOMEM)
		err = hm_error_wrap(err, "referrers of %s", subject);
	hm_manifest_free(index);
	hm_buf_release(&idx);
	hm_buf_release(&body);
	return err;
}

int hm_attached_find(hm_attached_list *out, hm_store *s, const char *subject_digest,
		     const char *suffix, const char *layer_media_type)
{
	hm_buf body = HM_BUF_INIT;
	hm_desc d;
	char *tag = hm_attach_tag(subject_digest, suffix), *source = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject_digest);
	err = find_referrers(out, s, subject_digest, layer_media_type);
	if (err)
		goto done;
	err = hm_store_get_manifest(s, tag, &body, &d);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
		goto done;
	}
	if (err)
		goto done;
	if (asprintf(&source, "tag %s", tag) < 0) {
		source = NULL;
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = add_layers(out, &body, layer_media_type, source);
done:
	if (err)
		hm_attached_list_free(out);
	free(source);
	free(tag);
	hm_buf_release(&body);
	return err;
}

int hm_attached_fetch(hm_buf *out, hm_store *s, const hm_attached *a, size_t max)
{
	int err;

	if (a->desc.size < 0 || (uint64_t)a->desc.size > max)
		return hm_error_set(HM_E_VERIFY, "%s is larger than the %zu-byte limit", a->desc.digest, max);
	err = hm_store_get_blob(s, a->desc.digest, max, out);
	if (err == HM_E_NOTFOUND)
		return hm_error_set(HM_E_VERIFY, "blob %s is missing", a->desc.digest);
	return err;
}

void hm_attached_list_free(hm_attached_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		cJSON_Delete(l->v[i].annotations);
		free(l->v[i].source);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Whether descriptor d carries exactly the annotations ann (a JSON object of strings). */
static int same_descriptor_annotations(const hm_descriptor *d, const cJSON *ann)
{
	cJSON *mine = NULL;
	int same;

	if (annotations_json(&mine, d))
		return 0;
	same = same_annotations(mine, ann);
	cJSON_Delete(mine);
	return same;
}

/* The image config of an attachment manifest: empty but for the rootfs
 * listing the layers, as cosign writes it. */
static int put_config(hm_store *s, const hm_manifest *m, hm_buf *cfg, char digest[HM_DIGEST_SIZE])
{
	int err = hm_buf_addstr(cfg, "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\","
				     "\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\","
				     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");

	for (size_t i = 0; !err && i < m->n_layers; i++)
		err = hm_buf_addf(cfg, "%s\"%s\"", i ? "," : "", m->layers[i].digest);
	if (!err)
		err = hm_buf_addstr(cfg, "]},\"config\":{}}");
	if (!err)
		err = hm_store_put_blob(s, cfg->data, cfg->len, digest);
	return err;
}

int hm_attach_layer(hm_store *s, const char *subject_digest, const char *suffix,
		    const char *layer_media_type, const void *blob, size_t len,
		    const cJSON *annotations, int *added)
{
	hm_buf body = HM_BUF_INIT, cfg = HM_BUF_INIT, out = HM_BUF_INIT;
	char *tag = hm_attach_tag(subject_digest, suffix);
	char blob_digest[HM_DIGEST_SIZE], cfg_digest[HM_DIGEST_SIZE];
	hm_manifest *m = NULL;
	hm_descriptor *layer;
	const cJSON *a;
	hm_desc d;
	int err, writes = 0, seen = 0, paused = 0, faults = 0, present;
	long start, rmw_ms = 0;

	*added = 0;
	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject_digest);
	hm_digest_compute(blob_digest, blob, len);
	/* The tag is shared by every signer of the image: a read-modify-write
	 * that a concurrent writer can undo.  Read back until our layer has
	 * been seen HM_RMW_CONFIRMATIONS times, writing again when it is gone
	 * (oci/referrers.h says how far that goes). */
	for (;;) {
		start = hm_rmw_now_ms();
		hm_manifest_free(m);
		m = NULL;
		hm_buf_reset(&body);
		hm_buf_reset(&cfg);
		hm_buf_reset(&out);
		err = hm_store_get_manifest(s, tag, &body, &d);
		if (hm_rmw_transient(err, &faults))
			continue;
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = hm_manifest_new(&m, HM_MT_OCI_MANIFEST);
		} else if (!err && hm_manifest_parse(&m, body.data, body.len, HM_MT_OCI_MANIFEST) != HM_OK) {
			err = hm_error_wrap(HM_E_IO, "existing manifest '%s' in '%s' is malformed; not replacing it",
					    tag, hm_store_name(s));
		}
		if (err)
			goto done;
		present = 0;
		for (size_t i = 0; i < m->n_layers && !present; i++)
			present = strcmp(m->layers[i].digest, blob_digest) == 0 &&
				  same_descriptor_annotations(&m->layers[i], annotations);
		if (present) {
			if (!writes || ++seen >= HM_RMW_CONFIRMATIONS)
				break; /* already there, or ours has stayed */
			hm_rmw_settle(rmw_ms);
			continue;
		}
		seen = 0;
		if (writes >= HM_REFERRERS_TRIES) {
			err = hm_error_set(HM_E_IO, "updating '%s' in '%s': other writers replaced it %d times; try again",
					   tag, hm_store_name(s), writes);
			goto done;
		}
		if (m->n_layers >= HM_ATTACH_MAX) {
			err = hm_error_set(HM_E_IO, "'%s' already holds %d layers", tag, HM_ATTACH_MAX);
			goto done;
		}
		if (writes && !paused) {
			hm_rmw_backoff(writes);
			paused = 1;
			continue; /* read afresh after the pause */
		}
		paused = 0;
		if ((err = hm_manifest_add(&layer, m, layer_media_type, blob_digest, (int64_t)len)))
			goto done;
		cJSON_ArrayForEach(a, annotations) {
			if (cJSON_IsString(a) && (err = hm_descriptor_annotate(layer, a->string, a->valuestring)))
				goto done;
		}
		/* the blobs too: several writers uploading one config make distribution answer 500 */
		if ((!writes && (err = hm_store_put_blob(s, blob, len, NULL))) || (err = put_config(s, m, &cfg, cfg_digest))) {
			if (hm_rmw_transient(err, &faults))
				continue;
			goto done;
		}
		if ((err = hm_manifest_set_config(m, "application/vnd.oci.image.config.v1+json", cfg_digest,
						  (int64_t)cfg.len)) ||
		    (err = hm_manifest_serialize(&out, m)))
			goto done;
		if ((err = hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, out.data, out.len, NULL))) {
			if (hm_rmw_transient(err, &faults))
				continue;
			goto done;
		}
		writes++;
		rmw_ms = hm_rmw_now_ms() - start;
		hm_rmw_settle(rmw_ms);
	}
	*added = writes > 0;
done:
	hm_manifest_free(m);
	free(tag);
	hm_buf_release(&body);
	hm_buf_release(&cfg);
	hm_buf_release(&out);
	return err;
}
