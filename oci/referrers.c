/* SPDX-License-Identifier: Apache-2.0 */
/* OCI 1.1 referrers: writing them to every store, and listing them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "core/error.h"
#include "oci/referrers.h"

/* A writer that has just written the referrers tag reads it again after
 * SETTLE_FACTOR times its own read-modify-write took, at least SETTLE_MS
 * and at most SETTLE_MAX_MS, plus jitter up to as much again; a missing
 * entry is written again after a backoff of BACKOFF_MS doubling per try
 * (plus jitter), at most BACKOFF_MAX_MS. */
#define SETTLE_MS 40
#define SETTLE_FACTOR 3
#define SETTLE_MAX_MS 2000
#define BACKOFF_MS 25
#define BACKOFF_MAX_MS 1000

char *hm_referrers_tag(const char *digest)
{
	const char *colon = digest ? strchr(digest, ':') : NULL;
	size_t alg, enc;
	char *t;

	if (!colon || !hm_digest_valid(digest))
		return NULL;
	alg = (size_t)(colon - digest);
	enc = strlen(colon + 1);
	alg = alg > 32 ? 32 : alg;
	enc = enc > 64 ? 64 : enc;
	if (!(t = malloc(alg + enc + 2)))
		return NULL;
	memcpy(t, digest, alg);
	t[alg] = '-';
	memcpy(t + alg + 1, colon + 1, enc);
	t[alg + 1 + enc] = '\0';
	/* valid digests only hold [a-z0-9], all allowed in tags: nothing to replace */
	return t;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ms plus a random share of up to ms more, so that writers that collided
 * once do not collide again in step. */
static unsigned jitter(unsigned ms)
{
	unsigned r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned)clock();
	return ms + (ms ? r % (ms + 1) : 0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void settle(long rmw_ms)
{
	long ms = rmw_ms * SETTLE_FACTOR;

	ms = ms < SETTLE_MS ? SETTLE_MS : ms > SETTLE_MAX_MS ? SETTLE_MAX_MS : ms;
	sleep_ms(jitter((unsigned)ms));
}

static void backoff(int writes)
{
	unsigned b = BACKOFF_MS << (writes > 6 ? 5 : writes - 1 < 0 ? 0 : writes - 1);

	sleep_ms(jitter(b > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b));
}

int hm_rmw_transient(int err, int *faults)
{
	if (err != HM_E_IO || ++*faults > HM_REFERRERS_TRIES)
		return 0;
	backoff(*faults);
	hm_error_clear();
	return 1;
}

void hm_rmw_begin(hm_rmw *r)
{
	r->start = now_ms();
}

int hm_rmw_after_read(hm_rmw *r, int present, const char *what)
{
	if (present) {
		if (!r->writes || ++r->seen >= HM_RMW_CONFIRMATIONS)
			return HM_RMW_DONE; /* there already, or ours has stayed */
		settle(r->rmw_ms);
		return HM_RMW_AGAIN;
	}
	r->seen = 0;
	if (r->writes >= HM_REFERRERS_TRIES)
		return hm_error_set(HM_E_IO, "updating %s: other writers replaced it %d times; try again", what,
				    r->writes);
	if (r->writes && !r->paused) {
		backoff(r->writes);
		r->paused = 1;
		return HM_RMW_AGAIN; /* read afresh after the pause */
	}
	r->paused = 0;
	return HM_RMW_WRITE;
}

void hm_rmw_wrote(hm_rmw *r)
{
	r->writes++;
	r->rmw_ms = now_ms() - r->start;
	settle(r->rmw_ms);
}

static int copy_entry(hm_manifest *index, const hm_descriptor *e)
{
	hm_descriptor *d;
	int err = hm_manifest_add(&d, index, e->media_type, e->digest, e->size);

	if (!err && e->artifact_type)
		err = hm_descriptor_set_artifact_type(d, e->artifact_type);
	for (size_t i = 0; !err && i < e->n_annotations; i++)
		err = hm_descriptor_annotate(d, e->annotations[i].key, e->annotations[i].value);
	return err;
}

static int index_has(const hm_manifest *index, const char *digest)
{
	for (size_t i = 0; i < index->n_manifests; i++)
		if (strcmp(index->manifests[i].digest, digest) == 0)
			return 1;
	return 0;
}

int hm_referrers_entry_add(hm_manifest *index, const hm_manifest *m, const hm_desc *d)
{
	const char *at = m->artifact_type ? m->artifact_type : !m->is_index ? m->config.media_type : NULL;
	hm_descriptor *e;
	int err = hm_manifest_add(&e, index, d->media_type, d->digest, d->size);

	if (!err && at && *at)
		err = hm_descriptor_set_artifact_type(e, at);
	for (size_t i = 0; !err && i < m->n_annotations; i++)
		err = hm_descriptor_annotate(e, m->annotations[i].key, m->annotations[i].value);
	return err;
}

/* The referrers tag index of s (an empty one when the tag is absent), with
 * duplicate digests dropped; read_digest gets the digest of what was read
 * ("" when absent).  HM_E_IO when the tag holds something else: that is not
 * ours to replace. */
static int load_tag_index(hm_manifest **out, hm_store *s, const char *tag, int *foreign,
			  char read_digest[HM_DIGEST_SIZE])
{
	hm_buf body = HM_BUF_INIT;
	hm_manifest *got = NULL;
	hm_desc d;
	int err;

	*out = NULL;
	*foreign = 0;
	read_digest[0] = '\0';
	err = hm_store_get_manifest(s, tag, &body, &d);
	if (!err)
		memcpy(read_digest, d.digest, HM_DIGEST_SIZE);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		err = hm_manifest_new(out, HM_MT_OCI_INDEX);
		goto done;
	}
	if (err)
		goto done;
	if (hm_manifest_parse(&got, body.data, body.len, d.media_type) != HM_OK || !got->is_index ||
	    strcmp(got->media_type, HM_MT_OCI_INDEX) != 0) {
		*foreign = 1;
		err = hm_error_set(HM_E_IO, "the referrers tag '%s' in '%s' holds something other than an image index; not replacing it",
				   tag, hm_store_name(s));
		goto done;
	}
	if ((err = hm_manifest_new(out, HM_MT_OCI_INDEX)))
		goto done;
	for (size_t i = 0; i < got->n_manifests && !err; i++)
		if (!index_has(*out, got->manifests[i].digest))
			err = copy_entry(*out, &got->manifests[i]);
	for (size_t i = 0; i < got->n_annotations && !err; i++)
		err = hm_manifest_annotate(*out, got->annotations[i].key, got->annotations[i].value);
done:
	if (err) {
		hm_manifest_free(*out);
		*out = NULL;
	}
	hm_manifest_free(got);
	hm_buf_release(&body);
	return err;
}

/* Read-modify-write of the referrers tag until the entry has been seen
 * HM_RMW_CONFIRMATIONS times after our last write (see referrers.h). */
int hm_rmw_before_write(hm_rmw *r, hm_store *s, const char *tag, const char *read_digest)
{
	hm_desc now;
	int err = hm_store_resolve(s, tag, &now), same;

	if (err == HM_E_NOTFOUND)
		hm_error_clear();
	same = err == HM_E_NOTFOUND ? read_digest[0] == '\0' : !err && strcmp(now.digest, read_digest) == 0;
	/* a registry that keeps changing (or failing) under us: write anyway,
	 * the read-back after the write still checks */
	return same || r->stale++ >= HM_REFERRERS_TRIES * 4;
}

static int tag_add(hm_store *s, const char *subject, const hm_descriptor *entry)
{
	char *tag = hm_referrers_tag(subject), read_digest[HM_DIGEST_SIZE], what[300];
	hm_manifest *index = NULL;
	hm_buf out = HM_BUF_INIT;
	hm_rmw r = HM_RMW_INIT;
	int err = HM_OK, foreign, step;

	if (!tag)
		return hm_error_set(HM_E_USAGE, "invalid subject digest '%.200s'", subject ? subject : "");
	snprintf(what, sizeof(what), "the referrers tag '%s' in '%.200s'", tag, hm_store_name(s));
	for (;;) {
		hm_rmw_begin(&r);
		hm_manifest_free(index);
		if ((err = load_tag_index(&index, s, tag, &foreign, read_digest))) {
			if (!foreign && hm_rmw_transient(err, &r.faults))
				continue;
			goto done;
		}
		if ((err = step = hm_rmw_after_read(&r, index_has(index, entry->digest), what)) <= HM_RMW_DONE)
			goto done;
		if (step == HM_RMW_AGAIN)
			continue;
		if (index->n_manifests >= HM_MAX_REFERRERS) {
			err = hm_error_set(HM_E_IO, "%s already lists %d manifests", what, HM_MAX_REFERRERS);
			goto done;
		}
		hm_buf_reset(&out);
		if ((err = copy_entry(index, entry)) || (err = hm_manifest_serialize(&out, index)))
			goto done;
		if (out.len > HM_MAX_REFERRERS_BYTES) {
			err = hm_error_set(HM_E_IO, "%s would exceed %u bytes", what, HM_MAX_REFERRERS_BYTES);
			goto done;
		}
		if (!hm_rmw_before_write(&r, s, tag, read_digest))
			continue; /* someone wrote since our read: read again */
		if ((err = hm_store_put_manifest(s, tag, HM_MT_OCI_INDEX, out.data, out.len, NULL))) {
			if (hm_rmw_transient(err, &r.faults))
				continue;
			goto done;
		}
		hm_rmw_wrote(&r);
	}
done:
	if (err)
		hm_error_wrap(err, "referrers of %s", subject);
	hm_manifest_free(index);
	hm_buf_release(&out);
	free(tag);
	return err;
}

/* 1 when the store answers the referrers API for subject, 0 when it does
 * not (404), <0 on error.  The artifact type filter keeps the answer small
 * on registries that apply it. */
static int has_api(hm_store *s, const char *subject, const char *artifact_type)
{
	hm_buf idx = HM_BUF_INIT;
	int err = hm_store_referrers(s, subject, artifact_type, &idx);

	hm_buf_release(&idx);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		return 0;
	}
	return err ? err : 1;
}

int hm_referrers_register(hm_store *s, const char *subject, const hm_descriptor *entry, int *via_tag)
{
	int api;

	s = hm_store_attachments(s);
	api = has_api(s, subject, entry->artifact_type);

	if (via_tag)
		*via_tag = 0;
	if (api < 0)
		return api;
	if (api)
		return HM_OK;
	if (via_tag)
		*via_tag = 1;
	return tag_add(s, subject, entry);
}

int hm_referrers_put(hm_desc *out, hm_store *s, const char *media_type, const void *data, size_t len)
{
	hm_manifest *m = NULL, *one = NULL;
	hm_desc d;
	int err;

	s = hm_store_attachments(s);
	if ((err = hm_manifest_parse(&m, data, len, media_type)))
		return err;
	if (!m->subject) {
		err = hm_error_set(HM_E_USAGE, "a referrer needs a subject");
		goto done;
	}
	if ((err = hm_store_put_manifest(s, NULL, m->media_type, data, len, &d)) ||
	    (err = hm_manifest_new(&one, HM_MT_OCI_INDEX)) || (err = hm_referrers_entry_add(one, m, &d)) ||
	    (err = hm_referrers_register(s, m->subject->digest, &one->manifests[0], NULL)))
		goto done;
	if (out)
		*out = d;
done:
	hm_manifest_free(one);
	hm_manifest_free(m);
	return err;
}

int hm_referrers_write(hm_desc *out, hm_store *s, const hm_referrer_spec *spec)
{
	hm_manifest *m = NULL;
	hm_buf body = HM_BUF_INIT;
	const cJSON *a;
	int err;

	if ((err = hm_manifest_new(&m, HM_MT_OCI_MANIFEST)) ||
	    (err = hm_manifest_set_config(m, spec->config.media_type, spec->config.digest, spec->config.size)) ||
	    (err = hm_manifest_set_subject(m, spec->subject.media_type, spec->subject.digest, spec->subject.size)) ||
	    (spec->artifact_type && (err = hm_manifest_set_artifact_type(m, spec->artifact_type))))
		goto done;
	for (size_t i = 0; i < spec->n_layers && !err; i++)
		err = copy_entry(m, &spec->layers[i]);
	cJSON_ArrayForEach(a, spec->annotations) {
		if (!err && cJSON_IsString(a))
			err = hm_manifest_annotate(m, a->string, a->valuestring);
	}
	if (err || (err = hm_manifest_serialize(&body, m)))
		goto done;
	err = hm_referrers_put(out, s, HM_MT_OCI_MANIFEST, body.data, body.len);
done:
	hm_manifest_free(m);
	hm_buf_release(&body);
	return err;
}

int hm_referrers_list(hm_manifest **out, hm_store *s, const char *digest, const char *artifact_type,
		      enum hm_referrers_source *source)
{
	hm_buf body = HM_BUF_INIT;
	hm_manifest *got = NULL;
	char *tag = NULL;
	hm_desc d;
	int err;

	*out = NULL;
	s = hm_store_attachments(s);
	if (source)
		*source = HM_REFERRERS_API;
	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_USAGE, "invalid digest '%.200s'", digest ? digest : "");
	if ((err = hm_manifest_new(out, HM_MT_OCI_INDEX)))
		return err;
	err = hm_store_referrers(s, digest, artifact_type, &body);
	if (err == HM_E_NOTFOUND) {
		hm_error_clear();
		if (source)
			*source = HM_REFERRERS_TAG;
		if (!(tag = hm_referrers_tag(digest))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
		err = hm_store_get_manifest(s, tag, &body, &d);
		if (err == HM_E_NOTFOUND) {
			hm_error_clear();
			err = HM_OK;
			goto done;
		}
	}
	if (err)
		goto done;
	if (body.len > HM_MAX_REFERRERS_BYTES) {
		err = hm_error_set(HM_E_LIMIT, "the referrers list is larger than %u bytes", HM_MAX_REFERRERS_BYTES);
		goto done;
	}
	if (hm_manifest_parse(&got, body.data, body.len, HM_MT_OCI_INDEX) != HM_OK || !got->is_index) {
		if (!tag) {
			err = hm_error_set(HM_E_IO, "the referrers API answered something other than an image index");
			goto done;
		}
		hm_error_clear(); /* a tag that is not a referrers index: no referrers */
		goto done;
	}
	for (size_t i = 0; i < got->n_manifests && !err; i++) {
		const hm_descriptor *e = &got->manifests[i];

		if (!hm_manifest_media_type_known(e->media_type) || index_has(*out, e->digest) ||
		    (artifact_type && (!e->artifact_type || strcmp(e->artifact_type, artifact_type) != 0)))
			continue;
		if ((*out)->n_manifests >= HM_MAX_REFERRERS) {
			err = hm_error_set(HM_E_LIMIT, "more than %d referrers (the cap)", HM_MAX_REFERRERS);
			break;
		}
		err = copy_entry(*out, e);
	}
done:
	if (err) {
		hm_error_wrap(err, "referrers of %s in '%s'", digest, hm_store_name(s));
		hm_manifest_free(*out);
		*out = NULL;
	}
	hm_manifest_free(got);
	hm_buf_release(&body);
	free(tag);
	return err;
}
