/* cosign's attached-artifact scheme and OCI 1.1 referrers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "oci/attach.h"

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

/* Reads a descriptor (borrowed JSON) into d; what names it in errors. */
static int read_desc(hm_desc *d, const cJSON *j, const char *what)
{
	const char *mt = hm_json_str(j, "mediaType"), *dg = hm_json_str(j, "digest");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size");

	if (!mt || !dg || !hm_digest_valid(dg) || !cJSON_IsNumber(size) || size->valuedouble < 0 ||
	    strlen(mt) >= sizeof(d->media_type))
		return hm_error_set(HM_E_IO, "%s: malformed descriptor", what);
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt);
	snprintf(d->digest, sizeof(d->digest), "%s", dg);
	d->size = (int64_t)size->valuedouble;
	return HM_OK;
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
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	l->v = v;
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
	cJSON *m = hm_json_parse(body->data, body->len, source);
	const cJSON *layers, *layer;
	int err = HM_OK;

	if (!m)
		return HM_E_IO;
	layers = cJSON_GetObjectItemCaseSensitive(m, "layers");
	if (!cJSON_IsArray(layers)) {
		err = hm_error_set(HM_E_IO, "%s: manifest has no layers", source);
		goto done;
	}
	cJSON_ArrayForEach(layer, layers) {
		hm_desc d;
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(layer, "annotations");

		err = read_desc(&d, layer, source);
		if (err)
			goto done;
		if (strcmp(d.media_type, mt) != 0)
			continue;
		err = list_add(l, &d, cJSON_IsObject(ann) ? ann : NULL, source);
		if (err)
			goto done;
	}
done:
	cJSON_Delete(m);
	return err;
}

static int find_referrers(hm_attached_list *l, hm_store *s, const char *subject, const char *mt)
{
	hm_buf idx = HM_BUF_INIT, body = HM_BUF_INIT;
	cJSON *j = NULL;
	const cJSON *m;
	int err = hm_store_referrers(s, subject, NULL, &idx);

	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
		goto done;
	}
	if (err)
		goto done;
	j = hm_json_parse(idx.data, idx.len, "referrers index");
	if (!j) {
		err = HM_E_IO;
		goto done;
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
		hm_desc d, got;
		char source[HM_DIGEST_SIZE + 16];

		err = read_desc(&d, m, "referrers index");
		if (err)
			goto done;
		if (strcmp(d.media_type, HM_MT_OCI_MANIFEST) != 0)
			continue;
		hm_buf_reset(&body);
		err = hm_store_get_manifest(s, d.digest, &body, &got);
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = HM_OK;
			continue;
		}
		if (err)
			goto done;
		snprintf(source, sizeof(source), "referrer %s", d.digest);
		err = add_layers(l, &body, mt, source);
		if (err)
			goto done;
	}
done:
	cJSON_Delete(j);
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

void hm_attached_list_free(hm_attached_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		cJSON_Delete(l->v[i].annotations);
		free(l->v[i].source);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static cJSON *desc_json(const char *mt, const char *digest, size_t size, const cJSON *ann)
{
	cJSON *j = cJSON_CreateObject();

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "mediaType", mt);
	cJSON_AddNumberToObject(j, "size", (double)size);
	cJSON_AddStringToObject(j, "digest", digest);
	if (ann)
		cJSON_AddItemToObject(j, "annotations", cJSON_Duplicate(ann, 1));
	return j;
}

/* The image config of an attachment manifest: empty but for the rootfs
 * listing the layers, as cosign writes it. */
static int put_config(hm_store *s, const cJSON *layers, hm_buf *cfg, char digest[HM_DIGEST_SIZE])
{
	const cJSON *l;
	int err = hm_buf_addstr(cfg, "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\","
				     "\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\","
				     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");

	cJSON_ArrayForEach(l, layers) {
		if (!err && l != layers->child)
			err = hm_buf_addch(cfg, ',');
		if (!err)
			err = hm_buf_addf(cfg, "\"%s\"", hm_json_str(l, "digest"));
	}
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
	cJSON *m = NULL, *layers, *layer;
	hm_desc d;
	int err;

	*added = 0;
	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject_digest);
	err = hm_store_get_manifest(s, tag, &body, &d);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
	} else if (!err) {
		m = hm_json_parse(body.data, body.len, tag);
		if (!m || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "layers"))) {
			err = hm_error_set(HM_E_IO, "existing manifest '%s' in '%s' is malformed; not replacing it",
					   tag, hm_store_name(s));
			goto done;
		}
	}
	if (err)
		goto done;
	if (!m) {
		m = cJSON_CreateObject();
		if (!m)
			goto nomem;
		cJSON_AddNumberToObject(m, "schemaVersion", 2);
		cJSON_AddStringToObject(m, "mediaType", HM_MT_OCI_MANIFEST);
		cJSON_AddItemToObject(m, "config", cJSON_CreateObject());
		cJSON_AddItemToObject(m, "layers", cJSON_CreateArray());
	}
	layers = cJSON_GetObjectItemCaseSensitive(m, "layers");
	hm_digest_compute(blob_digest, blob, len);
	cJSON_ArrayForEach(layer, layers) {
		const char *ld = hm_json_str(layer, "digest");
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(layer, "annotations");

		if (ld && strcmp(ld, blob_digest) == 0 && same_annotations(ann, annotations))
			goto done; /* already there: nothing to do */
	}
	if (cJSON_GetArraySize(layers) >= HM_ATTACH_MAX) {
		err = hm_error_set(HM_E_IO, "'%s' already holds %d layers", tag, HM_ATTACH_MAX);
		goto done;
	}
	err = hm_store_put_blob(s, blob, len, NULL);
	if (err)
		goto done;
	layer = desc_json(layer_media_type, blob_digest, len, annotations);
	if (!layer)
		goto nomem;
	cJSON_AddItemToArray(layers, layer);
	err = put_config(s, layers, &cfg, cfg_digest);
	if (err)
		goto done;
	cJSON_ReplaceItemInObjectCaseSensitive(
	    m, "config", desc_json("application/vnd.oci.image.config.v1+json", cfg_digest, cfg.len, NULL));
	err = hm_json_print(&out, m);
	if (!err)
		err = hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, out.data, out.len, NULL);
	if (!err)
		*added = 1;
	goto done;
nomem:
	err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	cJSON_Delete(m);
	free(tag);
	hm_buf_release(&body);
	hm_buf_release(&cfg);
	hm_buf_release(&out);
	return err;
}
