/* SPDX-License-Identifier: Apache-2.0 */
/* core/log: silent without a sink, levels filter, one printable line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"

static char last[2048];
static int calls;
static enum hm_log_level last_level;

static void sink(enum hm_log_level level, const char *line)
{
	snprintf(last, sizeof(last), "%s", line);
	last_level = level;
	calls++;
}

static void silent_without_sink(void **state)
{
	hm_log_set_sink(NULL, HM_LOG_DEBUG);
	calls = 0;
	assert_false(hm_log_enabled(HM_LOG_INFO));
	hm_log(HM_LOG_INFO, "nothing %d", 1);
	assert_int_equal(calls, 0);
}

static void levels(void **state)
{
	hm_log_set_sink(sink, HM_LOG_INFO);
	calls = 0;
	assert_true(hm_log_enabled(HM_LOG_INFO));
	assert_false(hm_log_enabled(HM_LOG_DEBUG));
	assert_false(hm_log_enabled(HM_LOG_OFF));
	hm_log(HM_LOG_DEBUG, "request");
	assert_int_equal(calls, 0);
	hm_log(HM_LOG_INFO, "registry %s", "r.example");
	assert_int_equal(calls, 1);
	assert_string_equal(last, "registry r.example");
	assert_int_equal(last_level, HM_LOG_INFO);
	hm_log_set_sink(sink, HM_LOG_DEBUG);
	hm_log(HM_LOG_DEBUG, "request");
	assert_int_equal(calls, 2);
	hm_log_set_sink(sink, HM_LOG_OFF);
	hm_log(HM_LOG_INFO, "off");
	assert_int_equal(calls, 2);
	hm_log_set_sink(NULL, HM_LOG_OFF);
}

static void one_printable_line(void **state)
{
	char big[3000];

	hm_log_set_sink(sink, HM_LOG_DEBUG);
	/* a header a registry chose cannot start a new log line or move the cursor */
	hm_log(HM_LOG_INFO, "a%sb", "\r\nhallmark: forged\x1b[2J");
	assert_null(strchr(last, '\n'));
	assert_null(strchr(last, '\r'));
	assert_null(strchr(last, '\x1b'));
	assert_string_equal(last, "a??hallmark: forged?[2Jb");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hm_log(HM_LOG_INFO, "%s", big);
	assert_int_equal(strlen(last), 1023);
	hm_log_set_sink(NULL, HM_LOG_OFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(silent_without_sink),
		cmocka_unit_test(levels),
		cmocka_unit_test(one_printable_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
