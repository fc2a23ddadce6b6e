/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"

int hm_array_reserve(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	void *old, *grown;

	if (n < *cap)
		return HM_OK;
	if (want < n + 1)
		want = n + 1;
	if (elem && want > SIZE_MAX / elem)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	/* Copied through memcpy: arr points to a T *, not to a void *. */
	memcpy(&old, arr, sizeof(old));
	grown = realloc(old, want * elem);
	if (!grown)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	memcpy(arr, &grown, sizeof(grown));
	*cap = want;
	return HM_OK;
}
