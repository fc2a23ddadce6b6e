/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the webhook server: what policy/webhook.c (connections, reviews,
 * reloads) and policy/webhook_metrics.c (the /metrics page, the review log
 * record) share.  Not for other modules. */
#ifndef HM_POLICY_WEBHOOK_IMPL_H
#define HM_POLICY_WEBHOOK_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <microhttpd.h>
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
	unsigned long reloads[2][2]; /* [policy, certificate][refused, ok] */
	atomic_uint in_flight; /* reviews being evaluated */
} hm_wh_metrics;

/* One open connection, watched by the guard: a client gets opts.timeout_s
 * for the TLS handshake and each whole request, and again for reading each
 * answer, however slowly it drips bytes (MHD's own timeout only counts idle
 * time).  No deadline while a review is being evaluated: the review has its
 * own (opts.review_timeout_ms). */
typedef struct conn {
	struct conn *prev, *next;
	int fd;
	int64_t deadline; /* hm_http_now_ms() time; 0: none */
	int cut;
} conn;

typedef struct request request;

/* A daemon and the certificate it serves (MHD may read them while it runs).
 * A certificate reload starts a new one on the same listening socket and
 * retires the old, which serves its open connections until they close. */
typedef struct daemon_slot {
	struct MHD_Daemon *d;
	hm_buf cert, key;
	struct daemon_slot *next;
} daemon_slot;

struct hm_webhook {
	struct MHD_Daemon *mhd;  /* cur->d */
	daemon_slot *cur, *retired;
	unsigned flags;
	struct sockaddr_storage addr;
	unsigned port;
	struct stat cert_st, key_st; /* the TLS files as last loaded */
	hm_webhook_opts opts;
	pthread_mutex_t pol_lock; /* pol: the policy new reviews take */
	hm_served_policy *pol;
	pthread_mutex_t reload_lock; /* one reload at a time */
	struct stat pol_st;          /* of the policy file as last loaded */
	int64_t next_watch;
	hm_vcache *verdicts, *tags;  /* NULL with opts.no_cache */
	struct hm_pool *pool;        /* the threads images are verified on, shared by the reviews */
	struct hm_wh_vsa *vsa;       /* verification summaries, or NULL */
	void *share;                 /* keep-alive registry connections */
	hm_store_opts store;
	hm_wh_metrics m;
	atomic_int ready;
	atomic_int draining;
	/* the workers evaluating reviews, and their queue */
	pthread_mutex_t q_lock;
	pthread_cond_t q_wake;
	request *q_head, *q_tail;
	int q_stop;
	pthread_t workers[64];
	unsigned n_workers;
	atomic_ulong served;
	atomic_int running;       /* on_message only once started */
	pthread_mutex_t log_lock; /* start_log: MHD logs from its threads too */
	char start_log[512];
	pthread_mutex_t guard_lock; /* conns, guard_stop */
	pthread_cond_t guard_wake;
	pthread_t guard;
	int guard_started, guard_stop;
	conn *conns;
};

enum route { ROUTE_NONE, ROUTE_HEALTH, ROUTE_READY, ROUTE_METRICS, ROUTE_VALIDATE, ROUTE_MUTATE };

/* One request, from its headers to the end of its answer.  A review is
 * handed to a worker with its connection suspended, and answered once the
 * worker resumes it (state DONE). */
struct request {
	struct timespec t0;
	char method[16], path[64];
	enum route route;
	unsigned status;
	hm_buf body;
	int too_large;
	char *uid, *error;
	int allowed, patched;
	size_t n_images;
	enum { RECEIVING, QUEUED, DONE } state;
	struct MHD_Connection *c;
	request *qnext;
	unsigned out_status; /* the worker's answer */
	const char *out_type;
	hm_buf out;
	char *review_log;
	hm_admission adm; /* the review, once parsed */
	int parsed;
};

/* policy/webhook.c */
struct MHD_Daemon *hm_wh_start_daemon(hm_webhook *w, daemon_slot *s, MHD_socket listen_fd);

/* policy/webhook_reload.c */
void hm_wh_slot_free(daemon_slot *s);
int hm_wh_tls_load(hm_webhook *w, daemon_slot **out);
int hm_wh_policy_stat(const hm_webhook *w, struct stat *st);
/* Called by the guard every tick: reloads what changed, stops the retired
 * daemons whose connections all closed. */
void hm_wh_watch(hm_webhook *w);

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
void hm_wh_metrics_reload(hm_wh_metrics *m, int certificate, int ok);
/* The page, with the caches' and the registry client's figures. */
int hm_wh_metrics_render(hm_buf *out, hm_wh_metrics *m, hm_vcache *verdicts, hm_vcache *tags, int ready);
/* The review's one-line JSON record (new string, NULL when out of memory). */
char *hm_wh_review_log(const hm_wh_outcome *o);

#endif
