/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd loaded on first use (see mhd_lib.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/error.h"
#include "policy/mhd_lib.h"

#ifndef HM_LIBMICROHTTPD_SONAME
#define HM_LIBMICROHTTPD_SONAME "libmicrohttpd.so"
#endif

/* The functions policy/webhook.c calls; MHD_start_daemon goes through
 * MHD_start_daemon_va, which takes its options as a va_list. */
#define HM_MHD_FUNCS(X)                                                                              \
	X(MHD_add_response_header) X(MHD_create_response_from_buffer) X(MHD_destroy_response)       \
	X(MHD_get_connection_info) X(MHD_get_daemon_info) X(MHD_is_feature_supported)                \
	X(MHD_lookup_connection_value) X(MHD_queue_response) X(MHD_start_daemon_va) X(MHD_stop_daemon)  \
	X(MHD_suspend_connection) X(MHD_resume_connection) X(MHD_quiesce_daemon)

static struct {
#define HM_MHD_MEMBER(f) __typeof__(&f) f;
	HM_MHD_FUNCS(HM_MHD_MEMBER)
#undef HM_MHD_MEMBER
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[512]; /* empty once loaded */

static void load(void)
{
	void *h = dlopen(HM_LIBMICROHTTPD_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(why, sizeof(why), "the webhook server needs libmicrohttpd (%s), which could not be loaded: %s",
			 HM_LIBMICROHTTPD_SONAME, e ? e : "unknown error");
		return;
	}
	/* POSIX allows a data pointer to be converted to a function pointer
	 * this way (the dlsym rationale) */
#define HM_MHD_SYM(f)                                                                                        \
	if (!why[0] && !(*(void **)&fn.f = dlsym(h, #f)))                                                     \
		snprintf(why, sizeof(why), "libmicrohttpd (%s) has no function %s: a version hallmark was not built for", \
			 HM_LIBMICROHTTPD_SONAME, #f);
	HM_MHD_FUNCS(HM_MHD_SYM)
#undef HM_MHD_SYM
	if (why[0]) {
		memset(&fn, 0, sizeof(fn));
		dlclose(h);
	}
}

static int ready(void)
{
	pthread_once(&once, load);
	return !why[0];
}

int hm_mhd_load(void)
{
	return ready() ? HM_OK : hm_error_set(HM_E_IO, "%s", why);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	return ready() ? fn.MHD_add_response_header(response, header, content) : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	return ready() ? fn.MHD_create_response_from_buffer(size, buffer, mode) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	if (ready())
		fn.MHD_destroy_response(response);
}

/* The info types the webhook asks for take no further argument (libmicrohttpd
 * reads none for them), so none is passed on. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	return ready() ? fn.MHD_get_connection_info(connection, info_type) : NULL;
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	return ready() ? fn.MHD_get_daemon_info(daemon, info_type) : NULL;
}

enum MHD_Result MHD_is_feature_supported(enum MHD_FEATURE feature)
{
	return ready() ? fn.MHD_is_feature_supported(feature) : MHD_NO;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	return ready() ? fn.MHD_lookup_connection_value(connection, kind, key) : NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	return ready() ? fn.MHD_queue_response(connection, status_code, response) : MHD_NO;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (!ready())
		return NULL;
	va_start(ap, dh_cls);
	d = fn.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	if (ready())
		fn.MHD_stop_daemon(daemon);
}

void MHD_suspend_connection(struct MHD_Connection *connection)
{
	if (ready())
		fn.MHD_suspend_connection(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
	if (ready())
		fn.MHD_resume_connection(connection);
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
	return ready() ? fn.MHD_quiesce_daemon(daemon) : MHD_INVALID_SOCKET;
}
