/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first member name given twice in an object anywhere in j, or NULL.
 * Readers disagree on duplicates (cJSON keeps the first, Go's encoding/json
 * and most others the last), so a document that has them would mean one
 * thing to hallmark and another to the tool that wrote or will read it.
 * Sorting keeps a manifest with 10000 annotations linear-logarithmic.
 * *nomem is set when that sort could not get its memory. */
static const char *duplicate_member(const cJSON *j, int *nomem)
{
	const char **keys;
	const char *dup = NULL;

	for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
		const char *d = duplicate_member(c, nomem);

		if (d)
			return d;
	}
	if (!cJSON_IsObject(j))
		return NULL;
	size_t n = 0;
	for (const cJSON *c = j->child; c; c = c->next)
		n++;
	if (n < 2)
		return NULL;
	if (n <= 8) {
		for (const cJSON *a = j->child; a; a = a->next)
			for (const cJSON *b = a->next; b; b = b->next)
				if (a->string && b->string && strcmp(a->string, b->string) == 0)
					return a->string;
		return NULL;
	}
	if (!(keys = malloc(n * sizeof(*keys)))) {
		*nomem = 1;
		return NULL;
	}
	n = 0;
	for (const cJSON *c = j->child; c; c = c->next)
		keys[n++] = c->string ? c->string : "";
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}

cJSON *hm_json_parse(const void *data, size_t len, const char *what)
{
	const char *end = NULL, *p = data, *stop = p + len;
	cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	const char *dup;
	int nomem = 0;

	if (!j) {
		size_t at = end && end >= p ? (size_t)(end - p) : 0;

		hm_error_set(HM_E_IO, "%s: invalid JSON near byte %zu", what, at);
		return NULL;
	}
	while (end < stop && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end < stop) {
		hm_error_set(HM_E_IO, "%s: data after the JSON value at byte %zu", what, (size_t)(end - p));
		cJSON_Delete(j);
		return NULL;
	}
	dup = duplicate_member(j, &nomem);
	if (nomem) {
		hm_error_set(HM_E_NOMEM, "out of memory");
		cJSON_Delete(j);
		return NULL;
	}
	if (dup) {
		hm_error_set(HM_E_IO, "%s: member '%.100s' is given twice", what, dup);
		cJSON_Delete(j);
		return NULL;
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
