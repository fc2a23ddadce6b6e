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

int hm_json_go_string(hm_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int err = hm_buf_addch(out, '"');

	for (const unsigned char *p = (const unsigned char *)s; *p && !err; p++) {
		unsigned char c = *p;

		if (c == '"' || c == '\\') {
			err = hm_buf_addch(out, '\\');
			if (!err)
				err = hm_buf_addch(out, (char)c);
		} else if (c == '\n') {
			err = hm_buf_addstr(out, "\\n");
		} else if (c == '\r') {
			err = hm_buf_addstr(out, "\\r");
		} else if (c == '\t') {
			err = hm_buf_addstr(out, "\\t");
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			err = hm_buf_addf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			err = hm_buf_addstr(out, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else {
			err = hm_buf_addch(out, (char)c);
		}
	}
	if (!err)
		err = hm_buf_addch(out, '"');
	return err;
}
