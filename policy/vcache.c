/* SPDX-License-Identifier: Apache-2.0 */
/* The verdict cache: a hash table of entries, an LRU list of the values
 * kept, and one condition variable for the callers waiting on a flight.
 * See policy/vcache.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "oci/http.h"
#include "policy/vcache.h"

enum state { PENDING, READY, FAILED };

typedef struct entry {
	struct entry *hnext;      /* hash chain */
	struct entry *prev, *next; /* LRU, most recent first; only READY entries in the table */
	char *key;
	uint64_t hash;
	enum state state;
	int in_table, in_lru;
	unsigned refs; /* callers waiting on it: freed once out of the table and unreferenced */
	char *val;
	size_t len;
	int positive;
	int64_t expires;
	int err;
	char *msg;
} entry;

struct hm_vcache {
	hm_vcache_opts o;
	pthread_mutex_t lock;
	pthread_cond_t done; /* a flight ended */
	entry **tab;
	size_t nbuckets;
	entry *head, *tail;
	hm_vcache_stats st;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

hm_vcache *hm_vcache_new(const hm_vcache_opts *opts)
{
	hm_vcache *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return NULL;
	c->o = *opts;
	if (!c->o.max_entries)
		c->o.max_entries = HM_VCACHE_MAX_ENTRIES;
	if (!c->o.now_ms)
		c->o.now_ms = hm_http_now_ms;
	for (c->nbuckets = 64; c->nbuckets < c->o.max_entries && c->nbuckets < (1u << 20);)
		c->nbuckets <<= 1;
	if (!(c->tab = calloc(c->nbuckets, sizeof(*c->tab)))) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

static void entry_free(entry *e)
{
	free(e->key);
	free(e->val);
	free(e->msg);
	free(e);
}

static entry *find(hm_vcache *c, const char *key, uint64_t h)
{
	for (entry *e = c->tab[h & (c->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && !strcmp(e->key, key))
			return e;
	return NULL;
}

static void lru_unlink(hm_vcache *c, entry *e)
{
	if (!e->in_lru)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
	e->in_lru = 0;
	c->st.size--;
}

static void lru_push(hm_vcache *c, entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
	e->in_lru = 1;
	c->st.size++;
}

/* Takes e out of the table (and the LRU); frees it unless callers still
 * hold it, in which case the last of them does. */
static void drop(hm_vcache *c, entry *e)
{
	entry **pp = &c->tab[e->hash & (c->nbuckets - 1)];

	lru_unlink(c, e);
	if (e->in_table) {
		while (*pp != e)
			pp = &(*pp)->hnext;
		*pp = e->hnext;
		e->in_table = 0;
	}
	if (!e->refs)
		entry_free(e);
}

static void release(entry *e)
{
	if (!--e->refs && !e->in_table)
		entry_free(e);
}

static int copy_out(const entry *e, char **val, size_t *len, int *positive)
{
	if (!(*val = malloc(e->len + 1)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	memcpy(*val, e->val, e->len);
	(*val)[e->len] = '\0';
	*len = e->len;
	*positive = e->positive;
	return HM_VCACHE_HIT;
}

/* A waiting caller's deadline as a CLOCK_MONOTONIC time. */
static void abs_time(struct timespec *ts, int64_t wait_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += wait_ms / 1000;
	ts->tv_nsec += (wait_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int hm_vcache_get(hm_vcache *c, const char *key, int stale_ok, int64_t deadline_ms, char **val, size_t *len,
		  int *positive)
{
	uint64_t h = fnv1a(key);
	entry *e;
	int ret;

	*val = NULL;
	*len = 0;
	*positive = 0;
	pthread_mutex_lock(&c->lock);
	e = find(c, key, h);
	if (e && e->state == READY) {
		if (c->o.now_ms() < e->expires || (stale_ok && e->positive)) {
			lru_unlink(c, e);
			lru_push(c, e);
			c->st.hits++;
			ret = copy_out(e, val, len, positive);
			pthread_mutex_unlock(&c->lock);
			return ret;
		}
		drop(c, e); /* expired: computed again */
		e = NULL;
	}
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
			free(e);
			pthread_mutex_unlock(&c->lock);
			return hm_error_set(HM_E_NOMEM, "out of memory");
		}
		e->hash = h;
		e->state = PENDING;
		e->in_table = 1;
		e->hnext = c->tab[h & (c->nbuckets - 1)];
		c->tab[h & (c->nbuckets - 1)] = e;
		c->st.misses++;
		c->st.in_flight++;
		pthread_mutex_unlock(&c->lock);
		return HM_VCACHE_LEAD;
	}
	/* someone else is computing it: wait for that answer */
	e->refs++;
	c->st.shared++;
	while (e->state == PENDING) {
		int64_t left = deadline_ms ? deadline_ms - c->o.now_ms() : 60000;
		struct timespec ts;

		if (deadline_ms && left <= 0)
			break;
		abs_time(&ts, left);
		pthread_cond_timedwait(&c->done, &c->lock, &ts);
	}
	if (e->state == READY) {
		c->st.hits++;
		ret = copy_out(e, val, len, positive);
	} else if (e->state == FAILED) {
		ret = hm_error_set(e->err, "%s", e->msg ? e->msg : "the shared verification failed");
	} else {
		ret = hm_error_set(HM_E_IO, "deadline reached while waiting for the same verification under way "
					    "for another review");
	}
	release(e);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int hm_vcache_peek(hm_vcache *c, const char *key, int stale_ok, char **val, size_t *len, int *positive)
{
	entry *e;
	int ret = HM_VCACHE_MISS;

	*val = NULL;
	*len = 0;
	*positive = 0;
	pthread_mutex_lock(&c->lock);
	e = find(c, key, fnv1a(key));
	if (e && e->state == READY && (c->o.now_ms() < e->expires || (stale_ok && e->positive))) {
		lru_unlink(c, e);
		lru_push(c, e);
		ret = copy_out(e, val, len, positive);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void hm_vcache_count_hits(hm_vcache *c, unsigned long n)
{
	pthread_mutex_lock(&c->lock);
	c->st.hits += n;
	pthread_mutex_unlock(&c->lock);
}

/* The pending entry of key, or NULL (a put or fail without a get). */
static entry *pending(hm_vcache *c, const char *key)
{
	entry *e = find(c, key, fnv1a(key));

	return e && e->state == PENDING ? e : NULL;
}

void hm_vcache_put(hm_vcache *c, const char *key, const void *val, size_t len, int positive)
{
	entry *e;
	int64_t ttl = positive ? c->o.ttl_ms : c->o.neg_ttl_ms;

	pthread_mutex_lock(&c->lock);
	if (!(e = pending(c, key))) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->st.in_flight--;
	if (!(e->val = malloc(len + 1))) {
		e->state = FAILED;
		e->err = HM_E_NOMEM;
		e->msg = strdup("out of memory");
		drop(c, e);
		pthread_cond_broadcast(&c->done);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	memcpy(e->val, val, len);
	e->val[len] = '\0';
	e->len = len;
	e->positive = positive;
	e->state = READY;
	e->expires = c->o.now_ms() + ttl;
	pthread_cond_broadcast(&c->done);
	if (ttl <= 0 || len > HM_VCACHE_MAX_VALUE) {
		drop(c, e); /* the waiters still read it */
	} else {
		lru_push(c, e);
		while (c->st.size > c->o.max_entries) {
			c->st.evicted++;
			drop(c, c->tail);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void hm_vcache_fail(hm_vcache *c, const char *key, int err, const char *msg)
{
	entry *e;

	pthread_mutex_lock(&c->lock);
	if ((e = pending(c, key))) {
		c->st.in_flight--;
		e->state = FAILED;
		e->err = err < 0 ? err : HM_E_IO;
		e->msg = msg ? strdup(msg) : NULL;
		drop(c, e);
		pthread_cond_broadcast(&c->done);
	}
	pthread_mutex_unlock(&c->lock);
}

void hm_vcache_flush(hm_vcache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head)
		drop(c, c->head);
	pthread_mutex_unlock(&c->lock);
}

void hm_vcache_stats_get(hm_vcache *c, hm_vcache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}

void hm_vcache_free(hm_vcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (entry *e = c->tab[i], *n; e; e = n) {
			n = e->hnext;
			entry_free(e);
		}
	free(c->tab);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
