/* SPDX-License-Identifier: Apache-2.0 */
/* Small HTTP helpers of the registry client, kept apart so that they can be
 * unit-tested and fuzzed without a network. */
#ifndef HM_OCI_HTTP_H
#define HM_OCI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "oci/store.h"

/* The URL of the rel="next" link of a Link header value (RFC 8288: several
 * comma-separated links, params in any order, rel possibly quoted and
 * holding several relation types).  *out is NULL (and HM_OK) when there is
 * none; the caller frees it.  HM_E_IO for a malformed header. */
int hm_http_link_next(char **out, const char *link);

/* 1 when host ("name", "name:port", "[v6]:port", "1.2.3.4") is a loopback
 * address: localhost, 127.0.0.0/8, ::1. */
int hm_http_is_loopback(const char *host);

/* Whether the credentials of the registry at registry_base ("https://host"
 * or, for a loopback or --insecure-registry host, "http://host") may go to
 * the token realm that the registry's own challenge named.  The realm may be
 * another host (Docker Hub's is auth.docker.io), but it takes credentials
 * over plain HTTP only when the registry itself was allowed plain HTTP; and
 * only http(s) at all.  HM_OK, or HM_E_IO naming the realm and why.  (The
 * realm's host must also pass the plain-HTTP rule of every request.) */
int hm_http_realm_check(const char *registry_base, const char *realm);

/* Milliseconds of CLOCK_MONOTONIC: the clock of hm_store_opts.deadline_ms. */
int64_t hm_http_now_ms(void);

/* Sets o's deadline to total_ms from now (0: none). */
void hm_http_set_deadline(hm_store_opts *o, long total_ms);

/* A pool of keep-alive registry connections (with TLS sessions and DNS
 * answers) for hm_store_opts.share, safe to use from several threads;
 * NULL when out of memory. */
void *hm_http_share_new(void);
void hm_http_share_free(void *share);
/* Its CURLSH handle, for the registry client. */
void *hm_http_share_handle(void *share);

/* Registry requests made by this process so far, and how many of them got
 * no answer or a 5xx (for the webhook's metrics). */
void hm_http_counters(unsigned long *requests, unsigned long *failed);
/* Counts one request (called by the registry client). */
void hm_http_count(int failed);

/* Internal knob for tests: the `n` asked for per page of tags (0: the
 * default of 1000).  Only for stores opened on a registry. */
void hm_registry_set_page_size(hm_store *s, unsigned n);

#endif
