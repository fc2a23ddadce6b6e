/* SPDX-License-Identifier: Apache-2.0 */
/* Diagnostics from library code: what hallmark is doing, for -v/--verbose
 * and --debug.  Code below cli/ never prints; it calls hm_log(), which does
 * nothing until cli/ installs a sink with hm_log_set_sink().  The sink
 * decides where the line goes (the hallmark binary writes
 * "hallmark: <line>" to stderr).
 *
 *   HM_LOG_INFO   (-v, --verbose)  one line per decision a user may want to
 *                 see: which registry, which credentials source and auth
 *                 scheme, which CA file, cache hits, fallbacks taken
 *   HM_LOG_DEBUG  (--debug)        also one line per HTTP request: method,
 *                 URL (query string dropped) and status
 *
 * Never log a secret: no passwords, tokens, Authorization or Cookie
 * values, private keys or passphrases; log where a credential came from,
 * not what it is.  A test greps --debug output for them.  Messages are
 * lowercase, one line, no trailing newline.  Not thread-safe to change the
 * sink while other threads log; set it once at start-up. */
#ifndef HM_CORE_LOG_H
#define HM_CORE_LOG_H

enum hm_log_level {
	HM_LOG_OFF = 0,
	HM_LOG_INFO = 1,
	HM_LOG_DEBUG = 2,
};

typedef void (*hm_log_sink)(enum hm_log_level level, const char *line);

/* Installs sink for messages up to level (HM_LOG_OFF or a NULL sink: none). */
void hm_log_set_sink(hm_log_sink sink, enum hm_log_level level);

/* 1 when a message at level would reach the sink: lets callers skip work
 * (building a URL without its query) that only a log line needs. */
int hm_log_enabled(enum hm_log_level level);

/* Formats one line and hands it to the sink (at most 1024 bytes, control
 * characters replaced by '?'); a no-op when level is not enabled. */
void hm_log(enum hm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
