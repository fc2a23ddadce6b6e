/* SPDX-License-Identifier: Apache-2.0 */
/* TLS of the registry client: which CAs are trusted and which client
 * certificate is presented, found where docker and podman look for them:
 *
 *  - the system store: curl's default bundle and folder, replaced by
 *    $SSL_CERT_FILE and $SSL_CERT_DIR when set (as OpenSSL does);
 *  - every --ca-file (hm_store_opts.ca_files);
 *  - the certs.d folders of the registry host, ROOT/HOST[:PORT]/ for ROOT in
 *    /etc/docker/certs.d, /etc/containers/certs.d and
 *    ~/.config/containers/certs.d (or the ':'-separated list of roots in
 *    $HALLMARK_CERTS_D instead): every *.crt there is a CA; NAME.cert with
 *    NAME.key is a client certificate (the first pair found, in that order
 *    of roots and by name), presented to the registry's own host only.
 *
 * All of it is trusted at once (one CA of any source suffices).  Everything
 * is read when a store is opened, so that a bad file is an error then, with
 * its name, and not in the middle of a transfer. */
#ifndef HM_OCI_TLS_H
#define HM_OCI_TLS_H

#include <curl/curl.h>
#include <openssl/x509.h>
#include "core/buf.h"

#define HM_TLS_MAX_FILE (4u << 20)     /* one CA bundle read */
#define HM_TLS_MAX_DIR_ENTRIES 256     /* entries of one certs.d folder */
#define HM_TLS_MAX_CAS 10000           /* extra CA certificates in all */

typedef struct hm_tls {
	STACK_OF(X509) *cas; /* the extra trust anchors (NULL: none) */
	char *client_cert;   /* PEM files, or NULL */
	char *client_key;
	char *cert_file;     /* $SSL_CERT_FILE, $SSL_CERT_DIR, or NULL */
	char *cert_dir;
	char *first_dir;     /* the first certs.d folder of the host, for advice */
	hm_buf sources;      /* "--ca-file a.pem, /etc/docker/certs.d/h/ca.crt", for messages */
	hm_buf folders;      /* "/etc/docker/certs.d/h (absent), ...", for messages */
} hm_tls;

#define HM_TLS_INIT {NULL, NULL, NULL, NULL, NULL, NULL, HM_BUF_INIT, HM_BUF_INIT}

/* Reads the CAs and client certificate for host ("host[:port]", the name
 * of the certs.d folder) and the extra CA files.  HM_E_IO naming the file
 * for one that cannot be read or holds no certificate, a NAME.cert without
 * NAME.key or the reverse (as docker refuses them). */
int hm_tls_load(hm_tls *out, const char *host, const char *const *ca_files, size_t n_ca_files);
void hm_tls_free(hm_tls *t);

/* Sets t's trust on curl for one request (after curl_easy_reset); own: the
 * request goes to the registry's own host (the client certificate goes
 * nowhere else); verify: 0 for an insecure host (no verification). */
void hm_tls_setup(const hm_tls *t, CURL *curl, int own, int verify);

/* Records the error of a failed TLS exchange with host (rc, curl's why)
 * and returns HM_E_IO: for a certificate that could not be verified, the
 * CA sources tried and how to add one; otherwise the client certificate
 * presented, or where one would be found.  insecure_name: the value of
 * --insecure-registry that would skip verification. */
int hm_tls_error(const hm_tls *t, CURL *curl, CURLcode rc, const char *host, const char *insecure_name,
		 const char *why);

/* 1 when rc is a failure of TLS itself (handshake, certificate, alert). */
int hm_tls_is_tls_error(CURLcode rc, const char *why);

#endif
