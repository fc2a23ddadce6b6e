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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
