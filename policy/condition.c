/* SPDX-License-Identifier: Apache-2.0 */
/* `where` conditions: compiling from the policy tree, evaluating over a
 * statement, explaining.  See policy/condition.h. */
#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/time.h"
#include "policy/condition.h"
#include "policy/diag.h"
#include "policy/pattern.h"

#define MAX_SHOWN 200
#define MAX_STEPS 64 /* members and indices in one path (the walk recurses once per step) */
#define MAX_LISTED 8 /* values quoted in an explanation */

enum op { OP_EQUALS, OP_NOT_EQUALS, OP_IN, OP_MATCHES, OP_REGEX, OP_EXISTS, OP_ABSENT, OP_LT, OP_GT,
	  OP_MAX_AGE, OP_ANY, OP_ALL };

static const char *const op_names[] = {"equals", "notEquals", "in", "matches", "regex", "exists",
				       "absent", "lessThan", "greaterThan", "maxAge", "any", "all"};

/* S_EACH is [*] (every element must satisfy the rest of the path), S_SOME
 * is [any] (at least one element must). */
enum step_kind { S_KEY, S_INDEX, S_EACH, S_SOME };

typedef struct step {
	enum step_kind kind;
	char *key;
	int index;
} step;

struct hm_cond {
	enum op op;
	char *text;
	step *steps;
	size_t nsteps;
	cJSON *value;     /* equals, notEquals, in, matches, exists, absent, lessThan, greaterThan */
	regex_t re;
	int has_re;
	int is_time;      /* lessThan/greaterThan against a timestamp */
	int64_t bound;
	long long age;    /* maxAge, seconds */
	hm_cond **kids;
	size_t nkids;
};

/* ---- time ---- */

int hm_duration_parse(long long *out, const char *s)
{
	long long total = 0;
	const char *p = s;

	*out = 0;
	if (!*p)
		goto bad;
	while (*p) {
		long long n = 0, unit;
		int digits = 0;

		while (isdigit((unsigned char)*p) && digits < 9)
			n = n * 10 + (*p++ - '0'), digits++;
		if (!digits)
			goto bad;
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: goto bad;
		}
		total += n * unit;
	}
	if (total <= 0)
		goto bad;
	*out = total;
	return HM_OK;
bad:
	return hm_error_set(HM_E_USAGE, "invalid duration '%s' (use e.g. 30d, 12h, 1w2d, 90m, 45s)", s);
}

/* ---- paths ---- */

static int parse_path(hm_cond *c, const char *path)
{
	const char *p = path;
	size_t cap = 0;

	if (!*p)
		return hm_error_set(HM_E_USAGE, "the path is empty");
	while (*p) {
		step st = {S_KEY, NULL, 0};

		if (*p == '[') {
			const char *end = strchr(p, ']');

			if (!end || end == p + 1)
				return hm_error_set(HM_E_USAGE, "invalid path '%s': unclosed or empty '['", path);
			if (end == p + 2 && p[1] == '*') {
				st.kind = S_EACH;
			} else if (end == p + 4 && !strncmp(p + 1, "any", 3)) {
				st.kind = S_SOME;
			} else {
				st.kind = S_INDEX;
				for (const char *q = p + 1; q < end; q++) {
					if (!isdigit((unsigned char)*q) || st.index > 100000000)
						return hm_error_set(HM_E_USAGE,
								    "invalid path '%s': index must be a number, * or any", path);
					st.index = st.index * 10 + (*q - '0');
				}
			}
			p = end + 1;
			if (*p == '.') {
				p++;
				if (!*p || *p == '.' || *p == '[')
					return hm_error_set(HM_E_USAGE, "invalid path '%s': empty member name", path);
			}
		} else {
			size_t n = strcspn(p, ".[");

			if (!n || p[n - 1] == ']')
				return hm_error_set(HM_E_USAGE, "invalid path '%s': empty member name", path);
			if (memchr(p, ']', n))
				return hm_error_set(HM_E_USAGE, "invalid path '%s': stray ']'", path);
			if (!(st.key = strndup(p, n)))
				return hm_error_set(HM_E_NOMEM, "out of memory");
			p += n;
			if (*p == '.') {
				p++;
				if (!*p || *p == '.' || *p == '[') {
					free(st.key);
					return hm_error_set(HM_E_USAGE, "invalid path '%s': empty member name", path);
				}
			}
		}
		if (c->nsteps == MAX_STEPS) {
			free(st.key);
			return hm_error_set(HM_E_USAGE, "invalid path '%.100s...': more than %d steps", path, MAX_STEPS);
		}
		if (c->nsteps == cap) {
			step *v;

			cap = cap ? cap * 2 : 8;
			if (!(v = realloc(c->steps, cap * sizeof(*v)))) {
				free(st.key);
				return hm_error_set(HM_E_NOMEM, "out of memory");
			}
			c->steps = v;
		}
		c->steps[c->nsteps++] = st;
	}
	return HM_OK;
}

/* ---- compiling ---- */

static void add_json(hm_buf *b, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s) {
		hm_buf_addstr(b, "?");
		return;
	}
	if (strlen(s) > MAX_SHOWN) {
		hm_buf_add(b, s, MAX_SHOWN);
		hm_buf_addstr(b, "...");
	} else {
		hm_buf_addstr(b, s);
	}
	free(s);
}

void hm_cond_free(hm_cond *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsteps; i++)
		free(c->steps[i].key);
	free(c->steps);
	for (size_t i = 0; i < c->nkids; i++)
		hm_cond_free(c->kids[i]);
	free(c->kids);
	cJSON_Delete(c->value);
	if (c->has_re)
		regfree(&c->re);
	free(c->text);
	free(c);
}

const char *hm_cond_text(const hm_cond *c)
{
	return c->text;
}

static int compile_one(hm_cond **out, const cJSON *spec, const hm_yaml *y, hm_strv *diags, int depth);

static int compile_group(hm_cond *c, const cJSON *list, const hm_yaml *y, hm_strv *diags, int depth)
{
	int bad = 0, err;
	size_t n = (size_t)cJSON_GetArraySize(list);

	if (!n) {
		hm_diag_add(diags, y, list, 0, "'%s' needs at least one condition", op_names[c->op]);
		return HM_E_USAGE;
	}
	if (!(c->kids = calloc(n, sizeof(*c->kids))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (const cJSON *e = list->child; e; e = e->next) {
		hm_cond *k = NULL;

		err = compile_one(&k, e, y, diags, depth + 1);
		if (err == HM_E_NOMEM)
			return err;
		if (err < 0)
			bad = 1;
		else
			c->kids[c->nkids++] = k;
	}
	return bad ? HM_E_USAGE : HM_OK;
}

static int compile_leaf(hm_cond *c, const char *path, const cJSON *opv, const hm_yaml *y, hm_strv *diags)
{
	const char *opn = op_names[c->op];
	hm_buf t = HM_BUF_INIT;
	int err = HM_OK;

	switch (c->op) {
	case OP_EQUALS:
	case OP_NOT_EQUALS:
		break;
	case OP_IN:
		if (!cJSON_IsArray(opv) || !cJSON_GetArraySize(opv))
			goto wrong;
		break;
	case OP_MATCHES:
		if (!cJSON_IsString(opv))
			goto wrong;
		break;
	case OP_REGEX: {
		hm_buf re = HM_BUF_INIT;
		int rc;

		if (!cJSON_IsString(opv))
			goto wrong;
		if (hm_buf_addf(&re, "^(%s)$", opv->valuestring) < 0)
			return HM_E_NOMEM;
		rc = regcomp(&c->re, hm_buf_cstr(&re), REG_EXTENDED | REG_NOSUB);
		hm_buf_release(&re);
		if (rc) {
			char why[256];

			regerror(rc, NULL, why, sizeof(why));
			hm_diag_add(diags, y, opv, 0, "invalid regex '%s': %s", opv->valuestring, why);
			return HM_E_USAGE;
		}
		c->has_re = 1;
		break;
	}
	case OP_EXISTS:
	case OP_ABSENT:
		if (!cJSON_IsBool(opv))
			goto wrong;
		break;
	case OP_LT:
	case OP_GT:
		if (cJSON_IsString(opv)) {
			if (hm_time_parse(&c->bound, opv->valuestring) < 0) {
				hm_diag_add(diags, y, opv, 0, "'%s' needs a number or an RFC 3339 timestamp, not '%s'",
					    opn, opv->valuestring);
				return HM_E_USAGE;
			}
			c->is_time = 1;
		} else if (!cJSON_IsNumber(opv)) {
			goto wrong;
		}
		break;
	case OP_MAX_AGE:
		if (!cJSON_IsString(opv) || hm_duration_parse(&c->age, opv->valuestring) < 0) {
			hm_diag_add(diags, y, opv, 0, "'maxAge' needs a duration such as 30d, 12h or 90m");
			return HM_E_USAGE;
		}
		break;
	default:
		break;
	}
	if (!(c->value = cJSON_Duplicate(opv, 1)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	err = hm_buf_addf(&t, "%s %s ", path, opn);
	add_json(&t, opv);
	c->text = hm_buf_detach(&t, NULL);
	return err;
wrong:
	hm_diag_add(diags, y, opv, 0, "'%s' needs %s", opn,
		    c->op == OP_IN ? "a non-empty list of values"
		    : c->op == OP_EXISTS || c->op == OP_ABSENT ? "true or false"
		    : c->op == OP_LT || c->op == OP_GT ? "a number or an RFC 3339 timestamp"
						       : "a string");
	return HM_E_USAGE;
}

static int compile_one(hm_cond **out, const cJSON *spec, const hm_yaml *y, hm_strv *diags, int depth)
{
	hm_cond *c;
	const cJSON *path = NULL, *opv = NULL;
	int nops = 0, bad = 0, err = HM_OK;

	*out = NULL;
	if (depth > 16) {
		hm_diag_add(diags, y, spec, 0, "conditions nested too deep");
		return HM_E_USAGE;
	}
	if (!cJSON_IsObject(spec)) {
		hm_diag_add(diags, y, spec, 0, "a condition must be a mapping with 'path' and an operator, or 'any'/'all'");
		return HM_E_USAGE;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (const cJSON *m = spec->child; m; m = m->next) {
		size_t i;

		if (!strcmp(m->string, "path")) {
			path = m;
			continue;
		}
		for (i = 0; i < sizeof(op_names) / sizeof(*op_names); i++)
			if (!strcmp(m->string, op_names[i]))
				break;
		if (i == sizeof(op_names) / sizeof(*op_names)) {
			hm_diag_add(diags, y, m, 1, "unknown key '%s' in condition (expected path and one of "
				    "equals, notEquals, in, matches, regex, exists, absent, lessThan, greaterThan, "
				    "maxAge, or any/all)", m->string);
			bad = 1;
			continue;
		}
		if (nops++) {
			hm_diag_add(diags, y, m, 1, "a condition takes one operator ('%s' is a second one)", m->string);
			bad = 1;
			continue;
		}
		c->op = (enum op)i;
		opv = m;
	}
	if (bad)
		goto fail;
	if (!opv) {
		hm_diag_add(diags, y, spec, 0, "the condition has no operator");
		goto fail;
	}
	if (c->op == OP_ANY || c->op == OP_ALL) {
		if (path) {
			hm_diag_add(diags, y, path, 1, "'%s' groups take no 'path'", op_names[c->op]);
			goto fail;
		}
		if (!cJSON_IsArray(opv)) {
			hm_diag_add(diags, y, opv, 0, "'%s' needs a list of conditions", op_names[c->op]);
			goto fail;
		}
		if (!(c->text = strdup(op_names[c->op]))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto fail;
		}
		err = compile_group(c, opv, y, diags, depth);
		if (err < 0)
			goto fail;
		*out = c;
		return HM_OK;
	}
	if (!path || !cJSON_IsString(path)) {
		hm_diag_add(diags, y, path ? path : spec, 0, "the condition needs a 'path' string");
		goto fail;
	}
	if ((err = parse_path(c, path->valuestring)) < 0) {
		if (err == HM_E_NOMEM)
			goto fail;
		hm_diag_add(diags, y, path, 0, "%s", hm_error_message());
		err = HM_OK;
		goto fail;
	}
	if ((err = compile_leaf(c, path->valuestring, opv, y, diags)) < 0)
		goto fail;
	*out = c;
	return HM_OK;
fail:
	hm_cond_free(c);
	return err == HM_E_NOMEM ? err : HM_E_USAGE;
}

int hm_cond_compile(hm_cond **out, const cJSON *spec, const hm_yaml *y, hm_strv *diags)
{
	hm_cond *c;
	int err;

	*out = NULL;
	if (!cJSON_IsArray(spec))
		return compile_one(out, spec, y, diags, 0);
	if (!(c = calloc(1, sizeof(*c))) || !(c->text = strdup("all"))) {
		free(c);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	c->op = OP_ALL;
	if ((err = compile_group(c, spec, y, diags, 0)) < 0) {
		hm_cond_free(c);
		return err;
	}
	*out = c;
	return HM_OK;
}

/* ---- evaluating ---- */

/* One leaf condition's walk over a document.  The path is read as a chain
 * of quantifiers: [*] holds when the rest of the path holds for every
 * element, [any] when it holds for at least one; an empty array (or no
 * array) is "nothing found".  Every element is visited: the work is linear
 * in the size of the document, which the statement size limit bounds, and
 * nothing is skipped past a count. */
typedef struct walk {
	const hm_cond *c;
	time_t now;
	size_t *at;               /* the element index taken at each [*]/[any] step */
	size_t nfound;            /* values found */
	const cJSON *shown[MAX_LISTED];
	size_t nshown;
	int have_fail;            /* failpath/failval name the first value that decided a failure */
	hm_buf failpath;
	const cJSON *failval;     /* NULL: nothing at failpath */
} walk;

static int value_ok(const hm_cond *c, const cJSON *v, time_t now);

static void note_failure(walk *w, const cJSON *v)
{
	const hm_cond *c = w->c;

	if (w->have_fail)
		return;
	w->have_fail = 1;
	w->failval = v;
	hm_buf_reset(&w->failpath);
	for (size_t i = 0; i < c->nsteps; i++) {
		const step *st = &c->steps[i];

		if (st->kind == S_KEY)
			hm_buf_addf(&w->failpath, "%s%s", i ? "." : "", st->key);
		else if (st->kind == S_INDEX)
			hm_buf_addf(&w->failpath, "[%d]", st->index);
		else if (w->at[i] == SIZE_MAX)
			hm_buf_addstr(&w->failpath, st->kind == S_EACH ? "[*]" : "[any]");
		else
			hm_buf_addf(&w->failpath, "[%zu]", w->at[i]);
	}
}

static int leaf(walk *w, const cJSON *v)
{
	const hm_cond *c = w->c;
	int met;

	if (v) {
		if (w->nshown < MAX_LISTED)
			w->shown[w->nshown++] = v;
		w->nfound++;
	}
	switch (c->op) {
	case OP_EXISTS:
		met = cJSON_IsTrue(c->value) ? v != NULL : v == NULL;
		break;
	case OP_ABSENT:
		met = cJSON_IsTrue(c->value) ? v == NULL : v != NULL;
		break;
	case OP_NOT_EQUALS:
		met = v && !cJSON_Compare(v, c->value, 1);
		break;
	default:
		met = v && value_ok(c, v, w->now);
		break;
	}
	if (!met)
		note_failure(w, v);
	return met;
}

static int walk_steps(walk *w, const cJSON *node, size_t i)
{
	const step *st = &w->c->steps[i];
	int met, had_fail;
	size_t k = 0;

	if (i == w->c->nsteps)
		return leaf(w, node);
	switch (st->kind) {
	case S_KEY:
		return walk_steps(w, cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, st->key) : NULL,
				  i + 1);
	case S_INDEX:
		return walk_steps(w, cJSON_IsArray(node) ? cJSON_GetArrayItem(node, st->index) : NULL, i + 1);
	case S_EACH:
	case S_SOME:
		break;
	}
	if (!cJSON_IsArray(node) || !node->child) {
		w->at[i] = SIZE_MAX;
		return walk_steps(w, NULL, i + 1);
	}
	met = st->kind == S_EACH;
	had_fail = w->have_fail;
	/* No short cut: every value is counted and quoted in the explanation. */
	for (const cJSON *e = node->child; e; e = e->next, k++) {
		int r;

		w->at[i] = k;
		r = walk_steps(w, e, i + 1);
		met = st->kind == S_EACH ? met && r : met || r;
	}
	/* A failure inside an [any] that another element satisfied decided nothing. */
	if (st->kind == S_SOME && met && !had_fail)
		w->have_fail = 0;
	return met;
}

static int value_ok(const hm_cond *c, const cJSON *v, time_t now)
{
	int64_t t;

	switch (c->op) {
	case OP_EQUALS:
		return cJSON_Compare(v, c->value, 1);
	case OP_IN:
		for (const cJSON *e = c->value->child; e; e = e->next)
			if (cJSON_Compare(v, e, 1))
				return 1;
		return 0;
	case OP_MATCHES:
		return cJSON_IsString(v) && hm_glob_match(c->value->valuestring, v->valuestring, 0);
	case OP_REGEX:
		return cJSON_IsString(v) && regexec(&c->re, v->valuestring, 0, NULL, 0) == 0;
	case OP_LT:
	case OP_GT:
		if (c->is_time) {
			if (!cJSON_IsString(v) || hm_time_parse(&t, v->valuestring) < 0)
				return 0;
			return c->op == OP_LT ? t < c->bound : t > c->bound;
		}
		if (!cJSON_IsNumber(v))
			return 0;
		return c->op == OP_LT ? v->valuedouble < c->value->valuedouble
				      : v->valuedouble > c->value->valuedouble;
	case OP_MAX_AGE:
		if (!cJSON_IsString(v) || hm_time_parse(&t, v->valuestring) < 0)
			return 0;
		/* Five minutes of clock skew; a timestamp further ahead is refused. */
		return t <= now + 300 && (long long)(now - t) <= c->age;
	default:
		return 0;
	}
}

int hm_cond_eval(const hm_cond *c, const cJSON *doc, time_t now, hm_buf *why)
{
	walk w = {0};
	size_t i;
	int met = 0;

	if (c->op == OP_ANY || c->op == OP_ALL) {
		hm_buf *ex = calloc(c->nkids, sizeof(*ex));
		int *res = calloc(c->nkids, sizeof(*res));
		size_t nmet = 0, shown = 0;

		if (!ex || !res) {
			free(ex);
			free(res);
			hm_buf_addstr(why, "out of memory");
			return 0;
		}
		for (i = 0; i < c->nkids; i++)
			nmet += (size_t)(res[i] = hm_cond_eval(c->kids[i], doc, now, &ex[i]));
		met = c->op == OP_ALL ? nmet == c->nkids : nmet > 0;
		/* Explain what decided: the failures of a failed all, the successes
		 * of a met any, every member otherwise. */
		if (c->op == OP_ANY && !met)
			hm_buf_addstr(why, "none of: ");
		else if (c->op == OP_ALL && met && c->nkids > 1)
			hm_buf_addstr(why, "all of: ");
		for (i = 0; i < c->nkids; i++) {
			int show = c->op == OP_ALL ? (met || !res[i]) : (!met || res[i]);

			if (show) {
				if (shown++)
					hm_buf_addstr(why, "; ");
				hm_buf_addstr(why, hm_buf_cstr(&ex[i]));
			}
			hm_buf_release(&ex[i]);
		}
		free(ex);
		free(res);
		return met;
	}
	if (!(w.at = calloc(c->nsteps + 1, sizeof(*w.at)))) {
		hm_buf_addstr(why, "out of memory");
		return 0;
	}
	w.c = c;
	w.now = now;
	met = walk_steps(&w, doc, 0);
	hm_buf_addstr(why, c->text);
	if (!w.nfound) {
		hm_buf_addstr(why, ": found nothing at that path");
	} else {
		hm_buf_addstr(why, ": found ");
		for (i = 0; i < w.nshown; i++) {
			if (i)
				hm_buf_addstr(why, ", ");
			add_json(why, w.shown[i]);
		}
		if (w.nfound > w.nshown)
			hm_buf_addf(why, " and %zu more", w.nfound - w.nshown);
		if (!met && w.have_fail) {
			hm_buf_addstr(why, "; first failing: ");
			hm_buf_addstr(why, hm_buf_cstr(&w.failpath));
			if (w.failval) {
				hm_buf_addstr(why, " = ");
				add_json(why, w.failval);
			} else {
				hm_buf_addstr(why, " is missing");
			}
		}
	}
	hm_buf_release(&w.failpath);
	free(w.at);
	return met;
}
