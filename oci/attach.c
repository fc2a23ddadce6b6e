/* cosign's attached-artifact scheme and OCI 1.1 referrers. */
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

/* ---- discovery ---- */

/* What one hm_attached_find collects: the list, and for each usable entry
 * the key that finds its duplicates (digest and sorted annotations). */
struct found {
	hm_attached_list *l;
	char **keys;      /* parallel to l->v; NULL for refused entries */
	size_t keys_cap;
	size_t n_usable;
	int full;         /* HM_MAX_ATTACHED reached: the rest is not read */
};

static int oom(void)
{
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

static int ann_cmp(const void *a, const void *b)
{
	return strcmp(((const hm_annotation *)a)->key, ((const hm_annotation *)b)->key);
}

/* "<digest>\n" then "<len>:<key><len>:<value>" for each annotation in key
 * order: equal exactly when digest and annotations are (keys are unique:
 * the manifest parser refuses duplicates). */
static int dedup_key(char **out, const hm_descriptor *d)
{
	hm_annotation *sorted = NULL;
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = NULL;
	if (d->n_annotations && !(sorted = malloc(d->n_annotations * sizeof(*sorted))))
		return oom();
	if (d->n_annotations) {
		memcpy(sorted, d->annotations, d->n_annotations * sizeof(*sorted));
		qsort(sorted, d->n_annotations, sizeof(*sorted), ann_cmp);
	}
	err = hm_buf_addf(&b, "%s\n", d->digest);
	for (size_t i = 0; !err && i < d->n_annotations; i++)
		err = hm_buf_addf(&b, "%zu:%s%zu:%s", strlen(sorted[i].key), sorted[i].key,
				  strlen(sorted[i].value), sorted[i].value);
	free(sorted);
	if (err) {
		hm_buf_release(&b);
		return err;
	}
	*out = hm_buf_detach(&b, NULL);
	return *out ? HM_OK : oom();
}

/* Appends an entry; takes key (freed on failure). */
static int push(struct found *f, const hm_desc *d, const cJSON *ann, const char *source, const char *refused,
		char *key)
{
	hm_attached_list *l = f->l;
	hm_attached *v;

	if (hm_array_reserve(&l->v, l->n, &l->cap, sizeof(*l->v), 8) ||
	    hm_array_reserve(&f->keys, l->n, &f->keys_cap, sizeof(*f->keys), 8)) {
		free(key);
		return HM_E_NOMEM;
	}
	v = &l->v[l->n];
	memset(v, 0, sizeof(*v));
	v->desc = *d;
	v->annotations = ann ? cJSON_Duplicate(ann, 1) : NULL;
	v->source = strdup(source);
	v->refused = refused ? strdup(refused) : NULL;
	if (!v->source || (ann && !v->annotations) || (refused && !v->refused)) {
		cJSON_Delete(v->annotations);
		free(v->source);
		free(v->refused);
		free(key);
		return oom();
	}
	f->keys[l->n] = key;
	l->n++;
	if (refused)
		l->n_refused++;
	else
		f->n_usable++;
	return HM_OK;
}

/* Lists source as refused: what (a manifest, or NULL) with the reason. */
static int refuse(struct found *f, const hm_desc *what, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct found *f, const hm_desc *what, const char *source, const char *fmt, ...)
{
	char why[1024];
	hm_desc none;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!what) {
		memset(&none, 0, sizeof(none));
		what = &none;
	}
	hm_error_clear();
	return push(f, what, NULL, source, why, NULL);
}

/* Whether err, from reading something attached, means that what was
 * written there is bad (to be refused) rather than the store failing. */
static int written_badly(int err)
{
	return err == HM_E_LIMIT;
}

/* Adds the layers of an attached manifest (bytes body, described by d)
 * whose media type is mt; a manifest that cannot count is listed refused. */
static int add_layers(struct found *f, const hm_buf *body, const hm_desc *d, const char *mt, const char *source)
{
	hm_manifest *m = NULL;
	int err = hm_manifest_parse(&m, body->data, body->len, HM_MT_OCI_MANIFEST);

	if (err == HM_E_NOMEM)
		return err;
	if (err)
		return refuse(f, d, source, "%s", hm_error_message());
	if (m->n_layers > HM_MAX_ATTACHED_LAYERS) {
		err = refuse(f, d, source, "manifest %s has %zu layers, more than the %d allowed in an attached manifest (the cap)",
			     d->digest, m->n_layers, HM_MAX_ATTACHED_LAYERS);
		goto done;
	}
	for (size_t i = 0; !err && i < m->n_layers; i++) {
		cJSON *ann = NULL;
		char *key = NULL;
		hm_desc ld;

		if (strcmp(m->layers[i].media_type, mt) != 0)
			continue;
		if (f->n_usable >= HM_MAX_ATTACHED) {
			if (!f->full)
				err = refuse(f, d, source, "more than %d attached artifacts (the cap); the rest were not read",
					     HM_MAX_ATTACHED);
			f->full = 1;
			break;
		}
		to_desc(&ld, &m->layers[i]);
		if (!(err = annotations_json(&ann, &m->layers[i])) && !(err = dedup_key(&key, &m->layers[i])))
			err = push(f, &ld, ann, source, NULL, key);
		cJSON_Delete(ann);
	}
done:
	hm_manifest_free(m);
	return err;
}

static int find_referrers(struct found *f, hm_store *s, const char *subject, const char *mt)
{
	hm_buf idx = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_manifest *index = NULL;
	char source[HM_DIGEST_SIZE + 16];
	hm_desc got;
	int err = hm_store_referrers(s, subject, NULL, &idx);

	snprintf(source, sizeof(source), "referrers of %.*s", HM_DIGEST_SIZE - 1, subject);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
		goto done;
	}
	if (written_badly(err)) {
		err = refuse(f, NULL, source, "%s", hm_error_message());
		goto done;
	}
	if (err)
		goto done;
	if ((err = hm_manifest_parse(&index, idx.data, idx.len, HM_MT_OCI_INDEX))) {
		if (err != HM_E_NOMEM)
			err = refuse(f, NULL, source, "%s", hm_error_message());
		goto done;
	}
	if (index->n_manifests > HM_MAX_REFERRERS) {
		err = refuse(f, NULL, source, "%zu referrers, more than the %d allowed (the cap)", index->n_manifests,
			     HM_MAX_REFERRERS);
		goto done;
	}
	for (size_t i = 0; i < index->n_manifests && !f->full; i++) {
		const hm_descriptor *d = &index->manifests[i];

		if (strcmp(d->media_type, HM_MT_OCI_MANIFEST) != 0)
			continue;
		snprintf(source, sizeof(source), "referrer %s", d->digest);
		hm_buf_reset(&body);
		err = hm_store_get_manifest(s, d->digest, &body, &got);
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = HM_OK;
			continue;
		}
		if (written_badly(err)) {
			to_desc(&got, d);
			err = refuse(f, &got, source, "%s", hm_error_message());
		} else if (!err) {
			err = add_layers(f, &body, &got, mt, source);
		}
		if (err)
			goto done;
	}
done:
	if (err && err != HM_E_NOMEM)
		err = hm_error_wrap(err, "referrers of %s", subject);
	hm_manifest_free(index);
	hm_buf_release(&idx);
	hm_buf_release(&body);
	return err;
}

struct order {
	const char *key;
	size_t i;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static void entry_release(hm_attached *e)
{
	cJSON_Delete(e->annotations);
	free(e->source);
	free(e->refused);
}

/* Drops every usable entry that repeats an earlier one (same digest and
 * annotations), keeping the order found: sorting keeps this n log n
 * however many layers an attacker attaches. */
static int dedup(struct found *f)
{
	hm_attached_list *l = f->l;
	struct order *o;
	char *drop;
	size_t n = 0, w = 0;

	if (f->n_usable < 2)
		return HM_OK;
	o = malloc(f->n_usable * sizeof(*o));
	drop = calloc(l->n, 1);
	if (!o || !drop) {
		free(o);
		free(drop);
		return oom();
	}
	for (size_t i = 0; i < l->n; i++)
		if (f->keys[i])
			o[n++] = (struct order){f->keys[i], i};
	qsort(o, n, sizeof(*o), order_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(o[i - 1].key, o[i].key) == 0)
			drop[o[i].i] = 1;
	for (size_t i = 0; i < l->n; i++) {
		if (drop[i]) {
			entry_release(&l->v[i]);
			free(f->keys[i]);
			f->n_usable--;
			continue;
		}
		l->v[w] = l->v[i];
		f->keys[w++] = f->keys[i];
	}
	l->n = w;
	free(o);
	free(drop);
	return HM_OK;
}

int hm_attached_find(hm_attached_list *out, hm_store *s, const char *subject_digest,
		     const char *suffix, const char *layer_media_type)
{
	struct found f = {out, NULL, 0, 0, 0};
	hm_buf body = HM_BUF_INIT;
	hm_desc d;
	char *tag = hm_attach_tag(subject_digest, suffix), *source = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject_digest);
	if ((err = find_referrers(&f, s, subject_digest, layer_media_type)))
		goto done;
	if (asprintf(&source, "tag %s", tag) < 0) {
		source = NULL;
		err = oom();
		goto done;
	}
	err = f.full ? HM_E_NOTFOUND : hm_store_get_manifest(s, tag, &body, &d);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
	} else if (written_badly(err)) {
		err = refuse(&f, NULL, source, "%s", hm_error_message());
	} else if (!err) {
		err = add_layers(&f, &body, &d, layer_media_type, source);
	}
	if (!err)
		err = dedup(&f);
done:
	for (size_t i = 0; i < out->n; i++)
		free(f.keys[i]);
	free(f.keys);
	if (err)
		hm_attached_list_free(out);
	free(source);
	free(tag);
	hm_buf_release(&body);
	return err;
}

int hm_attached_fetch(hm_buf *out, hm_store *s, const hm_attached *a, size_t max)
{
	size_t want;
	int err;

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

void hm_attached_list_free(hm_attached_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = l->n_refused = 0;
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
		if (m->n_layers >= HM_MAX_ATTACHED_LAYERS) {
			err = hm_error_set(HM_E_LIMIT, "'%s' already holds %d layers, the most an attached manifest may (the cap)",
					   tag, HM_MAX_ATTACHED_LAYERS);
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
