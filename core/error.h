/* SPDX-License-Identifier: Apache-2.0 */
/* Error reporting: functions return HM_OK (0) or a negative HM_E_* code and
 * record one message with hm_error_set(); callers pass it up unchanged (or
 * add context with hm_error_wrap()); cli/ prints it once and maps the code to
 * an exit status.  The message is thread-local. */
#ifndef HM_CORE_ERROR_H
#define HM_CORE_ERROR_H

#include <stdarg.h>

#define HM_OK 0
#define HM_E_IO (-1)       /* operational: network, I/O, bad input file, registry fault */
#define HM_E_VERIFY (-2)   /* a signature/attestation/policy check failed */
#define HM_E_USAGE (-3)    /* bad argument, bad reference, bad option value */
#define HM_E_NOTFOUND (-4) /* the object asked for does not exist (404, no such tag) */
#define HM_E_NOMEM (-5)    /* allocation failed */
#define HM_E_LIMIT (-6)    /* input from outside is over a cap (core/limits.h); operational
                            * unless the caller decides it refuses only that input */

/* Exit codes of the hallmark binary (documented in docs/exit-codes.md). */
enum hm_exit {
	HM_EXIT_OK = 0,     /* success, verified, allowed */
	HM_EXIT_DENIED = 1, /* verification failed or policy denied */
	HM_EXIT_USAGE = 2,  /* usage error, invalid reference or option */
	HM_EXIT_ERROR = 3,  /* operational error: network, I/O, bad input file */
};

/* Records a message (printf-style; an argument may be hm_error_message()
 * itself, to change the code of the current message) and returns code, so that callers can
 * write `return hm_error_set(HM_E_IO, "opening '%s': %s", p, strerror(errno));` */
int hm_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with context: "<context>: <old message>".
 * Returns code. */
int hm_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" when none). Borrowed. */
const char *hm_error_message(void);
void hm_error_clear(void);

/* For verdicts that record why something was refused (a reason) instead of
 * failing: replaces *reason (freed; NULL is fine) with the printf-style
 * text, cut at HM_REASON_MAX - 1 bytes.  An argument may be
 * hm_error_message(); the recorded message is left as it is.  HM_OK, or
 * HM_E_NOMEM (recorded, *reason NULL). */
#define HM_REASON_MAX 1024
int hm_reason_set(char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hm_reason_vset(char **reason, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Maps an HM_E_* code to an exit code (HM_OK -> 0). */
int hm_exit_code(int err);

#endif
