#include <stdlib.h>

#include "core/error.h"
#include "core/json.h"

cJSON *hm_json_parse(const void *data, size_t len, const char *what)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);

	if (!j) {
		size_t at = end && end >= (const char *)data ? (size_t)(end - (const char *)data) : 0;

		hm_error_set(HM_E_IO, "%s: invalid JSON near byte %zu", what, at);
	}
	return j;
}

const char *hm_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int hm_json_print(hm_buf *out, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	int err;

	if (!s)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	err = hm_buf_addstr(out, s);
	free(s);
	return err;
}
