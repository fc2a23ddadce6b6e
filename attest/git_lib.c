/* SPDX-License-Identifier: Apache-2.0 */
/* libgit2 loaded on first use (see git_lib.h). */
#define HM_GIT_LIB_IMPL
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "attest/git_lib.h"
#include "core/error.h"

#ifndef HM_LIBGIT2_SONAME
#define HM_LIBGIT2_SONAME "libgit2.so"
#endif

struct hm_git_fns hm_git_fns;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[512]; /* empty once loaded */

static void load(void)
{
	void *h = dlopen(HM_LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(why, sizeof(why), "reading git repositories needs libgit2 (%s), which could not be loaded: %s",
			 HM_LIBGIT2_SONAME, e ? e : "unknown error");
		return;
	}
	/* POSIX allows a data pointer to be converted to a function pointer
	 * this way (the dlsym rationale) */
#define HM_GIT_SYM(f)                                                                                      \
	if (!why[0] && !(*(void **)&hm_git_fns.f = dlsym(h, #f)))                                           \
		snprintf(why, sizeof(why), "libgit2 (%s) has no function %s: a version hallmark was not built for", \
			 HM_LIBGIT2_SONAME, #f);
	HM_GIT_FUNCS(HM_GIT_SYM)
#undef HM_GIT_SYM
	if (why[0]) {
		memset(&hm_git_fns, 0, sizeof(hm_git_fns));
		dlclose(h);
	}
}

int hm_git_load(void)
{
	pthread_once(&once, load);
	return why[0] ? hm_error_set(HM_E_IO, "%s", why) : HM_OK;
}
