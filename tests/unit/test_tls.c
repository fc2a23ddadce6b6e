/* SPDX-License-Identifier: Apache-2.0 */
/* oci/tls.c: which CAs and client certificate a registry host gets from
 * --ca-file and the certs.d folders (docker's and podman's rules), and the
 * files refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "oci/tls.h"
#include "tests/unit/testdir.h"

static char tmpdir[64];
static char ca[128]; /* a PEM CA certificate made by setup */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void copy_ca(const char *dst)
{
	char cmd[1280];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", ca, dst);
	assert_int_equal(system(cmd), 0);
}

/* ROOT/HOST made empty; its path in out. */
static void folder(char *out, size_t cap, const char *root, const char *host)
{
	char cmd[512];

	snprintf(out, cap, "%s/%s/%s", tmpdir, root, host);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", out, out);
	assert_int_equal(system(cmd), 0);
}

static void roots(const char *a, const char *b)
{
	char v[256];

	if (b)
		snprintf(v, sizeof(v), "%s/%s:%s/%s", tmpdir, a, tmpdir, b);
	else
		snprintf(v, sizeof(v), "%s/%s", tmpdir, a);
	setenv("HALLMARK_CERTS_D", v, 1);
}

static void test_certs_d(void **state)
{
	hm_tls t = HM_TLS_INIT;
	char d1[256], d2[256], p[512];

	(void)state;
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	folder(d1, sizeof(d1), "r1", "reg.example:5000");
	folder(d2, sizeof(d2), "r2", "reg.example:5000");
	roots("r1", "r2");

	/* nothing: no extra CA, no client certificate, both folders named */
	assert_int_equal(hm_tls_load(&t, "reg.example:5000", NULL, 0), HM_OK);
	assert_null(t.cas);
	assert_null(t.client_cert);
	assert_non_null(strstr(hm_buf_cstr(&t.folders), "r1/reg.example:5000, "));
	assert_string_equal(t.first_dir, d1);
	hm_tls_free(&t);

	/* every *.crt of every root is a CA; other files are ignored */
	snprintf(p, sizeof(p), "%s/ca.crt", d1);
	copy_ca(p);
	snprintf(p, sizeof(p), "%s/extra.crt", d2);
	copy_ca(p);
	snprintf(p, sizeof(p), "%s/README", d2);
	write_file(p, "not a certificate, not read");
	assert_int_equal(hm_tls_load(&t, "reg.example:5000", NULL, 0), HM_OK);
	assert_int_equal(sk_X509_num(t.cas), 2);
	assert_non_null(strstr(hm_buf_cstr(&t.sources), "r2/reg.example:5000/extra.crt"));
	hm_tls_free(&t);

	/* a client pair: the first root's wins */
	snprintf(p, sizeof(p), "%s/client.cert", d2);
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s/client.key", d2);
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s/me.cert", d1);
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s/me.key", d1);
	write_file(p, "x");
	assert_int_equal(hm_tls_load(&t, "reg.example:5000", NULL, 0), HM_OK);
	snprintf(p, sizeof(p), "%s/me.cert", d1);
	assert_string_equal(t.client_cert, p);
	snprintf(p, sizeof(p), "%s/me.key", d1);
	assert_string_equal(t.client_key, p);
	hm_tls_free(&t);

	/* another host's folder is not read */
	assert_int_equal(hm_tls_load(&t, "reg.example", NULL, 0), HM_OK);
	assert_null(t.cas);
	assert_null(t.client_cert);
	hm_tls_free(&t);
}

static void test_refused(void **state)
{
	hm_tls t = HM_TLS_INIT;
	char d[256], p[512];
	const char *bad[] = {p};

	(void)state;
	unsetenv("SSL_CERT_FILE");
	folder(d, sizeof(d), "bad", "h");
	roots("bad", NULL);

	/* a key without its certificate, and the reverse, as docker refuses */
	snprintf(p, sizeof(p), "%s/ca.key", d);
	write_file(p, "x");
	assert_int_equal(hm_tls_load(&t, "h", NULL, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "CA certificates must end in .crt"));
	assert_null(t.cas);
	unlink(p);
	snprintf(p, sizeof(p), "%s/c.cert", d);
	write_file(p, "x");
	assert_int_equal(hm_tls_load(&t, "h", NULL, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "has no key"));
	unlink(p);

	/* a .crt without a certificate */
	snprintf(p, sizeof(p), "%s/junk.crt", d);
	write_file(p, "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n");
	assert_int_equal(hm_tls_load(&t, "h", NULL, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "no PEM certificate in it"));
	unlink(p);

	/* --ca-file: missing, or not PEM */
	snprintf(p, sizeof(p), "%s/absent.pem", tmpdir);
	assert_int_equal(hm_tls_load(&t, "h", bad, 1), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "--ca-file"));
	snprintf(p, sizeof(p), "%s/README", d);
	write_file(p, "text");
	assert_int_equal(hm_tls_load(&t, "h", bad, 1), HM_E_IO);
	unlink(p);

	/* SSL_CERT_FILE that is not there */
	snprintf(p, sizeof(p), "%s/absent.pem", tmpdir);
	setenv("SSL_CERT_FILE", p, 1);
	assert_int_equal(hm_tls_load(&t, "h", NULL, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "SSL_CERT_FILE names"));
	unsetenv("SSL_CERT_FILE");

	/* a host that would climb out of the root */
	assert_int_equal(hm_tls_load(&t, "../etc", NULL, 0), HM_E_USAGE);
	assert_int_equal(hm_tls_load(&t, "..", NULL, 0), HM_E_USAGE);

	/* a folder with more entries than the cap */
	for (int i = 0; i <= HM_TLS_MAX_DIR_ENTRIES; i++) {
		snprintf(p, sizeof(p), "%s/f%04d", d, i);
		write_file(p, "");
	}
	assert_int_equal(hm_tls_load(&t, "h", NULL, 0), HM_E_LIMIT);
	assert_non_null(strstr(hm_error_message(), "entries (the cap)"));
}

static int setup(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hm-test-tls.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ca, sizeof(ca), "%s/made-ca.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s/made-ca.key' "
		 "-out '%s' -subj /CN=t -days 1 >/dev/null 2>&1",
		 tmpdir, ca);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return hm_testdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certs_d),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
