/* SPDX-License-Identifier: Apache-2.0 */
/* Dockerfile parsing: stages and external images (see attest/dockerfile.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest/dockerfile.h"
#include "attest/dockerfile_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/strv.h"

#define EXPAND_DEPTH 8       /* ${A:-${B:-...}} nesting */

static const char *const platform_args[] = {
	"BUILDPLATFORM", "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
};

static int nomem(void)
{
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

/* The next raw line, without its line ending; 0 at the end of input. */
static int next_line(parser *ps, const char **start, size_t *len)
{
	const char *nl;

	if (ps->p >= ps->end)
		return 0;
	*start = ps->p;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	*len = (size_t)((nl ? nl : ps->end) - ps->p);
	ps->p = nl ? nl + 1 : ps->end;
	if (*len && (*start)[*len - 1] == '\r')
		(*len)--;
	ps->line++;
	return 1;
}

static const char *skip_ws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Blank, or a comment (first non-blank character '#'). */
static int is_ignorable(const char *s, size_t len)
{
	const char *p = skip_ws(s, s + len);

	return p == s + len || *p == '#';
}

static const var *lookup(const var *v, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (strlen(v[i].name) == len && !memcmp(v[i].name, name, len))
			return &v[i];
	return NULL;
}

/* "# name = value" at the top of the file.  Returns 1 when it was a
 * directive (and applied it), 0 when directives are over, <0 on error. */
static int directive(parser *ps, const char *s, size_t len)
{
	const char *e = s + len, *n, *ne, *v, *ve;

	s = skip_ws(s, e);
	if (s == e || *s != '#')
		return 0;
	n = skip_ws(s + 1, e);
	for (ne = n; ne < e && isalpha((unsigned char)*ne); ne++)
		;
	if (ne == n)
		return 0;
	v = skip_ws(ne, e);
	if (v == e || *v != '=')
		return 0;
	v = skip_ws(v + 1, e);
	for (ve = e; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	if ((size_t)(ne - n) == 6 && !strncasecmp(n, "escape", 6)) {
		if (ve - v != 1 || (*v != '\\' && *v != '`'))
			return hm_error_set(HM_E_IO, "%s:%d: escape directive must be '\\' or '`'",
					    ps->what, ps->line);
		ps->esc = *v;
		return 1;
	}
	if ((size_t)(ne - n) == 6 && !strncasecmp(n, "syntax", 6)) {
		/* The frontend image runs the build: it is an image the build
		 * uses (unless a BUILDKIT_SYNTAX build argument replaced it). */
		const var *bs = lookup(ps->bargs, ps->n_bargs, "BUILDKIT_SYNTAX", 15);
		char *image;
		int err;

		if (bs && bs->value && *bs->value)
			return 1;
		if (!(image = strndup(v, (size_t)(ve - v))))
			return nomem();
		err = hm_df_frontend(ps, image, ps->line);
		free(image);
		return err < 0 ? err : 1;
	}
	if ((size_t)(ne - n) == 5 && !strncasecmp(n, "check", 5))
		return 1;
	return 0;
}

/* Splits s into whitespace-separated words, keeping quoted runs (and the
 * quotes) together. */
static int split_words(hm_strv *out, const char *s, int line, parser *ps)
{
	hm_buf w = HM_BUF_INIT;
	char q = 0;
	int err = HM_OK, inword = 0;

	hm_buf_init(&w, 0);
	for (;; s++) {
		char c = *s;

		if (!c || (!q && (c == ' ' || c == '\t'))) {
			if (inword) {
				if ((err = hm_strv_push(out, hm_buf_cstr(&w))))
					goto done;
				hm_buf_reset(&w);
				inword = 0;
			}
			if (!c)
				break;
			continue;
		}
		inword = 1;
		if (c == ps->esc && s[1] && q != '\'') {
			if ((err = hm_buf_add(&w, s, 2)))
				goto done;
			s++;
			continue;
		}
		if (q && c == q)
			q = 0;
		else if (!q && (c == '"' || c == '\''))
			q = c;
		if ((err = hm_buf_addch(&w, c)))
			goto done;
	}
	if (q)
		err = hm_error_set(HM_E_IO, "%s:%d: unterminated quote", ps->what, line);
done:
	hm_buf_release(&w);
	return err;
}


static int expand(parser *ps, hm_buf *out, const char *s, size_t len, int line, int depth);

/* ${...} starting at s ("${" already matched at s[0..1]); *used gets the
 * length consumed. */
static int expand_braced(parser *ps, hm_buf *out, const char *s, size_t len, size_t *used,
			 int line, int depth)
{
	size_t i = 2, name_start = 2, name_len, word_start, nest = 0;
	const var *v;
	const char *value;
	char op = 0, colon = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
		i++;
	name_len = i - name_start;
	if (!name_len)
		return hm_error_set(HM_E_IO, "%s:%d: bad substitution '%.*s'", ps->what, line,
				    (int)(len < 40 ? len : 40), s);
	if (i < len && s[i] == ':') {
		colon = 1;
		i++;
	}
	if (i < len && (s[i] == '-' || s[i] == '+')) {
		op = s[i++];
	} else if (colon || (i < len && s[i] != '}')) {
		return hm_error_set(HM_E_IO, "%s:%d: unsupported substitution '%.*s'", ps->what,
				    line, (int)(len < 40 ? len : 40), s);
	}
	word_start = i;
	for (; i < len; i++) {
		if (s[i] == ps->esc && i + 1 < len) {
			i++;
		} else if (s[i] == '{') {
			nest++;
		} else if (s[i] == '}') {
			if (!nest)
				break;
			nest--;
		}
	}
	if (i >= len)
		return hm_error_set(HM_E_IO, "%s:%d: missing '}' in '%.*s'", ps->what, line,
				    (int)(len < 40 ? len : 40), s);
	*used = i + 1;
	v = lookup(ps->args, ps->n_args, s + name_start, name_len);
	value = v ? v->value : NULL;
	if (op == '-') {
		if (!value || (colon && !*value))
			return expand(ps, out, s + word_start, i - word_start, line, depth + 1);
	} else if (op == '+') {
		if (value && (!colon || *value))
			return expand(ps, out, s + word_start, i - word_start, line, depth + 1);
		return HM_OK;
	}
	return value ? hm_buf_addstr(out, value) : HM_OK;
}

/* Shell-like word processing: quotes removed, escapes applied, variables
 * from the global ARGs substituted (single quotes suppress it). */
static int expand(parser *ps, hm_buf *out, const char *s, size_t len, int line, int depth)
{
	size_t i = 0;
	char q = 0;
	int err = HM_OK;

	if (depth > EXPAND_DEPTH)
		return hm_error_set(HM_E_IO, "%s:%d: substitutions nested too deeply", ps->what,
				    line);
	while (i < len && !err) {
		char c = s[i];

		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				err = hm_buf_addch(out, c);
			i++;
		} else if (c == ps->esc && i + 1 < len) {
			char n = s[i + 1];

			if (q == '"' && n != '$' && n != '"' && n != ps->esc)
				err = hm_buf_addch(out, c);
			if (!err)
				err = hm_buf_addch(out, n);
			i += 2;
		} else if (c == '"' && (!q || q == '"')) {
			q = q ? 0 : '"';
			i++;
		} else if (c == '\'' && !q) {
			q = '\'';
			i++;
		} else if (c == '$' && i + 1 < len && s[i + 1] == '{') {
			size_t used = 0;

			err = expand_braced(ps, out, s + i, len - i, &used, line, depth);
			i += used;
		} else if (c == '$' && i + 1 < len && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_')) {
			size_t j = i + 1;
			const var *v;

			while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
				j++;
			v = lookup(ps->args, ps->n_args, s + i + 1, j - i - 1);
			if (v && v->value)
				err = hm_buf_addstr(out, v->value);
			i = j;
		} else {
			err = hm_buf_addch(out, c);
			i++;
		}
	}
	if (!err && q && depth == 0)
		err = hm_error_set(HM_E_IO, "%s:%d: unterminated quote", ps->what, line);
	if (err == HM_E_IO && strstr(hm_error_message(), "-byte limit"))
		err = hm_error_set(HM_E_IO, "%s:%d: a value is longer than %u bytes after substitution",
				   ps->what, line, WORD_MAX);
	return err;
}

int hm_df_expand_word(char **out, parser *ps, const char *word, int line)
{
	hm_buf b;
	int err;

	*out = NULL;
	hm_buf_init(&b, WORD_MAX);
	if ((err = expand(ps, &b, word, strlen(word), line, 0))) {
		hm_buf_release(&b);
		return err;
	}
	*out = hm_buf_detach(&b, NULL);
	return HM_OK;
}

static int var_set(var **v, size_t *n, const char *name, size_t name_len, char *value)
{
	var *nv;
	char *nm = strndup(name, name_len);

	if (!nm || !(nv = realloc(*v, (*n + 1) * sizeof(**v)))) {
		free(nm);
		free(value);
		return nomem();
	}
	*v = nv;
	nv[*n].name = nm;
	nv[*n].value = value;
	(*n)++;
	return HM_OK;
}

static void vars_free(var *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static int global_arg(parser *ps, const hm_strv *words, int line)
{
	size_t i;
	int err;

	if (words->n < 2)
		return hm_error_set(HM_E_IO, "%s:%d: ARG needs a name", ps->what, line);
	for (i = 1; i < words->n; i++) {
		const char *w = words->v[i], *eq = strchr(w, '=');
		size_t nl = eq ? (size_t)(eq - w) : strlen(w);
		const var *b = lookup(ps->bargs, ps->n_bargs, w, nl);
		char *value = NULL;

		if (!nl)
			return hm_error_set(HM_E_IO, "%s:%d: ARG needs a name before '='", ps->what,
					    line);
		if (b && b->value) {
			if (!(value = strdup(b->value)))
				return nomem();
		} else if (eq && (err = hm_df_expand_word(&value, ps, eq + 1, line))) {
			return err;
		}
		if ((err = var_set(&ps->args, &ps->n_args, w, nl, value)))
			return err;
	}
	return HM_OK;
}

/* Heredoc markers in a RUN/COPY/ADD: consume their bodies. */
static int heredocs(parser *ps, const hm_strv *words, int line)
{
	size_t i;

	for (i = 1; i < words->n; i++) {
		const char *w = words->v[i], *n;
		char q = 0, name[128];
		size_t nl = 0;
		int strip = 0, found = 0;

		while (isdigit((unsigned char)*w))
			w++;
		if (strncmp(w, "<<", 2))
			continue;
		w += 2;
		if (*w == '-') {
			strip = 1;
			w++;
		}
		if (*w == '"' || *w == '\'')
			q = *w++;
		for (n = w; isalnum((unsigned char)*n) || *n == '_' || *n == '.' || *n == '-'; n++)
			;
		nl = (size_t)(n - w);
		if (!nl || nl >= sizeof(name) || (q && *n != q))
			continue;
		memcpy(name, w, nl);
		name[nl] = '\0';
		for (;;) {
			const char *s;
			size_t len;

			if (!next_line(ps, &s, &len))
				break;
			if (strip)
				while (len && *s == '\t') {
					s++;
					len--;
				}
			if (len == nl && !memcmp(s, name, nl)) {
				found = 1;
				break;
			}
		}
		if (!found)
			return hm_error_set(HM_E_IO, "%s:%d: heredoc '%s' is not terminated", ps->what,
					    line, name);
	}
	return HM_OK;
}

static int instruction(parser *ps, const char *text, int line)
{
	hm_strv words = HM_STRV_INIT;
	const char *kw;
	int err;

	if ((err = split_words(&words, text, line, ps)))
		goto done;
	if (!words.n)
		goto done;
	kw = words.v[0];
	if (!strcasecmp(kw, "RUN") || !strcasecmp(kw, "COPY") || !strcasecmp(kw, "ADD"))
		if ((err = heredocs(ps, &words, line)))
			goto done;
	if (!strcasecmp(kw, "FROM")) {
		err = hm_df_from(ps, &words, line);
	} else if (!ps->df->n_stages) {
		if (!strcasecmp(kw, "ARG"))
			err = global_arg(ps, &words, line);
		else
			err = hm_error_set(HM_E_IO, "%s:%d: '%.40s' before the first FROM", ps->what,
					   line, kw);
	} else if (!strcasecmp(kw, "COPY")) {
		err = hm_df_copy_from(ps, &words, line);
	} else if (!strcasecmp(kw, "RUN")) {
		err = hm_df_run_mounts(ps, &words, line);
	}
done:
	hm_strv_free(&words);
	return err;
}

static int build_args(parser *ps, const char *const *args, size_t n)
{
	size_t i, k;
	int err;

	for (i = 0; i < n; i++) {
		const char *a = args[i], *eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		const char *v = eq ? eq + 1 : NULL;
		char *value = NULL;

		if (!nl)
			return hm_error_set(HM_E_USAGE, "invalid build argument '%s' (want NAME=VALUE)",
					    a);
		if (!eq) {
			char *name = strndup(a, nl);

			if (!name)
				return nomem();
			v = getenv(name);
			free(name);
		}
		if (v && !(value = strdup(v)))
			return nomem();
		if ((err = var_set(&ps->bargs, &ps->n_bargs, a, nl, value)))
			return err;
		if (nl == 15 && !memcmp(a, "BUILDKIT_SYNTAX", 15) && v && *v &&
		    (err = hm_df_frontend(ps, v, 0)))
			return err;
		for (k = 0; k < sizeof(platform_args) / sizeof(platform_args[0]); k++) {
			if (strlen(platform_args[k]) != nl || memcmp(platform_args[k], a, nl) || !v)
				continue;
			if (!(value = strdup(v)))
				return nomem();
			if ((err = var_set(&ps->args, &ps->n_args, a, nl, value)))
				return err;
		}
	}
	return HM_OK;
}

int hm_dockerfile_parse(hm_dockerfile *out, const char *text, size_t len,
			const char *const *bargs, size_t n_bargs, const char *what)
{
	hm_dockerfile df = HM_DOCKERFILE_INIT;
	parser ps = {0};
	hm_buf logical = HM_BUF_INIT;
	int err = HM_OK, directives = 1;

	*out = df;
	ps.what = what ? what : "Dockerfile";
	ps.esc = '\\';
	ps.df = &df;
	if (len > HM_DOCKERFILE_MAX) {
		err = hm_error_set(HM_E_IO, "%s: %zu bytes exceeds the %u-byte limit", ps.what, len,
				   HM_DOCKERFILE_MAX);
		goto done;
	}
	if (memchr(text, '\0', len)) {
		err = hm_error_set(HM_E_IO, "%s: contains a NUL byte (not a text file)", ps.what);
		goto done;
	}
	ps.p = text;
	ps.end = text + len;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.p += 3;
	if ((err = build_args(&ps, bargs, n_bargs)))
		goto done;
	hm_buf_init(&logical, HM_DOCKERFILE_MAX);
	for (;;) {
		const char *s;
		size_t n;
		int line;

		if (!next_line(&ps, &s, &n))
			break;
		if (directives) {
			int r = directive(&ps, s, n);

			if (r < 0) {
				err = r;
				goto done;
			}
			if (r)
				continue;
			directives = 0;
		}
		if (is_ignorable(s, n))
			continue;
		line = ps.line;
		hm_buf_reset(&logical);
		for (;;) {
			const char *e = s + n;

			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e > s && e[-1] == ps.esc) {
				if ((err = hm_buf_add(&logical, s, (size_t)(e - 1 - s))))
					goto done;
			} else {
				if ((err = hm_buf_add(&logical, s, (size_t)(e - s))))
					goto done;
				break;
			}
			do {
				if (!next_line(&ps, &s, &n))
					goto end_of_line;
			} while (is_ignorable(s, n));
		}
end_of_line:
		if ((err = hm_buf_addch(&logical, '\0')) ||
		    (err = instruction(&ps, hm_buf_cstr(&logical), line)))
			goto done;
	}
	if (!df.n_stages) {
		err = hm_error_set(HM_E_IO, "%s: no FROM instruction", ps.what);
		goto done;
	}
	*out = df;
	df = (hm_dockerfile)HM_DOCKERFILE_INIT;
done:
	hm_buf_release(&logical);
	vars_free(ps.args, ps.n_args);
	vars_free(ps.bargs, ps.n_bargs);
	hm_dockerfile_free(&df);
	return err;
}

int hm_dockerfile_load(hm_dockerfile *out, const char *path, const char *const *bargs,
		       size_t n_bargs)
{
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = (hm_dockerfile)HM_DOCKERFILE_INIT;
	if ((err = hm_file_read(&b, path, HM_DOCKERFILE_MAX)))
		return err;
	err = hm_dockerfile_parse(out, hm_buf_cstr(&b), b.len, bargs, n_bargs, path);
	hm_buf_release(&b);
	return err;
}

void hm_dockerfile_free(hm_dockerfile *df)
{
	size_t i;

	if (!df)
		return;
	for (i = 0; i < df->n_stages; i++) {
		free(df->stages[i].name);
		free(df->stages[i].base);
		free(df->stages[i].platform);
	}
	for (i = 0; i < df->n_images; i++) {
		free(df->images[i].ref);
		free(df->images[i].platform);
	}
	free(df->stages);
	free(df->images);
	memset(df, 0, sizeof(*df));
}
