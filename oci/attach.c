/* SPDX-License-Identifier: Apache-2.0 */
/* cosign's attached-artifact tags: writing them, and fetching what
 * discovery (discover.c) found. */
#include <stdarg.h>
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

static int same_annotations(const cJSON *a, const cJSON *b)
{
	return (!a && !b) || cJSON_Compare(a, b, 1);
}

int hm_attached_fetch(hm_buf *out, hm_store *s, const hm_attached *a, size_t max)
{
	size_t want;
	int err;

	s = hm_store_attachments(s);
	if (a->refused)
		return hm_error_set(HM_E_VERIFY, "%s", a->refused);
	if (a->desc.size < 0 || (uint64_t)a->desc.size > max)
		return hm_error_set(HM_E_VERIFY, "%s is larger than the %zu-byte limit", a->desc.digest, max);
	/* Read no more than the descriptor promises: a blob that is larger was
	 * written to be something other than what the manifest says. */
	want = (size_t)a->desc.size;
	err = hm_store_get_blob(s, a->desc.digest, want ? want : 1, out);
	if (err == HM_E_NOTFOUND)
		return hm_error_set(HM_E_VERIFY, "blob %s is missing", a->desc.digest);
	if (err == HM_E_LIMIT)
		return hm_error_set(HM_E_VERIFY, "blob %s is larger than the %zu bytes its descriptor says",
				    a->desc.digest, want);
	if (!err && out->len != want) {
		hm_buf_reset(out);
		return hm_error_set(HM_E_VERIFY, "blob %s is %zu bytes, not the %zu its descriptor says",
				    a->desc.digest, out->len, want);
	}
	return err;
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
	hm_rmw r = HM_RMW_INIT;
	char what[300];
	int err, present, step;

	*added = 0;
	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject_digest);
	s = hm_store_attachments(s);
	snprintf(what, sizeof(what), "'%s' in '%.200s'", tag, hm_store_name(s));
	hm_digest_compute(blob_digest, blob, len);
	/* The tag is shared by every signer of the image: one read-modify-write
	 * protocol with the referrers tag (oci/referrers.h hm_rmw). */
	for (;;) {
		hm_rmw_begin(&r);
		hm_manifest_free(m);
		m = NULL;
		hm_buf_reset(&body);
		hm_buf_reset(&cfg);
		hm_buf_reset(&out);
		memset(&d, 0, sizeof(d)); /* digest "" when the tag is absent */
		err = hm_store_get_manifest(s, tag, &body, &d);
		if (hm_rmw_transient(err, &r.faults))
			continue;
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = hm_manifest_new(&m, HM_MT_OCI_MANIFEST);
		} else if (!err && hm_manifest_parse(&m, body.data, body.len, HM_MT_OCI_MANIFEST) != HM_OK) {
			err = hm_error_wrap(HM_E_IO, "existing manifest %s is malformed; not replacing it", what);
		}
		if (err)
			goto done;
		present = 0;
		for (size_t i = 0; i < m->n_layers && !present; i++)
			present = strcmp(m->layers[i].digest, blob_digest) == 0 &&
				  same_descriptor_annotations(&m->layers[i], annotations);
		if ((err = step = hm_rmw_after_read(&r, present, what)) < 0)
			goto done;
		if (step == HM_RMW_DONE)
			break;
		if (step == HM_RMW_AGAIN)
			continue;
		if (m->n_layers >= HM_MAX_ATTACHED_LAYERS) {
			err = hm_error_set(HM_E_LIMIT, "%s already holds %d layers, the most an attached manifest may (the cap)",
					   what, HM_MAX_ATTACHED_LAYERS);
			goto done;
		}
		if ((err = hm_manifest_add(&layer, m, layer_media_type, blob_digest, (int64_t)len)))
			goto done;
		cJSON_ArrayForEach(a, annotations) {
			if (cJSON_IsString(a) && (err = hm_descriptor_annotate(layer, a->string, a->valuestring)))
				goto done;
		}
		/* the blobs too: several writers uploading one config make distribution answer 500 */
		if ((!r.writes && (err = hm_store_put_blob(s, blob, len, NULL))) ||
		    (err = put_config(s, m, &cfg, cfg_digest))) {
			if (hm_rmw_transient(err, &r.faults))
				continue;
			goto done;
		}
		if ((err = hm_manifest_set_config(m, "application/vnd.oci.image.config.v1+json", cfg_digest,
						  (int64_t)cfg.len)) ||
		    (err = hm_manifest_serialize(&out, m)))
			goto done;
		if (!hm_rmw_before_write(&r, s, tag, d.digest))
			continue; /* someone wrote since our read: read again */
		if ((err = hm_store_put_manifest(s, tag, HM_MT_OCI_MANIFEST, out.data, out.len, NULL))) {
			if (hm_rmw_transient(err, &r.faults))
				continue;
			goto done;
		}
		hm_rmw_wrote(&r);
	}
	*added = r.writes > 0;
	err = HM_OK;
done:
	hm_manifest_free(m);
	free(tag);
	hm_buf_release(&body);
	hm_buf_release(&cfg);
	hm_buf_release(&out);
	return err;
}
