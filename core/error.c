/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define HM_ERROR_MAX 1024

static _Thread_local char msg[HM_ERROR_MAX];

int hm_error_set(int code, const char *fmt, ...)
{
	char tmp[HM_ERROR_MAX];
	va_list ap;

	/* through a copy: an argument may be hm_error_message() itself */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(msg, tmp, sizeof(msg));
	return code;
}

int hm_error_wrap(int code, const char *fmt, ...)
{
	char old[HM_ERROR_MAX];
	va_list ap;
	int n;

	memcpy(old, msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 < sizeof(msg) && old[0]) {
		/* Truncation is fine: the context comes first and matters most. */
		size_t room = sizeof(msg) - (size_t)n - 2, len = strnlen(old, room);

		memcpy(msg + n, ": ", 2);
		memcpy(msg + n + 2, old, len);
		msg[(size_t)n + 2 + len] = '\0';
	}
	return code;
}

const char *hm_error_message(void)
{
	return msg;
}

void hm_error_clear(void)
{
	msg[0] = '\0';
}

int hm_reason_vset(char **reason, const char *fmt, va_list ap)
{
	char why[HM_REASON_MAX];

	vsnprintf(why, sizeof(why), fmt, ap);
	free(*reason);
	*reason = strdup(why);
	return *reason ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

int hm_reason_set(char **reason, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = hm_reason_vset(reason, fmt, ap);
	va_end(ap);
	return err;
}

int hm_exit_code(int err)
{
	switch (err) {
	case HM_OK:
		return HM_EXIT_OK;
	case HM_E_VERIFY:
		return HM_EXIT_DENIED;
	case HM_E_USAGE:
		return HM_EXIT_USAGE;
	default:
		return HM_EXIT_ERROR;
	}
}
