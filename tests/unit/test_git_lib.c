/* SPDX-License-Identifier: Apache-2.0 */
/* attest/git_lib.c: libgit2 is loaded on first use, and a missing library
 * is an operational error naming it, every time it is asked for.  This
 * file builds the loader itself with a soname that does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#undef HM_LIBGIT2_SONAME
#define HM_LIBGIT2_SONAME "libhallmark-test-no-such-libgit2.so.0"
#include "attest/git_lib.c"

static void test_missing(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		hm_error_clear();
		assert_int_equal(hm_git_load(), HM_E_IO);
		assert_non_null(strstr(hm_error_message(), "needs libgit2 (libhallmark-test-no-such-libgit2.so.0)"));
		assert_null(hm_git_fns.git_libgit2_init);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests_name("git_lib", tests, NULL, NULL);
}
