/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "sign/sign.h"

static int cmp_key(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strcspn(x, "="), ly = strcspn(y, "=");
	int c = strncmp(x, y, lx < ly ? lx : ly);

	return c ? c : (lx > ly) - (lx < ly);
}

int hm_payload_build(hm_buf *out, const char *identity, const char *digest,
		     const hm_strv *annotations)
{
	const char **sorted = NULL;
	size_t n = annotations ? annotations->n : 0, kept = 0;
	int err;

	err = hm_buf_addstr(out, "{\"critical\":{\"identity\":{\"docker-reference\":");
	if (!err)
		err = hm_json_go_string(out, identity);
	if (!err)
		err = hm_buf_addstr(out, "},\"image\":{\"docker-manifest-digest\":");
	if (!err)
		err = hm_json_go_string(out, digest);
	if (!err)
		err = hm_buf_addstr(out, "},\"type\":\"" HM_SIGNATURE_TYPE "\"},\"optional\":");
	if (err)
		return err;
	if (n == 0)
		return hm_buf_addstr(out, "null}");
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	/* Stable order by key; the last value given for a key wins, as in a Go map. */
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < kept; j++)
			if (cmp_key(&sorted[j], &annotations->v[i]) == 0)
				break;
		sorted[j] = annotations->v[i];
		if (j == kept)
			kept++;
	}
	qsort(sorted, kept, sizeof(*sorted), cmp_key);
	err = hm_buf_addch(out, '{');
	for (size_t i = 0; i < kept && !err; i++) {
		const char *eq = strchr(sorted[i], '=');
		char *key = strndup(sorted[i], eq ? (size_t)(eq - sorted[i]) : strlen(sorted[i]));

		if (!key) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			break;
		}
		if (i)
			err = hm_buf_addch(out, ',');
		if (!err)
			err = hm_json_go_string(out, key);
		if (!err)
			err = hm_buf_addch(out, ':');
		if (!err)
			err = hm_json_go_string(out, eq ? eq + 1 : "");
		free(key);
	}
	if (!err)
		err = hm_buf_addstr(out, "}}");
	free(sorted);
	return err;
}

int hm_annotations_check(const cJSON *opt, const char *const *annotations, size_t n_annotations,
			 const char *where)
{
	if (!cJSON_IsObject(opt))
		opt = NULL;
	for (size_t i = 0; i < n_annotations; i++) {
		const char *eq = strchr(annotations[i], '=');
		size_t klen = eq ? (size_t)(eq - annotations[i]) : strlen(annotations[i]);
		const cJSON *item;
		int found = 0;

		cJSON_ArrayForEach(item, opt) {
			if (strlen(item->string) == klen && strncmp(item->string, annotations[i], klen) == 0 &&
			    cJSON_IsString(item) && (!eq || strcmp(item->valuestring, eq + 1) == 0))
				found = 1;
		}
		if (!found)
			return hm_error_set(HM_E_VERIFY, "annotation %s is not in %s", annotations[i], where);
	}
	return HM_OK;
}

int hm_payload_check(cJSON **parsed, const void *data, size_t len, const char *digest,
		     const char *const *annotations, size_t n_annotations)
{
	/* one value, no member twice: cosign (Go) keeps the last of a
	 * repeated member where cJSON keeps the first, so a payload naming two
	 * digests would sign one image for one reader and another for the other */
	cJSON *j = hm_json_parse(data, len, "payload");
	const cJSON *crit, *image;
	const char *type, *d;
	int err = HM_OK;

	if (parsed)
		*parsed = NULL;
	if (!j) {
		err = hm_error_wrap(HM_E_VERIFY, "signed payload refused");
		goto done;
	}
	if (!cJSON_IsObject(j)) {
		err = hm_error_set(HM_E_VERIFY, "payload is not a JSON object");
		goto done;
	}
	crit = cJSON_GetObjectItemCaseSensitive(j, "critical");
	image = cJSON_GetObjectItemCaseSensitive(crit, "image");
	type = hm_json_str(crit, "type");
	d = hm_json_str(image, "docker-manifest-digest");
	if (!cJSON_IsObject(crit) || !type || !d) {
		err = hm_error_set(HM_E_VERIFY, "payload lacks critical.type or critical.image.docker-manifest-digest");
		goto done;
	}
	if (strcmp(type, HM_SIGNATURE_TYPE) != 0) {
		err = hm_error_set(HM_E_VERIFY, "payload type is '%s', not '" HM_SIGNATURE_TYPE "'", type);
		goto done;
	}
	if (strcmp(d, digest) != 0) {
		err = hm_error_set(HM_E_VERIFY, "signature is for %s, not this image", d);
		goto done;
	}
	err = hm_annotations_check(cJSON_GetObjectItemCaseSensitive(j, "optional"), annotations, n_annotations,
				   "the payload");
done:
	if (!err && parsed) {
		*parsed = j;
		j = NULL;
	}
	cJSON_Delete(j);
	return err;
}
