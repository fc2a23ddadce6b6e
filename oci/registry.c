/* SPDX-License-Identifier: Apache-2.0 */
/* The store over the OCI Distribution API (libcurl).
 *
 * One curl handle per store, reset between requests so that its connection
 * cache survives (keep-alive).  Redirects are followed here, not by curl,
 * so that credentials only ever go to the registry's own origin.  Every
 * answer is read into a capped hm_buf. */
#include <errno.h>
#include <unistd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "oci/auth.h"
#include "oci/http.h"
#include "oci/store_impl.h"
#include "oci/tls.h"

#define MAX_REDIRECTS 5
#define MAX_HEADER 8192
#define MAX_ERROR_BODY (64u << 10)
#define CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_PAGE 1000

#define ACCEPT_MANIFESTS                                                                            \
	"Accept: " HM_MT_OCI_MANIFEST ", " HM_MT_OCI_INDEX ", " HM_MT_DOCKER_MANIFEST ", " HM_MT_DOCKER_LIST

struct reg {
	CURL *curl;
	char *host;    /* as in the reference: "127.0.0.1:5000", "docker.io" */
	char *repo;
	char *api_host; /* the host (and port) spoken to: "registry-1.docker.io" */
	char *host_only; /* api_host without its port */
	char *base;    /* "https://registry-1.docker.io"; NULL until choose_scheme() */
	hm_tls tls;
	char **insecure;
	size_t n_insecure;
	int insecure_all;
	long timeout_ms;       /* one request */
	int64_t deadline_ms;   /* the whole operation (hm_store_opts), 0: none */
	void *share;           /* CURLSH of hm_store_opts.share, or NULL */
	long deadline_total_ms;
	unsigned page;
	const char *auth_file;
	hm_auth_cred cred;
	int cred_loaded;
	hm_buf auth;   /* Authorization value for the registry (secret), or empty */
	unsigned auth_gen; /* bumped whenever auth changes */
	char errbuf[CURL_ERROR_SIZE];
	struct pre *pre; /* answers of the last hm_store_prefetch, until taken */
	size_t n_pre;
};

struct resp {
	long status;
	hm_buf *body;   /* NULL: discarded */
	int overflow;
	char ctype[256];
	char digest[160];
	char *location;
	char *link;
	char *www_auth;
	curl_off_t length;
	CURLcode rc;    /* of the transfer that failed, else CURLE_OK */
	/* streaming a blob: the body of a 200 goes to sink (at most sink_max
	 * bytes, hashed by md), any other answer's body to body */
	FILE *sink;
	hm_digester *md;
	int64_t sink_max, sink_len;
	long cur_status;
	/* the request sends the upload_len bytes of this file instead of its data
	 * (kept here, not in struct req, whose users initialise it positionally) */
	FILE *upload;
	int64_t upload_len;
	/* the HTTPS probe of a host that may speak plain HTTP (choose_scheme):
	 * it sends no credentials and its answer is only "TLS or not", so the
	 * certificate is not checked there (every request after it checks it,
	 * on a connection of its own: curl reuses none across that setting)
	 * and the CA store, whose loading was half of a verify on loopback,
	 * is loaded only when a server does speak TLS */
	int probe;
};

struct req {
	const char *method; /* GET HEAD PUT POST */
	const char *url;
	const char *accept; /* a whole "Accept: ..." line, or NULL */
	const char *ctype;  /* Content-Type, or NULL */
	const void *data;
	size_t len;
	int push;           /* needs push access */
};

static const struct hm_store_ops registry_ops;

static struct reg *R(hm_store *s)
{
	return s->impl;
}

/* --- URLs and origins ---------------------------------------------------- */

struct origin {
	char scheme[8];
	char host[256];
	char port[8];
};

static int url_origin(struct origin *o, const char *url)
{
	CURLU *u = curl_url();
	char *sc = NULL, *h = NULL, *p = NULL;
	int err = HM_OK;

	memset(o, 0, sizeof(*o));
	if (!u)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_SCHEME, &sc, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) || curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) ||
	    strlen(sc) >= sizeof(o->scheme) || strlen(h) >= sizeof(o->host) || strlen(p) >= sizeof(o->port)) {
		err = hm_error_set(HM_E_IO, "invalid URL '%.200s'", url);
		goto done;
	}
	snprintf(o->scheme, sizeof(o->scheme), "%s", sc);
	snprintf(o->host, sizeof(o->host), "%s", h);
	snprintf(o->port, sizeof(o->port), "%s", p);
done:
	curl_free(sc);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return err;
}

static int same_origin(const struct origin *a, const struct origin *b)
{
	return strcasecmp(a->scheme, b->scheme) == 0 && strcasecmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0;
}

/* Resolves ref (absolute or relative) against url; caller frees. */
static int url_resolve(char **out, const char *url, const char *ref)
{
	CURLU *u = curl_url();
	char *s = NULL;
	int err = HM_OK;

	*out = NULL;
	if (!u)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_set(u, CURLUPART_URL, ref, 0) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0)) {
		err = hm_error_set(HM_E_IO, "invalid URL '%.200s' in an answer from '%.200s'", ref, url);
		goto done;
	}
	if (!(*out = strdup(s)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	curl_free(s);
	curl_url_cleanup(u);
	return err;
}

/* A host given with --insecure-registry (or every host, --tls-verify=false):
 * its certificate is not verified and it may fall back to plain HTTP. */
static int host_insecure(const struct reg *r, const char *host, const char *hostport)
{
	if (r->insecure_all)
		return 1;
	for (size_t i = 0; i < r->n_insecure; i++)
		if (strcasecmp(r->insecure[i], host) == 0 || strcasecmp(r->insecure[i], hostport) == 0)
			return 1;
	return 0;
}

/* May be spoken to over plain HTTP: loopback or an insecure host. */
static int host_plain_ok(const struct reg *r, const char *host, const char *hostport)
{
	return hm_http_is_loopback(host) || host_insecure(r, host, hostport);
}

/* HTTPS always; plain HTTP only to loopback or an insecure host. */
static int check_scheme(const struct reg *r, const struct origin *o)
{
	char hp[300];

	if (strcasecmp(o->scheme, "https") == 0)
		return HM_OK;
	snprintf(hp, sizeof(hp), "%s:%s", o->host, o->port);
	if (strcasecmp(o->scheme, "http") == 0 && host_plain_ok(r, o->host, hp))
		return HM_OK;
	return hm_error_set(HM_E_IO, "refusing plain %s to '%s' (only loopback or --insecure-registry hosts)",
			    o->scheme, o->host);
}

static int add_escaped(hm_buf *b, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	int err;

	if (!e)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	err = hm_buf_addstr(b, e);
	curl_free(e);
	return err;
}

/* --- one exchange ---------------------------------------------------------- */

static void resp_clear(struct resp *res)
{
	res->status = 0;
	res->overflow = 0;
	res->ctype[0] = res->digest[0] = '\0';
	free(res->location);
	free(res->link);
	free(res->www_auth);
	res->location = res->link = res->www_auth = NULL;
	res->length = -1;
	res->rc = CURLE_OK;
	if (res->body)
		hm_buf_reset(res->body);
}

static void copy_field(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void dup_field(char **dst, const char *v, size_t n, int keep_first)
{
	if (*dst && keep_first)
		return;
	if (n > MAX_HEADER)
		return;
	free(*dst);
	*dst = strndup(v, n);
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct resp *res = arg;
	size_t len = size * n, nlen, vlen;
	const char *colon, *v;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the old headers */
		hm_buf *body = res->body;
		const char *sp = memchr(line, ' ', len);

		res->body = NULL;
		resp_clear(res);
		res->body = body;
		res->cur_status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	colon = memchr(line, ':', len);
	if (!colon)
		return len;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
#define IS(h) (nlen == sizeof(h) - 1 && strncasecmp(line, h, nlen) == 0)
	if (IS("Content-Type"))
		copy_field(res->ctype, sizeof(res->ctype), v, vlen);
	else if (IS("Docker-Content-Digest"))
		copy_field(res->digest, sizeof(res->digest), v, vlen);
	else if (IS("Location"))
		dup_field(&res->location, v, vlen, 0);
	else if (IS("Link"))
		dup_field(&res->link, v, vlen, 0);
	else if (IS("WWW-Authenticate"))
		/* prefer a Bearer challenge when several are offered */
		dup_field(&res->www_auth, v, vlen, !(vlen > 7 && strncasecmp(v, "bearer ", 7) == 0));
#undef IS
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct resp *res = arg;
	size_t len = size * n;

	if (res->sink && res->cur_status == 200) {
		if (res->sink_len > res->sink_max || (int64_t)len > res->sink_max - res->sink_len ||
		    fwrite(data, 1, len, res->sink) != len) {
			res->overflow = 1;
			return 0;
		}
		res->sink_len += (int64_t)len;
		hm_digester_update(res->md, data, len);
		return len;
	}
	if (!res->body)
		return len;
	if (hm_buf_add(res->body, data, len)) {
		res->overflow = 1;
		return 0;
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	size_t got = fread(buf, size, n, arg);

	return got == 0 && ferror((FILE *)arg) ? CURL_READFUNC_ABORT : got;
}

static int add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (!t)
		return -1;
	*h = t;
	return 0;
}

/* The error once the operation's deadline has passed. */
static int deadline_error(const struct reg *r, const char *host)
{
	return hm_error_set(HM_E_IO, "the %g s deadline passed while talking to '%s' (raise --timeout)",
			    (double)r->deadline_total_ms / 1000.0, host);
}

/* The time one request may take: the per-request cap, or what is left
 * before the deadline.  0 when nothing is left. */
static long request_budget(const struct reg *r)
{
	int64_t left;

	if (!r->deadline_ms)
		return r->timeout_ms;
	left = r->deadline_ms - hm_http_now_ms();
	if (left <= 0)
		return 0;
	return left < r->timeout_ms ? (long)left : r->timeout_ms;
}

/* --debug: one line per request.  Only the method, the URL and the
 * status: never a header.  The query string is shown for the registry's
 * own URLs (tag pages, upload state) and dropped elsewhere, where a
 * redirect to storage may carry a signed URL. */
static void log_request(const struct reg *r, const char *method, const char *url, const char *auth, long status)
{
	struct origin home, here;
	size_t keep = strlen(url);

	if (!hm_log_enabled(HM_LOG_DEBUG))
		return;
	if (url_origin(&home, r->base) || url_origin(&here, url) || !same_origin(&home, &here))
		keep = strcspn(url, "?#");
	if (status)
		hm_log(HM_LOG_DEBUG, "%s %.*s%s -> %ld%s", method, (int)keep, url, url[keep] ? "?..." : "", status,
		       auth ? (strncmp(auth, "Bearer ", 7) == 0 ? " (bearer token sent)" : " (credentials sent)") : "");
	else
		hm_log(HM_LOG_DEBUG, "%s %.*s%s -> no answer", method, (int)keep, url, url[keep] ? "?..." : "");
}

/* One transfer being made: its handle, headers and where it goes. */
struct xfer {
	CURL *curl;
	struct curl_slist *h;
	char *errbuf;       /* CURL_ERROR_SIZE bytes */
	struct origin o;
	char hp[300];
	long budget;
};

/* Sets x->curl up for one request, no redirects, no auth dance.  auth:
 * the Authorization value to send, or NULL. */
static int prepare(struct reg *r, struct xfer *x, const struct req *q, const char *url, const char *auth,
		   struct resp *res)
{
	hm_buf line = HM_BUF_INIT;
	CURL *c = x->curl;
	long low_s;
	int err;

	resp_clear(res);
	x->h = NULL;
	if ((err = url_origin(&x->o, url)) || (err = check_scheme(r, &x->o)))
		return err;
	snprintf(x->hp, sizeof(x->hp), "%s:%s", x->o.host, x->o.port);
	if (!(x->budget = request_budget(r)))
		return deadline_error(r, x->o.host);
	curl_easy_reset(c);
	if (r->share)
		curl_easy_setopt(c, CURLOPT_SHARE, r->share);
	x->errbuf[0] = '\0';
	low_s = r->timeout_ms / 1000;
	low_s = low_s < 1 ? 1 : low_s > 30 ? 30 : low_s;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, x->budget < CONNECT_TIMEOUT_MS ? x->budget : CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x->budget);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, low_s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "hallmark/0.1");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
	hm_tls_setup(&r->tls, c, strcasecmp(x->o.host, r->host_only) == 0,
		     !res->probe && !host_insecure(r, x->o.host, x->hp));
	if (res->body && res->body->max)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)res->body->max);
	if (res->sink)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)res->sink_max);
	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (res->upload && strcmp(q->method, "PUT") == 0) {
		/* a retry (after a challenge) sends the file again from its start */
		if (fseeko(res->upload, 0, SEEK_SET) != 0)
			return hm_error_set(HM_E_IO, "rewinding a blob to upload: %s", strerror(errno));
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, res->upload);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)res->upload_len);
	} else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->data ? q->data : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	if (q->accept && add_header(&x->h, q->accept))
		goto nomem;
	if (hm_buf_addf(&line, "Content-Type: %s", q->ctype ? q->ctype : "") ||
	    add_header(&x->h, q->ctype ? line.data : "Content-Type:") || add_header(&x->h, "Expect:"))
		goto nomem;
	if (auth) {
		hm_buf_reset(&line);
		if (hm_buf_addf(&line, "Authorization: %s", auth) || add_header(&x->h, line.data))
			goto nomem;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->h);
	hm_buf_release_secret(&line);
	return HM_OK;
nomem:
	hm_buf_release_secret(&line);
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

/* After the transfer of x ended with rc: the status and length, the --debug
 * line, and the error for a transfer that failed. */
static int conclude(struct reg *r, struct xfer *x, CURLcode rc, const struct req *q, const char *url,
		    const char *auth, struct resp *res)
{
	int err = HM_OK;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &res->status);
	hm_http_count(rc != CURLE_OK || res->status >= 500);
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &res->length);
	log_request(r, q->method, url, auth, rc == CURLE_OK ? res->status : 0);
	if (rc != CURLE_OK) {
		const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
		size_t n = strcspn(why, "\r\n");

		res->rc = rc;

		if (r->deadline_ms && (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_RESOLVE_HOST ||
				       rc == CURLE_COULDNT_CONNECT) && hm_http_now_ms() >= r->deadline_ms - 10)
			err = deadline_error(r, x->o.host);
		else if (res->sink && (res->overflow || rc == CURLE_FILESIZE_EXCEEDED)) {
			res->overflow = 1;
			err = hm_error_set(HM_E_IO, "answer from '%s' exceeds the %lld bytes expected", x->o.host,
					   (long long)res->sink_max);
		} else if (res->overflow || rc == CURLE_FILESIZE_EXCEEDED)
			err = hm_error_set(HM_E_LIMIT, "answer from '%s' exceeds the %zu-byte limit", x->o.host,
					   res->body ? res->body->max : 0);
		else if (strcasecmp(x->o.scheme, "https") == 0 && hm_tls_is_tls_error(rc, why))
			err = hm_tls_error(&r->tls, x->curl, rc, x->o.host, x->hp, why);
		else if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
			 rc == CURLE_COULDNT_RESOLVE_PROXY)
			err = hm_error_set(HM_E_IO, "connecting to '%s': %.*s", x->o.host, (int)n, why);
		else
			err = hm_error_set(HM_E_IO, "talking to '%s': %.*s", x->o.host, (int)n, why);
		res->status = 0;
	}
	return err;
}

static void xfer_done(struct xfer *x)
{
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(x->h);
	x->h = NULL;
}

/* One request on the store's own handle. */
static int perform(struct reg *r, const struct req *q, const char *url, const char *auth, struct resp *res)
{
	struct xfer x = {r->curl, NULL, r->errbuf, {"", "", ""}, "", 0};
	int err = prepare(r, &x, q, url, auth, res);

	if (!err)
		err = conclude(r, &x, curl_easy_perform(r->curl), q, url, auth, res);
	xfer_done(&x);
	return err;
}

/* --- HTTPS, or plain HTTP ------------------------------------------------------ */

/* As docker does: HTTPS first, always; a loopback or insecure host that
 * does not speak it falls back to plain HTTP.  The choice is made once per
 * host and process, by asking /v2/ (which every registry answers with 200
 * or 401, and a TLS port asked in plain HTTP with 400), never by retrying a
 * real request, so nothing is sent twice and no credentials go out before
 * the scheme is known. */
#define SCHEMES_MAX 64
static struct {
	pthread_mutex_t mu;
	char host[SCHEMES_MAX][256];
	char plain[SCHEMES_MAX];
	unsigned next;
} schemes = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}, 0};

/* 1: plain HTTP, 0: HTTPS, -1: not known yet. */
static int scheme_remembered(const char *host)
{
	int found = -1;

	pthread_mutex_lock(&schemes.mu);
	for (unsigned i = 0; i < SCHEMES_MAX && found < 0; i++)
		if (strcmp(schemes.host[i], host) == 0)
			found = schemes.plain[i];
	pthread_mutex_unlock(&schemes.mu);
	return found;
}

static void scheme_remember(const char *host, int plain)
{
	unsigned i;

	if (strlen(host) >= sizeof(schemes.host[0]))
		return;
	pthread_mutex_lock(&schemes.mu);
	for (i = 0; i < SCHEMES_MAX; i++)
		if (strcmp(schemes.host[i], host) == 0)
			break;
	if (i == SCHEMES_MAX)
		i = schemes.next++ % SCHEMES_MAX;
	snprintf(schemes.host[i], sizeof(schemes.host[i]), "%s", host);
	schemes.plain[i] = (char)plain;
	pthread_mutex_unlock(&schemes.mu);
}

/* GET scheme://host/v2/, no credentials: HM_OK when an HTTP answer came. */
static int ping(struct reg *r, const char *scheme, struct resp *res)
{
	hm_buf url = HM_BUF_INIT, body = HM_BUF_INIT;
	struct req q = {"GET", NULL, NULL, NULL, NULL, 0, 0};
	CURLcode rc;
	long status;
	int err;

	hm_buf_init(&body, MAX_ERROR_BODY);
	res->body = &body;
	res->probe = strcmp(scheme, "https") == 0;
	if (!(err = hm_buf_addf(&url, "%s://%s/v2/", scheme, r->api_host))) {
		q.url = url.data;
		err = perform(r, &q, url.data, NULL, res);
	}
	res->probe = 0;
	status = res->status;
	rc = res->rc;
	resp_clear(res);
	res->status = status;
	res->rc = rc;
	res->body = NULL;
	hm_buf_release(&url);
	hm_buf_release(&body);
	return err;
}

static void say_https(const struct reg *r, const char *how)
{
	hm_log(HM_LOG_INFO, "registry %s: HTTPS%s%s; CAs: %s%s%s; client certificate: %s", r->api_host, how,
	    host_insecure(r, r->host_only, r->api_host) ? ", certificate not verified (insecure registry)" : "",
	    r->tls.cert_file || r->tls.cert_dir ? "SSL_CERT_FILE/SSL_CERT_DIR" : "the system store",
	    r->tls.sources.len ? ", " : "", hm_buf_cstr(&r->tls.sources),
	    r->tls.client_cert ? r->tls.client_cert : "none");
}

static int set_base(struct reg *r, int plain)
{
	hm_buf base = HM_BUF_INIT;
	int err = hm_buf_addf(&base, "%s://%s", plain ? "http" : "https", r->api_host);

	if (!err)
		r->base = hm_buf_detach(&base, NULL);
	return err;
}

static int choose_scheme(struct reg *r)
{
	struct resp res = {0};
	char https_why[1024], curl_why[CURL_ERROR_SIZE];
	CURLcode https_rc;
	int err, https_err, known;

	if (r->base)
		return HM_OK;
	if (!host_plain_ok(r, r->host_only, r->api_host)) {
		say_https(r, "");
		return set_base(r, 0);
	}
	if ((known = scheme_remembered(r->api_host)) >= 0) {
		if (known)
			hm_log(HM_LOG_INFO, "registry %s: plain HTTP (chosen earlier by this process)", r->api_host);
		else
			say_https(r, " (chosen earlier by this process)");
		return set_base(r, known);
	}
	if (!(https_err = ping(r, "https", &res))) {
		say_https(r, "");
		scheme_remember(r->api_host, 0);
		return set_base(r, 0);
	}
	snprintf(https_why, sizeof(https_why), "%s", hm_error_message());
	snprintf(curl_why, sizeof(curl_why), "%s", r->errbuf);
	https_rc = res.rc;
	/* out of time; or a TLS server whose certificate is not trusted: no
	 * plain HTTP there, and the certificate error is the one to see */
	if ((r->deadline_ms && hm_http_now_ms() >= r->deadline_ms - 10) ||
	    (!host_insecure(r, r->host_only, r->api_host) &&
	     (res.rc == CURLE_PEER_FAILED_VERIFICATION || res.rc == CURLE_SSL_ISSUER_ERROR)))
		return https_err;
	err = ping(r, "http", &res);
	if (!err && res.status != 400) {
		hm_log(HM_LOG_INFO, "registry %s: plain HTTP (HTTPS failed: %s)", r->api_host, https_why);
		scheme_remember(r->api_host, 1);
		return set_base(r, 1);
	}
	/* neither: what HTTPS said is what the user needs to read.  A TLS port
	 * (plain HTTP got 400) that cut the connection right after the
	 * handshake is a TLS 1.3 server refusing the client certificate. */
	if (!err && (https_rc == CURLE_SEND_ERROR || https_rc == CURLE_RECV_ERROR || https_rc == CURLE_GOT_NOTHING ||
		     https_rc == CURLE_HTTP2))
		return hm_tls_error(&r->tls, r->curl, https_rc, r->host_only, r->api_host,
				    curl_why[0] ? curl_why : curl_easy_strerror(https_rc));
	return hm_error_set(https_err, "%s%s", https_why, err ? "" : "; plain HTTP answered HTTP 400 (a TLS port)");
}

/* --- authentication ---------------------------------------------------------- */

static int load_cred(struct reg *r)
{
	long budget;
	int err;

	if (r->cred_loaded)
		return HM_OK;
	/* a credential helper is bounded by the operation's deadline too */
	if (!(budget = request_budget(r)))
		return deadline_error(r, r->host);
	err = hm_auth_cred_lookup(&r->cred, r->host, r->auth_file, budget);
	if (!err)
		r->cred_loaded = 1;
	return err;
}

/* Answers a 401 challenge: fills r->auth for the retry. */
static int authenticate(struct reg *r, const char *name, const char *header, int push)
{
	hm_auth_challenge c = HM_AUTH_CHALLENGE_INIT;
	hm_buf url = HM_BUF_INIT, basic = HM_BUF_INIT, form = HM_BUF_INIT, body = HM_BUF_INIT;
	struct req q = {"GET", NULL, NULL, NULL, NULL, 0, 0};
	struct resp res = {0};
	char *token = NULL;
	int err;

	hm_buf_init(&body, HM_AUTH_MAX_TOKEN);
	res.body = &body;
	if (!header) {
		err = hm_error_set(HM_E_IO, "access to '%s' denied: 401 without a WWW-Authenticate challenge", name);
		goto done;
	}
	if ((err = hm_auth_challenge_parse(&c, header)) || (err = load_cred(r)))
		goto done;
	if (strcmp(c.scheme, "basic") == 0) {
		if (!r->cred.username || !r->cred.password) {
			err = hm_error_set(HM_E_IO, "access to '%s' denied: the registry wants a password (docker login %s, or set REGISTRY_AUTH_FILE)",
					   name, r->host);
			goto done;
		}
		hm_log(HM_LOG_INFO, "registry %s: basic auth as the user of the credentials file", r->host);
		hm_buf_reset(&r->auth);
		r->auth_gen++;
		err = hm_auth_basic(&r->auth, &r->cred);
		goto done;
	}
	if (strcmp(c.scheme, "bearer") != 0) {
		err = hm_error_set(HM_E_IO, "access to '%s' denied: unsupported auth scheme '%s'", name, c.scheme);
		goto done;
	}
	/* The realm named by the registry's own challenge (the caller answers
	 * only those) may have the registry's credentials, but never over
	 * plain HTTP unless the registry itself was allowed plain HTTP. */
	if (!c.realm || !*c.realm) {
		err = hm_error_set(HM_E_IO, "access to '%s' denied: bearer challenge without a realm", name);
		goto done;
	}
	if ((r->cred.username || r->cred.identity_token) && (err = hm_http_realm_check(r->base, c.realm))) {
		hm_error_wrap(err, "getting a token for '%s'", name);
		goto done;
	}
	hm_log(HM_LOG_INFO, "registry %s: bearer auth, %s token for %s from %.*s", r->host,
	       r->cred.identity_token ? "an identity-token" : r->cred.username ? "a password-backed" : "an anonymous",
	       push ? "push" : "pull", (int)strcspn(c.realm, "?#"), c.realm);
	if (r->cred.identity_token) {
		if ((err = hm_auth_token_form(&form, &c, r->repo, push, r->cred.identity_token)))
			goto done;
		q.method = "POST";
		q.ctype = "application/x-www-form-urlencoded";
		q.data = form.data;
		q.len = form.len;
		q.url = c.realm;
		err = perform(r, &q, c.realm, NULL, &res);
	} else {
		if ((err = hm_auth_token_url(&url, &c, r->repo, push)))
			goto done;
		if (r->cred.username && r->cred.password && (err = hm_auth_basic(&basic, &r->cred)))
			goto done;
		q.url = url.data;
		err = perform(r, &q, url.data, basic.len ? basic.data : NULL, &res);
	}
	if (err) {
		hm_error_wrap(err, "getting a token for '%s'", name);
		goto done;
	}
	if (res.status == 401 || res.status == 403) {
		err = hm_error_set(HM_E_IO, "access to '%s' denied: the token service refused %s (HTTP %ld)", name,
				   r->cred.username ? "the credentials" : "anonymous access", res.status);
		goto done;
	}
	if (res.status != 200) {
		err = hm_error_set(HM_E_IO, "getting a token for '%s': the token service answered HTTP %ld", name,
				   res.status);
		goto done;
	}
	if ((err = hm_auth_token_parse(&token, hm_buf_cstr(&body), body.len))) {
		hm_error_wrap(err, "getting a token for '%s'", name);
		goto done;
	}
	hm_buf_reset(&r->auth);
	r->auth_gen++;
	err = hm_buf_addf(&r->auth, "Bearer %s", token);
done:
	if (token) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	resp_clear(&res);
	hm_auth_challenge_free(&c);
	hm_buf_release(&url);
	hm_buf_release_secret(&basic);
	hm_buf_release_secret(&form);
	hm_buf_release_secret(&body);
	return err;
}

/* Concurrent writers of one digest or tag (8 signers uploading the same
 * empty config blob and rewriting one referrers tag) catch distribution
 * between writing a file and linking it: it answers a read with 500, a
 * manifest naming the blob with MANIFEST_BLOB_UNKNOWN, a second commit
 * with a 5xx.  A read (GET, HEAD) answered 500, 502, 503 or 504 is asked
 * again, as go-containerregistry does, and so is such a manifest write: up
 * to RACE_TRIES more times, RACE_PAUSE_MS apart and growing. */
#define RACE_TRIES 3
#define RACE_PAUSE_MS 30

static void race_pause(int tries)
{
	struct timespec ts = {0, (long)RACE_PAUSE_MS * (tries + 1) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int blob_unknown(const struct resp *res)
{
	return res->body && res->body->len && memmem(res->body->data, res->body->len, "BLOB_UNKNOWN", 12);
}

/* --- answers fetched ahead (hm_store_prefetch) ------------------------------- */

/* A GET made in a batch with others; request() takes its answer instead of
 * making the same first request again.  Each answer is taken once. */
struct pre {
	char *url;
	const char *accept;
	unsigned auth_gen;   /* r->auth_gen when it was sent */
	int err;             /* of the transfer, with its message */
	char *why;
	struct resp res;
	hm_buf body;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	int ready;           /* made, and not taken yet */
};

static void pre_drop(struct reg *r)
{
	for (size_t i = 0; i < r->n_pre; i++) {
		struct pre *p = &r->pre[i];

		free(p->url);
		free(p->why);
		p->res.body = NULL;
		resp_clear(&p->res);
		hm_buf_release(&p->body);
		if (p->x.curl)
			curl_easy_cleanup(p->x.curl);
		curl_slist_free_all(p->x.h);
	}
	free(r->pre);
	r->pre = NULL;
	r->n_pre = 0;
}

/* The answer fetched ahead for this first request, moved into res; 1 when
 * there was one (*err is then the transfer's result).  One sent with a
 * token since replaced is not used when it was refused (401). */
static int pre_take(struct reg *r, const struct req *q, const char *url, struct resp *res, int *err)
{
	for (size_t i = 0; i < r->n_pre; i++) {
		struct pre *p = &r->pre[i];
		hm_buf *body = res->body;

		if (!p->ready || strcmp(p->url, url) != 0 || strcmp(q->method, "GET") != 0 || !q->accept ||
		    strcmp(p->accept, q->accept) != 0 || q->push)
			continue;
		p->ready = 0;
		if (p->res.status == 401 && p->auth_gen != r->auth_gen) {
			hm_buf_release(&p->body);
			return 0;
		}
		resp_clear(res);
		*res = p->res;
		res->body = body;
		memset(&p->res, 0, sizeof(p->res));
		if (p->err) {
			*err = hm_error_set(p->err, "%s", p->why ? p->why : "");
			return 1;
		}
		*err = body ? hm_buf_add(body, hm_buf_cstr(&p->body), p->body.len) : HM_OK;
		if (*err) /* a smaller cap than the batch's */
			*err = hm_error_set(HM_E_LIMIT, "answer from '%s' exceeds the %zu-byte limit", r->host, body->max);
		/* handed over: a discovery of many batches holds one batch of
		 * answers at a time (HM_FETCH_BATCH), not all it ever read */
		hm_buf_release(&p->body);
		return 1;
	}
	return 0;
}

/* A request with redirects (credentials only to the registry's origin) and
 * one challenge-and-retry on 401.  The caller looks at res->status. */
static int request(struct reg *r, const char *name, const struct req *q, struct resp *res)
{
	struct origin home, here;
	struct req cur = *q;
	char *url = NULL, *next = NULL;
	int err, hops = 0, challenged = 0, tries = 0;

	if ((err = choose_scheme(r)) || (err = url_origin(&home, r->base)))
		return err;
	if (!(url = strdup(q->url)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (;;) {
		int mine;

		if ((err = url_origin(&here, url)))
			goto done;
		mine = same_origin(&home, &here);
		if (hops || challenged || !pre_take(r, &cur, url, res, &err))
			err = perform(r, &cur, url, mine && r->auth.len ? r->auth.data : NULL, res);
		if (err)
			goto done;
		if (res->status == 401 && mine && !challenged) {
			challenged = 1;
			if ((err = authenticate(r, name, res->www_auth, cur.push)))
				goto done;
			continue;
		}
		if ((res->status == 500 || res->status == 502 || res->status == 503 || res->status == 504) &&
		    (strcmp(cur.method, "GET") == 0 || strcmp(cur.method, "HEAD") == 0) && tries < RACE_TRIES &&
		    (!r->deadline_ms || hm_http_now_ms() + RACE_PAUSE_MS * (tries + 1) < r->deadline_ms)) {
			race_pause(tries++);
			continue;
		}
		if ((res->status == 301 || res->status == 302 || res->status == 303 || res->status == 307 ||
		     res->status == 308) && res->location) {
			if (++hops > MAX_REDIRECTS) {
				err = hm_error_set(HM_E_IO, "talking to '%s': more than %d redirects", r->host, MAX_REDIRECTS);
				goto done;
			}
			if ((err = url_resolve(&next, url, res->location)))
				goto done;
			free(url);
			url = next;
			next = NULL;
			if (res->status == 303 && strcmp(cur.method, "HEAD") != 0) {
				cur.method = "GET";
				cur.data = NULL;
				cur.len = 0;
				cur.ctype = NULL;
			}
			continue;
		}
		break;
	}
done:
	free(url);
	return err;
}

/* "CODE: message; CODE: message" from a registry error body, or "". */
static void summarise(char *out, size_t cap, const hm_buf *body)
{
	cJSON *j = body && body->len ? cJSON_ParseWithLength(body->data, body->len) : NULL;
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors"), *e;
	size_t n = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(e, errs) {
		const char *code = hm_json_str(e, "code"), *msg = hm_json_str(e, "message");
		int w;

		if (!code && !msg)
			continue;
		w = snprintf(out + n, cap - n, "%s%s%s%s", n ? "; " : "", code ? code : "", code && msg ? ": " : "",
			     msg ? msg : "");
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	cJSON_Delete(j);
	out[cap - 1] = '\0';
	/* one line, printable */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
}

/* The error for an unexpected status.  what: "manifest 'x'". */
static int status_error(struct reg *r, hm_store *s, const struct resp *res, const char *what)
{
	char sum[300];

	summarise(sum, sizeof(sum), res->body);
	if (res->status == 404)
		return hm_error_set(HM_E_NOTFOUND, "%s not found in '%s'", what, s->name);
	if (res->status == 401 || res->status == 403)
		return hm_error_set(HM_E_IO, "access to '%s' denied: %s", s->name,
				    sum[0] ? sum : res->status == 401 ? "authentication required" : "forbidden");
	return hm_error_set(HM_E_IO, "%s in '%s': registry '%s' answered HTTP %ld%s%s", what, s->name, r->host,
			    res->status, sum[0] ? ": " : "", sum);
}

/* --- URLs of the API ----------------------------------------------------------- */

static int valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(((*t | 32) >= 'a' && (*t | 32) <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
		return 0;
	for (; *t; t++)
		if (!(((*t | 32) >= 'a' && (*t | 32) <= 'z') || (*t >= '0' && *t <= '9') || *t == '_' || *t == '.' ||
		      *t == '-'))
			return 0;
	return 1;
}

static int check_reference(const char *ref)
{
	if (ref && (hm_digest_valid(ref) || valid_tag(ref)))
		return HM_OK;
	return hm_error_set(HM_E_USAGE, "invalid tag or digest '%.200s'", ref ? ref : "(null)");
}

/* The URL of the API; the scheme is chosen on first use. */
static int api_url(hm_buf *out, struct reg *r, const char *kind, const char *ref)
{
	int err = choose_scheme(r);

	return err ? err : hm_buf_addf(out, "%s/v2/%s/%s/%s", r->base, r->repo, kind, ref);
}

static void media_type_of(char out[256], const char *ctype, const hm_buf *body)
{
	static const char *const known[] = {HM_MT_OCI_MANIFEST, HM_MT_OCI_INDEX, HM_MT_DOCKER_MANIFEST,
					    HM_MT_DOCKER_LIST};
	size_t n = strcspn(ctype, "; ");
	cJSON *j;
	const char *mt;

	copy_field(out, 256, ctype, n);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(out, known[i]) == 0)
			return;
	j = body ? cJSON_ParseWithLength(body->data, body->len) : NULL;
	if ((mt = hm_json_str(j, "mediaType")) && *mt)
		copy_field(out, 256, mt, strlen(mt));
	cJSON_Delete(j);
}

/* --- manifests --------------------------------------------------------------- */

static int reg_get_manifest(hm_store *s, const char *ref, hm_buf *body, hm_desc *desc)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, got = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"GET", NULL, ACCEPT_MANIFESTS, NULL, NULL, 0, 0};
	struct resp res = {0};
	char computed[HM_DIGEST_SIZE];
	int err;

	hm_buf_init(&got, HM_MAX_MANIFEST);
	res.body = &got;
	if ((err = check_reference(ref)) || (err = api_url(&url, r, "manifests", ref)) ||
	    (err = hm_buf_addf(&what, "manifest '%s'", ref)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res))) {
		if (err == HM_E_LIMIT)
			err = hm_error_set(HM_E_LIMIT, "%s in '%s' exceeds the %u-byte limit", what.data, s->name,
					   HM_MAX_MANIFEST);
		goto done;
	}
	if (res.status != 200) {
		err = status_error(r, s, &res, what.data);
		goto done;
	}
	hm_digest_compute(computed, got.data ? got.data : "", got.len);
	if (hm_digest_valid(ref)) {
		if ((err = hm_digest_check(ref, hm_buf_cstr(&got), got.len, what.data)))
			goto done;
	} else if (res.digest[0]) {
		/* the registry vouches for a digest: it must be this content's */
		if (strncmp(res.digest, "sha512:", 7) == 0)
			err = hm_digest_check(res.digest, hm_buf_cstr(&got), got.len, what.data);
		else if (strcmp(res.digest, computed) != 0)
			err = hm_error_set(HM_E_IO, "%s in '%s': the registry's digest %.80s does not match the content (%s)",
					   what.data, s->name, res.digest, computed);
		if (err)
			goto done;
	}
	if (desc) {
		memset(desc, 0, sizeof(*desc));
		media_type_of(desc->media_type, res.ctype, &got);
		memcpy(desc->digest, computed, HM_DIGEST_SIZE);
		desc->size = (int64_t)got.len;
	}
	if (body)
		err = hm_buf_add(body, hm_buf_cstr(&got), got.len);
done:
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&got);
	hm_buf_release(&what);
	return err;
}

static int reg_resolve(hm_store *s, const char *ref, hm_desc *out)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"HEAD", NULL, ACCEPT_MANIFESTS, NULL, NULL, 0, 0};
	struct resp res = {0};
	int err;

	if ((err = check_reference(ref)) || (err = api_url(&url, r, "manifests", ref)) ||
	    (err = hm_buf_addf(&what, "manifest '%s'", ref)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res)))
		goto done;
	if (res.status != 200 && res.status != 404) {
		/* a HEAD answer has no body to explain itself: ask again with GET */
		err = reg_get_manifest(s, ref, NULL, out);
		goto done;
	}
	if (res.status != 200) {
		err = status_error(r, s, &res, what.data);
		goto done;
	}
	if (!hm_digest_valid(res.digest) || strlen(res.digest) != HM_DIGEST_LEN || !res.ctype[0] || res.length < 0) {
		/* no (sha256) digest header: fetch and hash */
		err = reg_get_manifest(s, ref, NULL, out);
		goto done;
	}
	if (hm_digest_valid(ref) && strcmp(ref, res.digest) != 0) {
		err = hm_error_set(HM_E_IO, "%s in '%s': digest mismatch: the registry answered for %s", what.data, s->name, res.digest);
		goto done;
	}
	if (res.length > (curl_off_t)HM_MAX_MANIFEST) {
		err = hm_error_set(HM_E_LIMIT, "%s in '%s' exceeds the %u-byte limit", what.data, s->name, HM_MAX_MANIFEST);
		goto done;
	}
	memset(out, 0, sizeof(*out));
	media_type_of(out->media_type, res.ctype, NULL);
	memcpy(out->digest, res.digest, HM_DIGEST_SIZE);
	out->size = (int64_t)res.length;
done:
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&what);
	return err;
}

static int reg_put_manifest(hm_store *s, const char *tag, const char *media_type, const void *data, size_t len,
			    hm_desc *out)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, ct = HM_BUF_INIT, what = HM_BUF_INIT, ans = HM_BUF_INIT;
	struct req q = {"PUT", NULL, NULL, NULL, data, len, 1};
	struct resp res = {0};
	char d[HM_DIGEST_SIZE];
	int err;

	hm_buf_init(&ans, MAX_ERROR_BODY);
	res.body = &ans;
	hm_digest_compute(d, data, len);
	if (len > HM_MAX_MANIFEST) {
		err = hm_error_set(HM_E_USAGE, "manifest exceeds the %u-byte limit", HM_MAX_MANIFEST);
		goto done;
	}
	if ((err = check_reference(tag ? tag : d)) || (err = api_url(&url, r, "manifests", tag ? tag : d)) ||
	    (err = hm_buf_addf(&what, "storing manifest '%s'", tag ? tag : d)))
		goto done;
	q.url = url.data;
	q.ctype = media_type;
	for (int tries = 0;; tries++) {
		if ((err = request(r, s->name, &q, &res)))
			goto done;
		/* distribution, while another writer commits the same blob,
		 * briefly does not know it (it was just uploaded, by this writer
		 * or the other): ask again shortly */
		if (res.status != 400 || !blob_unknown(&res) || tries >= RACE_TRIES)
			break;
		race_pause(tries);
	}
	if (res.status != 201 && res.status != 200 && res.status != 202) {
		err = status_error(r, s, &res, what.data);
		goto done;
	}
	if (hm_digest_valid(res.digest) && strncmp(res.digest, "sha256:", 7) == 0 && strcmp(res.digest, d) != 0) {
		err = hm_error_set(HM_E_IO, "%s in '%s': the registry stored %s instead", what.data, s->name, res.digest);
		goto done;
	}
	if (out) {
		memset(out, 0, sizeof(*out));
		snprintf(out->media_type, sizeof(out->media_type), "%s", media_type);
		memcpy(out->digest, d, sizeof(d));
		out->size = (int64_t)len;
	}
done:
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&ct);
	hm_buf_release(&what);
	hm_buf_release(&ans);
	return err;
}

/* --- blobs ----------------------------------------------------------------- */

static int reg_get_blob(hm_store *s, const char *digest, size_t max, hm_buf *out)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, got = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"GET", NULL, NULL, NULL, NULL, 0, 0};
	struct resp res = {0};
	int err;

	hm_buf_init(&got, max ? max : HM_MAX_MANIFEST);
	res.body = &got;
	if ((err = api_url(&url, r, "blobs", digest)) || (err = hm_buf_addf(&what, "blob '%s'", digest)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res))) {
		if (err == HM_E_LIMIT)
			err = hm_error_set(HM_E_LIMIT, "%s in '%s' exceeds the %zu-byte limit", what.data, s->name, got.max);
		goto done;
	}
	if (res.status != 200) {
		err = status_error(r, s, &res, what.data);
		goto done;
	}
	if ((err = hm_digest_check(digest, hm_buf_cstr(&got), got.len, what.data)))
		goto done;
	err = hm_buf_add(out, hm_buf_cstr(&got), got.len);
done:
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&got);
	hm_buf_release(&what);
	return err;
}

static int reg_blob_exists(hm_store *s, const char *digest)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"HEAD", NULL, NULL, NULL, NULL, 0, 0};
	struct resp res = {0};
	int err;

	if (!hm_digest_valid(digest))
		return hm_error_set(HM_E_USAGE, "invalid blob digest '%.200s'", digest);
	if ((err = api_url(&url, r, "blobs", digest)) || (err = hm_buf_addf(&what, "blob '%s'", digest)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res)))
		goto done;
	if (res.status == 200)
		err = 1;
	else if (res.status == 404)
		err = 0;
	else
		err = status_error(r, s, &res, what.data);
done:
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&what);
	return err;
}

/* Uploads data (len bytes) or, when f is not NULL, the len bytes of f. */
static int upload_once(hm_store *s, const void *data, int64_t len, FILE *f, const char *digest, long *status)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, put = HM_BUF_INIT, what = HM_BUF_INIT, ans = HM_BUF_INIT;
	struct req q = {"POST", NULL, NULL, NULL, NULL, 0, 1};
	struct resp res = {0};
	char *loc = NULL;
	int err;

	hm_buf_init(&ans, MAX_ERROR_BODY);
	res.body = &ans;
	*status = 0;
	if ((err = api_url(&url, r, "blobs", "uploads/")) ||
	    (err = hm_buf_addf(&what, "uploading blob '%s'", digest)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res)))
		goto done;
	if (res.status != 202 || !res.location) {
		err = res.status == 202 ? hm_error_set(HM_E_IO, "%s to '%s': no upload location", what.data, s->name)
					: status_error(r, s, &res, what.data);
		goto done;
	}
	if ((err = url_resolve(&loc, url.data, res.location)) || (err = hm_buf_addstr(&put, loc)) ||
	    (err = hm_buf_addstr(&put, strchr(loc, '?') ? "&digest=" : "?digest=")) ||
	    (err = add_escaped(&put, digest)))
		goto done;
	q.method = "PUT";
	q.url = put.data;
	q.ctype = "application/octet-stream";
	q.data = data;
	q.len = (size_t)len;
	res.upload = f;
	res.upload_len = len;
	if ((err = request(r, s->name, &q, &res)))
		goto done;
	if (res.status != 201 && res.status != 204 && res.status != 200) {
		err = status_error(r, s, &res, what.data);
		/* a registry failing to commit what another writer has just
		 * committed (the same digest, so the same bytes): done */
		if (res.status >= 500) {
			race_pause(0);
			if (reg_blob_exists(s, digest) == 1) {
				hm_error_clear();
				err = HM_OK;
			} else {
				err = status_error(r, s, &res, what.data);
			}
		}
	}
done:
	*status = res.status;
	free(loc);
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&put);
	hm_buf_release(&what);
	hm_buf_release(&ans);
	return err;
}

/* Uploads a blob unless the registry has it.  Writers of the same blob race
 * (eight signers all upload the empty config "{}"), and distribution then
 * answers the loser, or a HEAD made meanwhile, 500 or DIGEST_INVALID: such
 * an answer is tried again, and what counts is that the blob is there. */
static int upload_blob(hm_store *s, const void *data, int64_t len, FILE *f, const char *digest)
{
	int err = HM_OK;
	long status = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		int have = reg_blob_exists(s, digest);

		if (have == 1) {
			hm_error_clear();
			return HM_OK;
		}
		if (f && fseeko(f, 0, SEEK_SET) != 0)
			return hm_error_set(HM_E_IO, "uploading blob '%s': rewinding: %s", digest, strerror(errno));
		if (!(err = upload_once(s, data, len, f, digest, &status)))
			return HM_OK;
		if (!(status >= 500 || status == 400))
			break;
		usleep(50000u << attempt);
	}
	return err;
}

static int reg_put_blob(hm_store *s, const void *data, size_t len, const char *digest)
{
	return upload_blob(s, data, (int64_t)len, NULL, digest);
}

static int reg_put_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	return upload_blob(s, NULL, size, f, digest);
}

static int reg_get_blob_file(hm_store *s, const char *digest, int64_t size, FILE *f)
{
	struct reg *r = R(s);
	hm_buf url = HM_BUF_INIT, ans = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"GET", NULL, NULL, NULL, NULL, 0, 0};
	struct resp res = {0};
	int err;

	hm_buf_init(&ans, MAX_ERROR_BODY);
	res.body = &ans;
	res.sink = f;
	res.sink_max = size;
	if (!(res.md = hm_digester_new(digest)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if ((err = api_url(&url, r, "blobs", digest)) || (err = hm_buf_addf(&what, "blob '%s'", digest)))
		goto done;
	q.url = url.data;
	if ((err = request(r, s->name, &q, &res))) {
		if (ferror(f))
			err = hm_error_set(HM_E_IO, "%s: writing a temporary file failed", what.data);
		else if (res.overflow)
			err = hm_error_set(HM_E_IO, "%s in '%s' is larger than the %lld bytes its descriptor says",
					   what.data, s->name, (long long)size);
		goto done;
	}
	if (res.status != 200) {
		err = status_error(r, s, &res, what.data);
		goto done;
	}
	if (res.sink_len != size) {
		err = hm_error_set(HM_E_IO, "%s in '%s' has %lld bytes, its descriptor says %lld", what.data, s->name,
				   (long long)res.sink_len, (long long)size);
		goto done;
	}
	if (fflush(f) != 0) {
		err = hm_error_set(HM_E_IO, "%s: writing a temporary file: %s", what.data, strerror(errno));
		goto done;
	}
	err = hm_digester_check(res.md, what.data);
	if (err)
		hm_error_wrap(err, "'%s'", s->name);
done:
	hm_digester_free(res.md);
	resp_clear(&res);
	hm_buf_release(&url);
	hm_buf_release(&ans);
	hm_buf_release(&what);
	return err;
}

/* --- tags and referrers -------------------------------------------------------- */

/* Follows the Link of res from url: *url becomes the next page, or NULL. */
static int next_page(char **url, const struct resp *res)
{
	char *rel = NULL, *abs = NULL;
	int err = HM_OK;

	if (res->link && (err = hm_http_link_next(&rel, res->link)))
		goto done;
	if (rel && (err = url_resolve(&abs, *url, rel)))
		goto done;
	free(*url);
	*url = abs;
	abs = NULL;
done:
	free(rel);
	free(abs);
	return err;
}

static int reg_list_tags(hm_store *s, hm_strv *out)
{
	struct reg *r = R(s);
	hm_buf first = HM_BUF_INIT, page = HM_BUF_INIT;
	struct req q = {"GET", NULL, "Accept: application/json", NULL, NULL, 0, 0};
	struct resp res = {0};
	cJSON *j = NULL;
	char *url = NULL;
	size_t bytes = 0;
	int err, pages = 0;

	hm_buf_init(&page, HM_MAX_MANIFEST);
	res.body = &page;
	if ((err = api_url(&first, r, "tags", "list")) || (err = hm_buf_addf(&first, "?n=%u", r->page)))
		goto done;
	url = hm_buf_detach(&first, NULL);
	while (url) {
		const cJSON *tags, *t;

		if (++pages > HM_MAX_TAG_PAGES) {
			err = hm_error_set(HM_E_LIMIT, "listing the tags of '%s': more than %d pages (the cap)",
					   s->name, HM_MAX_TAG_PAGES);
			goto done;
		}
		q.url = url;
		if ((err = request(r, s->name, &q, &res))) {
			hm_error_wrap(err, "listing the tags of '%s'", s->name);
			goto done;
		}
		if (res.status != 200) {
			err = status_error(r, s, &res, "repository");
			goto done;
		}
		if ((bytes += page.len) > HM_MAX_TAG_LIST_BYTES) {
			err = hm_error_set(HM_E_LIMIT, "listing the tags of '%s': more than %u bytes over all pages (the cap)",
					   s->name, HM_MAX_TAG_LIST_BYTES);
			goto done;
		}
		cJSON_Delete(j);
		if (!(j = hm_json_parse(hm_buf_cstr(&page), page.len, "tag list"))) {
			err = hm_error_wrap(HM_E_IO, "listing the tags of '%s'", s->name);
			goto done;
		}
		tags = cJSON_GetObjectItemCaseSensitive(j, "tags");
		cJSON_ArrayForEach(t, tags) {
			if (!cJSON_IsString(t))
				continue;
			if (out->n >= HM_MAX_TAGS) {
				err = hm_error_set(HM_E_LIMIT, "listing the tags of '%s': more than %d tags (the cap)",
						   s->name, HM_MAX_TAGS);
				goto done;
			}
			if ((err = hm_strv_push(out, t->valuestring)))
				goto done;
		}
		if ((err = next_page(&url, &res)))
			goto done;
	}
done:
	cJSON_Delete(j);
	free(url);
	resp_clear(&res);
	hm_buf_release(&first);
	hm_buf_release(&page);
	return err;
}

/* Registries known, in this process, to have no referrers API (they answered
 * 404, which the distribution spec reserves for that).  Asking again for
 * every image of a policy check or an audit would double the requests that
 * find nothing; an entry is trusted for 10 minutes, so that a long-running
 * webhook notices a registry upgrade. */
#define NO_REFERRERS_MAX 32
#define NO_REFERRERS_TTL 600
static struct {
	pthread_mutex_t mu;
	char base[NO_REFERRERS_MAX][256];
	time_t when[NO_REFERRERS_MAX];
	char present[NO_REFERRERS_MAX]; /* answered 200 rather than 404 */
	unsigned next;
} no_referrers = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}, {0}, 0};

/* 1: the registry at base answered 404 (no API), or, with present set,
 * 200 (an API), within the last 10 minutes. */
static int referrers_known(const char *base, int present)
{
	time_t now = time(NULL);
	int found = 0;

	pthread_mutex_lock(&no_referrers.mu);
	for (unsigned i = 0; i < NO_REFERRERS_MAX && !found; i++)
		found = strcmp(no_referrers.base[i], base) == 0 && now - no_referrers.when[i] < NO_REFERRERS_TTL &&
			no_referrers.present[i] == present;
	pthread_mutex_unlock(&no_referrers.mu);
	return found;
}

static int referrers_absent(const char *base)
{
	return referrers_known(base, 0);
}

static void referrers_mark(const char *base, int present)
{
	unsigned i;

	if (strlen(base) >= sizeof(no_referrers.base[0]))
		return;
	pthread_mutex_lock(&no_referrers.mu);
	for (i = 0; i < NO_REFERRERS_MAX; i++)
		if (strcmp(no_referrers.base[i], base) == 0)
			break;
	if (i == NO_REFERRERS_MAX)
		i = no_referrers.next++ % NO_REFERRERS_MAX;
	snprintf(no_referrers.base[i], sizeof(no_referrers.base[i]), "%s", base);
	no_referrers.when[i] = time(NULL);
	no_referrers.present[i] = (char)present;
	pthread_mutex_unlock(&no_referrers.mu);
}

static int reg_referrers(hm_store *s, const char *digest, const char *artifact_type, hm_buf *index)
{
	struct reg *r = R(s);
	hm_buf first = HM_BUF_INIT, page = HM_BUF_INIT, what = HM_BUF_INIT;
	struct req q = {"GET", NULL, "Accept: " HM_MT_OCI_INDEX, NULL, NULL, 0, 0};
	struct resp res = {0};
	cJSON *merged = NULL, *j = NULL;
	char *url = NULL;
	size_t bytes = 0, entries = 0;
	int err, pages = 0;

	hm_buf_init(&page, HM_MAX_MANIFEST);
	res.body = &page;
	if (!hm_digest_valid(digest)) {
		err = hm_error_set(HM_E_USAGE, "invalid digest '%.200s'", digest);
		goto done;
	}
	if ((err = api_url(&first, r, "referrers", digest)) || (err = hm_buf_addf(&what, "referrers of '%s'", digest)))
		goto done;
	if (referrers_absent(r->base)) {
		err = hm_error_set(HM_E_NOTFOUND, "'%s' has no referrers API", s->name);
		goto done;
	}
	if (artifact_type && ((err = hm_buf_addstr(&first, "?artifactType=")) || (err = add_escaped(&first, artifact_type))))
		goto done;
	url = hm_buf_detach(&first, NULL);
	while (url) {
		cJSON *m, *e;

		if (++pages > HM_MAX_REFERRER_PAGES) {
			err = hm_error_set(HM_E_LIMIT, "%s in '%s': more than %d pages (the cap)", what.data, s->name,
					   HM_MAX_REFERRER_PAGES);
			goto done;
		}
		q.url = url;
		if ((err = request(r, s->name, &q, &res)))
			goto done;
		if (res.status == 404) {
			referrers_mark(r->base, 0);
			err = hm_error_set(HM_E_NOTFOUND, "'%s' has no referrers API", s->name);
			goto done;
		}
		if (res.status != 200) {
			err = status_error(r, s, &res, what.data);
			goto done;
		}
		if (pages == 1)
			referrers_mark(r->base, 1);
		if ((bytes += page.len) > HM_MAX_REFERRERS_BYTES) {
			err = hm_error_set(HM_E_LIMIT, "%s in '%s': more than %u bytes over all pages (the cap)",
					   what.data, s->name, HM_MAX_REFERRERS_BYTES);
			goto done;
		}
		cJSON_Delete(j);
		j = hm_json_parse(hm_buf_cstr(&page), page.len, what.data);
		m = cJSON_GetObjectItemCaseSensitive(j, "manifests");
		if (!cJSON_IsArray(m)) {
			err = hm_error_set(HM_E_IO, "%s in '%s': the answer is not an image index", what.data, s->name);
			goto done;
		}
		if ((entries += (size_t)cJSON_GetArraySize(m)) > HM_MAX_REFERRERS) {
			err = hm_error_set(HM_E_LIMIT, "%s in '%s': more than %d referrers (the cap)", what.data,
					   s->name, HM_MAX_REFERRERS);
			goto done;
		}
		if (!merged) {
			merged = j;
			j = NULL;
		} else {
			cJSON *dst = cJSON_GetObjectItemCaseSensitive(merged, "manifests");

			while ((e = m->child)) {
				cJSON_DetachItemViaPointer(m, e);
				cJSON_AddItemToArray(dst, e);
			}
		}
		if ((err = next_page(&url, &res)))
			goto done;
	}
	err = hm_json_print(index, merged);
done:
	cJSON_Delete(merged);
	cJSON_Delete(j);
	free(url);
	resp_clear(&res);
	hm_buf_release(&first);
	hm_buf_release(&page);
	hm_buf_release(&what);
	return err;
}

/* Makes the GETs of v at once on one multi handle (at most
 * HM_FETCH_PARALLEL connections, multiplexed when the registry speaks
 * HTTP/2), and keeps the answers for request() to take in whatever order
 * the caller then asks: what the caller sees, errors and --debug lines
 * included, is what one request after another gives. */
static int reg_prefetch(hm_store *s, const hm_prefetch *v, size_t n)
{
	struct reg *r = R(s);
	struct pre *grown;
	CURLM *m = NULL;
	CURLMsg *msg;
	size_t first = r->n_pre;
	int64_t stop = 0;
	int err, running = 0, left;

	if ((err = choose_scheme(r)))
		return err;
	if (n < 2)
		return HM_OK; /* nothing to overlap */
	n = n > HM_FETCH_BATCH ? HM_FETCH_BATCH : n;
	/* answers of an earlier batch not taken yet stay (at most one batch of
	 * them: discovery asks for its first four, then referrers by batch) */
	if (!(grown = realloc(r->pre, (r->n_pre + n) * sizeof(*r->pre))))
		goto nomem;
	r->pre = grown;
	memset(r->pre + r->n_pre, 0, n * sizeof(*r->pre));
	if (!(m = curl_multi_init()))
		goto nomem;
	/* With a connection pool shared by threads (the webhook's), libcurl
	 * counts the host's connections across the whole pool, and a transfer
	 * over the limit waits for one of them to be freed by this multi
	 * handle, which may never happen (the others belong to other threads),
	 * with no timeout while it waits: the batch is its own bound then. */
	if (!r->share)
		curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HM_FETCH_PARALLEL);
	for (size_t i = 0; i < n; i++) {
		struct pre *p = &r->pre[r->n_pre];
		struct req q = {"GET", NULL, ACCEPT_MANIFESTS, NULL, NULL, 0, 0};
		hm_buf url = HM_BUF_INIT;

		if (v[i].kind == HM_PREFETCH_REFERRERS_TAG && referrers_known(r->base, 1))
			continue; /* read only when there is no API, and there is one */
		if (v[i].kind == HM_PREFETCH_REFERRERS) {
			if (!hm_digest_valid(v[i].ref) || referrers_absent(r->base))
				continue;
			q.accept = "Accept: " HM_MT_OCI_INDEX;
			err = api_url(&url, r, "referrers", v[i].ref);
		} else {
			if (check_reference(v[i].ref)) {
				hm_error_clear();
				continue;
			}
			err = api_url(&url, r, "manifests", v[i].ref);
		}
		if (err || !(p->x.curl = curl_easy_init())) {
			hm_buf_release(&url);
			goto nomem;
		}
		r->n_pre++;
		p->url = hm_buf_detach(&url, NULL);
		p->accept = q.accept;
		p->auth_gen = r->auth_gen;
		p->x.errbuf = p->errbuf;
		hm_buf_init(&p->body, HM_MAX_MANIFEST);
		p->res.body = &p->body;
		q.url = p->url;
		if (!p->url)
			goto nomem;
		if ((err = prepare(r, &p->x, &q, p->url, r->auth.len ? r->auth.data : NULL, &p->res))) {
			if (err == HM_E_NOMEM)
				goto done;
			hm_error_clear();
			curl_easy_cleanup(p->x.curl);
			p->x.curl = NULL; /* not made: request() will, and say why */
			continue;
		}
		/* over HTTPS, wait to learn whether HTTP/2 multiplexes them all
		 * on one connection; plain HTTP/1.1 gets a connection each */
		if (strcasecmp(p->x.o.scheme, "https") == 0)
			curl_easy_setopt(p->x.curl, CURLOPT_PIPEWAIT, 1L);
		curl_easy_setopt(p->x.curl, CURLOPT_PRIVATE, (void *)p);
		if (curl_multi_add_handle(m, p->x.curl) != CURLM_OK)
			goto nomem;
	}
	/* never past the longest budget (a transfer still pending then is
	 * dropped, and request() makes it itself, or says why it cannot) */
	for (size_t i = first; i < r->n_pre; i++)
		if (r->pre[i].x.curl && hm_http_now_ms() + r->pre[i].x.budget + 1000 > stop)
			stop = hm_http_now_ms() + r->pre[i].x.budget + 1000;
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	} while (running && hm_http_now_ms() < stop);
	while ((msg = curl_multi_info_read(m, &left))) {
		struct pre *p = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p)
			p->err = msg->data.result, p->ready = 2; /* rc, concluded below */
	}
	/* in the order asked, so that the --debug lines are too */
	for (size_t i = first; i < r->n_pre; i++) {
		struct pre *p = &r->pre[i];
		struct req q = {"GET", p->url, p->accept, NULL, NULL, 0, 0};

		if (!p->x.curl)
			continue;
		curl_multi_remove_handle(m, p->x.curl);
		if (p->ready == 2) {
			p->err = conclude(r, &p->x, (CURLcode)p->err, &q, p->url,
					  r->auth.len ? r->auth.data : NULL, &p->res);
			if (p->err == HM_E_NOMEM)
				goto nomem;
			if (p->err && !(p->why = strdup(hm_error_message())))
				goto nomem;
			hm_error_clear();
			p->ready = 1;
		}
		xfer_done(&p->x);
		curl_easy_cleanup(p->x.curl);
		p->x.curl = NULL;
	}
	err = HM_OK;
	goto done;
nomem:
	err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	if (m) {
		for (size_t i = 0; i < r->n_pre; i++)
			if (r->pre[i].x.curl)
				curl_multi_remove_handle(m, r->pre[i].x.curl);
		curl_multi_cleanup(m);
	}
	if (err)
		pre_drop(r);
	return err;
}

static void reg_prefetch_drop(hm_store *s)
{
	pre_drop(R(s));
}

/* --- open / free ------------------------------------------------------------------ */

static void reg_free(hm_store *s)
{
	struct reg *r = s ? R(s) : NULL;

	if (!r)
		return;
	pre_drop(r);
	if (r->curl)
		curl_easy_cleanup(r->curl);
	for (size_t i = 0; i < r->n_insecure; i++)
		free(r->insecure[i]);
	free(r->insecure);
	free(r->host);
	free(r->repo);
	free(r->base);
	free(r->api_host);
	free(r->host_only);
	hm_tls_free(&r->tls);
	hm_auth_cred_free(&r->cred);
	hm_buf_release_secret(&r->auth);
	free(r);
	s->impl = NULL;
}

static const struct hm_store_ops registry_ops = {
	reg_resolve, reg_get_manifest, reg_put_manifest, reg_get_blob, reg_blob_exists,
	reg_put_blob, reg_list_tags, reg_referrers, reg_free, reg_get_blob_file, reg_put_blob_file, NULL,
	reg_prefetch, reg_prefetch_drop,
};

void hm_registry_set_page_size(hm_store *s, unsigned n)
{
	if (s && s->ops == &registry_ops)
		R(s)->page = n ? n : DEFAULT_PAGE;
}

/* libcurl is initialised on first use, once, whichever thread gets there
 * first: commands that never talk to a registry skip it. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void curl_init_once(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int hm_registry_open(hm_store **out, const hm_ref *ref, const hm_store_opts *opts)
{
	hm_store *s = NULL;
	struct reg *r = NULL;
	hm_buf name = HM_BUF_INIT;
	const char *api_host;
	char host_only[256];
	int err = HM_OK;

	*out = NULL;
	if (!ref->registry || !*ref->registry || !ref->repository || !*ref->repository)
		return hm_error_set(HM_E_USAGE, "invalid reference: no registry or repository");
	pthread_once(&curl_once, curl_init_once);
	if (!curl_ready)
		return hm_error_set(HM_E_IO, "initialising libcurl failed");
	s = calloc(1, sizeof(*s));
	r = calloc(1, sizeof(*r));
	if (!s || !r)
		goto nomem;
	s->ops = &registry_ops;
	s->impl = r;
	r->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	r->deadline_ms = opts->deadline_ms;
	r->share = hm_http_share_handle(opts->share);
	r->deadline_total_ms = opts->deadline_total_ms;
	r->page = DEFAULT_PAGE;
	r->auth_file = opts->auth_file;
	r->insecure_all = opts->insecure_all;
	if (!(r->host = strdup(ref->registry)) || !(r->repo = strdup(ref->repository)))
		goto nomem;
	if (opts->n_insecure) {
		if (!(r->insecure = calloc(opts->n_insecure, sizeof(char *))))
			goto nomem;
		for (; r->n_insecure < opts->n_insecure; r->n_insecure++)
			if (!(r->insecure[r->n_insecure] = strdup(opts->insecure_hosts[r->n_insecure])))
				goto nomem;
	}
	if ((err = hm_buf_addf(&name, "%s/%s", ref->registry, ref->repository)))
		goto done;
	s->name = hm_buf_detach(&name, NULL);
	api_host = strcmp(ref->registry, "docker.io") == 0 ? "registry-1.docker.io" : ref->registry;
	/* the host without its port, for the loopback / insecure test */
	snprintf(host_only, sizeof(host_only), "%s", api_host);
	if (host_only[0] == '[') {
		char *e = strchr(host_only, ']');
		if (e)
			e[1] = '\0';
	} else {
		host_only[strcspn(host_only, ":")] = '\0';
	}
	if (!(r->api_host = strdup(api_host)) || !(r->host_only = strdup(host_only)))
		goto nomem;
	if ((err = hm_tls_load(&r->tls, api_host, opts->ca_files, opts->n_ca_files)))
		goto done;
	if (!(r->curl = curl_easy_init())) {
		err = hm_error_set(HM_E_IO, "initialising libcurl failed");
		goto done;
	}
	*out = s;
	s = NULL;
	goto done;
nomem:
	err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	if (s) {
		if (s->impl)
			reg_free(s);
		else
			free(r);
		free(s->name);
		free(s);
	}
	hm_buf_release(&name);
	return err;
}
