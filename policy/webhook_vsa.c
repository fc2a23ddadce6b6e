/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's verification summaries: made on the review's thread from
 * its decision (JSON only), signed, written and attached on the writer's
 * own thread.  See policy/webhook_vsa.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/attest.h"
#include "attest/vsa.h"
#include "core/error.h"
#include "core/file.h"
#include "oci/http.h"
#include "oci/ref.h"
#include "policy/summary.h"
#include "policy/vcache.h"
#include "policy/webhook_vsa.h"
#include "sign/sign.h"

enum { OUT_WRITTEN, OUT_ATTACHED, OUT_FAILED, OUT_DROPPED, OUT_N };
static const char *const outcome_name[OUT_N] = {"written", "attached", "failed", "dropped"};

typedef struct job {
	struct job *next;
	cJSON *st;
	char *name;
	char digest[HM_DIGEST_SIZE];
	int passed;
} job;

struct hm_wh_vsa {
	hm_wh_vsa_opts o;
	char *out_dir, *verifier_id, *policy_uri;
	hm_vcache *made; /* "policy name@digest result": made already */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	job *head, *tail;
	size_t queued;
	int stop, started;
	pthread_t t;
	atomic_ulong n[OUT_N];
};

__attribute__((format(printf, 2, 3))) static void say(hm_wh_vsa *v, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!v->o.on_message)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->o.on_message(v->o.ctx, line);
}

static void job_free(job *j)
{
	cJSON_Delete(j->st);
	free(j->name);
	free(j);
}

/* Writes and attaches one summary; the message of the first failure. */
static void run_job(hm_wh_vsa *v, job *j)
{
	const char *result = j->passed ? "PASSED" : "FAILED";
	hm_buf env = HM_BUF_INIT, path = HM_BUF_INIT, where = HM_BUF_INIT;
	int err = HM_OK;

	hm_error_clear();
	if (v->out_dir) {
		if (!(err = hm_attest_envelope(&env, v->o.key, j->st)) && !(err = hm_buf_addch(&env, '\n')) &&
		    !(err = hm_buf_addf(&path, "%s/sha256-%s.vsa.json", v->out_dir, hm_digest_hex(j->digest))))
			err = hm_file_write_atomic(hm_buf_cstr(&path), env.data, env.len, 0644, 1);
		if (err) {
			atomic_fetch_add(&v->n[OUT_FAILED], 1);
			say(v, "vsa: %s@%s %s: writing it: %s", j->name, j->digest, result, hm_error_message());
			goto done;
		}
		atomic_fetch_add(&v->n[OUT_WRITTEN], 1);
		hm_buf_addf(&where, " written to %s", hm_buf_cstr(&path));
	}
	if (v->o.attach) {
		hm_store_opts so = *v->o.store;
		hm_buf refs = HM_BUF_INIT;
		hm_store *s = NULL;
		hm_ref ref;
		int added = 0;

		hm_http_set_deadline(&so, HM_WH_VSA_TIMEOUT_MS);
		if ((err = hm_buf_addf(&refs, "%s@%s", j->name, j->digest)) < 0)
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		else if (!(err = hm_ref_parse(&ref, hm_buf_cstr(&refs)))) {
			if (!(err = hm_store_open(&s, &ref, &so, 0)))
				err = hm_attest_attach(&added, s, j->digest, j->name, v->o.key, HM_PREDICATE_VSA_V1,
						       cJSON_GetObjectItemCaseSensitive(j->st, "predicate"),
						       HM_FORMAT_BUNDLE);
			hm_store_free(s);
			hm_ref_free(&ref);
		}
		hm_buf_release(&refs);
		if (err) {
			atomic_fetch_add(&v->n[OUT_FAILED], 1);
			say(v, "vsa: %s@%s %s: attaching it: %s", j->name, j->digest, result, hm_error_message());
			goto done;
		}
		atomic_fetch_add(&v->n[OUT_ATTACHED], 1);
		hm_buf_addf(&where, "%s attached", where.len ? " and" : "");
	}
	say(v, "vsa: %s@%s %s:%s", j->name, j->digest, result, hm_buf_cstr(&where));
done:
	hm_buf_release(&env);
	hm_buf_release(&path);
	hm_buf_release(&where);
}

static void *writer_main(void *arg)
{
	hm_wh_vsa *v = arg;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		job *j;

		while (!v->head && !v->stop)
			pthread_cond_wait(&v->wake, &v->lock);
		if (!(j = v->head))
			break;
		v->head = j->next;
		if (!v->head)
			v->tail = NULL;
		pthread_mutex_unlock(&v->lock);
		run_job(v, j);
		job_free(j);
		pthread_mutex_lock(&v->lock);
		v->queued--;
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int hm_wh_vsa_new(hm_wh_vsa **out, const hm_wh_vsa_opts *o)
{
	hm_wh_vsa *v = calloc(1, sizeof(*v));
	hm_vcache_opts co = {0};
	int err = HM_OK;

	*out = NULL;
	if (!v) {
		hm_key_free(o->key);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	v->o = *o;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->wake, NULL);
	for (int i = 0; i < OUT_N; i++)
		atomic_init(&v->n[i], 0);
	co.ttl_ms = co.neg_ttl_ms = o->remember_ms > 0 ? o->remember_ms : 1;
	if (!(v->made = hm_vcache_new(&co)) || (o->out_dir && !(v->out_dir = strdup(o->out_dir))) ||
	    (o->verifier_id && !(v->verifier_id = strdup(o->verifier_id))) ||
	    (o->policy_uri && !(v->policy_uri = strdup(o->policy_uri)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (v->out_dir && (err = hm_mkdir_p(v->out_dir, 0755)))
		goto done;
	if (pthread_create(&v->t, NULL, writer_main, v)) {
		err = hm_error_set(HM_E_IO, "verification summaries: cannot start a thread");
		goto done;
	}
	v->started = 1;
done:
	if (err) {
		hm_wh_vsa_free(v);
		return err;
	}
	*out = v;
	return HM_OK;
}

void hm_wh_vsa_free(hm_wh_vsa *v)
{
	if (!v)
		return;
	if (v->started) {
		pthread_mutex_lock(&v->lock);
		v->stop = 1;
		pthread_cond_signal(&v->wake);
		pthread_mutex_unlock(&v->lock);
		pthread_join(v->t, NULL);
	}
	while (v->head) {
		job *n = v->head->next;

		job_free(v->head);
		v->head = n;
	}
	hm_vcache_free(v->made);
	pthread_cond_destroy(&v->wake);
	pthread_mutex_destroy(&v->lock);
	hm_key_free(v->o.key);
	free(v->out_dir);
	free(v->verifier_id);
	free(v->policy_uri);
	free(v);
}

/* The policy's URI: as given, or file:// and its absolute path. */
static char *policy_uri(const hm_wh_vsa *v, const hm_served_policy *pol)
{
	hm_buf b = HM_BUF_INIT;
	char *real;

	if (v->policy_uri)
		return strdup(v->policy_uri);
	real = realpath(pol->path, NULL);
	hm_buf_addf(&b, "file://%s", real ? real : pol->path);
	free(real);
	return hm_buf_detach(&b, NULL);
}

static void emit_one(hm_wh_vsa *v, const hm_served_policy *pol, const hm_decision *d, size_t i, const char *uri)
{
	const hm_image_decision *o = &d->v[i];
	hm_vsa_opts vo = {0};
	hm_buf key = HM_BUF_INIT;
	char *val = NULL;
	size_t len;
	int positive, passed, got;
	cJSON *st = NULL;
	job *j;

	vo.verifier_id = v->verifier_id;
	vo.version = v->o.version;
	vo.time_verified = (int64_t)time(NULL);
	vo.policy_uri = uri;
	vo.policy_digest = pol->file_digest;
	if (hm_decision_vsa(&st, &passed, d, i, &vo)) {
		atomic_fetch_add(&v->n[OUT_FAILED], 1);
		say(v, "vsa: %s@%s: %s", o->name, o->digest, hm_error_message());
		return;
	}
	/* once per (policy, image, result) while remembered */
	if (hm_buf_addf(&key, "%s %s@%s %d", pol->file_digest, o->name, o->digest, passed) ||
	    (got = hm_vcache_get(v->made, hm_buf_cstr(&key), 0, 0, &val, &len, &positive)) != HM_VCACHE_LEAD) {
		free(val);
		hm_buf_release(&key);
		cJSON_Delete(st);
		return;
	}
	/* remembered as made only once queued: a summary dropped or not
	 * allocated is made again by the next review that verifies it */
	if (!(j = calloc(1, sizeof(*j))) || !(j->name = strdup(o->name))) {
		free(j);
		cJSON_Delete(st);
		atomic_fetch_add(&v->n[OUT_FAILED], 1);
		hm_vcache_fail(v->made, hm_buf_cstr(&key), HM_E_NOMEM, "out of memory");
		hm_buf_release(&key);
		return;
	}
	j->st = st;
	j->passed = passed;
	snprintf(j->digest, sizeof(j->digest), "%s", o->digest);
	pthread_mutex_lock(&v->lock);
	if (v->queued >= HM_WH_VSA_QUEUE) {
		pthread_mutex_unlock(&v->lock);
		job_free(j);
		atomic_fetch_add(&v->n[OUT_DROPPED], 1);
		say(v, "vsa: %s@%s: dropped, %d summaries are waiting already", o->name, o->digest, HM_WH_VSA_QUEUE);
		hm_vcache_fail(v->made, hm_buf_cstr(&key), HM_E_LIMIT, "dropped");
		hm_buf_release(&key);
		return;
	}
	v->queued++;
	if (v->tail)
		v->tail->next = j;
	else
		v->head = j;
	v->tail = j;
	pthread_cond_signal(&v->wake);
	pthread_mutex_unlock(&v->lock);
	hm_vcache_put(v->made, hm_buf_cstr(&key), "1", 1, 1);
	hm_buf_release(&key);
}

void hm_wh_vsa_emit(hm_wh_vsa *v, const hm_served_policy *pol, const hm_decision *d, hm_review_cache *rc)
{
	char *uri = NULL;

	for (size_t i = 0; i < d->n; i++) {
		const hm_image_decision *o = &d->v[i];
		size_t k;

		if (!o->digest || !o->name || o->error || o->rule < 0 ||
		    !hm_review_cache_led(rc, o->name, o->digest, o->rule))
			continue;
		/* one per digest of the review (hm_decision_vsa covers them all) */
		for (k = 0; k < i; k++)
			if (d->v[k].digest && !strcmp(d->v[k].digest, o->digest) && d->v[k].name &&
			    !strcmp(d->v[k].name, o->name))
				break;
		if (k < i)
			continue;
		if (!uri && !(uri = policy_uri(v, pol))) {
			atomic_fetch_add(&v->n[OUT_FAILED], 1);
			return;
		}
		emit_one(v, pol, d, i, uri);
	}
	free(uri);
}

int hm_wh_vsa_metrics(hm_buf *out, hm_wh_vsa *v)
{
	int err = hm_buf_addstr(out, "# HELP hallmark_vsa_total Verification summaries made by reviews, by what became "
				     "of them.\n# TYPE hallmark_vsa_total counter\n");

	for (int i = 0; i < OUT_N && !err; i++)
		err = hm_buf_addf(out, "hallmark_vsa_total{outcome=\"%s\"} %lu\n", outcome_name[i],
				  atomic_load(&v->n[i]));
	return err;
}
