/* SPDX-License-Identifier: Apache-2.0 */
/* Image manifests and indexes (OCI image-spec manifest.md, image-index.md,
 * descriptor.md; Docker v2 schema 2), parsed from bytes with cJSON. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/json.h"
#include "oci/manifest.h"
#include "oci/store.h"

#define MAX_SAFE_SIZE 9007199254740992.0 /* 2^53: larger sizes do not survive a double */
#define MAX_MEDIA_TYPE 255               /* fits hm_desc.media_type */

/* Parse context: the digest of the bytes, named in every message, and the
 * annotations counted so far against HM_MAX_ANNOTATIONS. */
struct ctx {
	char digest[HM_DIGEST_SIZE];
	size_t n_annotations;
};

static int bad(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const struct ctx *c, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hm_error_set(HM_E_IO, "manifest %s: %s", c->digest, what);
}

static int oom(void)
{
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

int hm_manifest_is_index(const char *media_type)
{
	return media_type &&
	       (strcmp(media_type, HM_MT_OCI_INDEX) == 0 || strcmp(media_type, HM_MT_DOCKER_LIST) == 0);
}

int hm_manifest_media_type_known(const char *media_type)
{
	return media_type &&
	       (hm_manifest_is_index(media_type) || strcmp(media_type, HM_MT_OCI_MANIFEST) == 0 ||
	        strcmp(media_type, HM_MT_DOCKER_MANIFEST) == 0);
}

const char *hm_annotation_get(const hm_annotation *a, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].key, key) == 0)
			return a[i].value;
	return NULL;
}

static void annotations_free(hm_annotation *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].value);
	}
	free(a);
}

static void descriptor_clear(hm_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	if (d->platform) {
		free(d->platform->os);
		free(d->platform->architecture);
		free(d->platform->variant);
		free(d->platform);
	}
	annotations_free(d->annotations, d->n_annotations);
	memset(d, 0, sizeof(*d));
}

void hm_manifest_free(hm_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->artifact_type);
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_clear(&m->manifests[i]);
	free(m->manifests);
	if (m->subject) {
		descriptor_clear(m->subject);
		free(m->subject);
	}
	annotations_free(m->annotations, m->n_annotations);
	free(m);
}

/* Sets key (replacing an existing value) in an annotation array. */
static int annotation_set(hm_annotation **a, size_t *n, const char *key, const char *value)
{
	hm_annotation *grown;
	char *v = strdup(value), *k;

	if (!v)
		return oom();
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*a)[i].key, key) == 0) {
			free((*a)[i].value);
			(*a)[i].value = v;
			return HM_OK;
		}
	}
	k = strdup(key);
	grown = k ? realloc(*a, (*n + 1) * sizeof(**a)) : NULL;
	if (!grown) {
		free(k);
		free(v);
		return oom();
	}
	*a = grown;
	grown[*n].key = k;
	grown[*n].value = v;
	(*n)++;
	return HM_OK;
}

/* ---- parsing ---- */

static const char *const descriptor_keys[] = {"mediaType",   "digest",   "size", "artifactType",
                                              "annotations", "platform", NULL};
static const char *const top_keys[] = {"schemaVersion", "mediaType", "artifactType", "config", "layers",
                                       "manifests",     "subject",   "annotations",  NULL};

/* Refuses a member we read that appears twice, or in two spellings that
 * differ only in case.  cJSON takes the first of duplicates while Go's
 * encoding/json takes the last and matches field names case-insensitively:
 * a document that two readers see differently must not be signed or
 * trusted. */
static int check_duplicates(const struct ctx *c, const cJSON *obj, const char *where, const char *const *keys)
{
	unsigned seen = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, obj)
	{
		for (unsigned i = 0; it->string && keys[i]; i++) {
			if (strcasecmp(it->string, keys[i]) != 0)
				continue;
			if (seen & (1u << i))
				return bad(c, "%s%s appears more than once", where, keys[i]);
			if (strcmp(it->string, keys[i]) != 0)
				return bad(c, "%s'%.32s' is not spelt '%s'", where, it->string, keys[i]);
			seen |= 1u << i;
		}
	}
	return HM_OK;
}

/* A string member: HM_OK with *out NULL when absent and optional. */
static int get_str(const struct ctx *c, const cJSON *obj, const char *key, const char *where, int required,
                   char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!v) {
		if (required)
			return bad(c, "%s%s is missing", where, key);
		return HM_OK;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return bad(c, "%s%s is not a string", where, key);
	if (!(*out = strdup(v->valuestring)))
		return oom();
	return HM_OK;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses a key that appears twice among the n annotations of a: readers
 * differ on which value wins (cJSON the first, Go the last).  Sorting keeps
 * this n log n, so that a manifest of many annotations cannot take long. */
static int check_unique_keys(const struct ctx *c, const hm_annotation *a, size_t n, const char *where)
{
	const char **keys;
	int err = HM_OK;

	if (n < 2)
		return HM_OK;
	if (!(keys = malloc(n * sizeof(*keys))))
		return oom();
	for (size_t i = 0; i < n; i++)
		keys[i] = a[i].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n && !err; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			err = bad(c, "%sannotations['%.64s'] appears more than once", where, keys[i]);
	free(keys);
	return err;
}

static int parse_annotations(struct ctx *c, const cJSON *obj, const char *where, hm_annotation **out,
                             size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "annotations");
	const cJSON *it;
	size_t count = 0;

	if (!a || cJSON_IsNull(a))
		return HM_OK;
	if (!cJSON_IsObject(a))
		return bad(c, "%sannotations is not an object", where);
	cJSON_ArrayForEach(it, a)
	{
		if (!cJSON_IsString(it) || !it->valuestring || !it->string)
			return bad(c, "%sannotations['%.64s'] is not a string", where,
			           it->string ? it->string : "");
		count++;
	}
	if (count > HM_MAX_ANNOTATIONS - c->n_annotations)
		return bad(c, "more than %d annotations (the cap)", HM_MAX_ANNOTATIONS);
	c->n_annotations += count;
	if (!count)
		return HM_OK;
	if (!(*out = calloc(count, sizeof(**out))))
		return oom();
	cJSON_ArrayForEach(it, a)
	{
		hm_annotation *e = &(*out)[*n];

		/* counted before filling so that the caller's free sees a partial entry */
		(*n)++;
		if (!(e->key = strdup(it->string)) || !(e->value = strdup(it->valuestring)))
			return oom();
	}
	return check_unique_keys(c, *out, *n, where);
}

static int parse_platform(struct ctx *c, const cJSON *p, const char *where, hm_platform **out)
{
	char w[128];
	hm_platform *pl;
	int err;

	if (!cJSON_IsObject(p))
		return bad(c, "%splatform is not an object", where);
	if (!(pl = calloc(1, sizeof(*pl))))
		return oom();
	*out = pl;
	snprintf(w, sizeof(w), "%splatform.", where);
	if ((err = get_str(c, p, "architecture", w, 1, &pl->architecture)) ||
	    (err = get_str(c, p, "os", w, 1, &pl->os)) ||
	    (err = get_str(c, p, "variant", w, 0, &pl->variant)))
		return err;
	return HM_OK;
}

/* where is "layers[2]", "config", ...; d is cleared by the caller on failure. */
static int parse_descriptor(struct ctx *c, const cJSON *j, const char *where, int with_platform,
                            hm_descriptor *d)
{
	char w[96];
	const cJSON *size, *platform;
	int err;

	if (!cJSON_IsObject(j))
		return bad(c, "%s is not an object", where);
	snprintf(w, sizeof(w), "%s.", where);
	if ((err = check_duplicates(c, j, w, descriptor_keys)))
		return err;
	if ((err = get_str(c, j, "mediaType", w, 1, &d->media_type)))
		return err;
	if (!*d->media_type)
		return bad(c, "%smediaType is empty", w);
	if (strlen(d->media_type) > MAX_MEDIA_TYPE)
		return bad(c, "%smediaType is too long", w);
	if ((err = get_str(c, j, "digest", w, 1, &d->digest)))
		return err;
	if (!hm_digest_valid(d->digest))
		return bad(c, "%sdigest is not a valid digest", w);
	size = cJSON_GetObjectItemCaseSensitive(j, "size");
	if (!size)
		return bad(c, "%ssize is missing", w);
	if (!cJSON_IsNumber(size) || !(size->valuedouble >= 0) || size->valuedouble > MAX_SAFE_SIZE ||
	    floor(size->valuedouble) != size->valuedouble)
		return bad(c, "%ssize is not a non-negative integer", w);
	d->size = (int64_t)size->valuedouble;
	if ((err = get_str(c, j, "artifactType", w, 0, &d->artifact_type)))
		return err;
	if ((err = parse_annotations(c, j, w, &d->annotations, &d->n_annotations)))
		return err;
	platform = cJSON_GetObjectItemCaseSensitive(j, "platform");
	if (with_platform && platform && !cJSON_IsNull(platform))
		return parse_platform(c, platform, w, &d->platform);
	return HM_OK;
}

static int parse_list(struct ctx *c, const cJSON *root, const char *key, int with_platform,
                      hm_descriptor **out, size_t *n)
{
	int cap = with_platform ? HM_MAX_INDEX_ENTRIES : HM_MAX_LAYERS;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
	const cJSON *it;
	char where[64];
	int count, err;

	if (!arr)
		return bad(c, "%s is missing", key);
	if (!cJSON_IsArray(arr))
		return bad(c, "%s is not an array", key);
	count = cJSON_GetArraySize(arr);
	if (count == 0)
		return HM_OK;
	if (count > cap)
		return bad(c, "%s has %d entries, more than the %d allowed (the cap)", key, count, cap);
	if (!(*out = calloc((size_t)count, sizeof(**out))))
		return oom();
	cJSON_ArrayForEach(it, arr)
	{
		snprintf(where, sizeof(where), "%s[%zu]", key, *n);
		/* counted before parsing so that hm_manifest_free() clears a partial entry */
		(*n)++;
		if ((err = parse_descriptor(c, it, where, with_platform, &(*out)[*n - 1])))
			return err;
	}
	return HM_OK;
}

/* Chooses the media type: the document's, else the hint, else inferred. */
static int pick_media_type(const struct ctx *c, const cJSON *root, const char *hint, char **out)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
	const char *chosen;

	if (mt && !cJSON_IsString(mt))
		return bad(c, "mediaType is not a string");
	if (mt) {
		chosen = mt->valuestring;
		if (!hm_manifest_media_type_known(chosen))
			return bad(c, "mediaType '%.128s' is not an image manifest or index", chosen);
		if (hm_manifest_media_type_known(hint) && strcmp(hint, chosen) != 0)
			return bad(c, "mediaType '%s' does not match the expected '%s'", chosen, hint);
	} else if (hm_manifest_media_type_known(hint)) {
		chosen = hint;
	} else {
		chosen = cJSON_GetObjectItemCaseSensitive(root, "manifests") ? HM_MT_OCI_INDEX
		                                                             : HM_MT_OCI_MANIFEST;
	}
	if (!(*out = strdup(chosen)))
		return oom();
	return HM_OK;
}

int hm_manifest_parse(hm_manifest **out, const void *data, size_t len, const char *media_type_hint)
{
	struct ctx c = {{0}, 0};
	cJSON *root = NULL;
	const cJSON *sv, *subject;
	hm_manifest *m = NULL;
	int err;

	*out = NULL;
	hm_digest_compute(c.digest, data, len);
	root = cJSON_ParseWithLength(data, len);
	if (!root) {
		err = bad(&c, "invalid JSON");
		goto done;
	}
	if (!cJSON_IsObject(root)) {
		err = bad(&c, "not a JSON object");
		goto done;
	}
	if ((err = check_duplicates(&c, root, "", top_keys)))
		goto done;
	sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
	if (!sv) {
		err = bad(&c, "schemaVersion is missing");
		goto done;
	}
	if (!cJSON_IsNumber(sv) || sv->valuedouble != 2) {
		err = bad(&c, "schemaVersion is not 2 (only schema 2 is supported)");
		goto done;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		err = oom();
		goto done;
	}
	memcpy(m->digest, c.digest, sizeof(m->digest));
	if ((err = pick_media_type(&c, root, media_type_hint, &m->media_type)))
		goto done;
	m->is_index = hm_manifest_is_index(m->media_type);
	if (m->is_index) {
		if ((err = parse_list(&c, root, "manifests", 1, &m->manifests, &m->n_manifests)))
			goto done;
	} else {
		const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");

		if (!config) {
			err = bad(&c, "config is missing");
			goto done;
		}
		if ((err = parse_descriptor(&c, config, "config", 0, &m->config)) ||
		    (err = parse_list(&c, root, "layers", 0, &m->layers, &m->n_layers)))
			goto done;
	}
	subject = cJSON_GetObjectItemCaseSensitive(root, "subject");
	if (subject && !cJSON_IsNull(subject)) {
		if (!(m->subject = calloc(1, sizeof(*m->subject)))) {
			err = oom();
			goto done;
		}
		if ((err = parse_descriptor(&c, subject, "subject", 0, m->subject)))
			goto done;
	}
	if ((err = get_str(&c, root, "artifactType", "", 0, &m->artifact_type)) ||
	    (err = parse_annotations(&c, root, "", &m->annotations, &m->n_annotations)))
		goto done;
	*out = m;
	m = NULL;
done:
	hm_manifest_free(m);
	cJSON_Delete(root);
	return err;
}

/* ---- building ---- */

int hm_manifest_new(hm_manifest **out, const char *media_type)
{
	hm_manifest *m;

	*out = NULL;
	if (!hm_manifest_media_type_known(media_type))
		return hm_error_set(HM_E_USAGE, "'%s' is not an image manifest or index media type",
		                    media_type ? media_type : "");
	if (!(m = calloc(1, sizeof(*m))) || !(m->media_type = strdup(media_type))) {
		free(m);
		return oom();
	}
	m->is_index = hm_manifest_is_index(media_type);
	*out = m;
	return HM_OK;
}

static int descriptor_fill(hm_descriptor *d, const char *media_type, const char *digest, int64_t size)
{
	hm_descriptor n;

	memset(&n, 0, sizeof(n));
	if (!media_type || !*media_type)
		return hm_error_set(HM_E_USAGE, "descriptor without a media type");
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_USAGE, "'%s' is not a valid digest", digest ? digest : "");
	if (size < 0)
		return hm_error_set(HM_E_USAGE, "descriptor '%s' has a negative size", digest);
	n.media_type = strdup(media_type);
	n.digest = strdup(digest);
	n.size = size;
	if (!n.media_type || !n.digest) {
		descriptor_clear(&n);
		return oom();
	}
	descriptor_clear(d);
	*d = n;
	return HM_OK;
}

int hm_manifest_set_config(hm_manifest *m, const char *media_type, const char *digest, int64_t size)
{
	if (m->is_index)
		return hm_error_set(HM_E_USAGE, "an index has no config");
	return descriptor_fill(&m->config, media_type, digest, size);
}

int hm_manifest_add(hm_descriptor **out, hm_manifest *m, const char *media_type, const char *digest,
                    int64_t size)
{
	hm_descriptor **arr = m->is_index ? &m->manifests : &m->layers;
	size_t *n = m->is_index ? &m->n_manifests : &m->n_layers;
	hm_descriptor *grown, fresh;
	int err;

	if (out)
		*out = NULL;
	memset(&fresh, 0, sizeof(fresh));
	if ((err = descriptor_fill(&fresh, media_type, digest, size)))
		return err;
	if (!(grown = realloc(*arr, (*n + 1) * sizeof(**arr)))) {
		descriptor_clear(&fresh);
		return oom();
	}
	*arr = grown;
	grown[*n] = fresh;
	if (out)
		*out = &grown[*n];
	(*n)++;
	return HM_OK;
}

int hm_manifest_set_subject(hm_manifest *m, const char *media_type, const char *digest, int64_t size)
{
	if (!m->subject && !(m->subject = calloc(1, sizeof(*m->subject))))
		return oom();
	return descriptor_fill(m->subject, media_type, digest, size);
}

static int set_str(char **dst, const char *s)
{
	char *v = NULL;

	if (s && !(v = strdup(s)))
		return oom();
	free(*dst);
	*dst = v;
	return HM_OK;
}

int hm_manifest_set_artifact_type(hm_manifest *m, const char *artifact_type)
{
	return set_str(&m->artifact_type, artifact_type);
}

int hm_descriptor_set_artifact_type(hm_descriptor *d, const char *artifact_type)
{
	return set_str(&d->artifact_type, artifact_type);
}

int hm_manifest_annotate(hm_manifest *m, const char *key, const char *value)
{
	return annotation_set(&m->annotations, &m->n_annotations, key, value);
}

int hm_descriptor_annotate(hm_descriptor *d, const char *key, const char *value)
{
	return annotation_set(&d->annotations, &d->n_annotations, key, value);
}

/* ---- serialising ---- */

static cJSON *annotations_json(const hm_annotation *a, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++) {
		if (!cJSON_AddStringToObject(o, a[i].key, a[i].value)) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/* Adds d as member key of parent (or appended to the array parent when key is NULL). */
static int descriptor_json(cJSON *parent, const char *key, const hm_descriptor *d)
{
	cJSON *o;

	if (!d->media_type || !hm_digest_valid(d->digest) || d->size < 0)
		return hm_error_set(HM_E_USAGE, "serialising a manifest: descriptor %s is incomplete",
		                    key ? key : "in a list");
	if (!(o = cJSON_CreateObject()))
		return oom();
	if (key ? !cJSON_AddItemToObject(parent, key, o) : !cJSON_AddItemToArray(parent, o)) {
		cJSON_Delete(o);
		return oom();
	}
	if (!cJSON_AddStringToObject(o, "mediaType", d->media_type) ||
	    !cJSON_AddStringToObject(o, "digest", d->digest) ||
	    !cJSON_AddNumberToObject(o, "size", (double)d->size))
		return oom();
	if (d->platform) {
		cJSON *p = cJSON_AddObjectToObject(o, "platform");

		if (!p ||
		    !cJSON_AddStringToObject(p, "architecture",
		                             d->platform->architecture ? d->platform->architecture : "") ||
		    !cJSON_AddStringToObject(p, "os", d->platform->os ? d->platform->os : "") ||
		    (d->platform->variant && !cJSON_AddStringToObject(p, "variant", d->platform->variant)))
			return oom();
	}
	if (d->artifact_type && !cJSON_AddStringToObject(o, "artifactType", d->artifact_type))
		return oom();
	if (d->n_annotations) {
		cJSON *a = annotations_json(d->annotations, d->n_annotations);

		if (!a || !cJSON_AddItemToObject(o, "annotations", a)) {
			cJSON_Delete(a);
			return oom();
		}
	}
	return HM_OK;
}

int hm_manifest_serialize(hm_buf *out, const hm_manifest *m)
{
	cJSON *root = cJSON_CreateObject(), *list;
	const hm_descriptor *items = m->is_index ? m->manifests : m->layers;
	size_t n = m->is_index ? m->n_manifests : m->n_layers;
	int err = HM_OK;

	if (!root || !cJSON_AddNumberToObject(root, "schemaVersion", 2) ||
	    !cJSON_AddStringToObject(root, "mediaType", m->media_type)) {
		err = oom();
		goto done;
	}
	if (m->artifact_type && !cJSON_AddStringToObject(root, "artifactType", m->artifact_type)) {
		err = oom();
		goto done;
	}
	if (!m->is_index && (err = descriptor_json(root, "config", &m->config)))
		goto done;
	if (!(list = cJSON_AddArrayToObject(root, m->is_index ? "manifests" : "layers"))) {
		err = oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if ((err = descriptor_json(list, NULL, &items[i])))
			goto done;
	if (m->subject && (err = descriptor_json(root, "subject", m->subject)))
		goto done;
	if (m->n_annotations) {
		cJSON *a = annotations_json(m->annotations, m->n_annotations);

		if (!a || !cJSON_AddItemToObject(root, "annotations", a)) {
			cJSON_Delete(a);
			err = oom();
			goto done;
		}
	}
	err = hm_json_print(out, root);
done:
	cJSON_Delete(root);
	return err;
}
