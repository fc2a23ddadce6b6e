/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's /metrics page (Prometheus text format 0.0.4) and the
 * one-line JSON record of each review.  See policy/webhook_impl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/strv.h"
#include "oci/http.h"
#include "policy/webhook_impl.h"

#define LOG_FIELD_MAX 300 /* characters of one string in the record, then "..." */
#define LOG_LIST_MAX 50   /* images or violations listed in one record */

static const double lat_bounds[HM_WEBHOOK_LAT_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
							  0.1,   0.25,   0.5,   1,    2.5,   5};

void hm_wh_metrics_init(hm_wh_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->in_flight, 0);
}

void hm_wh_metrics_destroy(hm_wh_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

/* The image that decided: the first denied, else the first violated, else
 * the first a rule matched; NULL when none. */
static const hm_image_decision *deciding(const hm_decision *d)
{
	const hm_image_decision *v = NULL;

	for (size_t i = 0; d && i < d->n; i++)
		if (!d->v[i].allowed)
			return &d->v[i];
	for (size_t i = 0; d && i < d->n && !v; i++)
		if (d->v[i].violated)
			v = &d->v[i];
	for (size_t i = 0; d && i < d->n && !v; i++)
		if (d->v[i].rule >= 0)
			v = &d->v[i];
	return v;
}

static const char *decision_of(const hm_wh_outcome *o)
{
	if (o->error || !o->d)
		return "error";
	if (!o->allowed)
		return "deny";
	for (size_t i = 0; i < o->d->n; i++)
		if (o->d->v[i].violated)
			return "warn";
	return "allow";
}

void hm_wh_metrics_review(hm_wh_metrics *m, const hm_wh_outcome *o)
{
	const hm_image_decision *k = deciding(o->d);
	hm_wh_series s = {0};
	size_t i, b;

	snprintf(s.op, sizeof(s.op), "%s", o->adm && o->adm->operation ? o->adm->operation : "");
	snprintf(s.kind, sizeof(s.kind), "%s", o->adm && o->adm->kind ? o->adm->kind : "");
	snprintf(s.decision, sizeof(s.decision), "%s", decision_of(o));
	snprintf(s.rule, sizeof(s.rule), "%s", k && k->rule_name ? k->rule_name : "");
	snprintf(s.mode, sizeof(s.mode), "%s", k && k->rule >= 0 ? hm_mode_name(k->mode) : "");
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n_series; i++)
		if (!strcmp(m->series[i].op, s.op) && !strcmp(m->series[i].kind, s.kind) &&
		    !strcmp(m->series[i].decision, s.decision) && !strcmp(m->series[i].rule, s.rule) &&
		    !strcmp(m->series[i].mode, s.mode))
			break;
	if (i == m->n_series) {
		if (i == HM_WEBHOOK_SERIES_MAX - 1) {
			/* the last one gathers whatever does not fit */
			for (i = 0; i < m->n_series && strcmp(m->series[i].kind, "_other"); i++)
				;
			if (i == m->n_series) {
				memset(&m->series[i], 0, sizeof(m->series[i]));
				snprintf(m->series[i].kind, sizeof(m->series[i].kind), "_other");
				m->n_series++;
			}
		} else {
			m->series[i] = s;
			m->n_series++;
		}
	}
	m->series[i].n++;
	for (b = 0; b < HM_WEBHOOK_LAT_BUCKETS && o->ms / 1000 > lat_bounds[b]; b++)
		;
	m->lat[b]++;
	m->lat_sum += o->ms / 1000;
	m->lat_n++;
	pthread_mutex_unlock(&m->lock);
}

void hm_wh_metrics_reload(hm_wh_metrics *m, int certificate, int ok)
{
	pthread_mutex_lock(&m->lock);
	m->reloads[!!certificate][!!ok]++;
	pthread_mutex_unlock(&m->lock);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(hm_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			hm_buf_addch(b, '\\'), hm_buf_addch(b, *s);
		else if (*s == '\n')
			hm_buf_addstr(b, "\\n");
		else
			hm_buf_addch(b, *s);
	}
}

static void cache_metrics(hm_buf *b, const char *which, hm_vcache *c)
{
	hm_vcache_stats st;

	hm_vcache_stats_get(c, &st);
	hm_buf_addf(b, "hallmark_webhook_cache_hits_total{cache=\"%s\"} %lu\n", which, st.hits);
	hm_buf_addf(b, "hallmark_webhook_cache_misses_total{cache=\"%s\"} %lu\n", which, st.misses);
	hm_buf_addf(b, "hallmark_webhook_cache_shared_total{cache=\"%s\"} %lu\n", which, st.shared);
	hm_buf_addf(b, "hallmark_webhook_cache_evictions_total{cache=\"%s\"} %lu\n", which, st.evicted);
	hm_buf_addf(b, "hallmark_webhook_cache_entries{cache=\"%s\"} %zu\n", which, st.size);
	hm_buf_addf(b, "hallmark_webhook_cache_in_flight{cache=\"%s\"} %zu\n", which, st.in_flight);
}

int hm_wh_metrics_render(hm_buf *b, hm_wh_metrics *m, hm_vcache *verdicts, hm_vcache *tags, int ready)
{
	unsigned long req, failed, cum = 0;

	hm_http_counters(&req, &failed);
	pthread_mutex_lock(&m->lock);
	hm_buf_addstr(b, "# HELP hallmark_webhook_reviews_total AdmissionReviews answered.\n"
			 "# TYPE hallmark_webhook_reviews_total counter\n");
	for (size_t i = 0; i < m->n_series; i++) {
		const hm_wh_series *s = &m->series[i];

		hm_buf_addstr(b, "hallmark_webhook_reviews_total{operation=\"");
		label(b, s->op);
		hm_buf_addstr(b, "\",kind=\"");
		label(b, s->kind);
		hm_buf_addf(b, "\",decision=\"%s\",rule=\"", s->decision);
		label(b, s->rule);
		hm_buf_addf(b, "\",mode=\"%s\"} %lu\n", s->mode, s->n);
	}
	hm_buf_addstr(b, "# HELP hallmark_webhook_review_duration_seconds Time from the first byte of a review to its answer.\n"
			 "# TYPE hallmark_webhook_review_duration_seconds histogram\n");
	for (size_t i = 0; i < HM_WEBHOOK_LAT_BUCKETS; i++) {
		cum += m->lat[i];
		hm_buf_addf(b, "hallmark_webhook_review_duration_seconds_bucket{le=\"%g\"} %lu\n", lat_bounds[i], cum);
	}
	hm_buf_addf(b, "hallmark_webhook_review_duration_seconds_bucket{le=\"+Inf\"} %lu\n", m->lat_n);
	hm_buf_addf(b, "hallmark_webhook_review_duration_seconds_sum %.6f\n", m->lat_sum);
	hm_buf_addf(b, "hallmark_webhook_review_duration_seconds_count %lu\n", m->lat_n);
	hm_buf_addstr(b, "# HELP hallmark_webhook_reloads_total Reloads of the policy and of the certificate, by outcome.\n"
			 "# TYPE hallmark_webhook_reloads_total counter\n");
	for (int what = 0; what < 2; what++)
		for (int ok = 1; ok >= 0; ok--)
			hm_buf_addf(b, "hallmark_webhook_reloads_total{what=\"%s\",outcome=\"%s\"} %lu\n",
				    what ? "certificate" : "policy", ok ? "ok" : "refused", m->reloads[what][ok]);
	pthread_mutex_unlock(&m->lock);
	hm_buf_addstr(b, "# HELP hallmark_webhook_reviews_in_flight Reviews being evaluated now.\n"
			 "# TYPE hallmark_webhook_reviews_in_flight gauge\n");
	hm_buf_addf(b, "hallmark_webhook_reviews_in_flight %u\n", atomic_load(&m->in_flight));
	hm_buf_addstr(b, "# HELP hallmark_webhook_cache_hits_total Lookups answered by the cache (verdicts and tags).\n"
			 "# TYPE hallmark_webhook_cache_hits_total counter\n"
			 "# TYPE hallmark_webhook_cache_misses_total counter\n"
			 "# TYPE hallmark_webhook_cache_shared_total counter\n"
			 "# TYPE hallmark_webhook_cache_evictions_total counter\n"
			 "# TYPE hallmark_webhook_cache_entries gauge\n"
			 "# HELP hallmark_webhook_cache_in_flight Verifications (or tag resolutions) under way.\n"
			 "# TYPE hallmark_webhook_cache_in_flight gauge\n");
	if (verdicts)
		cache_metrics(b, "verdicts", verdicts);
	if (tags)
		cache_metrics(b, "tags", tags);
	hm_buf_addstr(b, "# HELP hallmark_registry_requests_total HTTP requests made to registries.\n"
			 "# TYPE hallmark_registry_requests_total counter\n");
	hm_buf_addf(b, "hallmark_registry_requests_total %lu\n", req);
	hm_buf_addstr(b, "# HELP hallmark_registry_errors_total Registry requests that got no answer or a 5xx.\n"
			 "# TYPE hallmark_registry_errors_total counter\n");
	hm_buf_addf(b, "hallmark_registry_errors_total %lu\n", failed);
	hm_buf_addstr(b, "# HELP hallmark_webhook_ready 1 once the policy is loaded and the listener is up.\n"
			 "# TYPE hallmark_webhook_ready gauge\n");
	hm_buf_addf(b, "hallmark_webhook_ready %d\n", ready);
	return b->data ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

/* ---- the review record ---- */

static cJSON *str(const char *s)
{
	char cut[LOG_FIELD_MAX + 4];

	if (!s)
		return cJSON_CreateNull();
	if (strlen(s) <= LOG_FIELD_MAX)
		return cJSON_CreateString(s);
	memcpy(cut, s, LOG_FIELD_MAX);
	memcpy(cut + LOG_FIELD_MAX, "...", 4);
	return cJSON_CreateString(cut);
}

static void add(cJSON *o, const char *k, cJSON *v)
{
	if (v)
		cJSON_AddItemToObject(o, k, v);
}

/* Bytes past ASCII as \u00XX, so that the record is one line of ASCII
 * whatever a client sent (cJSON escapes the control characters). */
static char *ascii(const char *s)
{
	hm_buf b = HM_BUF_INIT;

	for (; *s; s++)
		if ((unsigned char)*s >= 0x7f)
			hm_buf_addf(&b, "\\u%04x", (unsigned char)*s);
		else
			hm_buf_addch(&b, *s);
	return hm_buf_detach(&b, NULL);
}

char *hm_wh_review_log(const hm_wh_outcome *o)
{
	const hm_image_decision *k = deciding(o->d);
	cJSON *r = cJSON_CreateObject(), *images = cJSON_CreateArray(), *viol = cJSON_CreateArray();
	hm_strv v = HM_STRV_INIT;
	char *line = NULL, *out = NULL;

	if (!r || !images || !viol) {
		cJSON_Delete(r);
		cJSON_Delete(images);
		cJSON_Delete(viol);
		return NULL;
	}
	add(r, "msg", cJSON_CreateString("review"));
	add(r, "uid", str(o->adm ? o->adm->uid : NULL));
	add(r, "route", str(o->route));
	add(r, "operation", str(o->adm ? o->adm->operation : NULL));
	add(r, "kind", str(o->adm ? o->adm->kind : NULL));
	add(r, "namespace", str(o->adm ? o->adm->namespace : NULL));
	add(r, "name", str(o->adm ? o->adm->name : NULL));
	for (size_t i = 0; o->adm && i < o->adm->images.n && i < LOG_LIST_MAX; i++)
		cJSON_AddItemToArray(images, str(o->adm->images.v[i].image));
	cJSON_AddItemToObject(r, "images", images);
	add(r, "allowed", cJSON_CreateBool(o->allowed));
	add(r, "decision", cJSON_CreateString(decision_of(o)));
	add(r, "rule", str(k ? k->rule_name : NULL));
	add(r, "mode", str(k && k->rule >= 0 ? hm_mode_name(k->mode) : NULL));
	if (o->d && (hm_decision_violations(&v, o->d, 0) || hm_decision_violations(&v, o->d, 1)))
		hm_error_clear();
	for (size_t i = 0; i < v.n && i < LOG_LIST_MAX; i++)
		cJSON_AddItemToArray(viol, str(v.v[i]));
	cJSON_AddItemToObject(r, "violations", viol);
	add(r, "cache_hits", cJSON_CreateNumber(o->cache_hits));
	add(r, "cache_misses", cJSON_CreateNumber(o->cache_misses));
	add(r, "patched", cJSON_CreateBool(o->patched));
	add(r, "error", str(o->error));
	add(r, "duration_ms", cJSON_CreateNumber((double)(long)(o->ms * 10) / 10));
	if ((line = cJSON_PrintUnformatted(r)))
		out = ascii(line);
	free(line);
	cJSON_Delete(r);
	hm_strv_free(&v);
	return out;
}
