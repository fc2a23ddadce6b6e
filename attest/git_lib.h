/* SPDX-License-Identifier: Apache-2.0 */
/* libgit2, loaded when first needed (attest provenance, audit --git) rather
 * than linked: a command that never reads a git repository does not pay
 * for it at its start, and hallmark runs where it is not installed.
 *
 * Include this instead of <git2.h>: the libgit2 functions used are then
 * calls through a table filled by hm_git_load() (with dlopen of the
 * soname found at build time, HM_LIBGIT2_SONAME).  Call hm_git_load()
 * before any of them; HM_E_IO, naming the library, when it is missing. */
#ifndef HM_ATTEST_GIT_LIB_H
#define HM_ATTEST_GIT_LIB_H

#include <git2.h>

#define HM_GIT_FUNCS(X)                                                                              \
	X(git_libgit2_init) X(git_libgit2_shutdown) X(git_error_last) X(git_error_clear)             \
	X(git_repository_open_ext) X(git_repository_free) X(git_repository_is_bare)                  \
	X(git_repository_workdir) X(git_repository_head) X(git_revparse_single) X(git_object_id)     \
	X(git_object_free) X(git_object_lookup) X(git_object_peel) X(git_oid_tostr) X(git_oid_equal) \
	X(git_tag_list) X(git_tag_foreach) X(git_strarray_dispose) X(git_status_options_init)        \
	X(git_status_list_new) X(git_status_list_free) X(git_status_list_entrycount)                 \
	X(git_status_byindex) X(git_remote_list) X(git_remote_lookup) X(git_remote_url)              \
	X(git_remote_free) X(git_reference_shorthand) X(git_reference_peel)                          \
	X(git_reference_is_branch) X(git_reference_free)

struct hm_git_fns {
#define HM_GIT_MEMBER(f) __typeof__(&f) f;
	HM_GIT_FUNCS(HM_GIT_MEMBER)
#undef HM_GIT_MEMBER
};
extern struct hm_git_fns hm_git_fns;

int hm_git_load(void);

#ifndef HM_GIT_LIB_IMPL
#define git_libgit2_init (hm_git_fns.git_libgit2_init)
#define git_libgit2_shutdown (hm_git_fns.git_libgit2_shutdown)
#define git_error_last (hm_git_fns.git_error_last)
#define git_error_clear (hm_git_fns.git_error_clear)
#define git_repository_open_ext (hm_git_fns.git_repository_open_ext)
#define git_repository_free (hm_git_fns.git_repository_free)
#define git_repository_is_bare (hm_git_fns.git_repository_is_bare)
#define git_repository_workdir (hm_git_fns.git_repository_workdir)
#define git_repository_head (hm_git_fns.git_repository_head)
#define git_revparse_single (hm_git_fns.git_revparse_single)
#define git_object_id (hm_git_fns.git_object_id)
#define git_object_free (hm_git_fns.git_object_free)
#define git_object_lookup (hm_git_fns.git_object_lookup)
#define git_object_peel (hm_git_fns.git_object_peel)
#define git_oid_tostr (hm_git_fns.git_oid_tostr)
#define git_oid_equal (hm_git_fns.git_oid_equal)
#define git_tag_list (hm_git_fns.git_tag_list)
#define git_tag_foreach (hm_git_fns.git_tag_foreach)
#define git_strarray_dispose (hm_git_fns.git_strarray_dispose)
#define git_status_options_init (hm_git_fns.git_status_options_init)
#define git_status_list_new (hm_git_fns.git_status_list_new)
#define git_status_list_free (hm_git_fns.git_status_list_free)
#define git_status_list_entrycount (hm_git_fns.git_status_list_entrycount)
#define git_status_byindex (hm_git_fns.git_status_byindex)
#define git_remote_list (hm_git_fns.git_remote_list)
#define git_remote_lookup (hm_git_fns.git_remote_lookup)
#define git_remote_url (hm_git_fns.git_remote_url)
#define git_remote_free (hm_git_fns.git_remote_free)
#define git_reference_shorthand (hm_git_fns.git_reference_shorthand)
#define git_reference_peel (hm_git_fns.git_reference_peel)
#define git_reference_is_branch (hm_git_fns.git_reference_is_branch)
#define git_reference_free (hm_git_fns.git_reference_free)
#endif

#endif
