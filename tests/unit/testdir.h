/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests' temporary directories: removed with everything in them,
 * without a shell. */
#ifndef HM_TESTS_TESTDIR_H
#define HM_TESTS_TESTDIR_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int hm_testdir_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* 0 when dir and its contents are gone, -1 otherwise. */
static inline int hm_testdir_remove(const char *dir)
{
	return nftw(dir, hm_testdir_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

#endif
