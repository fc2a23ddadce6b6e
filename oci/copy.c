/* SPDX-License-Identifier: Apache-2.0 */
/* Copying an image and its attachments between stores (see copy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/array.h"
#include "core/error.h"
#include "oci/attach.h"
#include "oci/copy.h"
#include "oci/discover.h"
#include "oci/referrers.h"


static const char *const suffixes[] = {"sig", "att", "sbom"};

struct cp {
	hm_store *src, *dst;
	const hm_copy_opts *o;
	hm_copy_result *r;
	hm_strv done; /* manifest digests copied or found present */
};

static int has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

/* A layer's kind as discovery classifies it (hm_attach_classify), as a copy
 * kind; a bundle is both, since only its verified statement decides. */
static unsigned kind_of_layer(const char *artifact_type, const char *mt)
{
	switch (hm_attach_classify(artifact_type, mt)) {
	case HM_KIND_SIMPLESIGNING:
	case HM_KIND_NOTATION: return HM_ATT_SIGNATURES;
	case HM_KIND_DSSE: return HM_ATT_ATTESTATIONS;
	case HM_KIND_BUNDLE: return HM_ATT_SIGNATURES | HM_ATT_ATTESTATIONS;
	case HM_KIND_UNKNOWN:
	case HM_KIND_OTHER: break;
	}
	return 0;
}

/* What a type that discovery does not classify names: in-toto statements,
 * SBOMs. */
static unsigned kind_of_type(const char *t)
{
	if (!t)
		return 0;
	if (has(t, "in-toto"))
		return HM_ATT_ATTESTATIONS;
	if (has(t, "spdx") || has(t, "cyclonedx") || has(t, "sbom"))
		return HM_ATT_SBOMS;
	return 0;
}

unsigned hm_attachment_kind(const char *suffix, const hm_manifest *m)
{
	unsigned k = 0;

	if (suffix)
		return strcmp(suffix, "sig") == 0   ? HM_ATT_SIGNATURES
		       : strcmp(suffix, "att") == 0 ? HM_ATT_ATTESTATIONS
		       : strcmp(suffix, "sbom") == 0 ? HM_ATT_SBOMS
						     : HM_ATT_OTHER;
	if (!m)
		return HM_ATT_OTHER;
	k |= kind_of_layer(m->artifact_type, NULL) | kind_of_type(m->artifact_type);
	if (!m->is_index)
		k |= kind_of_type(m->config.media_type);
	for (size_t i = 0; i < m->n_layers; i++)
		k |= kind_of_layer(m->artifact_type, m->layers[i].media_type) | kind_of_type(m->layers[i].media_type);
	return k ? k : HM_ATT_OTHER;
}

int hm_attachment_kinds_parse(unsigned *out, const char *list)
{
	static const struct {
		const char *name;
		unsigned kind;
	} names[] = {{"signatures", HM_ATT_SIGNATURES},
		     {"attestations", HM_ATT_ATTESTATIONS},
		     {"sboms", HM_ATT_SBOMS},
		     {"other", HM_ATT_OTHER}};
	const char *p = list;

	*out = 0;
	while (p && *p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && strncmp(names[i].name, p, n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return hm_error_set(HM_E_USAGE, "unknown kind '%.*s' (signatures, attestations, sboms, other)",
					    (int)n, p);
		*out |= names[i].kind;
		p += n + (p[n] == ',');
	}
	if (!*out)
		return hm_error_set(HM_E_USAGE, "no kind of attachment named");
	return HM_OK;
}

static int add_item(struct cp *c, unsigned kind, const char *source, const char *digest, const char *subject,
		    int merged)
{
	hm_copy_result *r = c->r;
	hm_copy_item *it;

	if (hm_array_reserve(&r->items, r->n_items, &r->cap_items, sizeof(*r->items), 8))
		return HM_E_NOMEM;
	it = &r->items[r->n_items];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->merged = merged;
	snprintf(it->digest, sizeof(it->digest), "%s", digest);
	snprintf(it->subject, sizeof(it->subject), "%s", subject);
	if (!(it->source = strdup(source)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	r->n_items++;
	return HM_OK;
}

/* An anonymous temporary file in $TMPDIR (or /tmp): gone once closed. */
static int temp_file(FILE **out)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/hallmark-blob.XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return hm_error_set(HM_E_IO, "creating a temporary file in '%s': %s", dir && *dir ? dir : "/tmp",
				    strerror(errno));
	unlink(path);
	if (!(*out = fdopen(fd, "w+b"))) {
		close(fd);
		return hm_error_set(HM_E_IO, "creating a temporary file: %s", strerror(errno));
	}
	return HM_OK;
}

static int non_distributable(const char *mt)
{
	return has(mt, "foreign") || has(mt, "nondistributable");
}

static int copy_blob(struct cp *c, const hm_descriptor *d)
{
	FILE *f = NULL;
	int err = hm_store_blob_exists(c->dst, d->digest);

	if (err < 0)
		return err;
	if (err == 1) {
		c->r->blobs_present++;
		return HM_OK;
	}
	if ((err = temp_file(&f)))
		return err;
	err = hm_store_get_blob_file(c->src, d->digest, d->size, f);
	if (err == HM_E_NOTFOUND && non_distributable(d->media_type)) {
		hm_error_clear(); /* the manifest's URLs are where it lives */
		err = HM_OK;
		goto done;
	}
	if (err || (err = hm_store_put_blob_file(c->dst, d->digest, d->size, f)))
		goto done;
	c->r->blobs++;
	c->r->bytes += d->size;
done:
	fclose(f);
	return err;
}

static int copy_manifest(struct cp *c, const char *digest, const char *tag, int child, int depth,
			 hm_manifest **parsed);

/* The manifest digest of s, parsed. */
static int fetch_parsed(hm_manifest **out, hm_store *s, const char *digest)
{
	hm_buf body = HM_BUF_INIT;
	hm_desc d;
	int err;

	*out = NULL;
	if (!(err = hm_store_get_manifest(s, digest, &body, &d)))
		err = hm_manifest_parse(out, body.data, body.len, d.media_type);
	hm_buf_release(&body);
	return err;
}

static int copy_contents(struct cp *c, const hm_manifest *m, int depth)
{
	int err = HM_OK;

	if (m->is_index) {
		for (size_t i = 0; i < m->n_manifests && !err; i++)
			err = copy_manifest(c, m->manifests[i].digest, NULL, 1, depth + 1, NULL);
		return err;
	}
	if (m->config.digest && (err = copy_blob(c, &m->config)))
		return err;
	for (size_t i = 0; i < m->n_layers && !err; i++)
		err = copy_blob(c, &m->layers[i]);
	return err;
}

/* Copies the manifest digest and everything it names (not its subject).
 * child: listed by an index (a layout keeps it as a blob only).  parsed
 * (may be NULL) receives the parsed manifest. */
static int copy_manifest(struct cp *c, const char *digest, const char *tag, int child, int depth,
			 hm_manifest **parsed)
{
	hm_buf body = HM_BUF_INIT;
	hm_manifest *m = NULL;
	hm_desc d;
	int err, present;

	if (parsed)
		*parsed = NULL;
	if (depth > HM_COPY_MAX_DEPTH)
		return hm_error_set(HM_E_IO, "manifest %s: indexes nested more than %d deep", digest, HM_COPY_MAX_DEPTH);
	if ((err = hm_store_get_manifest(c->src, digest, &body, &d)) ||
	    (err = hm_manifest_parse(&m, body.data, body.len, d.media_type)))
		goto done;
	if (hm_strv_contains(&c->done, digest) && !tag)
		goto done;
	if (c->done.n >= HM_COPY_MAX_MANIFESTS) {
		err = hm_error_set(HM_E_IO, "more than %d manifests to copy", HM_COPY_MAX_MANIFESTS);
		goto done;
	}
	if ((err = hm_strv_push(&c->done, digest)))
		goto done;
	if (child && c->o->dst_layout)
		present = hm_store_blob_exists(c->dst, digest);
	else {
		hm_desc there;

		present = hm_store_resolve(c->dst, digest, &there);
		if (present == HM_E_NOTFOUND) {
			hm_error_clear();
			present = 0;
		} else if (present == HM_OK) {
			present = strcmp(there.digest, digest) == 0;
		}
	}
	if (present < 0) {
		err = present;
		goto done;
	}
	if (present && !tag) {
		c->r->manifests_present++;
		goto done;
	}
	if (!present && (err = copy_contents(c, m, depth)))
		goto done;
	if (child && c->o->dst_layout)
		err = hm_store_put_blob(c->dst, body.data, body.len, NULL);
	else
		err = hm_store_put_manifest(c->dst, tag, d.media_type, body.data, body.len, NULL);
	if (err)
		goto done;
	if (present)
		c->r->manifests_present++;
	else
		c->r->manifests++;
done:
	if (!err && parsed) {
		*parsed = m;
		m = NULL;
	}
	hm_manifest_free(m);
	hm_buf_release(&body);
	return err;
}

static int copy_attachments(struct cp *c, const char *subject, int depth);

/* The layers of src's tag manifest m added one by one to dst's tag. */
static int merge_tag(struct cp *c, const char *subject, const char *suffix, const hm_manifest *m)
{
	hm_buf blob = HM_BUF_INIT;
	int err = HM_OK;

	for (size_t i = 0; i < m->n_layers && !err; i++) {
		const hm_descriptor *l = &m->layers[i];
		cJSON *ann = NULL;
		int added;

		if (l->size < 0 || (uint64_t)l->size > HM_COPY_MAX_MERGE_BLOB) {
			err = hm_error_set(HM_E_IO, "layer %s is larger than the %u bytes merged into an existing tag",
					   l->digest, HM_COPY_MAX_MERGE_BLOB);
			break;
		}
		if ((err = hm_store_get_blob(c->src, l->digest, HM_COPY_MAX_MERGE_BLOB, &blob)))
			break;
		if (l->n_annotations && !(ann = cJSON_CreateObject()))
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		for (size_t j = 0; !err && j < l->n_annotations; j++)
			if (!cJSON_AddStringToObject(ann, l->annotations[j].key, l->annotations[j].value))
				err = hm_error_set(HM_E_NOMEM, "out of memory");
		if (!err)
			err = hm_attach_layer(c->dst, subject, suffix, l->media_type, blob.data, blob.len, ann, &added);
		cJSON_Delete(ann);
	}
	hm_buf_release(&blob);
	return err;
}

static int copy_tag(struct cp *c, const char *subject, const char *suffix, int depth)
{
	char *tag = hm_attach_tag(subject, suffix), source[128];
	hm_manifest *m = NULL;
	hm_desc s, d;
	unsigned kind = hm_attachment_kind(suffix, NULL);
	int err, merged = 0;

	if (!tag)
		return hm_error_set(HM_E_IO, "invalid digest '%s'", subject);
	if (!(c->o->attachments & kind)) {
		free(tag);
		return HM_OK;
	}
	snprintf(source, sizeof(source), "tag %s", tag);
	err = hm_store_resolve(c->src, tag, &s);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = HM_OK;
		goto done;
	}
	if (err)
		goto done;
	err = hm_store_resolve(c->dst, tag, &d);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = copy_manifest(c, s.digest, tag, 0, 0, &m);
	} else if (!err && strcmp(d.digest, s.digest) != 0) {
		hm_desc again;

		/* the destination has its own: add ours to it */
		if (!(err = fetch_parsed(&m, c->src, s.digest)) && !(err = merge_tag(c, subject, suffix, m)) &&
		    !(err = hm_store_resolve(c->dst, tag, &again)))
			snprintf(s.digest, sizeof(s.digest), "%s", again.digest);
		merged = 1;
	}
	if (err || (err = add_item(c, kind, source, s.digest, subject, merged)))
		goto done;
	err = copy_attachments(c, s.digest, depth + 1);
done:
	if (err)
		hm_error_wrap(err, "%s", source);
	hm_manifest_free(m);
	free(tag);
	return err;
}

static int copy_referrers(struct cp *c, const char *subject, int depth)
{
	hm_manifest *list = NULL, *m = NULL, *entry = NULL;
	int err = hm_referrers_list(&list, c->src, subject, NULL, NULL);

	for (size_t i = 0; !err && i < list->n_manifests; i++) {
		const hm_descriptor *e = &list->manifests[i];
		char source[HM_DIGEST_SIZE + 16];
		hm_desc d;
		unsigned kind;

		hm_manifest_free(m);
		hm_manifest_free(entry);
		m = entry = NULL;
		snprintf(source, sizeof(source), "referrer %s", e->digest);
		if ((err = fetch_parsed(&m, c->src, e->digest)))
			break;
		/* the list is the store's word; the manifest's subject is checked */
		if (!m->subject || strcmp(m->subject->digest, subject) != 0) {
			c->r->skipped++;
			continue;
		}
		kind = hm_attachment_kind(NULL, m);
		if (!(c->o->attachments & kind))
			continue;
		if ((err = copy_manifest(c, e->digest, NULL, 0, 0, NULL)))
			break;
		memset(&d, 0, sizeof(d));
		snprintf(d.media_type, sizeof(d.media_type), "%s", m->media_type);
		snprintf(d.digest, sizeof(d.digest), "%s", e->digest);
		d.size = e->size;
		if ((err = hm_manifest_new(&entry, HM_MT_OCI_INDEX)) || (err = hm_referrers_entry_add(entry, m, &d)) ||
		    (err = hm_referrers_register(c->dst, subject, &entry->manifests[0], NULL)) ||
		    (err = add_item(c, kind, source, e->digest, subject, 0)))
			break;
		err = copy_attachments(c, e->digest, depth + 1);
	}
	hm_manifest_free(entry);
	hm_manifest_free(m);
	hm_manifest_free(list);
	return err;
}

/* Attachments are read from the source's attachment store and written to
 * the destination's (hm_store_attachments: each image's own repository
 * unless an attachment repository was given). */
static int copy_attachments(struct cp *c, const char *subject, int depth)
{
	hm_store *src = c->src, *dst = c->dst;
	int err = HM_OK;

	if (!c->o->attachments || depth > HM_COPY_MAX_DEPTH)
		return HM_OK;
	c->src = hm_store_attachments(src);
	c->dst = hm_store_attachments(dst);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && !err; i++)
		err = copy_tag(c, subject, suffixes[i], depth);
	if (!err)
		err = copy_referrers(c, subject, depth);
	c->src = src;
	c->dst = dst;
	return err;
}

/* The attachments of the root and, for an index, of each manifest it lists. */
static int attachments_of_image(struct cp *c, const char *digest, int depth)
{
	hm_manifest *m = NULL;
	int err = copy_attachments(c, digest, 1);

	if (err || depth >= HM_COPY_MAX_DEPTH || (err = fetch_parsed(&m, c->src, digest)))
		goto done;
	for (size_t i = 0; m->is_index && i < m->n_manifests && !err; i++)
		err = attachments_of_image(c, m->manifests[i].digest, depth + 1);
done:
	hm_manifest_free(m);
	return err;
}

int hm_copy_image(hm_copy_result *out, hm_store *src, hm_store *dst, const hm_desc *root, const char *tag,
		  const hm_copy_opts *o)
{
	struct cp c = {src, dst, o, out, HM_STRV_INIT};
	int err;

	memset(out, 0, sizeof(*out));
	err = copy_manifest(&c, root->digest, tag, 0, 0, NULL);
	if (!err && o->attachments)
		err = attachments_of_image(&c, root->digest, 0);
	hm_strv_free(&c.done);
	return err;
}

void hm_copy_result_free(hm_copy_result *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		free(r->items[i].source);
	free(r->items);
	r->items = NULL;
	r->n_items = r->cap_items = 0;
}
