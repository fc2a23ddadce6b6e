/* SPDX-License-Identifier: Apache-2.0 */
/* hm_strv: a growable vector of owned strings. */
#ifndef HM_CORE_STRV_H
#define HM_CORE_STRV_H

#include <stddef.h>

typedef struct hm_strv {
	char **v;
	size_t n;
	size_t cap;
} hm_strv;

#define HM_STRV_INIT {NULL, 0, 0}

/* Copies s. */
int hm_strv_push(hm_strv *sv, const char *s);
/* Takes ownership of s (freed on failure). */
int hm_strv_push_owned(hm_strv *sv, char *s);
int hm_strv_contains(const hm_strv *sv, const char *s);
void hm_strv_free(hm_strv *sv);

#endif
