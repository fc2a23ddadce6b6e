/* SPDX-License-Identifier: Apache-2.0 */
/* Link header parsing and the loopback test of the registry client. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include "core/buf.h"
#include "core/error.h"
#include "oci/http.h"

#define MAX_LINK_URL 8192

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* 1 when the space-separated relation list rel holds "next". */
static int rel_has_next(const char *rel, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t s;

		while (i < n && rel[i] == ' ')
			i++;
		s = i;
		while (i < n && rel[i] != ' ')
			i++;
		if (i - s == 4 && strncasecmp(rel + s, "next", 4) == 0)
			return 1;
	}
	return 0;
}

int hm_http_link_next(char **out, const char *link)
{
	const char *p = link;

	*out = NULL;
	for (;;) {
		const char *url, *end;
		int next = 0;

		p = ws(p);
		while (*p == ',')
			p = ws(p + 1);
		if (!*p)
			return HM_OK;
		if (*p != '<')
			return hm_error_set(HM_E_IO, "invalid Link header: expected '<'");
		url = p + 1;
		end = strchr(url, '>');
		if (!end || (size_t)(end - url) > MAX_LINK_URL)
			return hm_error_set(HM_E_IO, "invalid Link header: unterminated or oversized URL");
		p = ws(end + 1);
		while (*p == ';') {
			const char *name = ws(p + 1), *v;
			size_t nlen, vlen;

			for (p = name; *p && !strchr("=;, \t", *p); p++)
				;
			nlen = (size_t)(p - name);
			p = ws(p);
			if (*p != '=') {
				/* a bare param ("; crossorigin") */
				continue;
			}
			p = ws(p + 1);
			if (*p == '"') {
				v = ++p;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						p++;
					p++;
				}
				if (*p != '"')
					return hm_error_set(HM_E_IO, "invalid Link header: unterminated quoted string");
				vlen = (size_t)(p - v);
				p++;
			} else {
				v = p;
				while (*p && !strchr(";, \t", *p))
					p++;
				vlen = (size_t)(p - v);
			}
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && rel_has_next(v, vlen))
				next = 1;
			p = ws(p);
		}
		if (*p && *p != ',')
			return hm_error_set(HM_E_IO, "invalid Link header: unexpected '%c'", *p);
		if (next) {
			size_t n = (size_t)(end - url);

			if (n == 0)
				return hm_error_set(HM_E_IO, "invalid Link header: empty URL");
			*out = strndup(url, n);
			if (!*out)
				return hm_error_set(HM_E_NOMEM, "out of memory");
			return HM_OK;
		}
	}
}

int hm_http_is_loopback(const char *host)
{
	char h[256];
	const char *end;
	size_t n;
	struct in_addr a4;
	struct in6_addr a6;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return 0;
		host++;
	} else {
		end = strchr(host, ':');
		/* a bare IPv6 address has several colons */
		if (end && strchr(end + 1, ':'))
			end = NULL;
		if (!end)
			end = host + strlen(host);
	}
	n = (size_t)(end - host);
	if (n == 0 || n >= sizeof(h))
		return 0;
	memcpy(h, host, n);
	h[n] = '\0';
	if (strcasecmp(h, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

int hm_http_realm_check(const char *registry_base, const char *realm)
{
	if (has_scheme(realm, "https"))
		return HM_OK;
	if (!has_scheme(realm, "http"))
		return hm_error_set(HM_E_IO, "refusing the token realm '%.200s': not an http(s) URL", realm);
	if (has_scheme(registry_base, "http"))
		return HM_OK;
	return hm_error_set(HM_E_IO,
			    "refusing to send credentials to the token realm '%.200s' over plain HTTP: the registry %.200s "
			    "is not allowed plain HTTP (it is neither loopback nor an --insecure-registry)",
			    realm, registry_base);
}

int64_t hm_http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hm_http_set_deadline(hm_store_opts *o, long total_ms)
{
	o->deadline_total_ms = total_ms > 0 ? total_ms : 0;
	o->deadline_ms = total_ms > 0 ? hm_http_now_ms() + total_ms : 0;
}

/* ---- the shared connection pool and the counters ---- */

typedef struct share {
	CURLSH *sh;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
} share;

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *ctx)
{
	share *s = ctx;

	(void)c;
	(void)access;
	pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *ctx)
{
	share *s = ctx;

	(void)c;
	pthread_mutex_unlock(&s->locks[data]);
}

void *hm_http_share_new(void)
{
	share *s = calloc(1, sizeof(*s));

	if (!s || !(s->sh = curl_share_init())) {
		free(s);
		return NULL;
	}
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->locks[i], NULL);
	curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return s;
}

void *hm_http_share_handle(void *share_)
{
	return share_ ? ((share *)share_)->sh : NULL;
}

void hm_http_share_free(void *share_)
{
	share *s = share_;

	if (!s)
		return;
	curl_share_cleanup(s->sh);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->locks[i]);
	free(s);
}

static atomic_ulong n_requests, n_failed;

void hm_http_count(int failed)
{
	atomic_fetch_add(&n_requests, 1);
	if (failed)
		atomic_fetch_add(&n_failed, 1);
}

void hm_http_counters(unsigned long *requests, unsigned long *failed)
{
	*requests = atomic_load(&n_requests);
	*failed = atomic_load(&n_failed);
}
