/* SPDX-License-Identifier: Apache-2.0 */
/* The admission webhook server (see webhook.h). */
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/pool.h"
#include "oci/http.h"
#include "policy/eval.h"
#include "policy/webhook.h"
#include "policy/webhook_impl.h"
#include "policy/webhook_vsa.h"
#include "policy/workload.h"

#define GUARD_TICK_MS 200

/* MHD's diagnostics: gathered while starting (they explain a failure to
 * start, the most general last), passed on once running. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	hm_webhook *w = cls;
	char line[256];
	size_t n, have;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '.' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (atomic_load(&w->running)) {
		if (w->opts.on_message)
			w->opts.on_message(w->opts.ctx, line);
		return;
	}
	pthread_mutex_lock(&w->log_lock);
	have = strlen(w->start_log);
	snprintf(w->start_log + have, sizeof(w->start_log) - have, "%s%s", have ? "; " : "", line);
	pthread_mutex_unlock(&w->log_lock);
}

/* --- the guard: slow clients cannot keep a connection --------------------- */

static conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

/* Starts the clock of c (ms from now), or stops it (0). */
static void conn_clock(hm_webhook *w, struct MHD_Connection *c, int64_t ms)
{
	conn *k = conn_of(c);

	if (!k)
		return;
	pthread_mutex_lock(&w->guard_lock);
	k->deadline = ms ? hm_http_now_ms() + ms : 0;
	pthread_mutex_unlock(&w->guard_lock);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	hm_webhook *w = cls;
	conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (!i || !(k = calloc(1, sizeof(*k))))
			return; /* unwatched: MHD's idle timeout still applies */
		k->fd = i->connect_fd;
		k->deadline = hm_http_now_ms() + (int64_t)w->opts.timeout_s * 1000;
		pthread_mutex_lock(&w->guard_lock);
		k->next = w->conns;
		if (w->conns)
			w->conns->prev = k;
		w->conns = k;
		pthread_mutex_unlock(&w->guard_lock);
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	/* MHD closes the socket after this: unlinked first, the guard can
	 * never shut down a descriptor that was reused */
	pthread_mutex_lock(&w->guard_lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		w->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&w->guard_lock);
	free(k);
	*socket_context = NULL;
}

/* Shuts down the socket of every connection past its deadline: its thread
 * sees the end of the stream and MHD closes it. */
static void *guard_main(void *arg)
{
	hm_webhook *w = arg;

	pthread_mutex_lock(&w->guard_lock);
	while (!w->guard_stop) {
		struct timespec until;
		int64_t now = hm_http_now_ms();

		for (conn *k = w->conns; k; k = k->next)
			if (k->deadline && now >= k->deadline && !k->cut) {
				shutdown(k->fd, SHUT_RDWR);
				k->cut = 1;
			}
		if (w->pol) {
			pthread_mutex_unlock(&w->guard_lock);
			hm_wh_watch(w);
			pthread_mutex_lock(&w->guard_lock);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += GUARD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->guard_wake, &w->guard_lock, &until);
	}
	pthread_mutex_unlock(&w->guard_lock);
	return NULL;
}

/* Queues an answer (copied).  Remembers the status for the log line. */
static enum MHD_Result reply(struct MHD_Connection *c, request *r, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->route == ROUTE_VALIDATE || r->route == ROUTE_MUTATE ? "POST" : "GET, HEAD") !=
		 MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		r->status = status;
	return ret;
}

/* A refusal of the request itself: one line of text, kept for the log. */
static enum MHD_Result refuse(struct MHD_Connection *c, request *r, unsigned status, const char *msg)
{
	hm_buf b = HM_BUF_INIT;
	enum MHD_Result ret;

	free(r->error);
	r->error = strdup(msg);
	ret = hm_buf_addf(&b, "%s\n", msg) ? MHD_NO : reply(c, r, status, "text/plain; charset=utf-8", b.data, b.len);
	hm_buf_release(&b);
	return ret;
}

/* "application/json", optionally with parameters ("; charset=utf-8"). */
static int is_json(const char *type)
{
	size_t n = strlen("application/json");

	if (!type || strncasecmp(type, "application/json", n))
		return 0;
	type += n;
	while (*type == ' ' || *type == '\t')
		type++;
	return *type == '\0' || *type == ';';
}

/* An AdmissionReview response denying the request for a reason of ours,
 * not the policy's: the evaluation could not run. */
static cJSON *fail_closed(const char *uid, const char *why)
{
	cJSON *root = cJSON_CreateObject(), *resp, *status;
	char msg[512];

	snprintf(msg, sizeof(msg), "hallmark could not evaluate the policy (denied): %s", why);
	if (!root || !cJSON_AddStringToObject(root, "apiVersion", "admission.k8s.io/v1") ||
	    !cJSON_AddStringToObject(root, "kind", "AdmissionReview") ||
	    !(resp = cJSON_AddObjectToObject(root, "response")) || !cJSON_AddStringToObject(resp, "uid", uid) ||
	    !cJSON_AddBoolToObject(resp, "allowed", 0) || !(status = cJSON_AddObjectToObject(resp, "status")) ||
	    !cJSON_AddNumberToObject(status, "code", 500) || !cJSON_AddStringToObject(status, "message", msg)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void answer_text(request *r, unsigned status, const char *msg)
{
	free(r->error);
	r->error = strdup(msg);
	hm_buf_reset(&r->out);
	if (hm_buf_addf(&r->out, "%s\n", msg))
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	r->out_status = status;
	r->out_type = "text/plain; charset=utf-8";
}

/* Evaluates the review in r->body into r->out.  cache_only (on a
 * connection thread): only when every verdict and tag it needs is kept,
 * without a thread or the registry; 1 when something is not, the parsed
 * review kept in r for a worker (which calls again without cache_only). */
static int evaluate(hm_webhook *w, request *r, int cache_only)
{
	hm_eval_opts opts = HM_EVAL_OPTS_INIT;
	hm_policy_backend backend;
	hm_store_opts so = w->store;
	hm_served_policy *pol;
	hm_review_cache rc;
	hm_admission *adm = &r->adm;
	hm_eval_input *in = NULL;
	hm_decision d = {0};
	cJSON *resp = NULL;
	hm_wh_outcome o = {0};
	int mutate, err;

	hm_error_clear();
	if (!r->parsed) {
		if ((err = hm_admission_parse(adm, hm_buf_cstr(&r->body), r->body.len, "request body"))) {
			answer_text(r, err == HM_E_NOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_BAD_REQUEST,
				    hm_error_message());
			return 0;
		}
		r->parsed = 1;
	}
	pthread_mutex_lock(&w->pol_lock);
	pol = hm_served_policy_ref(w->pol);
	pthread_mutex_unlock(&w->pol_lock);
	mutate = r->route == ROUTE_MUTATE && pol->p->mutate_digest;
	opts.mutate = mutate;
	opts.jobs = w->opts.jobs;
	opts.pool = w->pool;
	opts.cache_only = cache_only;
	/* one deadline for all the registry work of this review, so that the
	 * answer leaves before the API server gives up on us */
	hm_http_set_deadline(&so, (long)w->opts.review_timeout_ms);
	hm_policy_backend_store(&backend, &so);
	hm_review_cache_init(&rc, w->verdicts, w->tags, pol, adm->images_unchanged, so.deadline_ms);
	rc.peek = cache_only;
	rc.vsa = w->vsa != NULL;
	if (w->verdicts)
		opts.cache = &rc.iface;
	if (!(err = hm_workload_inputs(&in, &adm->images)))
		err = hm_policy_eval(&d, pol->p, &backend, in, adm->images.n, &opts);
	if (err == HM_EVAL_INCOMPLETE) {
		free(in);
		hm_review_cache_release(&rc);
		hm_served_policy_unref(pol);
		return 1;
	}
	if (cache_only)
		hm_review_cache_count(&rc);
	if (!r->uid)
		r->uid = strdup(adm->uid);
	r->n_images = adm->images.n;
	if (!err)
		err = hm_workload_deny_refused(&d, &adm->images, w->opts.allow_unknown_kinds);
	if (!err && !(resp = hm_admission_response(adm, &d, mutate)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	if (err) {
		r->error = strdup(hm_error_message());
		resp = fail_closed(adm->uid, hm_error_message());
	}
	r->allowed = !err && d.allowed;
	r->patched = resp && cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "response"),
							      "patch") != NULL;
	if (!resp || hm_json_print(&r->out, resp)) {
		answer_text(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	} else {
		r->out_status = MHD_HTTP_OK;
		r->out_type = "application/json";
	}
	/* what this review verified itself gets its summary (never delays the answer) */
	if (!err && w->vsa)
		hm_wh_vsa_emit(w->vsa, pol, &d, &rc);
	o.adm = adm;
	o.d = err ? NULL : &d;
	o.route = r->route == ROUTE_MUTATE ? "mutate" : "validate";
	o.error = r->error;
	o.allowed = r->allowed;
	o.patched = r->patched;
	o.cache_hits = atomic_load(&rc.hits);
	o.cache_misses = atomic_load(&rc.misses);
	o.ms = ms_since(&r->t0);
	hm_wh_metrics_review(&w->m, &o);
	r->review_log = hm_wh_review_log(&o);
	cJSON_Delete(resp);
	hm_decision_free(&d);
	free(in);
	hm_review_cache_release(&rc);
	hm_admission_free(adm);
	r->parsed = 0;
	hm_served_policy_unref(pol);
	return 0;
}

static void *worker_main(void *arg)
{
	hm_webhook *w = arg;

	for (;;) {
		request *r;

		pthread_mutex_lock(&w->q_lock);
		while (!w->q_head && !w->q_stop)
			pthread_cond_wait(&w->q_wake, &w->q_lock);
		if (!(r = w->q_head)) {
			pthread_mutex_unlock(&w->q_lock);
			return NULL;
		}
		w->q_head = r->qnext;
		if (!w->q_head)
			w->q_tail = NULL;
		pthread_mutex_unlock(&w->q_lock);
		evaluate(w, r, 0);
		r->state = DONE;
		atomic_fetch_sub(&w->m.in_flight, 1);
		/* r belongs to the connection again from here */
		MHD_resume_connection(r->c);
	}
}

/* Hands the complete review to a worker, the connection suspended. */
static enum MHD_Result queue_review(hm_webhook *w, struct MHD_Connection *c, request *r)
{
	/* the whole request is in: the review's own deadline bounds what follows */
	conn_clock(w, c, 0);
	r->c = c;
	r->state = QUEUED;
	atomic_fetch_add(&w->m.in_flight, 1);
	MHD_suspend_connection(c);
	pthread_mutex_lock(&w->q_lock);
	if (w->q_tail)
		w->q_tail->qnext = r;
	else
		w->q_head = r;
	w->q_tail = r;
	pthread_cond_signal(&w->q_wake);
	pthread_mutex_unlock(&w->q_lock);
	return MHD_YES;
}

static enum MHD_Result send_metrics(hm_webhook *w, struct MHD_Connection *c, request *r)
{
	hm_buf b = HM_BUF_INIT;
	enum MHD_Result ret;

	if (hm_wh_metrics_render(&b, &w->m, w->verdicts, w->tags, atomic_load(&w->ready)) ||
	    (w->vsa && hm_wh_vsa_metrics(&b, w->vsa)))
		ret = refuse(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	else
		ret = reply(c, r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	hm_buf_release(&b);
	return ret;
}

/* Called by MHD with the headers (*con_cls NULL), for every piece of the
 * body, and once more when the body is complete. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	hm_webhook *w = cls;
	request *r = *con_cls;

	if (!r) {
		const char *len;

		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->path, sizeof(r->path), "%s", url);
		hm_buf_init(&r->body, w->opts.max_body);
		r->allowed = -1;
		*con_cls = r;
		if (!strcmp(url, "/healthz") || !strcmp(url, "/livez"))
			r->route = ROUTE_HEALTH;
		else if (!strcmp(url, "/readyz"))
			r->route = ROUTE_READY;
		else if (!strcmp(url, "/metrics"))
			r->route = ROUTE_METRICS;
		else if (!strcmp(url, "/validate"))
			r->route = ROUTE_VALIDATE;
		else if (!strcmp(url, "/mutate"))
			r->route = ROUTE_MUTATE;
		if (r->route == ROUTE_NONE)
			return refuse(c, r, MHD_HTTP_NOT_FOUND,
				      "no such path (use /validate, /mutate, /livez, /readyz or /metrics)");
		if (r->route != ROUTE_VALIDATE && r->route != ROUTE_MUTATE &&
		    strcmp(method, "GET") && strcmp(method, "HEAD"))
			return refuse(c, r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		if (r->route == ROUTE_HEALTH)
			return reply(c, r, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
		if (r->route == ROUTE_READY)
			return atomic_load(&w->ready) ? reply(c, r, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3)
						      : refuse(c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready");
		if (r->route == ROUTE_METRICS)
			return send_metrics(w, c, r);
		if (strcmp(method, "POST"))
			return refuse(c, r, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST with an AdmissionReview");
		if (!is_json(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
			return refuse(c, r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
		len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (len && strtoull(len, NULL, 10) > w->opts.max_body)
			return refuse(c, r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return MHD_YES;
	}
	if (r->state == DONE) {
		enum MHD_Result ret;

		/* the client has opts.timeout_s to read the answer */
		conn_clock(w, c, (int64_t)w->opts.timeout_s * 1000);
		ret = reply(c, r, r->out_status, r->out_type, hm_buf_cstr(&r->out), r->out.len);
		hm_buf_release(&r->out);
		return ret;
	}
	if (r->status || r->state == QUEUED)
		return MHD_YES; /* answered already; MHD discards the rest */
	if (*upload_data_size) {
		if (!r->too_large && hm_buf_add(&r->body, upload_data, *upload_data_size)) {
			r->too_large = 1;
			hm_buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		return refuse(c, r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	/* A review the cache answers whole is answered here, on this thread:
	 * no hand-over, no suspension, no other thread woken. */
	if (w->verdicts) {
		int more;

		atomic_fetch_add(&w->m.in_flight, 1);
		more = evaluate(w, r, 1);
		atomic_fetch_sub(&w->m.in_flight, 1);
		if (!more) {
			enum MHD_Result ret = reply(c, r, r->out_status, r->out_type, hm_buf_cstr(&r->out), r->out.len);

			hm_buf_release(&r->out);
			return ret;
		}
	}
	return queue_review(w, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	hm_webhook *w = cls;
	request *r = *con_cls;
	struct timespec t1;

	/* the next request on this connection (keep-alive) gets the same time */
	conn_clock(w, c, (int64_t)w->opts.timeout_s * 1000);
	if (!r)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (w->opts.on_request) {
		hm_webhook_request e = {
		    .method = r->method,
		    .path = r->path,
		    .status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 0,
		    .uid = r->uid,
		    .allowed = r->allowed,
		    .patched = r->patched,
		    .n_images = r->n_images,
		    .error = r->error ? r->error : toe != MHD_REQUEST_TERMINATED_COMPLETED_OK ? "connection closed early"
											      : NULL,
		    .ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6,
		    .review_log = r->review_log,
		};

		w->opts.on_request(w->opts.ctx, &e);
	}
	atomic_fetch_add(&w->served, 1);
	hm_buf_release(&r->body);
	hm_buf_release(&r->out);
	free(r->uid);
	free(r->error);
	free(r->review_log);
	if (r->parsed)
		hm_admission_free(&r->adm);
	free(r);
	*con_cls = NULL;
}

/* "HOST:PORT" or "[HOST]:PORT" to a socket address. */
static int parse_listen(struct sockaddr_storage *out, const char *listen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char host[256], *end;
	const char *colon, *h = listen;
	size_t hlen;
	long port;
	int rc;

	if (*listen == '[') {
		const char *close = strchr(listen, ']');

		colon = close && close[1] == ':' ? close + 1 : NULL;
		h = listen + 1;
		hlen = close ? (size_t)(close - h) : 0;
	} else {
		colon = strrchr(listen, ':');
		hlen = colon ? (size_t)(colon - listen) : 0;
		if (colon && memchr(listen, ':', hlen))
			return hm_error_set(HM_E_USAGE, "listen address '%s': write an IPv6 address as [ADDRESS]:PORT",
					    listen);
	}
	if (!colon || !hlen || hlen >= sizeof(host))
		return hm_error_set(HM_E_USAGE, "listen address '%s': expected ADDRESS:PORT", listen);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return hm_error_set(HM_E_USAGE, "listen address '%s': the port must be a number from 0 to 65535", listen);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) || !res)
		return hm_error_set(HM_E_USAGE, "listen address '%s': %s", listen, rc ? gai_strerror(rc) : "no address");
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen < sizeof(*out) ? res->ai_addrlen : sizeof(*out));
	freeaddrinfo(res);
	return HM_OK;
}

/* A daemon serving slot s, on listen_fd when valid (a reload), else bound
 * to the address. */
struct MHD_Daemon *hm_wh_start_daemon(hm_webhook *w, daemon_slot *s, MHD_socket listen_fd)
{
	/* The logger first, so that it sees every message about the others. */
	if (listen_fd != MHD_INVALID_SOCKET)
		return MHD_start_daemon(w->flags, 0, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
					w, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_HTTPS_MEM_CERT,
					hm_buf_cstr(&s->cert), MHD_OPTION_HTTPS_MEM_KEY, hm_buf_cstr(&s->key),
					MHD_OPTION_THREAD_POOL_SIZE, w->opts.threads, MHD_OPTION_CONNECTION_LIMIT,
					w->opts.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					w->opts.max_per_client, MHD_OPTION_CONNECTION_TIMEOUT, w->opts.timeout_s,
					MHD_OPTION_NOTIFY_CONNECTION, on_connection, w, MHD_OPTION_NOTIFY_COMPLETED,
					on_completed, w, MHD_OPTION_END);
	return MHD_start_daemon(w->flags, 0, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&w->addr, MHD_OPTION_HTTPS_MEM_CERT,
				hm_buf_cstr(&s->cert), MHD_OPTION_HTTPS_MEM_KEY, hm_buf_cstr(&s->key),
				MHD_OPTION_THREAD_POOL_SIZE, w->opts.threads, MHD_OPTION_CONNECTION_LIMIT,
				w->opts.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, w->opts.max_per_client,
				MHD_OPTION_CONNECTION_TIMEOUT, w->opts.timeout_s, MHD_OPTION_NOTIFY_CONNECTION,
				on_connection, w, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
}


int hm_webhook_start(hm_webhook **out, hm_served_policy *p, const hm_webhook_opts *opts)
{
	hm_webhook *w;
	struct sockaddr_storage addr;
	unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	hm_vcache_opts co = {0};
	int err;

	*out = NULL;
	if ((err = parse_listen(&addr, opts->listen))) {
		hm_served_policy_unref(p);
		hm_key_free(opts->vsa_key);
		return err;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		hm_served_policy_unref(p);
		hm_key_free(opts->vsa_key);
		return hm_error_set(HM_E_IO, "this libmicrohttpd was built without TLS support");
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		hm_served_policy_unref(p);
		hm_key_free(opts->vsa_key);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	w->pol = p;
	w->opts = *opts;
	if (!w->opts.max_connections)
		w->opts.max_connections = HM_WEBHOOK_MAX_CONNECTIONS;
	if (!w->opts.max_per_client)
		w->opts.max_per_client = HM_WEBHOOK_MAX_PER_CLIENT;
	if (!w->opts.timeout_s)
		w->opts.timeout_s = HM_WEBHOOK_CLIENT_TIMEOUT_S;
	if (!w->opts.review_timeout_ms)
		w->opts.review_timeout_ms = HM_WEBHOOK_REVIEW_TIMEOUT_MS;
	if (!w->opts.max_body)
		w->opts.max_body = 3u << 20;
	if (!w->opts.threads)
		w->opts.threads = HM_WEBHOOK_THREADS;
	if (!w->opts.workers)
		w->opts.workers = HM_WEBHOOK_WORKERS;
	if (w->opts.workers > 64)
		w->opts.workers = 64;
	if (!w->opts.watch_s)
		w->opts.watch_s = HM_WEBHOOK_WATCH_S;
	if (opts->store)
		w->store = *opts->store;
	pthread_mutex_init(&w->log_lock, NULL);
	pthread_mutex_init(&w->guard_lock, NULL);
	pthread_cond_init(&w->guard_wake, NULL);
	pthread_mutex_init(&w->pol_lock, NULL);
	pthread_mutex_init(&w->reload_lock, NULL);
	pthread_mutex_init(&w->q_lock, NULL);
	pthread_cond_init(&w->q_wake, NULL);
	hm_wh_metrics_init(&w->m);
	atomic_init(&w->served, 0);
	atomic_init(&w->running, 0);
	atomic_init(&w->ready, 0);
	atomic_init(&w->draining, 0);
	if (hm_wh_policy_stat(w, &w->pol_st))
		memset(&w->pol_st, 0, sizeof(w->pol_st));
	w->next_watch = hm_http_now_ms() + (int64_t)w->opts.watch_s * 1000;
	if (!w->opts.no_cache) {
		co.max_entries = w->opts.cache_size;
		co.ttl_ms = (int64_t)(w->opts.cache_ttl_s ? w->opts.cache_ttl_s : HM_WEBHOOK_CACHE_TTL_S) * 1000;
		co.neg_ttl_ms = (int64_t)(w->opts.negative_ttl_s ? w->opts.negative_ttl_s : HM_WEBHOOK_NEGATIVE_TTL_S) * 1000;
		if (!(w->verdicts = hm_vcache_new(&co))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
		co.ttl_ms = co.neg_ttl_ms = (int64_t)(w->opts.tag_ttl_s ? w->opts.tag_ttl_s : HM_WEBHOOK_TAG_TTL_S) * 1000;
		if (!(w->tags = hm_vcache_new(&co))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
	}
	if (!(w->share = hm_http_share_new())) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	w->store.share = w->share;
	/* the images of all reviews are verified on these (and the reviews' own) */
	if (!(w->pool = hm_pool_new(w->opts.jobs ? w->opts.jobs : 8))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (opts->vsa_key) {
		hm_wh_vsa_opts vo = {0};

		vo.key = opts->vsa_key;
		vo.out_dir = opts->vsa_out;
		vo.attach = opts->vsa_attach;
		vo.verifier_id = opts->vsa_verifier_id;
		vo.policy_uri = opts->vsa_policy_uri;
		vo.version = opts->version ? opts->version : "unknown";
		vo.store = &w->store;
		vo.remember_ms = (int64_t)(w->opts.cache_ttl_s ? w->opts.cache_ttl_s : HM_WEBHOOK_CACHE_TTL_S) * 1000;
		vo.on_message = opts->on_message;
		vo.ctx = opts->ctx;
		w->opts.vsa_key = NULL;
		if ((err = hm_wh_vsa_new(&w->vsa, &vo)))
			goto done;
	}
	for (; w->n_workers < w->opts.workers; w->n_workers++)
		if (pthread_create(&w->workers[w->n_workers], NULL, worker_main, w)) {
			err = hm_error_set(HM_E_IO, "serving HTTPS on %s: cannot start a thread", opts->listen);
			goto done;
		}
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	w->flags = flags;
	w->addr = addr;
	if ((err = hm_wh_tls_load(w, &w->cur)))
		goto done;
	if (!(w->cur->d = hm_wh_start_daemon(w, w->cur, MHD_INVALID_SOCKET))) {
		err = hm_error_set(HM_E_IO, "serving HTTPS on %s: %s", opts->listen,
				   *w->start_log ? w->start_log : "libmicrohttpd refused to start");
		goto done;
	}
	w->mhd = w->cur->d;
	{
		const union MHD_DaemonInfo *i = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);

		w->port = i ? i->port : 0;
	}
	atomic_store(&w->running, 1);
	if (pthread_create(&w->guard, NULL, guard_main, w))
		err = hm_error_set(HM_E_IO, "serving HTTPS on %s: cannot start a thread", opts->listen);
	else
		w->guard_started = 1;
done:
	if (err) {
		hm_webhook_stop(w);
		return err;
	}
	atomic_store(&w->ready, 1);
	*out = w;
	return HM_OK;
}

unsigned hm_webhook_port(const hm_webhook *w)
{
	return w->port;
}

unsigned long hm_webhook_served(const hm_webhook *w)
{
	return atomic_load(&((hm_webhook *)w)->served);
}

int hm_webhook_finished(const hm_webhook *w)
{
	return w->opts.max_requests && hm_webhook_served(w) >= w->opts.max_requests;
}

void hm_webhook_unready(hm_webhook *w)
{
	if (w)
		atomic_store(&w->ready, 0);
}

void hm_webhook_drain(hm_webhook *w)
{
	MHD_socket fd;

	if (!w)
		return;
	atomic_store(&w->ready, 0);
	/* a reload never starts once draining (both under reload_lock) */
	pthread_mutex_lock(&w->reload_lock);
	if (!atomic_exchange(&w->draining, 1) && w->mhd &&
	    (fd = MHD_quiesce_daemon(w->mhd)) != MHD_INVALID_SOCKET)
		close(fd); /* new connections are refused; those open are still served */
	pthread_mutex_unlock(&w->reload_lock);
}

void hm_webhook_stop(hm_webhook *w)
{
	if (!w)
		return;
	hm_webhook_drain(w);
	/* the reviews under way answer first (each within its deadline):
	 * MHD must not be stopped with a connection suspended */
	for (int i = 0; w->mhd && atomic_load(&w->m.in_flight) && i < 6000; i++)
		usleep(10000);
	if (w->guard_started) {
		pthread_mutex_lock(&w->guard_lock);
		w->guard_stop = 1;
		pthread_cond_signal(&w->guard_wake);
		pthread_mutex_unlock(&w->guard_lock);
		pthread_join(w->guard, NULL);
	}
	/* the guard (which retires daemons) is gone: every daemon stops here */
	hm_wh_slot_free(w->cur);
	while (w->retired) {
		daemon_slot *n = w->retired->next;

		hm_wh_slot_free(w->retired);
		w->retired = n;
	}
	pthread_mutex_lock(&w->q_lock);
	w->q_stop = 1;
	pthread_cond_broadcast(&w->q_wake);
	pthread_mutex_unlock(&w->q_lock);
	for (unsigned i = 0; i < w->n_workers; i++)
		pthread_join(w->workers[i], NULL);
	hm_pool_free(w->pool);
	hm_wh_vsa_free(w->vsa);
	pthread_cond_destroy(&w->q_wake);
	pthread_mutex_destroy(&w->q_lock);
	pthread_cond_destroy(&w->guard_wake);
	pthread_mutex_destroy(&w->guard_lock);
	pthread_mutex_destroy(&w->log_lock);
	hm_served_policy_unref(w->pol);
	pthread_mutex_destroy(&w->pol_lock);
	pthread_mutex_destroy(&w->reload_lock);
	hm_vcache_free(w->verdicts);
	hm_vcache_free(w->tags);
	hm_http_share_free(w->share);
	hm_wh_metrics_destroy(&w->m);
	free(w);
}
