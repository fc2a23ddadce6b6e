/* SPDX-License-Identifier: Apache-2.0 */
/* The shared thread pool (see core/pool.h): a queue of tickets, each one
 * extra call of a fan, taken by idle threads; a fan withdraws the tickets
 * no thread took once its own call returned. */
#include <pthread.h>
#include <stdlib.h>

#include "core/pool.h"

typedef struct fan {
	void (*fn)(void *arg);
	void *arg;
	unsigned running; /* calls made on pool threads, not returned yet */
	pthread_cond_t done;
} fan;

typedef struct ticket {
	struct ticket *next;
	fan *f;
} ticket;

struct hm_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	ticket *head, *tail;
	int stop;
	unsigned n;
	pthread_t t[HM_POOL_MAX_THREADS];
};

static void *pool_main(void *arg)
{
	hm_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		ticket *k;
		fan *f;

		while (!p->head && !p->stop)
			pthread_cond_wait(&p->wake, &p->lock);
		if (!(k = p->head))
			break;
		p->head = k->next;
		if (!p->head)
			p->tail = NULL;
		f = k->f;
		f->running++;
		k->f = NULL; /* taken */
		pthread_mutex_unlock(&p->lock);
		f->fn(f->arg);
		pthread_mutex_lock(&p->lock);
		if (!--f->running)
			pthread_cond_signal(&f->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

hm_pool *hm_pool_new(unsigned threads)
{
	hm_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (threads < 1)
		threads = 1;
	if (threads > HM_POOL_MAX_THREADS)
		threads = HM_POOL_MAX_THREADS;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (; p->n < threads; p->n++)
		if (pthread_create(&p->t[p->n], NULL, pool_main, p))
			break;
	if (!p->n) {
		hm_pool_free(p);
		return NULL;
	}
	return p;
}

void hm_pool_free(hm_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->t[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void hm_pool_fan(hm_pool *p, void (*fn)(void *arg), void *arg, unsigned extra)
{
	ticket k[HM_POOL_MAX_THREADS];
	fan f = {fn, arg, 0, PTHREAD_COND_INITIALIZER};

	if (extra > p->n)
		extra = p->n;
	if (extra) {
		pthread_mutex_lock(&p->lock);
		for (unsigned i = 0; i < extra; i++) {
			k[i].next = NULL;
			k[i].f = &f;
			if (p->tail)
				p->tail->next = &k[i];
			else
				p->head = &k[i];
			p->tail = &k[i];
		}
		pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->lock);
	}
	fn(arg);
	if (!extra)
		return;
	pthread_mutex_lock(&p->lock);
	/* the tickets no thread took are withdrawn: the work is done */
	for (ticket **pp = &p->head, *prev = NULL; *pp;) {
		if ((*pp)->f == &f) {
			*pp = (*pp)->next;
			continue;
		}
		prev = *pp;
		pp = &(*pp)->next;
		p->tail = prev;
	}
	if (!p->head)
		p->tail = NULL;
	while (f.running)
		pthread_cond_wait(&f.done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	pthread_cond_destroy(&f.done);
}
