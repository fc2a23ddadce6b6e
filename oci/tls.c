/* SPDX-License-Identifier: Apache-2.0 */
/* CAs and client certificates of the registry client (see oci/tls.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "core/error.h"
#include "core/file.h"
#include "core/strv.h"
#include "oci/tls.h"

static const char *const default_roots[] = {"/etc/docker/certs.d", "/etc/containers/certs.d", NULL};

/* Adds the PEM certificates of path to t->cas; what names it in messages. */
static int add_cas(hm_tls *t, const char *path, const char *what)
{
	hm_buf text = HM_BUF_INIT;
	BIO *bio = NULL;
	X509 *x;
	int err, n = 0;

	if ((err = hm_file_read(&text, path, HM_TLS_MAX_FILE))) {
		hm_error_wrap(err, "%s", what);
		goto done;
	}
	if (!t->cas && !(t->cas = sk_X509_new_null()))
		goto nomem;
	if (!(bio = BIO_new_mem_buf(hm_buf_cstr(&text), (int)text.len)))
		goto nomem;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (sk_X509_num(t->cas) >= HM_TLS_MAX_CAS) {
			X509_free(x);
			err = hm_error_set(HM_E_LIMIT, "%s '%s': more than %d CA certificates in all (the cap)", what,
					   path, HM_TLS_MAX_CAS);
			goto done;
		}
		if (!sk_X509_push(t->cas, x)) {
			X509_free(x);
			goto nomem;
		}
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		err = hm_error_set(HM_E_IO, "%s '%s': no PEM certificate in it", what, path);
		goto done;
	}
	if (t->sources.len && (err = hm_buf_addstr(&t->sources, ", ")))
		goto done;
	err = hm_buf_addf(&t->sources, "%s %s", what, path);
	goto done;
nomem:
	err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	BIO_free(bio);
	hm_buf_release(&text);
	return err;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names of dir, sorted; HM_OK with none when dir is absent. */
static int list_dir(hm_strv *out, const char *dir, int *present)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = HM_OK;

	*present = d != NULL;
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? HM_OK
							   : hm_error_set(HM_E_IO, "reading '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (out->n >= HM_TLS_MAX_DIR_ENTRIES) {
			err = hm_error_set(HM_E_LIMIT, "reading '%s': more than %d entries (the cap)", dir,
					   HM_TLS_MAX_DIR_ENTRIES);
			break;
		}
		if ((err = hm_strv_push(out, e->d_name)))
			break;
	}
	closedir(d);
	if (!err && out->n)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_str);
	return err;
}

/* One certs.d folder: *.crt are CAs, NAME.cert + NAME.key a client pair. */
static int load_folder(hm_tls *t, const char *dir)
{
	hm_strv names = HM_STRV_INIT;
	hm_buf path = HM_BUF_INIT, pair = HM_BUF_INIT;
	int err, present;

	if ((err = list_dir(&names, dir, &present)))
		goto done;
	if ((err = hm_buf_addf(&t->folders, "%s%s%s", t->folders.len ? ", " : "", dir, present ? "" : " (absent)")))
		goto done;
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		int is_cert = ends_with(name, ".cert"), is_key = ends_with(name, ".key");
		size_t stem = strlen(name) - (is_cert ? 5 : is_key ? 4 : 0);

		hm_buf_reset(&path);
		hm_buf_reset(&pair);
		if ((err = hm_buf_addf(&path, "%s/%s", dir, name)))
			goto done;
		if (ends_with(name, ".crt")) {
			if ((err = add_cas(t, path.data, "CA file")))
				goto done;
			continue;
		}
		if (!is_cert && !is_key)
			continue;
		if ((err = hm_buf_addf(&pair, "%s/%.*s%s", dir, (int)stem, name, is_cert ? ".key" : ".cert")))
			goto done;
		if (access(pair.data, F_OK) != 0) {
			err = hm_error_set(HM_E_IO, "%s '%s' has no %s '%s' beside it%s", is_cert ? "client certificate" : "key",
					   path.data, is_cert ? "key" : "client certificate", pair.data,
					   is_key ? " (CA certificates must end in .crt)" : "");
			goto done;
		}
		if (is_cert && !t->client_cert) {
			if (access(path.data, R_OK) != 0 || access(pair.data, R_OK) != 0) {
				err = hm_error_set(HM_E_IO, "reading the client certificate '%s' or its key: %s", path.data,
						   strerror(errno));
				goto done;
			}
			if (!(t->client_cert = strdup(path.data)) || !(t->client_key = strdup(pair.data))) {
				err = hm_error_set(HM_E_NOMEM, "out of memory");
				goto done;
			}
		}
	}
done:
	hm_strv_free(&names);
	hm_buf_release(&path);
	hm_buf_release(&pair);
	return err;
}

static int load_root(hm_tls *t, const char *root, size_t len, const char *host)
{
	hm_buf dir = HM_BUF_INIT;
	int err;

	if (len == 0)
		return HM_OK;
	if ((err = hm_buf_addf(&dir, "%.*s/%s", (int)len, root, host)))
		goto done;
	if (!t->first_dir && !(t->first_dir = strdup(dir.data))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = load_folder(t, dir.data);
done:
	hm_buf_release(&dir);
	return err;
}

static int dup_env(char **out, const char *name)
{
	const char *v = getenv(name);

	if (v && *v && !(*out = strdup(v)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

int hm_tls_load(hm_tls *out, const char *host, const char *const *ca_files, size_t n_ca_files)
{
	hm_tls t = HM_TLS_INIT;
	const char *roots = getenv("HALLMARK_CERTS_D"), *home = getenv("HOME");
	hm_buf user = HM_BUF_INIT;
	int err = HM_OK;

	*out = t;
	if (strchr(host, '/') || strcmp(host, "..") == 0 || strcmp(host, ".") == 0)
		return hm_error_set(HM_E_USAGE, "invalid registry host '%.200s'", host);
	if ((err = dup_env(&t.cert_file, "SSL_CERT_FILE")) || (err = dup_env(&t.cert_dir, "SSL_CERT_DIR")))
		goto done;
	/* curl, unlike OpenSSL, fails every connection on a missing one: say
	 * so once, with its name */
	if (t.cert_file && access(t.cert_file, R_OK) != 0) {
		err = hm_error_set(HM_E_IO, "SSL_CERT_FILE names '%s': %s", t.cert_file, strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < n_ca_files; i++)
		if ((err = add_cas(&t, ca_files[i], "--ca-file")))
			goto done;
	if (roots) {
		for (const char *p = roots; *p;) {
			size_t len = strcspn(p, ":");

			if ((err = load_root(&t, p, len, host)))
				goto done;
			p += len + (p[len] == ':');
		}
	} else {
		for (size_t i = 0; default_roots[i]; i++)
			if ((err = load_root(&t, default_roots[i], strlen(default_roots[i]), host)))
				goto done;
		if (home && *home) {
			if ((err = hm_buf_addf(&user, "%s/.config/containers/certs.d", home)) ||
			    (err = load_root(&t, user.data, user.len, host)))
				goto done;
		}
	}
done:
	hm_buf_release(&user);
	if (err)
		hm_tls_free(&t);
	else
		*out = t;
	return err;
}

void hm_tls_free(hm_tls *t)
{
	hm_tls none = HM_TLS_INIT;

	if (!t)
		return;
	sk_X509_pop_free(t->cas, X509_free);
	free(t->client_cert);
	free(t->client_key);
	free(t->cert_file);
	free(t->cert_dir);
	free(t->first_dir);
	hm_buf_release(&t->sources);
	hm_buf_release(&t->folders);
	*t = none;
}

/* Adds the extra CAs to the trust store of a new connection (after curl
 * has loaded the system store into it). */
static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
	const hm_tls *t = arg;
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);

	(void)curl;
	for (int i = 0; i < sk_X509_num(t->cas); i++)
		X509_STORE_add_cert(store, sk_X509_value(t->cas, i)); /* a duplicate is not an error worth failing */
	ERR_clear_error();
	return CURLE_OK;
}

void hm_tls_setup(const hm_tls *t, CURL *curl, int own, int verify)
{
	if (!verify) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->cert_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, t->cert_file);
	if (t->cert_dir)
		curl_easy_setopt(curl, CURLOPT_CAPATH, t->cert_dir);
	if (t->cas && sk_X509_num(t->cas) > 0) {
#if LIBCURL_VERSION_NUM >= 0x075700
		/* a cached store would carry these CAs to connections of other
		 * stores, with other certs.d folders */
		curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, (void *)t);
	}
	if (own && t->client_cert) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, t->client_cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, t->client_key);
	}
}

int hm_tls_is_tls_error(CURLcode rc, const char *why)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* TLS 1.3 servers refuse a missing client certificate with an
		 * alert that arrives at the first read */
		return why && (strstr(why, "SSL") || strstr(why, "alert"));
	default:
		return 0;
	}
}

int hm_tls_error(const hm_tls *t, CURL *curl, CURLcode rc, const char *host, const char *insecure_name,
		 const char *why)
{
	hm_buf sys = HM_BUF_INIT;
	const char *dir = t->first_dir ? t->first_dir : "/etc/docker/certs.d/HOST";
	size_t n = strcspn(why, "\r\n");
	int err;

	if (t->cert_file || t->cert_dir) {
		hm_buf_addf(&sys, "%s%s%s%s%s", t->cert_file ? "SSL_CERT_FILE=" : "", t->cert_file ? t->cert_file : "",
			    t->cert_file && t->cert_dir ? ", " : "", t->cert_dir ? "SSL_CERT_DIR=" : "",
			    t->cert_dir ? t->cert_dir : "");
	} else {
		char *file = NULL, *path = NULL;

#if LIBCURL_VERSION_NUM >= 0x075400
		curl_easy_getinfo(curl, CURLINFO_CAINFO, &file);
		curl_easy_getinfo(curl, CURLINFO_CAPATH, &path);
#endif
		hm_buf_addf(&sys, "the system store%s%s%s%s%s", file || path ? " (" : "", file ? file : "",
			    file && path ? ", " : "", path ? path : "", file || path ? ")" : "");
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR)
		err = hm_error_set(HM_E_IO,
				   "connecting to '%s': the registry's certificate is not trusted (%.*s); CAs tried: %s%s%s; "
				   "certs.d folders: %s; add the registry's CA with --ca-file FILE or as %s/ca.crt, "
				   "or skip verification with --insecure-registry %s",
				   host, (int)n, why, hm_buf_cstr(&sys), t->sources.len ? ", " : "", hm_buf_cstr(&t->sources),
				   t->folders.len ? hm_buf_cstr(&t->folders) : "none", dir, insecure_name);
	else if (t->client_cert)
		err = hm_error_set(HM_E_IO, "connecting to '%s': %.*s (client certificate presented: %s)", host, (int)n,
				   why, t->client_cert);
	else
		err = hm_error_set(HM_E_IO,
				   "connecting to '%s': %.*s (no client certificate presented; a registry that requires one "
				   "finds it as client.cert and client.key in %s/)",
				   host, (int)n, why, dir);
	hm_buf_release(&sys);
	return err;
}
