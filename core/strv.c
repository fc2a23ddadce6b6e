/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "core/strv.h"

int hm_strv_push_owned(hm_strv *sv, char *s)
{
	if (!s)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (hm_array_reserve(&sv->v, sv->n, &sv->cap, sizeof(*sv->v), 8)) {
		free(s);
		return HM_E_NOMEM;
	}
	sv->v[sv->n++] = s;
	return HM_OK;
}

int hm_strv_push(hm_strv *sv, const char *s)
{
	return hm_strv_push_owned(sv, strdup(s));
}

int hm_strv_contains(const hm_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void hm_strv_free(hm_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
