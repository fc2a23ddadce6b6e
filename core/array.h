/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays: one way to make room for another element. */
#ifndef HM_CORE_ARRAY_H
#define HM_CORE_ARRAY_H

#include <stddef.h>

/* Makes room for element n of the array *arr (arr is a T **, elements of
 * elem bytes, capacity *cap): when n == *cap, reallocates to twice the
 * capacity (first when empty).  Returns HM_OK, or HM_E_NOMEM with the array
 * unchanged. */
int hm_array_reserve(void *arr, size_t n, size_t *cap, size_t elem, size_t first);

#endif
