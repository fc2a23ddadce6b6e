/* SPDX-License-Identifier: Apache-2.0 */
/* Running an audit: list the tags, resolve them, check every distinct
 * digest once, then compute the findings.
 *
 * The two I/O passes run on a pool of threads, each with a store of its own
 * (opened on first use, kept for the second pass so connections are
 * reused).  Items are handed out by an index under one mutex; results go
 * to slots that belong to one item, so the only shared state is that index
 * and the progress count.  Dedup by digest happens between the passes, on
 * the calling thread, which is what makes "each digest verified once" hold
 * without a cache that threads would wait on. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "audit/audit.h"
#include "core/error.h"
#include "oci/discover.h"
#include "core/json.h"
#include "sign/sign.h"
#include "verify/verify.h"

#define SLSA_V1 "https://slsa.dev/provenance/v1"

typedef struct pool pool;
typedef int (*work_fn)(pool *p, hm_store *s, size_t i);

struct pool {
	pthread_mutex_t lock;
	size_t next, done, total;
	int fatal;         /* an allocation failed: stop handing out work */
	const char *phase;
	work_fn work;
	hm_store **stores; /* one per worker */
	const hm_ref *repo;
	const hm_audit_opts *o;
	hm_audit_report *r;
	char (*digests)[HM_DIGEST_SIZE]; /* per tag, between the passes */
	char **media_types;              /* per tag, between the passes */
	/* every tag of the repository holding the attachments, sorted: the
	 * stores' hint (hm_store_set_known_tags) when known is set */
	hm_strv tags;
	int known;
};

typedef struct worker {
	pool *p;
	size_t id;
} worker;

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* --- pass 1: tag -> digest --- */

static int resolve_one(pool *p, hm_store *s, size_t i)
{
	hm_audit_tag *t = &p->r->tags[i];
	hm_desc d;
	int err = s ? hm_store_resolve(s, t->tag, &d) : HM_E_IO;

	if (err == HM_E_NOMEM)
		return err;
	if (err) {
		if (!(t->error = strdup(hm_error_message())))
			return HM_E_NOMEM;
		return HM_OK;
	}
	memcpy(p->digests[i], d.digest, sizeof(d.digest));
	if (!(p->media_types[i] = strdup(d.media_type)))
		return HM_E_NOMEM;
	return HM_OK;
}

/* --- pass 2: one digest --- */

static int platforms_read(hm_audit_image *img, hm_store *s)
{
	hm_buf body;
	hm_desc d;
	cJSON *j = NULL, *m, *list;
	int err;

	hm_buf_init(&body, HM_MAX_MANIFEST);
	err = hm_store_get_manifest(s, img->digest, &body, &d);
	if (!err && !(j = hm_json_parse(body.data, body.len, img->digest)))
		err = HM_E_IO;
	list = err ? NULL : cJSON_GetObjectItemCaseSensitive(j, "manifests");
	cJSON_ArrayForEach(m, list)
	{
		const cJSON *pl = cJSON_GetObjectItemCaseSensitive(m, "platform");
		const char *os = hm_json_str(pl, "os"), *arch = hm_json_str(pl, "architecture");
		const char *var = hm_json_str(pl, "variant");
		char name[256];

		/* buildkit's attestation manifests say "unknown/unknown" */
		if (!os || !arch || strcmp(os, "unknown") == 0)
			continue;
		snprintf(name, sizeof(name), "%s/%s%s%s", os, arch, var ? "/" : "", var ? var : "");
		if (!hm_strv_contains(&img->platforms, name) && (err = hm_strv_push(&img->platforms, name)))
			break;
	}
	cJSON_Delete(j);
	hm_buf_release(&body);
	return err;
}

/* "reason (source)": an audit shows where a refused attachment was found. */
static char *reason_at(const char *reason, const char *source)
{
	char *out;

	if (!reason)
		return NULL;
	if (!source)
		return xstrdup(reason);
	return asprintf(&out, "%s (%s)", reason, source) < 0 ? NULL : out;
}

static int sigs_keep(hm_audit_image *img, const hm_verify_result *v)
{
	img->sigs = v->n_sigs ? calloc(v->n_sigs, sizeof(*img->sigs)) : NULL;
	if (v->n_sigs && !img->sigs)
		return HM_E_NOMEM;
	for (size_t i = 0; i < v->n_sigs; i++) {
		const hm_sig_result *g = &v->sigs[i];
		hm_audit_sig *k = &img->sigs[i];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(g->payload, "critical"), "identity");
		const char *ref = hm_json_str(id, "docker-reference");

		img->n_sigs = i + 1;
		k->valid = g->valid;
		k->key_index = g->key_index;
		k->unknown_key = !g->valid && g->tried_keys && g->key_index < 0;
		k->identity = xstrdup(ref);
		k->reason = reason_at(g->reason, g->source);
		k->signer = g->notation ? xstrdup(g->notation->subject) : NULL;
		if ((ref && !k->identity) || (g->reason && !k->reason) ||
		    (g->notation && g->notation->subject && !k->signer))
			return HM_E_NOMEM;
		if (g->valid && g->signer.kind == HM_AUTH_KEYLESS) {
			const char *sha = g->signer.cert.claims[13];

			k->signer = xstrdup(g->signer.identity ? g->signer.identity : "?");
			k->issuer = xstrdup(g->signer.cert.issuer ? g->signer.cert.issuer : "?");
			k->source_commit = xstrdup(sha);
			if (!k->signer || !k->issuer || (sha && !k->source_commit))
				return HM_E_NOMEM;
		}
	}
	img->n_valid_sigs = v->n_valid;
	return HM_OK;
}

static int atts_keep(hm_audit_image *img, const hm_att_results *v)
{
	const cJSON *prov = NULL;

	img->atts = v->n ? calloc(v->n, sizeof(*img->atts)) : NULL;
	if (v->n && !img->atts)
		return HM_E_NOMEM;
	for (size_t i = 0; i < v->n; i++) {
		const hm_att_result *a = &v->v[i];
		hm_audit_att *k = &img->atts[i];

		img->n_atts = i + 1;
		k->valid = a->valid;
		k->key_index = a->key_index;
		k->predicate_type = xstrdup(a->predicate_type);
		k->reason = reason_at(a->reason, a->source);
		if ((a->predicate_type && !k->predicate_type) || (a->reason && !k->reason))
			return HM_E_NOMEM;
		if (a->valid && a->statement && !prov && a->predicate_type &&
		    strcmp(a->predicate_type, SLSA_V1) == 0)
			prov = a->statement;
	}
	img->n_valid_atts = v->n_valid;
	return prov ? hm_audit_provenance_read(&img->prov, prov) : HM_OK;
}

static int decide(pool *p, hm_store *s, hm_audit_image *img)
{
	hm_audit_decision d = HM_AUDIT_DECISION_INIT;
	char *image = NULL;
	int err;

	if (asprintf(&image, "%s@%s", p->r->repository, img->digest) < 0)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	err = p->o->decide(p->o->decide_ctx, s, image, &d);
	if (err)
		hm_audit_decision_release(&d);
	else
		img->decision = d; /* moved */
	free(image);
	return err;
}

static int check_one(pool *p, hm_store *s, size_t i)
{
	hm_audit_image *img = &p->r->images[i];
	const hm_audit_opts *o = p->o;
	hm_verify_opts vo = {.keys = o->keys, .n_keys = o->n_keys, .notation = o->notation,
			     .n_notation = o->n_notation, .repository = p->r->repository,
			     .identities = o->identities, .n_identities = o->n_identities};
	hm_attached_list found = {0};
	hm_verify_result vr;
	hm_att_results ar;
	int err = s ? HM_OK : HM_E_IO;

	if (!err && (strcmp(img->media_type, HM_MT_OCI_INDEX) == 0 ||
		     strcmp(img->media_type, HM_MT_DOCKER_LIST) == 0))
		err = platforms_read(img, s);
	/* one discovery for both the signatures and the attestations */
	if (!err && (err = hm_discover(&found, s, img->digest)))
		err = hm_error_wrap(err, "finding what is attached to %s", img->digest);
	if (!err && !(err = hm_verify_signatures_in(&vr, s, &found, img->digest, &vo))) {
		err = sigs_keep(img, &vr);
		hm_verify_result_free(&vr);
	}
	if (!err && !(err = hm_attest_verify_who(&ar, s, &found, img->digest, o->keys, o->n_keys,
								o->identities, o->n_identities, NULL))) {
		err = atts_keep(img, &ar);
		hm_att_results_free(&ar);
	}
	hm_attached_list_free(&found);
	if (!err && o->decide)
		err = decide(p, s, img);
	if (err == HM_E_NOMEM)
		return err;
	if (err && !(img->error = strdup(hm_error_message())))
		return HM_E_NOMEM;
	return HM_OK;
}

/* --- the pool --- */

static void *work_loop(void *arg)
{
	worker *w = arg;
	pool *p = w->p;

	for (;;) {
		size_t i;
		int err;

		pthread_mutex_lock(&p->lock);
		if (p->fatal || p->next >= p->total) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		/* a store that failed to open is retried for the next item; its
		 * error is the one recorded for this item */
		if (!p->stores[w->id])
			hm_store_open(&p->stores[w->id], p->repo, p->o->store, 0);
		/* the .sig, .att and referrers tags the listing did not show are
		 * not asked for */
		if (p->stores[w->id] && p->known)
			hm_store_set_known_tags(hm_store_attachments(p->stores[w->id]),
						(const char *const *)p->tags.v, p->tags.n);
		err = p->work(p, p->stores[w->id], i);
		pthread_mutex_lock(&p->lock);
		p->done++;
		if (err)
			p->fatal = 1;
		if (p->o->progress)
			p->o->progress(p->o->progress_ctx, p->phase, p->done, p->total);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

static int pool_run(pool *p, const char *phase, work_fn work, size_t total, size_t jobs)
{
	pthread_t th[64];
	worker w[64];
	size_t started = 0;

	p->phase = phase;
	p->work = work;
	p->next = p->done = 0;
	p->total = total;
	if (jobs > total)
		jobs = total ? total : 1;
	for (size_t i = 0; i < jobs; i++) {
		w[i].p = p;
		w[i].id = i;
		if (jobs > 1 && pthread_create(&th[i], NULL, work_loop, &w[i]) == 0)
			started++;
	}
	if (started == 0)
		work_loop(&w[0]); /* one job, or no thread could be made */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return p->fatal ? hm_error_set(HM_E_NOMEM, "out of memory") : HM_OK;
}

/* --- putting it together --- */

static int by_tag(const void *a, const void *b)
{
	return hm_audit_tag_compare(((const hm_audit_tag *)a)->tag, ((const hm_audit_tag *)b)->tag);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tags of the repository holding the attachments, sorted, into
 * p->tags: all when it is the image's (all is that listing), else listed
 * here.  Without them (that listing failed) discovery just asks. */
static int known_tags(pool *p, hm_store *s, const hm_strv *all)
{
	hm_store *as = hm_store_attachments(s);
	int err = HM_OK;

	if (as != s) {
		if (hm_store_list_tags(as, &p->tags)) {
			hm_error_clear();
			hm_strv_free(&p->tags);
			return HM_OK;
		}
	} else {
		for (size_t i = 0; i < all->n && !err; i++)
			err = hm_strv_push(&p->tags, all->v[i]);
		if (err)
			return err;
	}
	if (p->tags.n)
		qsort(p->tags.v, p->tags.n, sizeof(*p->tags.v), str_cmp);
	p->known = 1;
	return HM_OK;
}

static int list_tags(pool *p, hm_audit_report *r, hm_store *s, const hm_audit_opts *o)
{
	hm_strv all = HM_STRV_INIT;
	int err = hm_store_list_tags(s, &all);

	if (err)
		goto done; /* the store's message names the repository */
	if ((err = known_tags(p, s, &all)))
		goto done;
	r->tags = calloc(all.n ? all.n : 1, sizeof(*r->tags));
	if (!r->tags) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < all.n; i++) {
		if (!hm_audit_tag_selected(all.v[i], o->tag_patterns, o->n_tag_patterns))
			continue;
		r->tags[r->n_tags++].tag = all.v[i];
		all.v[i] = NULL; /* moved */
	}
	qsort(r->tags, r->n_tags, sizeof(*r->tags), by_tag);
done:
	hm_strv_free(&all);
	return err;
}

static int by_digest(const void *a, const void *b, void *ctx)
{
	char (*d)[HM_DIGEST_SIZE] = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(d[x], d[y]);

	return c ? c : (x > y) - (x < y);
}

/* Makes one image per distinct digest and points the tags at them. */
static int group_by_digest(pool *p, size_t **sharing)
{
	hm_audit_report *r = p->r;
	size_t *idx = calloc(r->n_tags ? r->n_tags : 1, sizeof(*idx)), n = 0;
	int err = HM_OK;

	r->images = calloc(r->n_tags ? r->n_tags : 1, sizeof(*r->images));
	*sharing = calloc(r->n_tags ? r->n_tags : 1, sizeof(**sharing));
	if (!idx || !r->images || !*sharing) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < r->n_tags; i++)
		if (!r->tags[i].error)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), by_digest, p->digests);
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];

		if (k == 0 || strcmp(p->digests[i], p->digests[idx[k - 1]]) != 0) {
			hm_audit_image *img = &r->images[r->n_images++];

			memcpy(img->digest, p->digests[i], HM_DIGEST_SIZE);
			img->media_type = p->media_types[i];
			p->media_types[i] = NULL;
			img->decision.allowed = -1;
			img->prov.dirty = -1;
		}
		r->tags[i].image = r->n_images - 1;
		(*sharing)[r->n_images - 1]++;
	}
	/* as many images as digests, not as tags */
	if (!err && r->n_images) {
		hm_audit_image *v = realloc(r->images, r->n_images * sizeof(*v));

		r->images = v ? v : r->images;
	}
done:
	free(idx);
	return err;
}

/* Whether the patterns select a git tag as itself or as its twin: with
 * --tags '1.*', git tag "v1.2.0" is expected to have an image. */
static int git_selected(const char *name, const hm_audit_opts *o)
{
	char twin[512];

	if (hm_audit_tag_selected(name, o->tag_patterns, o->n_tag_patterns))
		return 1;
	if (name[0] == 'v')
		return hm_audit_tag_selected(name + 1, o->tag_patterns, o->n_tag_patterns);
	snprintf(twin, sizeof(twin), "v%s", name);
	return hm_audit_tag_selected(twin, o->tag_patterns, o->n_tag_patterns);
}

/* Pairs tags with git tags, computes every finding, and lists the release
 * tags of git that no audited registry tag pairs with. */
static int conclude(hm_audit_report *r, const hm_git_tags *git, int with_git, const size_t *sharing,
		    const char *identity, const hm_audit_opts *o)
{
	int err = HM_OK;

	for (size_t i = 0; i < r->n_tags && !err; i++) {
		hm_audit_tag *t = &r->tags[i];
		const hm_git_tag_entry *g = with_git ? hm_audit_git_find(git, t->tag) : NULL;

		t->git = with_git ? HM_AUDIT_GIT_NO_TAG : HM_AUDIT_GIT_OFF;
		if (g) {
			t->git = HM_AUDIT_GIT_UNKNOWN;
			if (!(t->git_tag = strdup(g->name)))
				err = hm_error_set(HM_E_NOMEM, "out of memory");
			memcpy(t->git_commit, g->commit, sizeof(t->git_commit));
		}
		if (!err && !t->error && !r->images[t->image].error)
			err = hm_audit_tag_findings(t, &r->images[t->image], sharing[t->image], identity);
	}
	for (size_t k = 0; with_git && k < git->n && !err; k++) {
		const char *name = git->v[k].name;
		int paired = 0;

		if (!hm_audit_is_release(name) || !hm_audit_tag_selected(name, NULL, 0))
			continue;
		/* with --tags, only git tags the patterns select (as themselves
		 * or as their "v"-less twin) are expected to have an image */
		if (!git_selected(name, o))
			continue;
		for (size_t i = 0; i < r->n_tags && !paired; i++)
			paired = hm_audit_tags_pair(r->tags[i].tag, name);
		if (!paired)
			err = hm_audit_finding_add(&r->findings, HM_AUDIT_NO_IMAGE, HM_AUDIT_WARNING,
						   "git tag '%s' (%.12s) has no image in the repository", name,
						   git->v[k].commit);
	}
	return err;
}

int hm_audit_run(hm_audit_report *out, const hm_ref *repo, const hm_audit_opts *o)
{
	pool p;
	hm_git_tags git = {NULL, 0};
	hm_store *list = NULL;
	size_t jobs = o->jobs ? o->jobs : 8, *sharing = NULL;
	char *identity = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (jobs > 64)
		jobs = 64;
	if (o->git_dir && (err = hm_git_tags_read(&git, o->git_dir)))
		return err;
	err = hm_store_open(&list, repo, o->store, 0);
	if (err)
		goto done;
	if (!(out->repository = strdup(hm_store_name(list))) || !(identity = hm_sign_identity(repo))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	pthread_mutex_init(&p.lock, NULL);
	if ((err = list_tags(&p, out, list, o)))
		goto pool_done;
	p.repo = repo;
	p.o = o;
	p.r = out;
	p.stores = calloc(jobs, sizeof(*p.stores));
	p.digests = calloc(out->n_tags ? out->n_tags : 1, sizeof(*p.digests));
	p.media_types = calloc(out->n_tags ? out->n_tags : 1, sizeof(*p.media_types));
	if (!p.stores || !p.digests || !p.media_types) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto pool_done;
	}
	p.stores[0] = list; /* the listing's connection serves the first worker */
	list = NULL;
	err = pool_run(&p, "resolving", resolve_one, out->n_tags, jobs);
	if (!err)
		err = group_by_digest(&p, &sharing);
	free(p.digests);
	p.digests = NULL;
	if (!err)
		err = pool_run(&p, "checking", check_one, out->n_images, jobs);
	if (!err)
		err = conclude(out, &git, o->git_dir != NULL, sharing, identity, o);
	if (!err)
		hm_audit_summarize(out);
pool_done:
	for (size_t i = 0; p.stores && i < jobs; i++)
		hm_store_free(p.stores[i]);
	for (size_t i = 0; p.media_types && i < out->n_tags; i++)
		free(p.media_types[i]);
	free(p.media_types);
	free(p.digests);
	free(p.stores);
	hm_strv_free(&p.tags);
	pthread_mutex_destroy(&p.lock);
done:
	hm_store_free(list);
	hm_git_tags_free(&git);
	free(identity);
	free(sharing);
	if (err)
		hm_audit_report_free(out);
	return err;
}

void hm_audit_report_free(hm_audit_report *r)
{
	for (size_t i = 0; i < r->n_tags; i++) {
		free(r->tags[i].tag);
		free(r->tags[i].git_tag);
		free(r->tags[i].error);
		hm_audit_findings_release(&r->tags[i].findings);
	}
	for (size_t i = 0; i < r->n_images; i++) {
		hm_audit_image *img = &r->images[i];

		for (size_t k = 0; k < img->n_sigs; k++) {
			free(img->sigs[k].identity);
			free(img->sigs[k].reason);
			free(img->sigs[k].signer);
			free(img->sigs[k].issuer);
			free(img->sigs[k].source_commit);
		}
		for (size_t k = 0; k < img->n_atts; k++) {
			free(img->atts[k].predicate_type);
			free(img->atts[k].reason);
		}
		free(img->sigs);
		free(img->atts);
		free(img->media_type);
		hm_audit_decision_release(&img->decision);
		free(img->error);
		hm_strv_free(&img->platforms);
		hm_audit_provenance_release(&img->prov);
	}
	free(r->tags);
	free(r->images);
	free(r->repository);
	hm_audit_findings_release(&r->findings);
	memset(r, 0, sizeof(*r));
}
