/* SPDX-License-Identifier: Apache-2.0 */
/* AdmissionReview requests, read straight from the JSON text: the members
 * are walked in place, every value is checked to be well-formed JSON (the
 * nesting bounded by HM_YAML_MAX_DEPTH, as for every other input), and
 * trees are built only for the parts the decision reads.  A review of a Pod
 * with its managedFields and status is mostly bytes nothing looks at.
 * See policy/workload.h. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/yaml.h"
#include "policy/workload.h"

/* Where the containers of the outer levels end, as the checking walk found
 * them: a later walk over a checked text jumps over a container it finds
 * here instead of counting its brackets again (request, object and
 * metadata are walked again; managedFields alone is most of a review). */
#define JUMP_DEPTH 4
#define JUMP_MAX 512

typedef struct jumps {
	const char *open[JUMP_MAX]; /* ascending: recorded as they open */
	const char *close[JUMP_MAX];
	size_t n;
} jumps;

typedef struct span {
	const char *p;
	size_t n;
	int ok;         /* checked well-formed already: walked again without checking */
	jumps *j;       /* the text's jumps */
} span;

/* After the container opening at p, when the checking walk recorded it. */
static const char *jump(const jumps *j, const char *p)
{
	size_t lo = 0, hi = j ? j->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->open[mid] == p)
			return j->close[mid];
		if (j->open[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* After the string starting at p ('"'), or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				break;
			case 'u':
				for (int i = 1; i <= 4; i++)
					if (p + i >= end || !is_hex((unsigned char)p[i]))
						return NULL;
				p += 4;
				break;
			default:
				return NULL;
			}
		}
	}
	return NULL;
}

static const char *skip_number(const char *p, const char *end)
{
	const char *s = p;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
			   *p == '-'))
		p++;
	return p > s ? p : NULL;
}

/* After the value starting at p (white space skipped first), or NULL. */
static const char *skip_value(const char *p, const char *end, int depth, jumps *j)
{
	p = ws(p, end);
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		size_t slot = j && depth <= JUMP_DEPTH && j->n < JUMP_MAX ? j->n++ : JUMP_MAX;

		if (depth >= HM_YAML_MAX_DEPTH)
			return NULL;
		if (slot < JUMP_MAX) {
			j->open[slot] = p;
			j->close[slot] = NULL; /* until it closes */
		}
		p = ws(p + 1, end);
		if (p < end && *p == close) {
			if (slot < JUMP_MAX)
				j->close[slot] = p + 1;
			return p + 1;
		}
		for (;;) {
			if (close == '}') {
				if (p >= end || *p != '"' || !(p = skip_string(p, end)))
					return NULL;
				p = ws(p, end);
				if (p >= end || *p++ != ':')
					return NULL;
			}
			if (!(p = skip_value(p, end, depth + 1, j)))
				return NULL;
			p = ws(p, end);
			if (p < end && *p == ',') {
				p = ws(p + 1, end);
				continue;
			}
			if (p >= end || *p != close)
				return NULL;
			if (slot < JUMP_MAX)
				j->close[slot] = p + 1;
			return p + 1;
		}
	}
	case 't':
		return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		return skip_number(p, end);
	}
}

/* After the string starting at p ('"') of a text checked already. */
static const char *pass_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* After the value starting at p of a text checked already: brackets
 * counted, strings passed, nothing checked again. */
static const char *pass_value(const char *p, const char *end, const jumps *j)
{
	const char *q = (*p == '{' || *p == '[') ? jump(j, p) : NULL;
	int depth = 0;

	if (q)
		return q;
	for (; p < end; p++) {
		switch (*p) {
		case '"':
			if (!(p = pass_string(p, end)))
				return NULL;
			if (!depth)
				return p;
			p--;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth < 0)
				return p; /* the end of a scalar, at its container's */
			if (!depth)
				return p + 1;
			break;
		case ',':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (!depth)
				return p; /* the end of a scalar */
			break;
		}
	}
	return depth ? NULL : p;
}

/* Walks the members of the object in *obj: fills key (without the quotes,
 * escapes left as they are) and val, returns 1, 0 at the end, -1 when
 * malformed.  it is the position, set to NULL to start. */
static int next_member(span obj, const char **it, span *key, span *val, int depth)
{
	const char *end = obj.p + obj.n, *p = *it, *k;

	if (!p) {
		p = ws(obj.p, end);
		if (p >= end || *p != '{')
			return -1;
		p = ws(p + 1, end);
		if (p < end && *p == '}') {
			*it = p + 1;
			return 0;
		}
	} else {
		p = ws(p, end);
		if (p < end && *p == '}') {
			*it = p + 1; /* where the object ends */
			return 0;
		}
		if (p >= end || *p != ',')
			return -1;
		p = ws(p + 1, end);
	}
	if (p >= end || *p != '"' || !(k = obj.ok ? pass_string(p, end) : skip_string(p, end)))
		return -1;
	key->p = p + 1;
	key->n = (size_t)(k - p - 2);
	p = ws(k, end);
	if (p >= end || *p++ != ':')
		return -1;
	val->p = ws(p, end);
	if (!(p = obj.ok ? pass_value(val->p, end, obj.j) : skip_value(val->p, end, depth + 1, obj.j)))
		return -1;
	val->n = (size_t)(p - val->p);
	val->ok = 1;
	val->j = obj.j;
	*it = p;
	return 1;
}

static int is(span k, const char *s)
{
	return k.n == strlen(s) && !memcmp(k.p, s, k.n);
}

static int malformed(const char *name, const char *what)
{
	return hm_error_set(HM_E_IO, "%s: %s", name, what);
}

/* The string value in v, copied (NULL for JSON null), or an error. */
static int string_of(char **out, span v, const char *name, const char *field)
{
	cJSON *j;

	*out = NULL;
	if (v.n == 4 && !memcmp(v.p, "null", 4))
		return HM_OK;
	if (!v.n || *v.p != '"')
		return hm_error_set(HM_E_IO, "%s: %s is not a string", name, field);
	if (!(j = cJSON_ParseWithLength(v.p, v.n)))
		return hm_error_set(HM_E_IO, "%s: %s is not a valid string", name, field);
	*out = strdup(j->valuestring);
	cJSON_Delete(j);
	return *out ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

/* The members of an object (top level or request) the caller wants, each
 * found once at most.  want[i] names them; got[i] is their value. */
static int members_end(span obj, const char *const *want, span *got, size_t n, int depth, const char *name,
		       const char *what, const char **after)
{
	const char *it = NULL;
	span k, v;
	int r;

	memset(got, 0, n * sizeof(*got));
	while ((r = next_member(obj, &it, &k, &v, depth)) == 1)
		for (size_t i = 0; i < n; i++)
			if (is(k, want[i])) {
				if (got[i].p)
					return hm_error_set(HM_E_IO, "%s: %s has two '%s' members", name, what, want[i]);
				got[i] = v;
			}
	if (after)
		*after = it;
	return r < 0 ? hm_error_set(HM_E_IO, "%s: %s is not well-formed JSON", name, what) : HM_OK;
}

static int members(span obj, const char *const *want, span *got, size_t n, int depth, const char *name,
		   const char *what)
{
	return members_end(obj, want, got, n, depth, name, what, NULL);
}

static cJSON *parse_span(span v)
{
	return cJSON_ParseWithLength(v.p, v.n);
}

/* A tree of what the image search reads of an object: every member but
 * status, and of metadata only the name and namespace. */
static int object_tree(cJSON **out, span obj, const char *name)
{
	static const char *const meta_keys[] = {"name", "generateName", "namespace"};
	cJSON *o = cJSON_CreateObject();
	const char *it = NULL;
	span k, v;
	int r;

	*out = NULL;
	if (!o)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	while ((r = next_member(obj, &it, &k, &v, 2)) == 1) {
		/* the name decoded (escapes and all), since a kind hallmark does
		 * not know is searched under every member */
		cJSON *kj = cJSON_ParseWithLength(k.p - 1, k.n + 2), *m;
		const char *key = cJSON_IsString(kj) ? kj->valuestring : NULL;

		if (!key) {
			cJSON_Delete(kj);
			cJSON_Delete(o);
			return malformed(name, "a member name of request.object is not a valid string");
		}
		if (!strcmp(key, "status")) {
			cJSON_Delete(kj);
			continue;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, key)) {
			r = hm_error_set(HM_E_IO, "%s: request.object has two '%.64s' members", name, key);
			cJSON_Delete(kj);
			cJSON_Delete(o);
			return r;
		}
		if (!strcmp(key, "metadata") && v.n && *v.p == '{') {
			span got[3];
			int err = members(v, meta_keys, got, 3, 3, name, "request.object.metadata");

			if (err || !(m = cJSON_CreateObject())) {
				cJSON_Delete(kj);
				cJSON_Delete(o);
				return err ? err : hm_error_set(HM_E_NOMEM, "out of memory");
			}
			for (size_t i = 0; i < 3; i++) {
				cJSON *x = got[i].p ? parse_span(got[i]) : NULL;

				if (x)
					cJSON_AddItemToObject(m, meta_keys[i], x);
			}
		} else if (!(m = parse_span(v))) {
			cJSON_Delete(kj);
			cJSON_Delete(o);
			return hm_error_set(HM_E_NOMEM, "out of memory");
		}
		cJSON_AddItemToObject(o, key, m);
		cJSON_Delete(kj);
	}
	if (r < 0) {
		cJSON_Delete(o);
		return malformed(name, "request.object is not well-formed JSON");
	}
	*out = o;
	return HM_OK;
}

static int images_of(hm_workload *w, span obj, const char *name)
{
	cJSON *tree = NULL;
	int err = object_tree(&tree, obj, name);

	if (!err)
		err = hm_workload_add_object(w, tree, name);
	cJSON_Delete(tree);
	return err;
}

static int same_images(const hm_workload *a, const hm_workload *b)
{
	if (a->n != b->n || a->n_refused || b->n_refused)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].image, b->v[i].image) || strcmp(a->v[i].pointer, b->v[i].pointer))
			return 0;
	return 1;
}

static int is_object(span v)
{
	return v.n && *v.p == '{';
}

int hm_admission_parse(hm_admission *out, const void *data, size_t len, const char *name)
{
	static const char *const top_keys[] = {"apiVersion", "kind", "request"};
	static const char *const req_keys[] = {"uid", "operation", "kind", "namespace", "name", "object", "oldObject"};
	static const char *const kind_keys[] = {"kind"};
	jumps *j = malloc(sizeof(*j));
	span all = {data, len, 0, j}, top[3], req[7], kind[1];
	char *api = NULL, *rkind = NULL;
	const char *end;
	int err;

	memset(out, 0, sizeof(*out));
	if (!j)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	j->n = 0;
	/* one object, nothing after it: its members checked as they are
	 * walked, once (what is walked again is not checked again) */
	end = ws(all.p, all.p + len);
	if (end == all.p + len || *end != '{' ||
	    members_end(all, top_keys, top, 3, 0, name, "the AdmissionReview", &end) || !end ||
	    ws(end, all.p + len) != all.p + len) {
		hm_error_clear();
		err = malformed(name, "an AdmissionReview is one JSON object");
		goto done;
	}
	if ((top[0].p && (err = string_of(&api, top[0], name, "apiVersion"))) ||
	    (top[1].p && (err = string_of(&rkind, top[1], name, "kind"))))
		goto done;
	if (!api || strcmp(api, "admission.k8s.io/v1") || !rkind || strcmp(rkind, "AdmissionReview")) {
		err = hm_error_set(HM_E_IO, "%s: not an admission.k8s.io/v1 AdmissionReview (apiVersion '%s', kind '%s')",
				   name, api ? api : "", rkind ? rkind : "");
		goto done;
	}
	if (!top[2].p || !is_object(top[2]) || (err = members(top[2], req_keys, req, 7, 1, name, "request")) ||
	    !req[0].p || (err = string_of(&out->uid, req[0], name, "request.uid")) || !out->uid || !*out->uid) {
		if (!err)
			err = hm_error_set(HM_E_IO, "%s: the AdmissionReview has no request.uid", name);
		goto done;
	}
	if ((req[1].p && (err = string_of(&out->operation, req[1], name, "request.operation"))) ||
	    (req[3].p && (err = string_of(&out->namespace, req[3], name, "request.namespace"))) ||
	    (req[4].p && (err = string_of(&out->name, req[4], name, "request.name"))))
		goto done;
	if (req[2].p && is_object(req[2]) &&
	    (!(err = members(req[2], kind_keys, kind, 1, 2, name, "request.kind")) && kind[0].p))
		err = string_of(&out->kind, kind[0], name, "request.kind.kind");
	if (err)
		goto done;
	if (req[5].p && is_object(req[5]) && !(out->operation && !strcmp(out->operation, "DELETE")))
		err = images_of(&out->images, req[5], name);
	if (!err && req[6].p && is_object(req[6]) && out->operation && !strcmp(out->operation, "UPDATE")) {
		hm_workload old = HM_WORKLOAD_INIT;

		/* an oldObject that cannot be read only means no shortcut */
		if (images_of(&old, req[6], name) == HM_OK)
			out->images_unchanged = same_images(&out->images, &old);
		else
			hm_error_clear();
		hm_workload_free(&old);
	}
done:
	free(j);
	free(api);
	free(rkind);
	if (err < 0)
		hm_admission_free(out);
	return err;
}

void hm_admission_free(hm_admission *a)
{
	if (!a)
		return;
	free(a->uid);
	free(a->operation);
	free(a->kind);
	free(a->namespace);
	free(a->name);
	hm_workload_free(&a->images);
	memset(a, 0, sizeof(*a));
}
