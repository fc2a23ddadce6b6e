/* Inside the webhook server: what policy/webhook.c (connections, reviews,
 * reloads) and policy/webhook_metrics.c (the /metrics page, the review log
 * record) share.  Not for other modules. */
#ifndef HM_POLICY_WEBHOOK_IMPL_H
#define HM_POLICY_WEBHOOK_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include "core/buf.h"
#include "policy/workload.h"
#include "policy/webhook.h"

#define HM_WEBHOOK_SERIES_MAX 256 /* label sets of the reviews counter; then "_other" */
#define HM_WEBHOOK_LAT_BUCKETS 12

typedef struct hm_wh_series {
	char op[16], kind[64], decision[8], rule[64], mode[8];
	unsigned long n;
} hm_wh_series;

typedef struct hm_wh_metrics {
	pthread_mutex_t lock;
	hm_wh_series series[HM_WEBHOOK_SERIES_MAX];
	size_t n_series;
	unsigned long lat[HM_WEBHOOK_LAT_BUCKETS + 1]; /* cumulative at render */
	double lat_sum;
	unsigned long lat_n;
	unsigned long reloads_ok, reloads_failed;
	atomic_uint in_flight; /* reviews being evaluated */
} hm_wh_metrics;

/* What one review decided, for the counter, the histogram and the log. */
typedef struct hm_wh_outcome {
	const hm_admission *adm;
	const hm_decision *d; /* NULL when the evaluation could not run */
	const char *route;    /* "validate" or "mutate" */
	const char *error;    /* why it failed closed, or NULL */
	int allowed, patched;
	unsigned cache_hits, cache_misses;
	double ms;
} hm_wh_outcome;

void hm_wh_metrics_init(hm_wh_metrics *m);
void hm_wh_metrics_destroy(hm_wh_metrics *m);
void hm_wh_metrics_review(hm_wh_metrics *m, const hm_wh_outcome *o);
void hm_wh_metrics_reload(hm_wh_metrics *m, int ok);
/* The page, with the caches' and the registry client's figures. */
int hm_wh_metrics_render(hm_buf *out, hm_wh_metrics *m, hm_vcache *verdicts, hm_vcache *tags, int ready);
/* The review's one-line JSON record (new string, NULL when out of memory). */
char *hm_wh_review_log(const hm_wh_outcome *o);

#endif
