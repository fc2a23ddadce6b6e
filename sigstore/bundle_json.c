/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: reading protobuf JSON (protojson) members with the path
 * of each named in errors; see bundle_json.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "sigstore/bundle_json.h"

int bj_bad(const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return hm_error_set(HM_E_VERIFY, "bundle: %s: %s", path, why);
}

/* Appends s to dst (BJ_PATH_MAX bytes), truncating. */
static void path_add(char *dst, const char *s)
{
	size_t have = strlen(dst), add = strlen(s);

	if (add > BJ_PATH_MAX - 1 - have)
		add = BJ_PATH_MAX - 1 - have;
	memcpy(dst + have, s, add);
	dst[have + add] = '\0';
}

/* dst = parent "." name (parent may be dst itself). */
const char *bj_join(char *dst, const char *parent, const char *name)
{
	char tmp[BJ_PATH_MAX] = "";

	path_add(tmp, parent);
	if (*parent)
		path_add(tmp, ".");
	path_add(tmp, name);
	memcpy(dst, tmp, BJ_PATH_MAX);
	return dst;
}

/* dst = parent "[" i "]" */
const char *bj_index(char *dst, const char *parent, size_t i)
{
	char tmp[BJ_PATH_MAX] = "", num[24];

	path_add(tmp, parent);
	snprintf(num, sizeof(num), "[%zu]", i);
	path_add(tmp, num);
	memcpy(dst, tmp, BJ_PATH_MAX);
	return dst;
}

/* The proto field name of a lowerCamelCase JSON name ("logIndex" -> "log_index"). */
static void snake(char *dst, size_t n, const char *camel)
{
	size_t j = 0;

	for (const char *p = camel; *p && j + 2 < n; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			dst[j++] = '_';
			dst[j++] = (char)(*p - 'A' + 'a');
		} else {
			dst[j++] = *p;
		}
	}
	dst[j] = '\0';
}

/* The member named camel (or its proto name) of obj; *out NULL when absent
 * or null.  A member given twice (under either spelling) is refused. */
int bj_get(const cJSON **out, const cJSON *obj, const char *camel, const char *parent)
{
	char alt[64], path[BJ_PATH_MAX];
	const cJSON *c;

	*out = NULL;
	snake(alt, sizeof(alt), camel);
	for (c = obj->child; c; c = c->next) {
		if (!c->string || (strcmp(c->string, camel) != 0 && strcmp(c->string, alt) != 0))
			continue;
		if (*out)
			return bj_bad(bj_join(path, parent, camel), "given more than once");
		*out = c;
	}
	if (*out && cJSON_IsNull(*out))
		*out = NULL;
	return HM_OK;
}

int bj_get_obj(const cJSON **out, const cJSON *obj, const char *name, const char *parent, int required)
{
	char path[BJ_PATH_MAX];
	int err = bj_get(out, obj, name, parent);

	if (err)
		return err;
	if (!*out)
		return required ? bj_bad(bj_join(path, parent, name), "required") : HM_OK;
	if (!cJSON_IsObject(*out))
		return bj_bad(bj_join(path, parent, name), "must be an object");
	return HM_OK;
}

int bj_get_array(const cJSON **out, size_t *n, const cJSON *obj, const char *name, const char *parent,
                 size_t max)
{
	char path[BJ_PATH_MAX];
	int err = bj_get(out, obj, name, parent);
	int size;

	*n = 0;
	if (err || !*out)
		return err;
	if (!cJSON_IsArray(*out))
		return bj_bad(bj_join(path, parent, name), "must be an array");
	size = cJSON_GetArraySize(*out);
	if (size < 0 || (size_t)size > max)
		return bj_bad(bj_join(path, parent, name), "more than %zu entries", max);
	*n = (size_t)size;
	return HM_OK;
}

/* A string member of at most max bytes, copied; absent gives "" (refused
 * when required). */
int bj_get_text(char **out, const cJSON *obj, const char *name, const char *parent, int required, size_t max)
{
	char path[BJ_PATH_MAX];
	const cJSON *v;
	int err = bj_get(&v, obj, name, parent);
	size_t len;

	if (err)
		return err;
	if (v && !cJSON_IsString(v))
		return bj_bad(bj_join(path, parent, name), "must be a string");
	len = v ? strlen(v->valuestring) : 0;
	if (required && len == 0)
		return bj_bad(bj_join(path, parent, name), "required");
	if (len > max)
		return bj_bad(bj_join(path, parent, name), "longer than %zu bytes", max);
	free(*out);
	*out = strdup(v ? v->valuestring : "");
	return *out ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

int bj_get_str(char **out, const cJSON *obj, const char *name, const char *parent, int required)
{
	return bj_get_text(out, obj, name, parent, required, HM_BUNDLE_MAX_STRING);
}

/* Decodes base64 that may be wrapped over lines (as Go's decoder allows). */
int bj_decode_b64(hm_buf *out, const char *s, const char *path)
{
	hm_buf clean = HM_BUF_INIT;
	int err = HM_OK;

	for (const char *p = s; *p && !err; p++)
		if (*p != '\n' && *p != '\r')
			err = hm_buf_addch(&clean, *p);
	if (!err && hm_base64_decode(out, hm_buf_cstr(&clean), clean.len)) {
		char why[128];

		snprintf(why, sizeof(why), "%s", hm_error_message());
		err = bj_bad(path, "%s", why);
	}
	hm_buf_release(&clean);
	return err;
}

/* A bytes member, decoded; absent gives len 0 (refused when required, since
 * proto3 does not tell empty from absent). */
int bj_get_bytes(hm_buf *out, const cJSON *obj, const char *name, const char *parent, int required,
                 size_t max)
{
	char path[BJ_PATH_MAX];
	const cJSON *v;
	int err = bj_get(&v, obj, name, parent);

	if (err)
		return err;
	bj_join(path, parent, name);
	hm_buf_release(out);
	hm_buf_init(out, 0);
	if (v && !cJSON_IsString(v))
		return bj_bad(path, "must be a base64 string");
	/* base64 of more than max bytes is longer than 4 * (max / 3 + 1) + line breaks */
	if (v && strlen(v->valuestring) > 2 * (size_t)max + 16)
		return bj_bad(path, "larger than %zu bytes", max);
	if (v && (err = bj_decode_b64(out, v->valuestring, path)) != HM_OK)
		return err;
	if (required && out->len == 0)
		return bj_bad(path, "required");
	if (out->len > max)
		return bj_bad(path, "larger than %zu bytes", max);
	return HM_OK;
}

/* An int64 member: a decimal string (as protojson writes it) or an integral
 * number; hallmark's int64 fields are never negative.  Absent gives 0. */
int bj_get_int64(int64_t *out, const cJSON *obj, const char *name, const char *parent)
{
	char path[BJ_PATH_MAX];
	const cJSON *v;
	int err = bj_get(&v, obj, name, parent);

	*out = 0;
	if (err || !v)
		return err;
	bj_join(path, parent, name);
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		char *end;
		long long n;

		if (*s < '0' || *s > '9')
			return bj_bad(path, "must be a non-negative integer, not '%.32s'", s);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || *end)
			return bj_bad(path, "must be a non-negative integer, not '%.32s'", s);
		*out = n;
		return HM_OK;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d < 0 || d > 9007199254740992.0 || d != (double)(int64_t)d)
			return bj_bad(path, "must be a non-negative integer");
		*out = (int64_t)d;
		return HM_OK;
	}
	return bj_bad(path, "must be an integer (a decimal string)");
}
