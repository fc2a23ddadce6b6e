/* SPDX-License-Identifier: Apache-2.0 */
/* Evaluation: rule matching, requirements, explanations, the per-run cache
 * and the worker threads.  See policy/eval.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/statement.h"
#include "attest/vsa.h"
#include "core/array.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pool.h"
#include "oci/ref.h"
#include "policy/eval.h"

/* A check list under construction. */
typedef struct checks {
	hm_check *v;
	size_t n, cap;
	int nomem;
} checks;

static void add_check(checks *c, const char *what, int met, hm_buf *detail)
{
	char *w = strdup(what), *d = hm_buf_detach(detail, NULL);

	if (hm_array_reserve(&c->v, c->n, &c->cap, sizeof(*c->v), 8)) {
		c->nomem = 1;
		free(w);
		free(d);
		return;
	}
	if (!w || !d)
		c->nomem = 1;
	c->v[c->n++] = (hm_check){w, met, d};
}

static void free_checks(hm_check *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].what);
		free(v[i].detail);
	}
	free(v);
}

/* ---- work units ---- */

/* A tag to resolve: one per distinct (repository, tag). */
typedef struct res_unit {
	const hm_ref *ref;  /* of the first image naming it (borrowed) */
	char *name;
	char digest[HM_DIGEST_SIZE];
	int err;
	char *msg;
	void *session; /* kept open for the verification of the digest, or NULL */
} res_unit;

/* A verification: one per distinct (repository, digest, rule). */
typedef struct ver_unit {
	const hm_ref *ref;
	char *name;
	const char *digest; /* borrowed from the image or its resolution */
	int rule;
	checks out;
	hm_evidence *ev;    /* what the met requirements rest on */
	size_t n_ev, cap_ev;
	int err;
	char *msg;
	void *session; /* handed over by a resolution of the same repository, or NULL */
} ver_unit;

/* Records a blob that counted towards a met requirement, once. */
static void add_evidence(ver_unit *u, const char *source, const char *digest)
{
	if (!hm_digest_valid(digest))
		return; /* (every backend names the blob it verified; a test double may not) */
	for (size_t i = 0; i < u->n_ev; i++)
		if (!strcmp(u->ev[i].digest, digest))
			return;
	if (hm_array_reserve(&u->ev, u->n_ev, &u->cap_ev, sizeof(*u->ev), 4)) {
		u->out.nomem = 1;
		return;
	}
	memset(&u->ev[u->n_ev], 0, sizeof(*u->ev));
	snprintf(u->ev[u->n_ev].digest, sizeof(u->ev[u->n_ev].digest), "%s", digest);
	if (!(u->ev[u->n_ev].source = strdup(source ? source : "")))
		u->out.nomem = 1;
	u->n_ev++;
}

static void free_evidence(hm_evidence *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].source);
	free(v);
}

typedef struct image {
	hm_ref ref;
	char *ignored_tag; /* the tag written beside a digest, which nothing checks */
	int parsed;
	char *name;
	int rule;
	res_unit *res;
	ver_unit *ver;
} image;

typedef struct run {
	const hm_policy *p;
	const hm_policy_backend *b;
	time_t now;
	res_unit *res;
	size_t n_res;
	ver_unit *ver;
	size_t n_ver;
	int keep_sessions; /* resolutions keep their session open for the verification */
	const hm_eval_cache *cache;
	hm_pool *pool;     /* shared threads, or NULL */
	int cache_only;    /* see hm_eval_opts */
	atomic_int missed; /* cache_only: a lookup found nothing kept */
	atomic_size_t next; /* next unit to take, shared by the workers */
	int (*work)(struct run *r, size_t i);
} run;

static void *worker(void *arg)
{
	run *r = arg;

	while (r->work(r, atomic_fetch_add(&r->next, 1)) >= 0)
		;
	return NULL;
}

static void pool_worker(void *arg)
{
	worker(arg);
}

/* Runs work(r, i) for i = 0.. until it returns < 0, on up to jobs threads:
 * the caller's and the pool's, or threads of its own without a pool. */
static void run_parallel(run *r, unsigned jobs, size_t n, int (*work)(run *, size_t))
{
	pthread_t t[64];
	unsigned k, started = 0;

	if (!n)
		return;
	atomic_store(&r->next, 0);
	r->work = work;
	if (jobs > 64)
		jobs = 64;
	if (jobs > n)
		jobs = (unsigned)n;
	if (r->cache_only)
		jobs = 1;
	if (r->pool) {
		hm_pool_fan(r->pool, pool_worker, r, jobs - 1);
		return;
	}
	for (k = 1; k < jobs; k++)
		if (pthread_create(&t[started], NULL, worker, r) == 0)
			started++;
	worker(r);
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
}

static char *dup_msg(void)
{
	return strdup(hm_error_message()[0] ? hm_error_message() : "unknown error");
}

static int do_resolve(run *r, size_t i)
{
	res_unit *u;
	void *s = NULL;

	if (i >= r->n_res)
		return -1;
	u = &r->res[i];
	hm_error_clear();
	if (r->cache && (u->err = r->cache->tag_get(r->cache->ctx, u->name, u->ref->tag, u->digest))) {
		if (u->err == HM_EVAL_CACHE_MISS)
			atomic_store(&r->missed, 1);
		if (u->err < 0)
			u->msg = dup_msg();
		else
			u->err = HM_OK;
		return 0;
	}
	u->err = r->b->open(&s, r->b->ctx, u->ref);
	if (u->err == HM_OK)
		u->err = r->b->resolve(s, u->ref->tag, u->digest);
	if (u->err < 0)
		u->msg = dup_msg();
	if (r->cache)
		r->cache->tag_put(r->cache->ctx, u->name, u->ref->tag, u->err < 0 ? NULL : u->digest);
	if (s && u->err == HM_OK && r->keep_sessions)
		u->session = s; /* a second connection and token would be spent on the same repository */
	else if (s)
		r->b->close(s);
	return 0;
}

/* ---- requirements ---- */

/* The authorities of a key set, split for verification (keys for the
 * cryptography, keyless identities each under its root), and the votes:
 * an attachment counts for the first authority of the set that trust/
 * says made it (hm_trust_find), so one attachment is at most one vote. */
typedef struct who {
	const hm_policy *p;
	const hm_key_set *ks;
	hm_key **keys;
	size_t n_keys;
	hm_authority *ids;
	size_t n_ids;
	hm_notation_trust **trusts; /* the set's notation entries... */
	size_t n_trusts;
	size_t *trust_at;      /* ...and their positions in the set */
	hm_authority *all;     /* in the set's order */
	const hm_signer **by;  /* per position: the first signer that voted for it, or NULL */
	const char **subject;  /* per position of a notation entry: the subject that voted */
	size_t distinct;
} who;

static int who_init(who *w, const hm_policy *p, const hm_key_set *ks)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->ks = ks;
	w->keys = calloc(ks->n + 1, sizeof(*w->keys));
	w->ids = calloc(ks->n + 1, sizeof(*w->ids));
	w->all = calloc(ks->n + 1, sizeof(*w->all));
	w->by = calloc(ks->n + 1, sizeof(*w->by));
	w->trusts = calloc(ks->n + 1, sizeof(*w->trusts));
	w->trust_at = calloc(ks->n + 1, sizeof(*w->trust_at));
	w->subject = calloc(ks->n + 1, sizeof(*w->subject));
	if (!w->keys || !w->ids || !w->all || !w->by || !w->trusts || !w->trust_at || !w->subject)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < ks->n; i++) {
		const hm_policy_key *k = &p->keys[ks->idx[i]];

		w->all[i] = k->auth;
		if (k->notation) {
			w->trust_at[w->n_trusts] = i;
			w->trusts[w->n_trusts++] = k->notation;
		} else if (k->auth.kind == HM_AUTH_KEYLESS) {
			w->ids[w->n_ids++] = k->auth;
		} else if (k->key) {
			w->keys[w->n_keys++] = k->key;
		}
	}
	return HM_OK;
}

static void who_release(who *w)
{
	free(w->keys);
	free(w->ids);
	free(w->all);
	free(w->by);
	free(w->trusts);
	free(w->trust_at);
	free(w->subject);
}

/* The position in the set that the verified signer s votes for, -1 when
 * none (and then nothing is counted). */
static int who_vote(who *w, const hm_signer *s)
{
	int i = hm_trust_find(w->all, w->ks->n, s);

	if (i < 0)
		return -1;
	if (!w->by[i] && !w->subject[i]) {
		w->by[i] = s;
		w->distinct++;
	}
	return i;
}

/* A verified signature: its signer's vote, a key, a keyless identity or
 * (g->notation_index) the notation entry whose trust verified it. */
static int who_vote_sig(who *w, const hm_sig_result *g)
{
	size_t i;

	if (g->notation_index < 0 || (size_t)g->notation_index >= w->n_trusts)
		return who_vote(w, &g->signer);
	i = w->trust_at[g->notation_index];
	if (!w->by[i] && !w->subject[i]) {
		w->subject[i] = g->notation && g->notation->subject ? g->notation->subject : "?";
		w->distinct++;
	}
	return (int)i;
}

/* One authority for messages: its name, and for a keyless one what it
 * would accept (the identity and issuer, or those that verified). */
static void authority_text(hm_buf *b, const hm_authority *a, const hm_signer *s)
{
	const hm_identity_policy *id = &a->identity;

	hm_buf_addstr(b, a->name ? a->name : "?");
	if (a->kind != HM_AUTH_KEYLESS)
		return;
	if (s && s->kind == HM_AUTH_KEYLESS)
		hm_buf_addf(b, " (identity %s, issuer %s)", s->identity ? s->identity : "?",
			    s->cert.issuer ? s->cert.issuer : "?");
	else
		hm_buf_addf(b, " (keyless: identity %s%s, issuer %s%s)", id->subject ? "" : "matching ",
			    id->subject ? id->subject : id->subject_regexp, id->issuer ? "" : "matching ",
			    id->issuer ? id->issuer : id->issuer_regexp);
}

/* The names of the set (want 1: those that voted, with who; 0: all). */
static void key_names(hm_buf *b, const who *w, int want)
{
	size_t shown = 0;

	for (size_t i = 0; i < w->ks->n; i++)
		if (!want || w->by[i] || (w->subject && w->subject[i])) {
			hm_buf_addstr(b, shown++ ? ", " : "");
			authority_text(b, &w->all[i], want ? w->by[i] : NULL);
			if (want && w->subject && w->subject[i])
				hm_buf_addf(b, " (notation signer '%s')", w->subject[i]);
		}
	if (!shown)
		hm_buf_addstr(b, "none");
}

static int check_signatures(run *r, void *s, ver_unit *u, const hm_policy_rule *rule)
{
	hm_verify_opts o = {0};
	hm_verify_result res = {0};
	hm_buf d = HM_BUF_INIT;
	size_t refused = 0;
	char *repo = NULL;
	who w;
	int err;

	if ((err = who_init(&w, r->p, &rule->sig_keys)) < 0) {
		who_release(&w);
		return err;
	}
	o.keys = w.keys;
	o.n_keys = w.n_keys;
	o.identities = w.ids;
	o.n_identities = w.n_ids;
	o.notation = w.trusts;
	o.n_notation = w.n_trusts;
	if (o.n_notation && u->ref && u->ref->registry &&
	    asprintf(&repo, "%s/%s", u->ref->registry, u->ref->repository) < 0) {
		repo = NULL;
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	o.repository = repo ? repo : u->ref ? u->ref->repository : NULL;
	o.now = (int64_t)r->now;
	o.annotations = (const char *const *)rule->annotations;
	o.n_annotations = rule->n_annotations;
	err = r->b->signatures(s, u->digest, &o, &res);
	if (err < 0)
		goto done;
	/* An authority counts once however many signatures it made. */
	for (size_t i = 0; i < res.n_sigs; i++) {
		if (!res.sigs[i].valid || who_vote_sig(&w, &res.sigs[i]) < 0)
			refused++;
		else
			add_evidence(u, res.sigs[i].source, res.sigs[i].layer);
	}
	hm_buf_addf(&d, "%zu of %zu required key%s signed", w.distinct, rule->sig_keys.threshold,
		    rule->sig_keys.threshold == 1 ? "" : "s");
	if (w.distinct) {
		hm_buf_addstr(&d, " (");
		key_names(&d, &w, 1);
		hm_buf_addstr(&d, ")");
	}
	if (w.distinct < rule->sig_keys.threshold) {
		hm_buf_addf(&d, "; would accept signatures by %zu of: ", rule->sig_keys.threshold);
		key_names(&d, &w, 0);
		if (rule->n_annotations) {
			hm_buf_addstr(&d, " with annotations");
			for (size_t i = 0; i < rule->n_annotations; i++)
				hm_buf_addf(&d, " %s", rule->annotations[i]);
		}
		if (!res.n_sigs)
			hm_buf_addstr(&d, "; no signatures found");
		else
			hm_buf_addf(&d, "; %zu signature%s found, %zu refused", res.n_sigs,
				    res.n_sigs == 1 ? "" : "s", refused);
		for (size_t i = 0, shown = 0; i < res.n_sigs && shown < 3; i++)
			if (!res.sigs[i].valid && res.sigs[i].reason)
				hm_buf_addf(&d, "%s%s (%s)", shown++ ? "; " : ": ", res.sigs[i].reason,
					    res.sigs[i].source);
	}
	add_check(&u->out, "signatures", w.distinct >= rule->sig_keys.threshold, &d);
done:
	hm_buf_release(&d);
	hm_verify_result_free(&res);
	free(repo);
	who_release(&w);
	return err;
}

static int is_provenance(const char *t)
{
	return t && (!strncmp(t, "https://slsa.dev/provenance/", 28) || !strncmp(t, "slsaprovenance", 14));
}

/* What a `where` condition reads: the statement, plus for a keyless signer
 * a "certificate" member (hm_signer_certificate_json).  Borrowed
 * statement when there is nothing to add; *owned is then NULL. */
static const cJSON *where_doc(const hm_att_result *t, cJSON **owned, int *nomem)
{
	cJSON *doc, *cert;

	*owned = NULL;
	if (t->signer.kind != HM_AUTH_KEYLESS)
		return t->statement;
	doc = cJSON_Duplicate(t->statement, 1);
	cert = hm_signer_certificate_json(&t->signer);
	if (!doc || !cert) {
		cJSON_Delete(doc);
		cJSON_Delete(cert);
		*nomem = 1;
		return t->statement;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "certificate");
	cJSON_AddItemToObject(doc, "certificate", cert);
	*owned = doc;
	return doc;
}

/* Checks one attestation requirement; a statement that satisfied a
 * provenance requirement is duplicated into *provenance (when still NULL).
 * With vsa, a is require.vsa's (type verification_summary/v1) and each
 * verified statement must also meet vsa (hm_vsa_accepts). */
static int check_attestation(run *r, void *s, ver_unit *u, const hm_attest_req *a, const hm_vsa_req *vsa,
			     cJSON **provenance)
{
	hm_vsa_expect ve = {u->digest, vsa ? vsa->policy_digest : NULL, vsa ? vsa->verifier_id : NULL,
			    vsa ? vsa->max_age : 0, (int64_t)r->now};
	hm_att_results res = {0};
	hm_buf d = HM_BUF_INIT, fails = HM_BUF_INIT, what = HM_BUF_INIT;
	size_t verified = 0;
	who w;
	int err;

	if ((err = who_init(&w, r->p, &a->keys)) < 0) {
		who_release(&w);
		return err;
	}
	err = r->b->attestations(s, u->digest, w.keys, w.n_keys, w.ids, w.n_ids, a->type, &res);
	if (err < 0)
		goto done;
	for (size_t i = 0; i < res.n; i++) {
		const hm_att_result *t = &res.v[i];
		hm_buf why = HM_BUF_INIT, signer = HM_BUF_INIT;
		cJSON *owned;
		int ok, pos;

		if (!t->valid || !t->statement || (pos = hm_trust_find(w.all, a->keys.n, &t->signer)) < 0)
			continue;
		verified++;
		authority_text(&signer, &w.all[pos], &t->signer);
		if (!hm_statement_json_has_subject(t->statement, u->digest)) {
			hm_buf_addf(&fails, "%sstatement signed by %s names another subject", fails.len ? "; " : "",
				    hm_buf_cstr(&signer));
			hm_buf_release(&signer);
			continue;
		}
		ok = !a->where || hm_cond_eval(a->where, where_doc(t, &owned, &u->out.nomem), r->now, &why);
		if (a->where)
			cJSON_Delete(owned);
		if (ok && vsa)
			ok = hm_vsa_accepts(t->statement, &ve, &why);
		if (ok) {
			who_vote(&w, &t->signer);
			add_evidence(u, t->source, t->layer);
			if (is_provenance(a->type) && !*provenance)
				*provenance = cJSON_Duplicate(t->statement, 1);
		} else {
			hm_buf_addf(&fails, "%sstatement signed by %s: %s", fails.len ? "; " : "", hm_buf_cstr(&signer),
				    hm_buf_cstr(&why));
		}
		hm_buf_release(&signer);
		hm_buf_release(&why);
	}
	if (w.distinct >= a->keys.threshold) {
		hm_buf_addf(&d, "%zu of %zu required key%s attested (", w.distinct, a->keys.threshold,
			    a->keys.threshold == 1 ? "" : "s");
		key_names(&d, &w, 1);
		hm_buf_addstr(&d, ")");
		if (a->where)
			hm_buf_addf(&d, " and the statement satisfies: %s", hm_cond_text(a->where));
	} else {
		hm_buf_addf(&d, "%zu of %zu required key%s attested; would accept %s signed by %zu of: ", w.distinct,
			    a->keys.threshold, a->keys.threshold == 1 ? "" : "s",
			    vsa ? "a verification summary (" HM_PREDICATE_VSA_V1 ")" : "an attestation of this type",
			    a->keys.threshold);
		key_names(&d, &w, 0);
		if (a->where)
			hm_buf_addf(&d, " whose statement satisfies: %s", hm_cond_text(a->where));
		if (vsa) {
			hm_buf_addstr(&d, " with verificationResult PASSED for this image");
			if (vsa->policy_digest)
				hm_buf_addf(&d, ", policy %s", vsa->policy_digest);
			if (vsa->verifier_id)
				hm_buf_addf(&d, ", verifier %s", vsa->verifier_id);
			if (vsa->max_age)
				hm_buf_addf(&d, ", verified at most %llds ago", vsa->max_age);
		}
		if (!res.n)
			hm_buf_addstr(&d, "; no attestation of this type found");
		else if (!verified)
			hm_buf_addf(&d, "; %zu found, none verified with these keys", res.n);
		for (size_t i = 0, shown = 0; i < res.n && shown < 3; i++)
			if (!res.v[i].valid && res.v[i].reason)
				hm_buf_addf(&d, "%s%s (%s)", shown++ ? "; " : ": ", res.v[i].reason, res.v[i].source);
		if (fails.len)
			hm_buf_addf(&d, "; %s", hm_buf_cstr(&fails));
	}
	if (vsa)
		hm_buf_addstr(&what, "vsa");
	else
		hm_buf_addf(&what, "attestation %s", a->type);
	add_check(&u->out, hm_buf_cstr(&what), w.distinct >= a->keys.threshold, &d);
done:
	hm_buf_release(&d);
	hm_buf_release(&fails);
	hm_buf_release(&what);
	hm_att_results_free(&res);
	who_release(&w);
	return err;
}

/* Splits a base image reference ("alpine:3.19", "ghcr.io/x/y@sha256:..",
 * "pkg:docker/library/alpine@3.19?platform=...") into a normalised name,
 * tag and digest (each owned, tag/digest may be NULL).  HM_E_USAGE with
 * why filled when it names no image. */
static int split_image(const char *s, char **name, char **tag, char **digest, char why[HM_REF_WHY_MAX])
{
	char *w, *at, *colon, *slash;
	int purl = !strncmp(s, "pkg:docker/", 11) || !strncmp(s, "pkg:oci/", 8);
	int err;

	*name = *tag = *digest = NULL;
	if (purl)
		s = strchr(s, '/') + 1;
	else if (!strncmp(s, "oci://", 6) || !strncmp(s, "docker://", 9))
		s = strstr(s, "//") + 2;
	if (!(w = strdup(s)))
		return HM_E_NOMEM;
	if (purl)
		w[strcspn(w, "?#")] = '\0';
	if ((at = strchr(w, '@'))) {
		*at++ = '\0';
		if (purl && strncmp(at, "sha256:", 7))
			*tag = strdup(at);
		else
			*digest = strdup(at);
	}
	slash = strrchr(w, '/');
	if ((colon = strrchr(slash ? slash : w, ':'))) {
		*colon++ = '\0';
		free(*tag);
		*tag = strdup(colon);
	}
	/* the normalisation of references, so that patterns meet every spelling */
	err = hm_ref_normalise_name(name, w, strlen(w), 0, why);
	free(w);
	return err;
}

static int is_image_dependency(const cJSON *dep)
{
	const char *uri = hm_json_str(dep, "uri");

	if (!uri || !strncmp(uri, "git+", 4) || !strncmp(uri, "git:", 4))
		return 0;
	return !strncmp(uri, "pkg:docker/", 11) || !strncmp(uri, "pkg:oci/", 8) || !strncmp(uri, "oci://", 6) ||
	       !strncmp(uri, "docker://", 9) || hm_json_str(dep, "name") != NULL;
}

/* The dependency lists a provenance may name base images in: SLSA v1
 * buildDefinition.resolvedDependencies and SLSA v0.2 materials (both read,
 * whichever the statement carries). */
static const cJSON *dependency_list(const cJSON *provenance, int which)
{
	const cJSON *pred = cJSON_GetObjectItemCaseSensitive(provenance, "predicate");

	if (which == 0)
		return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition"),
							"resolvedDependencies");
	return cJSON_GetObjectItemCaseSensitive(pred, "materials");
}

static void check_base_images(ver_unit *u, const hm_policy_rule *rule, const cJSON *provenance)
{
	hm_buf d = HM_BUF_INIT, bad = HM_BUF_INIT, good = HM_BUF_INIT;
	size_t n = 0;

	if (!provenance) {
		hm_buf_addstr(&d, "no verified provenance satisfied the rule, so the base images are unknown");
		add_check(&u->out, "baseImages", 0, &d);
		return;
	}
	for (int which = 0; which < 2; which++) {
		const cJSON *deps = dependency_list(provenance, which);

		for (const cJSON *dep = cJSON_IsArray(deps) ? deps->child : NULL; dep; dep = dep->next) {
			const char *written = hm_json_str(dep, "name") ? hm_json_str(dep, "name") : hm_json_str(dep, "uri");
			char *name = NULL, *tag = NULL, *digest = NULL;
			char why[HM_REF_WHY_MAX];
			int allowed = !rule->n_base_allow, pinned, err;

			if (!is_image_dependency(dep))
				continue;
			n++;
			if ((err = split_image(written, &name, &tag, &digest, why)) == HM_E_USAGE) {
				hm_buf_addf(&bad, "%s'%s' is not an image name: %s", bad.len ? "; " : "", written, why);
				goto next;
			} else if (err < 0) {
				u->out.nomem = 1;
				goto next;
			}
			for (size_t i = 0; i < rule->n_base_allow && !allowed; i++)
				allowed = hm_pattern_match(&rule->base_allow[i], name, tag, digest);
			/* Pinned: the build named the base image by digest (the
			 * provenance records a digest for every base image it resolved). */
			pinned = digest != NULL;
			if (!allowed)
				hm_buf_addf(&bad, "%s'%s' matches no allowed pattern", bad.len ? "; " : "", written);
			if (rule->base_pinned && !pinned)
				hm_buf_addf(&bad, "%s'%s' is not pinned by digest", bad.len ? "; " : "", written);
			if (allowed && (pinned || !rule->base_pinned))
				hm_buf_addf(&good, "%s%s", good.len ? ", " : "", written);
next:
			free(name);
			free(tag);
			free(digest);
		}
	}
	if (bad.len) {
		hm_buf_addf(&d, "%s; would accept base images", hm_buf_cstr(&bad));
		if (rule->n_base_allow) {
			hm_buf_addstr(&d, " matching");
			for (size_t i = 0; i < rule->n_base_allow; i++)
				hm_buf_addf(&d, " %s", rule->base_allow[i].text);
		}
		if (rule->base_pinned)
			hm_buf_addstr(&d, " named by digest in the Dockerfile");
	} else if (n) {
		hm_buf_addf(&d, "%zu base image%s: %s", n, n == 1 ? "" : "s", hm_buf_cstr(&good));
	} else {
		/* Nothing to hold against the allowlist is not a pass: a
		 * provenance that names no image cannot show where the image
		 * came from. */
		hm_buf_addstr(&d, "the provenance lists no base images (no image in "
				  "buildDefinition.resolvedDependencies or materials), so none can be checked "
				  "against the allowed ones");
	}
	add_check(&u->out, "baseImages", n && !bad.len, &d);
	hm_buf_release(&bad);
	hm_buf_release(&good);
}

static int do_verify(run *r, size_t i)
{
	ver_unit *u;
	const hm_policy_rule *rule;
	cJSON *provenance = NULL;
	void *s = NULL;
	int err;

	if (i >= r->n_ver)
		return -1;
	u = &r->ver[i];
	rule = &r->p->rules[u->rule];
	hm_error_clear();
	if (r->cache) {
		int got = r->cache->ver_get(r->cache->ctx, u->name, u->digest, u->rule, &u->out.v, &u->out.n);

		if (got == HM_EVAL_CACHE_MISS) {
			atomic_store(&r->missed, 1);
			return 0;
		}
		if (got) {
			u->out.cap = u->out.n;
			if (got < 0) {
				u->err = got;
				u->msg = dup_msg();
			}
			if (u->session)
				r->b->close(u->session);
			u->session = NULL;
			return 0;
		}
	}
	if (u->session) {
		s = u->session;
		u->session = NULL;
		err = HM_OK;
	} else {
		err = r->b->open(&s, r->b->ctx, u->ref);
	}
	if (err == HM_OK && rule->has_signatures)
		err = check_signatures(r, s, u, rule);
	for (size_t k = 0; err == HM_OK && k < rule->n_attestations; k++)
		err = check_attestation(r, s, u, &rule->attestations[k], NULL, &provenance);
	if (err == HM_OK && rule->vsa) {
		hm_attest_req a = {(char *)HM_PREDICATE_VSA_V1, rule->vsa->keys, NULL, rule->vsa->line};
		cJSON *unused = NULL;

		err = check_attestation(r, s, u, &a, rule->vsa, &unused);
		cJSON_Delete(unused);
	}
	if (err == HM_OK && rule->has_base_images)
		check_base_images(u, rule, provenance);
	if (err < 0) {
		u->err = err;
		u->msg = dup_msg();
	}
	if (r->cache)
		r->cache->ver_done(r->cache->ctx, u->name, u->digest, u->rule,
				   err < 0 ? err : u->out.nomem ? HM_E_NOMEM : HM_OK, u->out.v, u->out.n);
	cJSON_Delete(provenance);
	if (s)
		r->b->close(s);
	return 0;
}

/* ---- assembling ---- */

static char *xstrdup(const char *s, int *nomem)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*nomem = 1;
	return d;
}

static int needs_verification(const hm_policy_rule *r)
{
	return r->has_signatures || r->n_attestations || r->has_base_images || r->vsa;
}

static int tag_denied(const hm_policy_rule *r, const char *tag)
{
	for (size_t i = 0; tag && i < r->n_deny_tags; i++)
		if (hm_glob_match(r->deny_tags[i], tag, 0))
			return 1;
	return 0;
}

static void decide(hm_image_decision *o, const hm_policy *p, const image *im, const hm_eval_opts *opts,
		   int *nomem)
{
	const hm_policy_rule *r;
	checks c = {0};
	hm_buf d = HM_BUF_INIT;
	const char *digest = NULL;

	o->rule = im->rule;
	o->name = xstrdup(im->name, nomem);
	if (im->ignored_tag) {
		hm_buf_addf(&d, "tag '%s' ignored: the reference is pinned by digest, and the digest decides",
			    im->ignored_tag);
		add_check(&c, "reference", 1, &d);
	}
	if (!im->parsed) {
		hm_buf_addstr(&d, o->error_message ? o->error_message : "invalid reference");
		add_check(&c, "reference", 0, &d);
		o->violated = 1;
		goto done;
	}
	if (im->rule < 0) {
		hm_buf_addf(&d, "no rule matches '%s'; the policy's default is %s", o->ref,
			    p->default_allow ? "allow" : "deny");
		add_check(&c, "default", p->default_allow, &d);
		o->allowed = p->default_allow;
		o->violated = !p->default_allow;
		goto done;
	}
	r = &p->rules[im->rule];
	o->mode = r->mode;
	if (!(o->rule_name = strdup(r->name)))
		*nomem = 1;
	if (r->deny) {
		hm_buf_addstr(&d, r->deny);
		add_check(&c, "deny", 0, &d);
		goto verdict;
	}
	if (im->ref.digest)
		digest = im->ref.digest;
	else if (im->res && im->res->err == HM_OK)
		digest = im->res->digest;
	o->digest = xstrdup(digest, nomem);
	if (im->res && im->res->err < 0) {
		o->error = 1;
		o->error_message = xstrdup(im->res->msg, nomem);
		hm_buf_addf(&d, "resolving tag '%s': %s", im->ref.tag, im->res->msg);
		add_check(&c, "resolve", 0, &d);
		goto verdict;
	}
	if (r->digest) {
		if (im->ref.digest)
			hm_buf_addf(&d, "pinned at %s", im->ref.digest);
		else if (opts->mutate && digest)
			hm_buf_addf(&d, "tag '%s' pinned to %s by the admission patch", im->ref.tag, digest);
		else
			hm_buf_addf(&d, "not pinned by digest; tag '%s' resolves to %s: use %s@%s", im->ref.tag,
				    digest ? digest : "nothing", im->name, digest ? digest : "sha256:...");
		add_check(&c, "digest", im->ref.digest || (opts->mutate && digest), &d);
	}
	if (r->n_deny_tags) {
		int denied = tag_denied(r, im->ref.tag);

		if (!im->ref.tag)
			hm_buf_addstr(&d, "no tag");
		else
			hm_buf_addf(&d, "tag '%s' is %s", im->ref.tag, denied ? "refused" : "not refused");
		hm_buf_addstr(&d, " (refused:");
		for (size_t i = 0; i < r->n_deny_tags; i++)
			hm_buf_addf(&d, " %s", r->deny_tags[i]);
		hm_buf_addstr(&d, ")");
		add_check(&c, "tags", !denied, &d);
	}
	if (im->ver) {
		if (im->ver->err < 0) {
			o->error = 1;
			o->error_message = xstrdup(im->ver->msg, nomem);
			hm_buf_addf(&d, "verifying %s: %s", digest, im->ver->msg);
			add_check(&c, "verify", 0, &d);
		}
		for (size_t i = 0; i < im->ver->out.n; i++) {
			const hm_check *k = &im->ver->out.v[i];

			hm_buf_addstr(&d, k->detail);
			add_check(&c, k->what, k->met, &d);
		}
		if (im->ver->out.nomem)
			*nomem = 1;
		if (im->ver->n_ev && (o->evidence = calloc(im->ver->n_ev, sizeof(*o->evidence)))) {
			for (size_t i = 0; i < im->ver->n_ev; i++) {
				o->evidence[i] = im->ver->ev[i];
				o->evidence[i].source = xstrdup(im->ver->ev[i].source, nomem);
			}
			o->n_evidence = im->ver->n_ev;
		} else if (im->ver->n_ev) {
			*nomem = 1;
		}
	}
verdict:
	for (size_t i = 0; i < c.n; i++)
		if (!c.v[i].met)
			o->violated = 1;
	if (o->error)
		o->allowed = r->on_error_allow || r->mode != HM_MODE_ENFORCE;
	else
		o->allowed = !o->violated || r->mode != HM_MODE_ENFORCE;
done:
	hm_buf_release(&d);
	if (c.nomem)
		*nomem = 1;
	o->checks = c.v;
	o->n_checks = c.n;
}

int hm_policy_eval(hm_decision *out, const hm_policy *p, const hm_policy_backend *b,
		   const hm_eval_input *in, size_t n, const hm_eval_opts *opts)
{
	static const hm_eval_opts dflt = HM_EVAL_OPTS_INIT;
	image *im = calloc(n + 1, sizeof(*im));
	run r = {0};
	int nomem = 0, err = HM_OK;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &dflt;
	r.p = p;
	r.b = b;
	r.cache = opts->cache;
	r.pool = opts->pool;
	r.cache_only = opts->cache_only && opts->cache;
	atomic_init(&r.missed, 0);
	r.now = opts->now ? opts->now : time(NULL);
	r.res = calloc(n + 1, sizeof(*r.res));
	r.ver = calloc(n + 1, sizeof(*r.ver));
	out->v = calloc(n + 1, sizeof(*out->v));
	if (!im || !r.res || !r.ver || !out->v) {
		free(im);
		free(r.res);
		free(r.ver);
		free(out->v);
		out->v = NULL;
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	out->n = n;
	/* Parse and match; one resolution per distinct (repository, tag). */
	for (i = 0; i < n; i++) {
		hm_image_decision *o = &out->v[i];

		o->in.image = xstrdup(in[i].image, &nomem);
		o->in.kind = xstrdup(in[i].kind, &nomem);
		o->in.name = xstrdup(in[i].name, &nomem);
		o->in.namespace = xstrdup(in[i].namespace, &nomem);
		o->in.container = xstrdup(in[i].container, &nomem);
		o->in.pointer = xstrdup(in[i].pointer, &nomem);
		im[i].rule = -1;
		if (hm_ref_parse(&im[i].ref, in[i].image ? in[i].image : "") < 0) {
			o->error_message = dup_msg();
			continue;
		}
		im[i].parsed = 1;
		/* In "repo:tag@digest" the digest is what runs, and nothing checks
		 * that the tag names it: the tag must neither choose a rule nor
		 * meet require.tags, so the image is decided as "repo@digest". */
		if (im[i].ref.digest && im[i].ref.tag) {
			im[i].ignored_tag = im[i].ref.tag;
			im[i].ref.tag = NULL;
		}
		im[i].name = hm_ref_name(&im[i].ref);
		o->ref = hm_ref_string(&im[i].ref);
		o->pinned = im[i].ref.digest != NULL;
		if (!im[i].name || !o->ref) {
			nomem = 1;
			continue;
		}
		im[i].rule = hm_policy_match(p, im[i].name, im[i].ref.tag, im[i].ref.digest);
		if (im[i].rule < 0 || p->rules[im[i].rule].deny || im[i].ref.digest)
			continue;
		for (j = 0; j < r.n_res; j++)
			if (!strcmp(r.res[j].name, im[i].name) && !strcmp(r.res[j].ref->tag, im[i].ref.tag))
				break;
		if (j == r.n_res) {
			r.res[j].ref = &im[i].ref;
			r.res[j].name = im[i].name;
			r.n_res++;
		}
		im[i].res = &r.res[j];
	}
	/* Keeping every resolution's connection until its verification is
	 * cheap for the usual manifest; for thousands of images it would hold
	 * thousands of sockets, so then each pass opens its own. */
	r.keep_sessions = r.n_res <= 128;
	run_parallel(&r, opts->jobs ? opts->jobs : 8, r.n_res, do_resolve);
	/* One verification per distinct (repository, digest, rule). */
	for (i = 0; i < n; i++) {
		const char *digest;

		if (im[i].rule < 0 || !needs_verification(&p->rules[im[i].rule]) || p->rules[im[i].rule].deny)
			continue;
		digest = im[i].ref.digest ? im[i].ref.digest : (im[i].res && !im[i].res->err ? im[i].res->digest : NULL);
		if (!digest)
			continue;
		for (j = 0; j < r.n_ver; j++)
			if (r.ver[j].rule == im[i].rule && !strcmp(r.ver[j].digest, digest) &&
			    !strcmp(r.ver[j].name, im[i].name))
				break;
		if (j == r.n_ver) {
			r.ver[j].ref = &im[i].ref;
			r.ver[j].name = im[i].name;
			r.ver[j].rule = im[i].rule;
			r.ver[j].digest = digest;
			r.n_ver++;
		} else {
			hm_log(HM_LOG_INFO, "cache hit: %s@%s is verified once for rule '%s'", im[i].name, digest,
			       p->rules[im[i].rule].name ? p->rules[im[i].rule].name : "?");
		}
		if (!r.ver[j].session && im[i].res && im[i].res->session) {
			r.ver[j].session = im[i].res->session;
			im[i].res->session = NULL;
		}
		im[i].ver = &r.ver[j];
	}
	if (atomic_load(&r.missed)) {
		err = HM_EVAL_INCOMPLETE;
		goto done;
	}
	for (i = 0; i < r.n_res; i++)
		if (r.res[i].session) {
			r.b->close(r.res[i].session);
			r.res[i].session = NULL;
		}
	run_parallel(&r, opts->jobs ? opts->jobs : 8, r.n_ver, do_verify);
	if (atomic_load(&r.missed)) {
		err = HM_EVAL_INCOMPLETE;
		goto done;
	}
	out->n_verified = r.n_ver;
	out->allowed = 1;
	for (i = 0; i < n; i++) {
		decide(&out->v[i], p, &im[i], opts, &nomem);
		if (!out->v[i].allowed)
			out->allowed = 0;
	}
	if (nomem)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	for (i = 0; i < r.n_res; i++) {
		free(r.res[i].msg);
		if (r.res[i].session)
			r.b->close(r.res[i].session);
	}
	for (i = 0; i < r.n_ver; i++) {
		if (r.ver[i].session)
			r.b->close(r.ver[i].session);
		free(r.ver[i].msg);
		free_checks(r.ver[i].out.v, r.ver[i].out.n);
		free_evidence(r.ver[i].ev, r.ver[i].n_ev);
	}
	for (i = 0; i < n; i++) {
		hm_ref_free(&im[i].ref);
		free(im[i].ignored_tag);
		free(im[i].name);
	}
	free(im);
	free(r.res);
	free(r.ver);
	if (err)
		hm_decision_free(out);
	return err;
}

void hm_decision_free(hm_decision *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		hm_image_decision *o = &d->v[i];

		free((char *)o->in.image);
		free((char *)o->in.kind);
		free((char *)o->in.name);
		free((char *)o->in.namespace);
		free((char *)o->in.container);
		free((char *)o->in.pointer);
		free(o->ref);
		free(o->digest);
		free(o->rule_name);
		free(o->error_message);
		free_checks(o->checks, o->n_checks);
		free(o->name);
		free_evidence(o->evidence, o->n_evidence);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- rendering as data ---- */

static int add_str_or_null(cJSON *o, const char *k, const char *v)
{
	return v ? cJSON_AddStringToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

cJSON *hm_decision_json(const hm_decision *d)
{
	cJSON *root = cJSON_CreateObject(), *images;
	int ok = root && cJSON_AddBoolToObject(root, "allowed", d->allowed) &&
		 (images = cJSON_AddArrayToObject(root, "images"));

	for (size_t i = 0; ok && i < d->n; i++) {
		const hm_image_decision *o = &d->v[i];
		cJSON *e = cJSON_CreateObject(), *list;

		if (!e) {
			ok = 0;
			break;
		}
		cJSON_AddItemToArray(images, e);
		ok = add_str_or_null(e, "image", o->in.image) && add_str_or_null(e, "ref", o->ref) &&
		     add_str_or_null(e, "digest", o->digest) &&
		     (!o->in.kind || add_str_or_null(e, "kind", o->in.kind)) &&
		     (!o->in.name || add_str_or_null(e, "name", o->in.name)) &&
		     (!o->in.namespace || add_str_or_null(e, "namespace", o->in.namespace)) &&
		     (!o->in.container || add_str_or_null(e, "container", o->in.container)) &&
		     (!o->in.pointer || add_str_or_null(e, "pointer", o->in.pointer)) &&
		     add_str_or_null(e, "rule", o->rule_name) &&
		     add_str_or_null(e, "mode", o->rule >= 0 ? hm_mode_name(o->mode) : NULL) &&
		     cJSON_AddBoolToObject(e, "allowed", o->allowed) &&
		     cJSON_AddBoolToObject(e, "violated", o->violated) &&
		     add_str_or_null(e, "error", o->error ? o->error_message : NULL) &&
		     (list = cJSON_AddArrayToObject(e, "checks"));
		for (size_t k = 0; ok && k < o->n_checks; k++) {
			cJSON *c = cJSON_CreateObject();

			ok = c != NULL;
			if (ok) {
				cJSON_AddItemToArray(list, c);
				ok = add_str_or_null(c, "requirement", o->checks[k].what) &&
				     cJSON_AddBoolToObject(c, "met", o->checks[k].met) &&
				     add_str_or_null(c, "detail", o->checks[k].detail);
			}
		}
	}
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int hm_decision_violations(hm_strv *out, const hm_decision *d, int warn)
{
	for (size_t i = 0; i < d->n; i++) {
		const hm_image_decision *o = &d->v[i];

		if (!o->violated || (warn ? !o->allowed : o->allowed))
			continue;
		for (size_t k = 0; k < o->n_checks; k++) {
			hm_buf b = HM_BUF_INIT;
			int err;

			if (o->checks[k].met)
				continue;
			err = hm_buf_addf(&b, "%s", o->in.image ? o->in.image : "?");
			if (!err && o->in.container)
				err = hm_buf_addf(&b, " (container '%s' of %s %s%s%s)", o->in.container,
						  o->in.kind ? o->in.kind : "object",
						  o->in.namespace ? o->in.namespace : "",
						  o->in.namespace ? "/" : "", o->in.name ? o->in.name : "");
			if (!err && o->rule_name)
				err = hm_buf_addf(&b, ": rule '%s'", o->rule_name);
			if (!err)
				err = hm_buf_addf(&b, ": %s: %s", o->checks[k].what, o->checks[k].detail);
			if (err || (err = hm_strv_push_owned(out, hm_buf_detach(&b, NULL))) < 0) {
				hm_buf_release(&b);
				return err;
			}
		}
	}
	return HM_OK;
}
