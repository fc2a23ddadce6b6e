/* SPDX-License-Identifier: Apache-2.0 */
/* Finding everything attached to an image (see discover.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "core/json.h"
#include "core/limits.h"
#include "oci/discover.h"
#include "oci/manifest.h"
#include "oci/referrers.h"

enum hm_attach_kind hm_attach_classify(const char *artifact_type, const char *mt)
{
	static const char *const bundle_versions[] = {"0.1", "0.2", "0.3"};
	size_t n = strlen(HM_MT_BUNDLE_VERSIONED);

	if (artifact_type && strcmp(artifact_type, HM_AT_NOTATION) == 0)
		return HM_KIND_NOTATION;
	if (!mt)
		return HM_KIND_OTHER;
	if (strcmp(mt, HM_MT_SIMPLESIGNING) == 0)
		return HM_KIND_SIMPLESIGNING;
	if (strcmp(mt, HM_MT_DSSE) == 0)
		return HM_KIND_DSSE;
	if (strcmp(mt, HM_MT_BUNDLE) == 0)
		return HM_KIND_BUNDLE;
	if (strncmp(mt, HM_MT_BUNDLE_VERSIONED, n) == 0)
		for (size_t i = 0; i < sizeof(bundle_versions) / sizeof(bundle_versions[0]); i++)
			if (strcmp(mt + n, bundle_versions[i]) == 0)
				return HM_KIND_BUNDLE;
	return HM_KIND_OTHER;
}

const char *hm_attach_kind_name(enum hm_attach_kind k)
{
	switch (k) {
	case HM_KIND_SIMPLESIGNING: return "simple-signing";
	case HM_KIND_DSSE: return "dsse";
	case HM_KIND_BUNDLE: return "sigstore-bundle";
	case HM_KIND_NOTATION: return "notation";
	case HM_KIND_OTHER: return "other";
	case HM_KIND_UNKNOWN: break;
	}
	return "unknown";
}

const char *hm_attach_form_name(enum hm_attach_form f)
{
	switch (f) {
	case HM_FORM_TAG_SIG:
	case HM_FORM_TAG_ATT: return "tag";
	case HM_FORM_REFERRERS_API: return "referrers-api";
	case HM_FORM_REFERRERS_TAG: return "referrers-tag";
	case HM_FORM_LAYOUT_REFERRER: return "layout-referrer";
	case HM_FORM_LAYOUT_COSIGN: return "cosign-save-layout";
	}
	return "unknown";
}

/* What one discovery collects: the list, and for each usable entry the key
 * that finds its duplicates (digest and sorted annotations). */
struct found {
	hm_attached_list *l;
	char **keys;      /* parallel to l->v; NULL for refused entries */
	size_t keys_cap;
	size_t n_usable;
	int full;         /* HM_MAX_ATTACHED reached: the rest is not read */
};

/* Where the manifest being read was found. */
struct where {
	const char *source;        /* "tag sha256-<hex>.sig", "referrer sha256:<m>" */
	enum hm_attach_form form;
	enum hm_attach_kind kind;  /* what a refusal of the whole manifest is listed as */
	const char *subject;       /* the image: a referrer must name it; NULL: no check */
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

static void entry_release(hm_attached *e)
{
	cJSON_Delete(e->annotations);
	free(e->source);
	free(e->refused);
	free(e->hint);
}

/* Appends an entry (strings copied); takes key (freed on failure). */
static int push(struct found *f, const hm_attached *e, char *key)
{
	hm_attached_list *l = f->l;
	hm_attached *v;

	if (hm_array_reserve(&l->v, l->n, &l->cap, sizeof(*l->v), 8) ||
	    hm_array_reserve(&f->keys, l->n, &f->keys_cap, sizeof(*f->keys), 8)) {
		free(key);
		return HM_E_NOMEM;
	}
	v = &l->v[l->n];
	*v = *e;
	v->annotations = e->annotations ? cJSON_Duplicate(e->annotations, 1) : NULL;
	v->source = strdup(e->source);
	v->refused = e->refused ? strdup(e->refused) : NULL;
	v->hint = e->hint ? strdup(e->hint) : NULL;
	if (!v->source || (e->annotations && !v->annotations) || (e->refused && !v->refused) ||
	    (e->hint && !v->hint)) {
		entry_release(v);
		free(key);
		return oom();
	}
	f->keys[l->n] = key;
	l->n++;
	if (e->refused)
		l->n_refused++;
	else
		f->n_usable++;
	return HM_OK;
}

/* Lists the source of w as refused: what (a manifest, or NULL) with the reason. */
static int refuse(struct found *f, const hm_desc *what, const struct where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct found *f, const hm_desc *what, const struct where *w, const char *fmt, ...)
{
	char why[1024];
	hm_attached e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memset(&e, 0, sizeof(e));
	if (what) {
		e.desc = *what;
		snprintf(e.manifest, sizeof(e.manifest), "%s", what->digest);
	}
	e.source = (char *)w->source;
	e.refused = why;
	e.kind = w->kind;
	e.form = w->form;
	hm_error_clear();
	return push(f, &e, NULL);
}

/* Whether err, from reading something attached, means that what was
 * written there is bad (to be refused) rather than the store failing. */
static int written_badly(int err)
{
	return err == HM_E_LIMIT;
}

static int annotations_json(cJSON **out, const hm_annotation *a, size_t n)
{
	*out = NULL;
	if (!n)
		return HM_OK;
	*out = cJSON_CreateObject();
	for (size_t i = 0; *out && i < n; i++)
		if (!cJSON_AddStringToObject(*out, a[i].key, a[i].value)) {
			cJSON_Delete(*out);
			*out = NULL;
		}
	return *out ? HM_OK : oom();
}

static int add_layer(struct found *f, const hm_manifest *m, const hm_desc *md, const hm_descriptor *layer,
		     const struct where *w)
{
	hm_attached e;
	cJSON *ann = NULL;
	char *key = NULL;
	int err;

	memset(&e, 0, sizeof(e));
	snprintf(e.desc.media_type, sizeof(e.desc.media_type), "%s", layer->media_type);
	snprintf(e.desc.digest, sizeof(e.desc.digest), "%s", layer->digest);
	e.desc.size = layer->size;
	snprintf(e.manifest, sizeof(e.manifest), "%s", md->digest);
	/* (older notation signatures carry the artifact type as their config's media type) */
	e.kind = hm_attach_classify(m->artifact_type ? m->artifact_type : m->config.media_type, layer->media_type);
	e.form = w->form;
	e.source = (char *)w->source;
	if (e.kind == HM_KIND_DSSE)
		e.hint = (char *)hm_annotation_get(layer->annotations, layer->n_annotations, "predicateType");
	else if (e.kind == HM_KIND_BUNDLE)
		e.hint = (char *)hm_annotation_get(m->annotations, m->n_annotations, HM_ANN_BUNDLE_PREDICATE);
	if ((err = annotations_json(&ann, layer->annotations, layer->n_annotations)) ||
	    (err = dedup_key(&key, layer)))
		goto done;
	e.annotations = ann;
	err = push(f, &e, key);
done:
	cJSON_Delete(ann);
	return err;
}

/* Adds the layers of an attached manifest (bytes body, described by d); a
 * manifest that cannot count is listed refused, a referrer of another
 * subject is skipped. */
static int add_layers(struct found *f, const hm_buf *body, const hm_desc *d, const struct where *w)
{
	hm_manifest *m = NULL;
	int err = hm_manifest_parse(&m, body->data, body->len, HM_MT_OCI_MANIFEST);

	if (err == HM_E_NOMEM)
		return err;
	if (err)
		return refuse(f, d, w, "%s", hm_error_message());
	if (w->subject && (!m->subject || strcmp(m->subject->digest, w->subject) != 0))
		goto done; /* listed for the image by whoever wrote the list, but not about it */
	if (m->n_layers > HM_MAX_ATTACHED_LAYERS) {
		err = refuse(f, d, w, "manifest %s has %zu layers, more than the %d allowed in an attached manifest (the cap)",
			     d->digest, m->n_layers, HM_MAX_ATTACHED_LAYERS);
		goto done;
	}
	for (size_t i = 0; !err && i < m->n_layers; i++) {
		if (f->n_usable >= HM_MAX_ATTACHED) {
			if (!f->full)
				err = refuse(f, d, w, "more than %d attached artifacts (the cap); the rest were not read",
					     HM_MAX_ATTACHED);
			f->full = 1;
			break;
		}
		err = add_layer(f, m, d, &m->layers[i], w);
	}
done:
	hm_manifest_free(m);
	return err;
}

/* Fetches the manifest ref (a tag or digest) and adds its layers; absent
 * is nothing attached. */
static int read_attached(struct found *f, hm_store *s, const char *ref, const hm_desc *listed,
			 const struct where *w)
{
	hm_buf body = HM_BUF_INIT;
	hm_desc got;
	int err = f->full ? HM_E_NOTFOUND : hm_store_get_manifest(s, ref, &body, &got);

	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
	} else if (written_badly(err)) {
		err = refuse(f, listed, w, "%s", hm_error_message());
	} else if (!err) {
		err = add_layers(f, &body, &got, w);
	}
	hm_buf_release(&body);
	return err;
}

/* The referrer manifests listed from entry i on, at most HM_FETCH_BATCH,
 * fetched at once; *ahead: the entry after the last one asked for. */
static int prefetch_referrers(hm_store *s, const hm_manifest *index, size_t i, size_t *ahead)
{
	hm_prefetch v[HM_FETCH_BATCH];
	size_t n = 0;

	for (; i < index->n_manifests && n < HM_FETCH_BATCH; i++)
		if (strcmp(index->manifests[i].media_type, HM_MT_OCI_MANIFEST) == 0)
			v[n++] = (hm_prefetch){index->manifests[i].digest, HM_PREFETCH_MANIFEST};
	*ahead = i;
	return hm_store_prefetch(s, v, n);
}

static int find_referrers(struct found *f, hm_store *s, const char *subject, int layout)
{
	enum hm_referrers_source src;
	hm_manifest *index = NULL;
	char source[HM_DIGEST_SIZE + 16];
	struct where w = {source, HM_FORM_REFERRERS_API, HM_KIND_UNKNOWN, subject};
	int err = hm_referrers_list(&index, s, subject, NULL, &src);

	snprintf(source, sizeof(source), "referrers of %.*s", HM_DIGEST_SIZE - 1, subject);
	w.form = layout ? HM_FORM_LAYOUT_REFERRER : src == HM_REFERRERS_TAG ? HM_FORM_REFERRERS_TAG
									   : HM_FORM_REFERRERS_API;
	if (written_badly(err))
		return refuse(f, NULL, &w, "%s", hm_error_message());
	if (err)
		return err;
	for (size_t i = 0, ahead = 0; !err && i < index->n_manifests && !f->full; i++) {
		const hm_descriptor *d = &index->manifests[i];
		hm_desc listed;

		if (strcmp(d->media_type, HM_MT_OCI_MANIFEST) != 0)
			continue;
		if (i >= ahead && (err = prefetch_referrers(s, index, i, &ahead)))
			break;
		snprintf(source, sizeof(source), "referrer %s", d->digest);
		memset(&listed, 0, sizeof(listed));
		snprintf(listed.media_type, sizeof(listed.media_type), "%s", d->media_type);
		snprintf(listed.digest, sizeof(listed.digest), "%s", d->digest);
		listed.size = d->size;
		err = read_attached(f, s, d->digest, &listed, &w);
	}
	hm_manifest_free(index);
	if (err && err != HM_E_NOMEM)
		err = hm_error_wrap(err, "referrers of %s", subject);
	return err;
}

/* In a layout written by cosign save: the manifests marked as the image's
 * signatures and attestations, when the image marked is the one asked for.
 * Anything unreadable in index.json is left to the layout store to report. */
static int find_cosign_save(struct found *f, hm_store *s, const hm_buf *raw, const char *digest)
{
	cJSON *idx;
	const cJSON *e, *list;
	const char *image = NULL;
	int err = HM_OK;

	/* most layouts are not cosign save's: no need to parse index.json
	 * again for every image (its "kind" values all begin so) */
	if (!raw->data || !memmem(raw->data, raw->len, "dev.cosignproject.cosign", 24))
		return HM_OK;
	idx = cJSON_ParseWithLength(raw->data, raw->len);
	list = cJSON_GetObjectItemCaseSensitive(idx, "manifests");

	cJSON_ArrayForEach(e, list) {
		const char *k = hm_json_str(cJSON_GetObjectItemCaseSensitive(e, "annotations"), HM_COSIGN_SAVE_KIND);

		if (k && (!strcmp(k, HM_COSIGN_SAVE_IMAGE) || !strcmp(k, HM_COSIGN_SAVE_INDEX)))
			image = hm_json_str(e, "digest");
	}
	if (!image || strcmp(image, digest) != 0)
		goto done;
	cJSON_ArrayForEach(e, list) {
		const char *k = hm_json_str(cJSON_GetObjectItemCaseSensitive(e, "annotations"), HM_COSIGN_SAVE_KIND);
		const char *md = hm_json_str(e, "digest");
		char source[128];
		struct where w = {source, HM_FORM_LAYOUT_COSIGN, HM_KIND_SIMPLESIGNING, NULL};

		if (!k || !md || (strcmp(k, HM_COSIGN_SAVE_SIGS) && strcmp(k, HM_COSIGN_SAVE_ATTS)))
			continue;
		if (!strcmp(k, HM_COSIGN_SAVE_ATTS))
			w.kind = HM_KIND_DSSE;
		snprintf(source, sizeof(source), "layout entry %s", k);
		err = hm_digest_valid(md) ? read_attached(f, s, md, NULL, &w)
					  : refuse(f, NULL, &w, "index.json lists an invalid digest");
		if (err)
			break;
	}
done:
	cJSON_Delete(idx);
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

/* What a registry is asked first, all independent: the referrers API, the
 * referrers tag (read only when the API turns out absent; asked at once,
 * unless the registry is known to have the API, so that one without it
 * costs no extra round trip) and the .sig and .att tags. */
static int prefetch_first(hm_store *s, const char *digest)
{
	char *rtag = hm_referrers_tag(digest), *sig = hm_attach_tag(digest, "sig"), *att = hm_attach_tag(digest, "att");
	hm_prefetch v[] = {{digest, HM_PREFETCH_REFERRERS}, {rtag, HM_PREFETCH_REFERRERS_TAG},
			   {sig, HM_PREFETCH_MANIFEST}, {att, HM_PREFETCH_MANIFEST}};
	int err = rtag && sig && att ? hm_store_prefetch(s, v, sizeof(v) / sizeof(v[0])) : oom();

	free(rtag);
	free(sig);
	free(att);
	return err;
}

int hm_discover(hm_attached_list *out, hm_store *s, const char *digest)
{
	static const struct {
		const char *suffix;
		enum hm_attach_form form;
		enum hm_attach_kind kind;
	} tags[] = {{"sig", HM_FORM_TAG_SIG, HM_KIND_SIMPLESIGNING}, {"att", HM_FORM_TAG_ATT, HM_KIND_DSSE}};
	struct found f = {out, NULL, 0, 0, 0};
	hm_buf raw = HM_BUF_INIT;
	int err, layout;

	memset(out, 0, sizeof(*out));
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_IO, "invalid digest '%s'", digest ? digest : "");
	s = hm_store_attachments(s);
	err = hm_store_layout_index(s, &raw);
	layout = err != HM_E_NOTFOUND;
	hm_error_clear();
	if (layout && !err && (err = find_cosign_save(&f, s, &raw, digest)))
		goto done;
	if (!layout && (err = prefetch_first(s, digest)))
		goto done;
	if ((err = find_referrers(&f, s, digest, layout)))
		goto done;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]) && !err; i++) {
		char *tag = hm_attach_tag(digest, tags[i].suffix), *source = NULL;
		struct where w = {NULL, tags[i].form, tags[i].kind, NULL};

		if (!tag || asprintf(&source, "tag %s", tag) < 0) {
			free(tag);
			err = oom();
			break;
		}
		w.source = source;
		err = read_attached(&f, s, tag, NULL, &w);
		free(source);
		free(tag);
	}
	if (!err)
		err = dedup(&f);
done:
	hm_store_prefetch_drop(s);
	for (size_t i = 0; i < out->n; i++)
		free(f.keys[i]);
	free(f.keys);
	hm_buf_release(&raw);
	if (err)
		hm_attached_list_free(out);
	return err;
}

int hm_attached_find(hm_attached_list *out, hm_store *s, const char *subject_digest, const char *suffix,
		     const char *layer_media_type)
{
	enum hm_attach_form mine = strcmp(suffix, "att") == 0 ? HM_FORM_TAG_ATT : HM_FORM_TAG_SIG;
	int err = hm_discover(out, s, subject_digest);
	size_t w = 0;

	if (err)
		return err;
	for (size_t i = 0; i < out->n; i++) {
		hm_attached *e = &out->v[i];
		int tag = e->form == HM_FORM_TAG_SIG || e->form == HM_FORM_TAG_ATT;
		int keep = (!tag || e->form == mine) &&
			   (e->refused ? (tag || e->kind == HM_KIND_UNKNOWN)
				       : strcmp(e->desc.media_type, layer_media_type) == 0);

		if (!keep) {
			out->n_refused -= e->refused != NULL;
			entry_release(e);
			continue;
		}
		out->v[w++] = *e;
	}
	out->n = w;
	return HM_OK;
}

void hm_attached_list_free(hm_attached_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = l->n_refused = 0;
}
