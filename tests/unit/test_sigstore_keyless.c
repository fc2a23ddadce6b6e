/* SPDX-License-Identifier: Apache-2.0 */
/* Keyless verification end to end over the vendored sigstore-conformance
 * cases: every passing case verifies, every _fail case is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/sigstore_fixture.h"

static int is_keyed(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), FX_DIR "%s/key.pub", name);
	return access(path, R_OK) == 0;
}

static void test_conformance(void **state)
{
	DIR *d = opendir(FX_DIR);
	struct dirent *de;
	int bad = 0, n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		fx_case c;
		hm_keyless_result r;
		int fail, err;

		if (de->d_name[0] == '.' || is_keyed(de->d_name) || !strstr(de->d_name, "-"))
			continue;
		fail = strstr(de->d_name, "_fail") != NULL;
		err = fx_load(&c, de->d_name);
		if (err == HM_OK)
			err = fx_verify(&c, &r);
		if (err == HM_OK)
			hm_keyless_result_release(&r);
		if ((err == HM_OK) == fail) {
			printf("# %s: %s (%s)\n", de->d_name, fail ? "accepted" : "refused", hm_error_message());
			bad++;
		}
		n++;
		fx_free(&c);
	}
	closedir(d);
	printf("# %d conformance cases, %d wrong\n", n, bad);
	assert_int_equal(bad, 0);
}

static void test_result_and_forgeries(void **state)
{
	fx_case c;
	hm_keyless_result r;
	hm_tlog_entry two[2];
	unsigned char sig[128];
	const unsigned char *saved;
	hm_identity_policy p;

	assert_int_equal(fx_load(&c, "happy-path-v0.3"), HM_OK);
	assert_int_equal(fx_verify(&c, &r), HM_OK);
	assert_int_equal(r.log_index, 79571823);
	assert_int_equal(r.n_times, 1);
	assert_int_equal(r.times[0], 1710869186);
	assert_string_equal(r.id.issuer, FX_ISSUER);
	assert_string_equal(r.id.sans[0], FX_IDENTITY);
	hm_keyless_result_release(&r);

	/* A flipped signature bit. */
	memcpy(sig, c.in.sig, c.in.sig_len);
	sig[c.in.sig_len - 2] ^= 1;
	saved = c.in.sig;
	c.in.sig = sig;
	assert_int_equal(fx_verify(&c, &r), HM_E_VERIFY);
	c.in.sig = saved;
	/* Another identity. */
	p = (hm_identity_policy){.subject = "https://github.com/other/repo/.github/workflows/x.yml@refs/heads/main",
				 .issuer = FX_ISSUER};
	assert_int_equal(hm_keyless_verify(&r, &c.in, c.root, &p), HM_E_VERIFY);
	/* No log entry, so no time. */
	c.in.n_tlog = 0;
	assert_int_equal(fx_verify(&c, &r), HM_E_VERIFY);
	/* The same entry twice. */
	two[0] = two[1] = c.tlog[0];
	c.in.tlog = two;
	c.in.n_tlog = 2;
	assert_int_equal(fx_verify(&c, &r), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "duplicate"));
	c.in.tlog = c.tlog;
	c.in.n_tlog = 1;
	/* A clock before the signing time: an established time is in the future. */
	c.in.now = 1710869186 - 1;
	assert_int_equal(fx_verify(&c, &r), HM_E_VERIFY);
	c.in.now = 0;
	/* Too many entries. */
	c.in.n_tlog = HM_KEYLESS_MAX_TLOG + 1;
	assert_int_equal(fx_verify(&c, &r), HM_E_VERIFY);
	fx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
		cmocka_unit_test(test_result_and_forgeries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
