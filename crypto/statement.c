/* SPDX-License-Identifier: Apache-2.0 */
/* in-toto statements: building v1, parsing v1 and v0.1. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/statement.h"
#include "core/error.h"
#include "core/json.h"

static const struct {
	const char *name;
	const char *uri;
} predicate_names[] = {
	{"slsaprovenance", HM_PREDICATE_SLSA_V1},
	{"slsaprovenance1", HM_PREDICATE_SLSA_V1},
	{"slsaprovenance02", HM_PREDICATE_SLSA_V02},
	{"spdx", HM_PREDICATE_SPDX},
	{"spdxjson", HM_PREDICATE_SPDX},
	{"cyclonedx", HM_PREDICATE_CYCLONEDX},
	{"cyclonedxxml", HM_PREDICATE_CYCLONEDX},
	{"link", HM_PREDICATE_LINK},
	{"openvex", HM_PREDICATE_OPENVEX},
	{"vuln", HM_PREDICATE_VULN},
	{"custom", HM_PREDICATE_CUSTOM},
};

/* scheme ":" rest, RFC 3986 scheme characters, no whitespace or controls. */
static int looks_like_uri(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int hm_predicate_type_resolve(const char **out, const char *name)
{
	size_t i;

	*out = NULL;
	if (!name || !*name)
		return hm_error_set(HM_E_USAGE, "empty predicate type");
	for (i = 0; i < sizeof(predicate_names) / sizeof(predicate_names[0]); i++) {
		if (!strcmp(name, predicate_names[i].name)) {
			*out = predicate_names[i].uri;
			return HM_OK;
		}
	}
	if (!looks_like_uri(name))
		return hm_error_set(HM_E_USAGE,
				    "unknown predicate type '%s' (use a URI or one of slsaprovenance, "
				    "slsaprovenance02, spdx, spdxjson, cyclonedx, link, openvex, vuln, custom)",
				    name);
	*out = name;
	return HM_OK;
}

/* 64 lowercase hex digits: the in-toto spec writes digests in lowercase
 * hex, and a subject is matched by comparing strings, so "AB.." is refused
 * rather than folded (one verdict whoever compares). */
static int is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return s[64] == '\0';
}

int hm_statement_build(cJSON **out, const char *subject_name, const char *digest,
		       const char *predicate_type, const cJSON *predicate)
{
	cJSON *st = NULL, *subjects, *subject, *dig, *pred;
	const char *uri;
	int err;

	*out = NULL;
	if ((err = hm_predicate_type_resolve(&uri, predicate_type)))
		return err;
	if (!digest || strncmp(digest, "sha256:", 7) || !is_sha256_hex(digest + 7))
		return hm_error_set(HM_E_USAGE, "invalid subject digest '%s'", digest ? digest : "");
	if (predicate && !cJSON_IsObject(predicate))
		return hm_error_set(HM_E_USAGE, "predicate: must be a JSON object");

	st = cJSON_CreateObject();
	if (!st || !cJSON_AddStringToObject(st, "_type", HM_INTOTO_STATEMENT_V1))
		goto nomem;
	if (!(subjects = cJSON_AddArrayToObject(st, "subject")))
		goto nomem;
	if (!(subject = cJSON_CreateObject()))
		goto nomem;
	cJSON_AddItemToArray(subjects, subject);
	if (!cJSON_AddStringToObject(subject, "name", subject_name ? subject_name : ""))
		goto nomem;
	if (!(dig = cJSON_AddObjectToObject(subject, "digest")) ||
	    !cJSON_AddStringToObject(dig, "sha256", digest + 7))
		goto nomem;
	if (!cJSON_AddStringToObject(st, "predicateType", uri))
		goto nomem;
	pred = predicate ? cJSON_Duplicate(predicate, 1) : cJSON_CreateObject();
	if (!pred)
		goto nomem;
	cJSON_AddItemToObject(st, "predicate", pred);
	*out = st;
	return HM_OK;
nomem:
	cJSON_Delete(st);
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

static int bad(const char *why, size_t i)
{
	return hm_error_set(HM_E_VERIFY, "statement: subject %zu: %s", i, why);
}

int hm_statement_parse(hm_statement *out, const void *data, size_t len)
{
	hm_statement st = HM_STATEMENT_INIT;
	const cJSON *subjects, *item, *pred;
	size_t i = 0, n;
	int err = HM_OK;

	*out = st;
	if (len > HM_STATEMENT_MAX) {
		err = hm_error_set(HM_E_VERIFY, "statement: %zu bytes exceeds the %u-byte limit", len,
				   HM_STATEMENT_MAX);
		goto done;
	}
	if (!(st.json = hm_json_parse(data, len, "statement"))) {
		err = HM_E_VERIFY; /* the message names the statement already */
		goto done;
	}
	if (!cJSON_IsObject(st.json)) {
		err = hm_error_set(HM_E_VERIFY, "statement: not a JSON object");
		goto done;
	}
	st.type = hm_json_str(st.json, "_type");
	if (!st.type) {
		err = hm_error_set(HM_E_VERIFY, "statement: no _type");
		goto done;
	}
	if (strcmp(st.type, HM_INTOTO_STATEMENT_V1) && strcmp(st.type, HM_INTOTO_STATEMENT_V01)) {
		err = hm_error_set(HM_E_VERIFY, "statement: unknown _type '%.200s'", st.type);
		goto done;
	}
	st.predicate_type = hm_json_str(st.json, "predicateType");
	if (!st.predicate_type || !*st.predicate_type) {
		err = hm_error_set(HM_E_VERIFY, "statement: no predicateType");
		goto done;
	}
	pred = cJSON_GetObjectItemCaseSensitive(st.json, "predicate");
	if (pred && !cJSON_IsObject(pred)) {
		err = hm_error_set(HM_E_VERIFY, "statement: predicate is not an object");
		goto done;
	}
	st.predicate = pred;
	subjects = cJSON_GetObjectItemCaseSensitive(st.json, "subject");
	if (!cJSON_IsArray(subjects) || !(n = (size_t)cJSON_GetArraySize(subjects))) {
		err = hm_error_set(HM_E_VERIFY, "statement: subject must be a non-empty array");
		goto done;
	}
	if (!(st.subjects = calloc(n, sizeof(*st.subjects)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(item, subjects) {
		const cJSON *dig, *name, *d;
		hm_subject *sub = &st.subjects[i];
		size_t nd = 0;

		if (!cJSON_IsObject(item)) {
			err = bad("not an object", i);
			goto done;
		}
		name = cJSON_GetObjectItemCaseSensitive(item, "name");
		if (name && !cJSON_IsString(name)) {
			err = bad("name is not a string", i);
			goto done;
		}
		sub->name = name ? name->valuestring : "";
		dig = cJSON_GetObjectItemCaseSensitive(item, "digest");
		if (!cJSON_IsObject(dig)) {
			err = bad("no digest object", i);
			goto done;
		}
		cJSON_ArrayForEach(d, dig) {
			if (!cJSON_IsString(d) || !*d->valuestring) {
				err = bad("digest values must be non-empty strings", i);
				goto done;
			}
			if (d->string && !strcmp(d->string, "sha256")) {
				if (!is_sha256_hex(d->valuestring)) {
					err = bad("sha256 is not 64 lowercase hex digits", i);
					goto done;
				}
				memcpy(sub->digest, "sha256:", 7);
				memcpy(sub->digest + 7, d->valuestring, 65);
			}
			nd++;
		}
		if (!nd) {
			err = bad("empty digest", i);
			goto done;
		}
		i++;
	}
	st.n_subjects = i;
	*out = st;
	return HM_OK;
done:
	hm_statement_free(&st);
	return err;
}

void hm_statement_free(hm_statement *st)
{
	if (!st)
		return;
	cJSON_Delete(st->json);
	free(st->subjects);
	memset(st, 0, sizeof(*st));
}

int hm_statement_json_has_subject(const cJSON *statement, const char *digest)
{
	const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(statement, "subject");
	const char *colon = digest ? strchr(digest, ':') : NULL;
	char alg[16];

	if (!colon || !cJSON_IsArray(subjects) || (size_t)(colon - digest) >= sizeof(alg) || !colon[1])
		return 0;
	memcpy(alg, digest, (size_t)(colon - digest));
	alg[colon - digest] = '\0';
	for (const cJSON *e = subjects->child; e; e = e->next) {
		const char *hex = hm_json_str(cJSON_GetObjectItemCaseSensitive(e, "digest"), alg);

		/* byte for byte: hm_statement_parse refuses a sha256 that is not
		 * lowercase hex, so "sha256:AB.." never names an image */
		if (hex && !strcmp(hex, colon + 1))
			return 1;
	}
	return 0;
}

int hm_statement_has_subject(const hm_statement *st, const char *digest)
{
	return hm_statement_json_has_subject(st->json, digest);
}
