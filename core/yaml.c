/* SPDX-License-Identifier: Apache-2.0 */
/* YAML to cJSON over libyaml's event parser, with a side table of node
 * positions.  See core/yaml.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/array.h"
#include "core/error.h"
#include "core/yaml.h"

typedef struct pos_entry {
	const cJSON *node;
	int line, col;         /* value */
	int key_line, key_col; /* key, for mapping members */
} pos_entry;

typedef struct anchor {
	char *name;
	const cJSON *node;
} anchor;

struct hm_yaml {
	char *name;
	cJSON *docs;
	pos_entry *pos;
	size_t npos, cappos;
	cJSON *spent;    /* the values of merge keys (<<), kept: positions and anchors point into them */
};

typedef struct frame {
	cJSON *node;     /* array or object being filled; NULL for the document level */
	char *key;       /* pending mapping key, owned */
	int key_line, key_col;
	char *anchor;    /* anchor of this collection, registered when it ends */
	int key_merge;   /* the pending key is the merge key << */
	cJSON *merges;   /* values of <<, merged when the mapping ends (owned) */
	int merge_line, merge_col;
} frame;

typedef struct parser {
	hm_yaml *y;
	frame stack[HM_YAML_MAX_DEPTH + 1];
	int depth;       /* frames in use */
	cJSON *doc;      /* the current document's root */
	anchor *anchors;
	size_t nanchors, capanchors;
	size_t nodes;
	int plain;       /* the scalar being attached was plain (unquoted, untagged) */
} parser;

static int count_nodes(const cJSON *n)
{
	int c = 0;

	for (; n; n = n->next)
		c += 1 + count_nodes(n->child);
	return c;
}

static int add_pos(hm_yaml *y, const cJSON *node, int line, int col, int kline, int kcol)
{
	if (hm_array_reserve(&y->pos, y->npos, &y->cappos, sizeof(*y->pos), 64))
		return HM_E_NOMEM;
	y->pos[y->npos++] = (pos_entry){node, line, col, kline, kcol};
	return HM_OK;
}

static int pos_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const pos_entry *)a)->node;
	uintptr_t z = (uintptr_t)((const pos_entry *)b)->node;

	return x < z ? -1 : x > z;
}

static const pos_entry *find_pos(const hm_yaml *y, const cJSON *node)
{
	pos_entry key = {node, 0, 0, 0, 0};

	if (!y || !node || !y->npos)
		return NULL;
	return bsearch(&key, y->pos, y->npos, sizeof(key), pos_cmp);
}

/* YAML 1.2 core schema: the plain scalar s as a typed node. */
static int all_digits(const char *s, const char *set)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr(set, *s))
			return 0;
	return 1;
}

static int is_float(const char *s)
{
	const char *p = s;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static cJSON *plain_scalar(const char *s)
{
	const char *u = (*s == '+' || *s == '-') ? s + 1 : s;

	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return cJSON_CreateNull();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return cJSON_CreateTrue();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return cJSON_CreateFalse();
	if (!strncmp(s, "0o", 2) && all_digits(s + 2, "01234567"))
		return cJSON_CreateNumber((double)strtoull(s + 2, NULL, 8));
	if (!strncmp(s, "0x", 2) && all_digits(s + 2, "0123456789abcdefABCDEF"))
		return cJSON_CreateNumber((double)strtoull(s + 2, NULL, 16));
	if (all_digits(u, "0123456789") || is_float(s))
		return cJSON_CreateNumber(strtod(s, NULL));
	if (!strcmp(u, ".inf") || !strcmp(u, ".Inf") || !strcmp(u, ".INF"))
		return cJSON_CreateNumber(*s == '-' ? -INFINITY : INFINITY);
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return cJSON_CreateNumber(NAN);
	return cJSON_CreateString(s);
}

static int where_err(parser *p, const yaml_mark_t *m, const char *what)
{
	return hm_error_set(HM_E_IO, "%s:%zu:%zu: %s", p->y->name, m->line + 1, m->column + 1, what);
}

static const cJSON *find_anchor(parser *p, const char *name)
{
	/* Latest definition wins: YAML allows redefining an anchor. */
	for (size_t i = p->nanchors; i-- > 0;)
		if (!strcmp(p->anchors[i].name, name))
			return p->anchors[i].node;
	return NULL;
}

static int add_anchor(parser *p, const char *name, const cJSON *node)
{
	if (hm_array_reserve(&p->anchors, p->nanchors, &p->capanchors, sizeof(*p->anchors), 8))
		return HM_E_NOMEM;
	p->anchors[p->nanchors].name = strdup(name);
	if (!p->anchors[p->nanchors].name)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	p->anchors[p->nanchors++].node = node;
	return HM_OK;
}

/* Attaches a finished value to the collection on top of the stack (or makes
 * it the document root); takes node.  A scalar met where a mapping expects
 * a key becomes the pending key instead. */
static int attach(parser *p, cJSON *node, const yaml_mark_t *m, int is_scalar, const char *raw,
		  const cJSON **attached)
{
	frame *f = &p->stack[p->depth - 1];
	int line = (int)m->line + 1, col = (int)m->column + 1;

	*attached = NULL;
	if (!node)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (++p->nodes > HM_YAML_MAX_NODES) {
		cJSON_Delete(node);
		return where_err(p, m, "document too large (over the node limit)");
	}
	if (!f->node) {
		if (p->doc) {
			cJSON_Delete(node);
			return where_err(p, m, "unexpected second root node");
		}
		p->doc = node;
		*attached = node;
		return add_pos(p->y, node, line, col, line, col);
	}
	if (cJSON_IsArray(f->node)) {
		cJSON_AddItemToArray(f->node, node);
		*attached = node;
		return add_pos(p->y, node, line, col, line, col);
	}
	if (!f->key) {
		cJSON_Delete(node);
		if (!is_scalar)
			return where_err(p, m, "mapping keys must be scalars");
		f->key_merge = p->plain && !strcmp(raw, "<<");
		if (f->key_merge ? f->merges != NULL : cJSON_GetObjectItemCaseSensitive(f->node, raw) != NULL)
			return hm_error_set(HM_E_IO, "%s:%d:%d: duplicate key '%s'", p->y->name, line, col, raw);
		f->key = strdup(raw);
		f->key_line = line;
		f->key_col = col;
		return f->key ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (f->key_merge) {
		/* The merge key (YAML 1.1, which Kubernetes' YAML reader
		 * follows): merged into the mapping when it ends. */
		f->merges = node;
		f->merge_line = f->key_line;
		f->merge_col = f->key_col;
		f->key_merge = 0;
		free(f->key);
		f->key = NULL;
		*attached = node;
		return add_pos(p->y, node, line, col, f->merge_line, f->merge_col);
	}
	cJSON_AddItemToObject(f->node, f->key, node);
	free(f->key);
	f->key = NULL;
	*attached = node;
	return add_pos(p->y, node, line, col, f->key_line, f->key_col);
}

static int on_scalar(parser *p, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	const cJSON *attached = NULL;
	cJSON *node;
	int err;

	if (ev->data.scalar.length != strlen(s))
		return where_err(p, &ev->start_mark, "NUL byte in scalar");
	p->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
	if (tag && !strcmp(tag, "tag:yaml.org,2002:merge"))
		p->plain = 1; /* !!merge << */
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || (tag && !strcmp(tag, YAML_STR_TAG)))
		node = cJSON_CreateString(s);
	else
		node = plain_scalar(s);
	if ((err = attach(p, node, &ev->start_mark, 1, s, &attached)) < 0)
		return err;
	if (ev->data.scalar.anchor && attached)
		return add_anchor(p, (const char *)ev->data.scalar.anchor, attached);
	return HM_OK;
}

static int on_alias(parser *p, yaml_event_t *ev)
{
	const cJSON *target = find_anchor(p, (const char *)ev->data.alias.anchor);
	frame *f = &p->stack[p->depth - 1];
	const cJSON *attached;
	cJSON *copy;
	size_t n;

	if (!target)
		return where_err(p, &ev->start_mark, "unknown or unfinished anchor");
	if (f->node && cJSON_IsObject(f->node) && !f->key)
		return where_err(p, &ev->start_mark, "aliases are not allowed as mapping keys");
	n = (size_t)count_nodes(target->child) + 1;
	if (p->nodes + n > HM_YAML_MAX_NODES)
		return where_err(p, &ev->start_mark, "aliases expand past the node limit");
	p->nodes += n - 1; /* attach() counts one */
	copy = cJSON_Duplicate(target, 1);
	return attach(p, copy, &ev->start_mark, 0, NULL, &attached);
}

static int on_start(parser *p, yaml_event_t *ev, int is_map)
{
	frame *f = &p->stack[p->depth - 1];
	const yaml_char_t *anc = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	const cJSON *attached;
	cJSON *node;
	int err;

	if (p->depth > HM_YAML_MAX_DEPTH)
		return where_err(p, &ev->start_mark, "nesting too deep");
	if (f->node && cJSON_IsObject(f->node) && !f->key)
		return where_err(p, &ev->start_mark, "mapping keys must be scalars");
	node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
	if ((err = attach(p, node, &ev->start_mark, 0, NULL, &attached)) < 0)
		return err;
	p->stack[p->depth] = (frame){.node = node};
	if (anc && !(p->stack[p->depth].anchor = strdup((const char *)anc)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	p->depth++;
	return HM_OK;
}

static int merge_err(parser *p, const frame *f, const char *fmt, const char *key)
{
	return hm_error_set(HM_E_IO, "%s:%d:%d: merge key '<<': %s%s%s", p->y->name, f->merge_line, f->merge_col, fmt,
			    key ? key : "", key ? "'" : "");
}

/* Expands the mapping's << into its members.  A key the mapping (or an
 * earlier merged mapping) already has with another value is refused: YAML
 * readers disagree on which one wins (go-yaml v2, behind Kubernetes'
 * sigs.k8s.io/yaml, lets the later one win; the YAML 1.1 merge spec and
 * go-yaml v3 the explicit one), so the checked and the deployed object
 * could differ.  Never dropped: an image hidden behind << is an image. */
static int merge(parser *p, frame *f)
{
	cJSON *src = f->merges;
	const cJSON *list = cJSON_IsArray(src) ? src->child : src;

	if (!cJSON_IsObject(src) && !cJSON_IsArray(src))
		return merge_err(p, f, "needs a mapping or a list of mappings", NULL);
	for (const cJSON *one = list; one; one = cJSON_IsArray(src) ? one->next : NULL) {
		if (!cJSON_IsObject(one))
			return merge_err(p, f, "needs a mapping or a list of mappings", NULL);
		for (const cJSON *m = one->child; m; m = m->next) {
			const cJSON *have = cJSON_GetObjectItemCaseSensitive(f->node, m->string);
			size_t n;
			cJSON *copy;

			if (have) {
				if (!cJSON_Compare(have, m, 1))
					return merge_err(p, f, "the mapping already sets another value for '", m->string);
				continue;
			}
			n = (size_t)count_nodes(m->child) + 1;
			if (p->nodes + n > HM_YAML_MAX_NODES)
				return merge_err(p, f, "expands past the node limit", NULL);
			p->nodes += n;
			if (!(copy = cJSON_Duplicate(m, 1)))
				return hm_error_set(HM_E_NOMEM, "out of memory");
			cJSON_AddItemToObject(f->node, m->string, copy);
		}
	}
	return HM_OK;
}

static int on_end(parser *p, yaml_event_t *ev)
{
	frame *f = &p->stack[--p->depth];
	int err = HM_OK;

	if (f->key)
		err = where_err(p, &ev->start_mark, "mapping key without a value");
	if (!err && f->merges)
		err = merge(p, f);
	if (f->merges) {
		/* anchors inside the merged values still point into them */
		if (!p->y->spent && !(p->y->spent = cJSON_CreateArray())) {
			cJSON_Delete(f->merges);
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		} else {
			cJSON_AddItemToArray(p->y->spent, f->merges);
		}
	}
	if (!err && f->anchor)
		err = add_anchor(p, f->anchor, f->node);
	free(f->key);
	free(f->anchor);
	*f = (frame){0};
	return err;
}

static void parser_release(parser *p)
{
	while (p->depth > 0) {
		frame *f = &p->stack[--p->depth];

		free(f->key);
		free(f->anchor);
		cJSON_Delete(f->merges);
	}
	for (size_t i = 0; i < p->nanchors; i++)
		free(p->anchors[i].name);
	free(p->anchors);
	cJSON_Delete(p->doc);
}

int hm_yaml_parse(hm_yaml **out, const void *data, size_t len, const char *name)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	parser p = {0};
	hm_yaml *y = NULL;
	int err = HM_OK, done = 0;

	*out = NULL;
	if (len > HM_YAML_MAX_BYTES)
		return hm_error_set(HM_E_IO, "%s: larger than the %u-byte limit", name, HM_YAML_MAX_BYTES);
	y = calloc(1, sizeof(*y));
	if (!y || !(y->name = strdup(name)) || !(y->docs = cJSON_CreateArray())) {
		hm_yaml_free(y);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	p.y = y;
	if (!yaml_parser_initialize(&yp)) {
		hm_yaml_free(y);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&yp, data, len);
	while (!done) {
		if (!yaml_parser_parse(&yp, &ev)) {
			const yaml_mark_t *m = yp.problem_mark.line || yp.problem_mark.column ? &yp.problem_mark
											   : &yp.context_mark;

			err = hm_error_set(HM_E_IO, "%s:%zu:%zu: %s%s%s", name, m->line + 1, m->column + 1,
					   yp.problem ? yp.problem : "syntax error",
					   yp.context ? " " : "", yp.context ? yp.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			p.stack[0] = (frame){0};
			p.depth = 1;
			p.doc = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			/* Anchors do not reach across documents. */
			for (size_t i = 0; i < p.nanchors; i++)
				free(p.anchors[i].name);
			p.nanchors = 0;
			cJSON_AddItemToArray(y->docs, p.doc ? p.doc : cJSON_CreateNull());
			p.doc = NULL;
			p.depth = 0;
			break;
		case YAML_SCALAR_EVENT:
			err = on_scalar(&p, &ev);
			break;
		case YAML_ALIAS_EVENT:
			err = on_alias(&p, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			err = on_start(&p, &ev, 0);
			break;
		case YAML_MAPPING_START_EVENT:
			err = on_start(&p, &ev, 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			err = on_end(&p, &ev);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (err < 0)
			break;
	}
	yaml_parser_delete(&yp);
	parser_release(&p);
	if (err < 0) {
		hm_yaml_free(y);
		return err;
	}
	if (y->npos)
		qsort(y->pos, y->npos, sizeof(*y->pos), pos_cmp);
	*out = y;
	return HM_OK;
}

cJSON *hm_yaml_docs(const hm_yaml *y)
{
	return y->docs;
}

size_t hm_yaml_count(const hm_yaml *y)
{
	return y->docs ? (size_t)cJSON_GetArraySize(y->docs) : 0;
}

cJSON *hm_yaml_doc(const hm_yaml *y, size_t i)
{
	return y->docs && i < (size_t)cJSON_GetArraySize(y->docs) ? cJSON_GetArrayItem(y->docs, (int)i) : NULL;
}

const char *hm_yaml_name(const hm_yaml *y)
{
	return y->name;
}

int hm_yaml_pos(const hm_yaml *y, const cJSON *node, int *line, int *col)
{
	const pos_entry *e = find_pos(y, node);

	*line = e ? e->line : 0;
	*col = e ? e->col : 0;
	return e ? HM_OK : HM_E_NOTFOUND;
}

int hm_yaml_key_pos(const hm_yaml *y, const cJSON *node, int *line, int *col)
{
	const pos_entry *e = find_pos(y, node);

	*line = e ? e->key_line : 0;
	*col = e ? e->key_col : 0;
	return e ? HM_OK : HM_E_NOTFOUND;
}

cJSON *hm_yaml_detach(hm_yaml *y)
{
	cJSON *d = y->docs;

	y->docs = NULL;
	free(y->pos);
	y->pos = NULL;
	y->npos = y->cappos = 0;
	return d;
}

void hm_yaml_free(hm_yaml *y)
{
	if (!y)
		return;
	cJSON_Delete(y->docs);
	cJSON_Delete(y->spent);
	free(y->pos);
	free(y->name);
	free(y);
}
