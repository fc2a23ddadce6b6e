/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's reloads: the policy file and the TLS pair, on SIGHUP or
 * when the guard sees a file change (through the symlinks Kubernetes swaps
 * in ConfigMap and Secret volumes).  See policy/webhook.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/error.h"
#include "core/file.h"
#include "oci/http.h"
#include "policy/webhook_impl.h"

#define TLS_FILE_MAX (1u << 20)

static void message(hm_webhook *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* HM_OK when cert holds a PEM certificate and key the PEM private key that
 * goes with it; HM_E_IO naming the file otherwise. */
static int tls_pair_check(const hm_buf *cert, const hm_buf *key, const char *cert_path, const char *key_path)
{
	BIO *cb = BIO_new_mem_buf(hm_buf_cstr(cert), (int)cert->len);
	BIO *kb = BIO_new_mem_buf(hm_buf_cstr(key), (int)key->len);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
	int err = HM_OK;

	if (!x)
		err = hm_error_set(HM_E_IO, "'%s' holds no PEM certificate", cert_path);
	else if (!k)
		err = hm_error_set(HM_E_IO, "'%s' holds no PEM private key (unencrypted)", key_path);
	else if (X509_check_private_key(x, k) != 1)
		err = hm_error_set(HM_E_IO, "'%s' and '%s' do not match: the key is not the certificate's", cert_path,
				   key_path);
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	return err;
}

void hm_wh_slot_free(daemon_slot *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	hm_buf_release(&s->cert);
	hm_buf_release_secret(&s->key);
	free(s);
}

/* Reads the certificate and key files into a new slot, after checking that
 * they are PEM and that the key is the certificate's. */
int hm_wh_tls_load(hm_webhook *w, daemon_slot **out)
{
	daemon_slot *s = calloc(1, sizeof(*s));
	struct stat cst, kst;
	int err;

	*out = NULL;
	if (!s)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (stat(w->opts.tls_cert, &cst))
		memset(&cst, 0, sizeof(cst));
	if (stat(w->opts.tls_key, &kst))
		memset(&kst, 0, sizeof(kst));
	/* a pair that fails is not read again until a file changes */
	w->cert_st = cst;
	w->key_st = kst;
	if ((err = hm_file_read(&s->cert, w->opts.tls_cert, TLS_FILE_MAX)) ||
	    (err = hm_file_read(&s->key, w->opts.tls_key, TLS_FILE_MAX)) ||
	    (err = tls_pair_check(&s->cert, &s->key, w->opts.tls_cert, w->opts.tls_key))) {
		hm_wh_slot_free(s);
		return err;
	}
	*out = s;
	return HM_OK;
}

int hm_webhook_reload_tls(hm_webhook *w)
{
	daemon_slot *s = NULL;
	MHD_socket fd;
	int err;

	pthread_mutex_lock(&w->reload_lock);
	if (atomic_load(&w->draining)) {
		pthread_mutex_unlock(&w->reload_lock);
		return HM_OK; /* stopping */
	}
	if ((err = hm_wh_tls_load(w, &s))) {
		message(w, "certificate reload refused: %s; still serving the certificate loaded before",
			hm_error_message());
		hm_wh_metrics_reload(&w->m, 1, 0);
		pthread_mutex_unlock(&w->reload_lock);
		return err;
	}
	/* the listening socket moves to a daemon with the new certificate;
	 * connections arriving meanwhile wait in its backlog */
	fd = MHD_quiesce_daemon(w->cur->d);
	if (fd == MHD_INVALID_SOCKET || !(s->d = hm_wh_start_daemon(w, s, fd))) {
		err = hm_error_set(HM_E_IO, "certificate reload: a server with the new certificate did not start");
		message(w, "%s; still serving the certificate loaded before", hm_error_message());
		hm_wh_slot_free(s);
		s = NULL;
		/* the old certificate serves the socket again */
		if (fd != MHD_INVALID_SOCKET) {
			daemon_slot *old = w->cur;

			if ((s = calloc(1, sizeof(*s))) && !hm_buf_add(&s->cert, old->cert.data, old->cert.len) &&
			    !hm_buf_add(&s->key, old->key.data, old->key.len) && (s->d = hm_wh_start_daemon(w, s, fd))) {
				old->next = w->retired;
				w->retired = old;
				w->cur = s;
				w->mhd = s->d;
			} else {
				hm_wh_slot_free(s);
				close(fd);
				message(w, "the listening socket is lost: no new connections are accepted");
			}
		}
		hm_wh_metrics_reload(&w->m, 1, 0);
		pthread_mutex_unlock(&w->reload_lock);
		return err;
	}
	w->cur->next = w->retired;
	w->retired = w->cur;
	w->cur = s;
	w->mhd = s->d;
	hm_wh_metrics_reload(&w->m, 1, 1);
	message(w, "certificate reloaded from '%s'", w->opts.tls_cert);
	pthread_mutex_unlock(&w->reload_lock);
	return HM_OK;
}

/* Stops the retired daemons whose last connection closed. */
static void reap(hm_webhook *w)
{
	daemon_slot **pp = &w->retired;

	pthread_mutex_lock(&w->reload_lock);
	while (*pp) {
		const union MHD_DaemonInfo *i = MHD_get_daemon_info((*pp)->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		if (i && i->num_connections == 0) {
			daemon_slot *s = *pp;

			*pp = s->next;
			hm_wh_slot_free(s);
		} else {
			pp = &(*pp)->next;
		}
	}
	pthread_mutex_unlock(&w->reload_lock);
}

/* Stats the policy file (following the symlinks Kubernetes swaps). */
int hm_wh_policy_stat(const hm_webhook *w, struct stat *st)
{
	return stat(w->pol->path, st);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void message(hm_webhook *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void message(hm_webhook *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!w->opts.on_message)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->opts.on_message(w->opts.ctx, line);
}

int hm_webhook_reload(hm_webhook *w)
{
	hm_served_policy *np = NULL, *old;
	hm_strv diags = HM_STRV_INIT;
	struct stat st;
	char *path;
	int err, same;

	pthread_mutex_lock(&w->reload_lock);
	path = w->pol->path; /* only a reload replaces w->pol, and this one holds the lock */
	if (hm_wh_policy_stat(w, &st) == 0)
		w->pol_st = st; /* a file that keeps its problems is not read again until it changes */
	if ((err = hm_served_policy_load(&np, path, &diags)) < 0) {
		for (size_t i = 0; i < diags.n; i++)
			message(w, "%s", diags.v[i]);
		message(w, "reload refused: %s; still serving the policy loaded before", hm_error_message());
		hm_wh_metrics_reload(&w->m, 0, 0);
		hm_strv_free(&diags);
		pthread_mutex_unlock(&w->reload_lock);
		return err;
	}
	hm_strv_free(&diags);
	pthread_mutex_lock(&w->pol_lock);
	old = w->pol;
	same = !strcmp(old->digest, np->digest);
	w->pol = np;
	pthread_mutex_unlock(&w->pol_lock);
	/* the verdicts of the old policy can never be asked for again (their
	 * keys name its digest): dropped now rather than aged out */
	if (!same && w->verdicts)
		hm_vcache_flush(w->verdicts);
	hm_wh_metrics_reload(&w->m, 0, 1);
	message(w, "reloaded '%s' (%zu rule%s, %s)%s", np->path, np->p->n_rules, np->p->n_rules == 1 ? "" : "s",
		np->digest, same ? ": unchanged" : "");
	/* reviews under way keep the old one until they answer */
	hm_served_policy_unref(old);
	pthread_mutex_unlock(&w->reload_lock);
	return HM_OK;
}

/* Called by the guard every tick: reloads the policy when its file changed. */
void hm_wh_watch(hm_webhook *w)
{
	struct stat st;
	int64_t now = hm_http_now_ms();

	int changed;

	if (now < w->next_watch)
		return;
	w->next_watch = now + (int64_t)w->opts.watch_s * 1000;
	struct stat cst, kst;
	int tls_changed;

	pthread_mutex_lock(&w->reload_lock);
	changed = hm_wh_policy_stat(w, &st) == 0 && !same_file(&st, &w->pol_st);
	tls_changed = stat(w->opts.tls_cert, &cst) == 0 && stat(w->opts.tls_key, &kst) == 0 &&
		      (!same_file(&cst, &w->cert_st) || !same_file(&kst, &w->key_st));
	pthread_mutex_unlock(&w->reload_lock);
	if (changed)
		hm_webhook_reload(w);
	if (tls_changed)
		hm_webhook_reload_tls(w);
	reap(w);
}
