/* SPDX-License-Identifier: Apache-2.0 */
/* The admission webhook: AdmissionReview v1 over HTTPS (libmicrohttpd).
 *
 * Routes:
 *   POST /validate  AdmissionReview in, AdmissionReview out (never a patch)
 *   POST /mutate    the same, with a JSONPatch pinning tags to digests when
 *                   the policy says mutate: digest
 *   GET  /healthz, /livez   200 "ok" while the server runs
 *   GET  /readyz    200 once the policy is loaded and the listener is up,
 *                   503 while stopping
 *   GET  /metrics   Prometheus text format
 * Requests must be POST with Content-Type application/json and a body of at
 * most opts.max_body bytes; anything else is answered 4xx with a one-line
 * text message.  Each review is evaluated exactly as `policy check
 * --admission-review` does (hm_admission_parse, hm_policy_eval,
 * hm_admission_response), around a verdict cache shared by all reviews
 * (policy/webhook_cache.h).  Per-image operational errors follow each
 * rule's on_error; an evaluation that cannot run at all is answered
 * allowed=false (fail closed).
 *
 * Connections are served by a pool of threads on epoll; a complete review
 * is handed to a bounded pool of workers (the connection suspended
 * meanwhile), so that a slow registry never stalls the other connections.
 *
 * Nothing here prints: each finished request is reported through
 * opts.on_request, and server diagnostics (TLS handshake failures, reloads
 * and the like) through opts.on_message, both called from server threads. */
#ifndef HM_POLICY_WEBHOOK_H
#define HM_POLICY_WEBHOOK_H

#include <stddef.h>
#include "oci/store.h"
#include "policy/policy.h"
#include "policy/webhook_cache.h"

/* One answered (or abandoned) request, borrowed for the callback's duration. */
typedef struct hm_webhook_request {
	const char *method;
	const char *path;
	unsigned status;  /* HTTP status sent, 0 when the client went away first */
	const char *uid;  /* the review's uid, NULL when it did not parse */
	int allowed;      /* 1 / 0, -1 when there was no decision */
	int patched;      /* the response carried a JSONPatch */
	size_t n_images;
	const char *error; /* why the request failed or was denied outright, or NULL */
	double ms;         /* from the first byte of the request to the last of the answer */
	const char *review_log; /* a review's one-line JSON record (see hm-policy-serve(1)), or NULL */
} hm_webhook_request;

typedef struct hm_webhook_opts {
	const char *listen;      /* "ADDRESS:PORT" or "[IPV6]:PORT"; port 0 picks one */
	const char *tls_cert;    /* PEM files */
	const char *tls_key;
	const hm_store_opts *store; /* registry options (borrowed; must outlive the server) */
	unsigned max_connections;   /* 0: 64 */
	unsigned max_per_client;    /* connections from one IP address at once; 0: 16 */
	unsigned timeout_s;         /* a client must send each whole request (the
				       TLS handshake included, for the first) and
				       read each whole answer within this, however
				       slowly it drips; also the idle time allowed
				       between requests; 0: 10 */
	size_t max_body;            /* 0: 3 MiB (the API server's own limit) */
	unsigned jobs;              /* images checked at once per request; 0: 8 */
	unsigned review_timeout_ms; /* the deadline of one review's registry work
				       (hm_store_opts.deadline_ms), below the API
				       server's webhook timeout; 0: 8000 */
	unsigned long max_requests; /* hm_webhook_finished() after this many; 0: never */
	unsigned threads;           /* connection threads; 0: 2 */
	unsigned workers;           /* reviews evaluated at once; 0: 16 */
	unsigned cache_ttl_s;       /* a positive verdict is kept; 0: HM_WEBHOOK_CACHE_TTL_S */
	unsigned negative_ttl_s;    /* a negative one; 0: HM_WEBHOOK_NEGATIVE_TTL_S */
	unsigned tag_ttl_s;         /* a tag's digest; 0: HM_WEBHOOK_TAG_TTL_S */
	size_t cache_size;          /* verdicts kept; 0: HM_VCACHE_MAX_ENTRIES */
	int no_cache;               /* keep nothing between reviews */
	unsigned watch_s;           /* how often the policy file is checked for a change; 0: 5 */
	int allow_unknown_kinds;    /* objects of unknown kinds pass on the images found in them */
	/* verification summaries (policy/webhook_vsa.h): made when vsa_key
	 * is set (taken over by hm_webhook_start whatever the outcome) */
	struct hm_key *vsa_key;
	const char *vsa_out;         /* a directory, or NULL */
	int vsa_attach;
	const char *vsa_verifier_id; /* NULL: the default */
	const char *vsa_policy_uri;  /* NULL: file:// and the policy's path */
	const char *version;         /* hallmark's, for the summaries */
	void (*on_request)(void *ctx, const hm_webhook_request *r);
	void (*on_message)(void *ctx, const char *message);
	void *ctx;
} hm_webhook_opts;

#define HM_WEBHOOK_OPTS_INIT {.listen = "127.0.0.1:8443"}

#define HM_WEBHOOK_REVIEW_TIMEOUT_MS 8000 /* Kubernetes waits 10 s by default */
#define HM_WEBHOOK_MAX_CONNECTIONS 64
#define HM_WEBHOOK_MAX_PER_CLIENT 16
#define HM_WEBHOOK_CLIENT_TIMEOUT_S 10
#define HM_WEBHOOK_CACHE_TTL_S 300
#define HM_WEBHOOK_NEGATIVE_TTL_S 30
#define HM_WEBHOOK_TAG_TTL_S 30
#define HM_WEBHOOK_WORKERS 16
#define HM_WEBHOOK_THREADS 2
#define HM_WEBHOOK_WATCH_S 5

typedef struct hm_webhook hm_webhook;

/* Reads the certificate and key, binds opts->listen and starts serving p
 * (taken over: the server holds it, and replaces it on reloads) on threads
 * of its own.  HM_E_USAGE for a bad listen address, HM_E_IO when a file
 * cannot be read or the server cannot start (address in use, certificate
 * and key that do not match), with the reason. */
int hm_webhook_start(hm_webhook **out, hm_served_policy *p, const hm_webhook_opts *opts);
/* Reads the policy file again (the one p was loaded from): a policy that
 * loads replaces the served one for the reviews that start afterwards and
 * empties the caches; one with problems is refused, each problem reported
 * through on_message, and the old one keeps serving.  HM_OK, or the
 * error.  Also done by the server itself when the file changes. */
int hm_webhook_reload(hm_webhook *w);
/* Reads the TLS certificate and key again: a pair that goes together
 * serves every new connection (the listening socket moves to a server with
 * it; open connections finish on the old one); anything else is refused
 * with a message and the old pair keeps serving.  Also done by the server
 * itself when either file changes. */
int hm_webhook_reload_tls(hm_webhook *w);
/* The port actually bound. */
unsigned hm_webhook_port(const hm_webhook *w);
/* Requests answered so far. */
unsigned long hm_webhook_served(const hm_webhook *w);
/* 1 once opts.max_requests requests were answered. */
int hm_webhook_finished(const hm_webhook *w);
/* Answers /readyz 503 from now on, still serving everything else (so that
 * the endpoints are removed before the listener closes). */
void hm_webhook_unready(hm_webhook *w);
/* Answers /readyz 503 and stops accepting connections; those open are
 * still served. */
void hm_webhook_drain(hm_webhook *w);
/* Stops listening, lets the requests under way finish, frees w (NULL ok)
 * and wipes the key. */
void hm_webhook_stop(hm_webhook *w);

#endif
