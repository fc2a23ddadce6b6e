/* SPDX-License-Identifier: Apache-2.0 */
/* policy/mhd_lib.c: libmicrohttpd is loaded on first use; while it cannot
 * be, hm_mhd_load says why (naming it) and the MHD_* functions fail as
 * libmicrohttpd's own do.  This file builds the loader itself with a
 * soname that does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#undef HM_LIBMICROHTTPD_SONAME
#define HM_LIBMICROHTTPD_SONAME "libhallmark-test-no-such-libmicrohttpd.so.0"
#include "policy/mhd_lib.c"

static void test_missing(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		hm_error_clear();
		assert_int_equal(hm_mhd_load(), HM_E_IO);
		assert_non_null(strstr(hm_error_message(),
				       "needs libmicrohttpd (libhallmark-test-no-such-libmicrohttpd.so.0)"));
	}
	assert_int_equal(MHD_is_feature_supported(MHD_FEATURE_TLS), MHD_NO);
	assert_null(MHD_start_daemon(0, 0, NULL, NULL, NULL, NULL, MHD_OPTION_END));
	assert_null(MHD_create_response_from_buffer(1, (void *)"x", MHD_RESPMEM_MUST_COPY));
	MHD_stop_daemon(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests_name("mhd_lib", tests, NULL, NULL);
}
