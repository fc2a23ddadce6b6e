/* SPDX-License-Identifier: Apache-2.0 */
/* hm_log: a no-op until cli/ installs a sink. */
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"

#define LOG_LINE_MAX 1024

static hm_log_sink log_sink;
static enum hm_log_level log_level;

void hm_log_set_sink(hm_log_sink sink, enum hm_log_level level)
{
	log_sink = sink;
	log_level = sink ? level : HM_LOG_OFF;
}

int hm_log_enabled(enum hm_log_level level)
{
	return log_sink && level != HM_LOG_OFF && level <= log_level;
}

void hm_log(enum hm_log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (!hm_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one line, whatever a registry put in a header or a URL */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	log_sink(level, line);
}
