/* SPDX-License-Identifier: Apache-2.0 */
/* Dockerfile stages and the images a build uses: FROM, COPY --from,
 * RUN --mount=from=, and the # syntax= frontend (see attest/dockerfile.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest/dockerfile_int.h"
#include "core/buf.h"
#include "core/error.h"

static int nomem(void)
{
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

static int stage_index(const hm_dockerfile *df, const char *name)
{
	size_t i;

	for (i = 0; i < df->n_stages; i++)
		if (df->stages[i].name && !strcasecmp(df->stages[i].name, name))
			return (int)i;
	return -1;
}

static int add_image(hm_dockerfile *df, const char *ref, const char *platform, int line)
{
	hm_df_image *v;
	size_t i;

	for (i = 0; i < df->n_images; i++)
		if (!strcmp(df->images[i].ref, ref) &&
		    !strcmp(df->images[i].platform ? df->images[i].platform : "",
			    platform ? platform : ""))
			return HM_OK;
	if (!(v = realloc(df->images, (df->n_images + 1) * sizeof(*v))))
		return nomem();
	df->images = v;
	v += df->n_images;
	v->ref = strdup(ref);
	v->platform = platform ? strdup(platform) : NULL;
	v->line = line;
	df->n_images++;
	if (!v->ref || (platform && !v->platform))
		return nomem();
	return HM_OK;
}

static int valid_stage_name(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '_' && *s != '.')
			return 0;
	return 1;
}

int hm_df_from(parser *ps, const hm_strv *words, int line)
{
	hm_dockerfile *df = ps->df;
	hm_df_stage *st, *nv;
	char *platform = NULL, *image = NULL, *name = NULL;
	size_t i = 1, rest;
	int err = HM_OK;

	for (; i < words->n && !strncmp(words->v[i], "--", 2); i++) {
		const char *f = words->v[i];

		if (strncmp(f, "--platform=", 11)) {
			err = hm_error_set(HM_E_IO, "%s:%d: unknown flag '%.60s' for FROM (only --platform=...)",
					   ps->what, line, f);
			goto done;
		}
		free(platform);
		platform = NULL;
		if ((err = hm_df_expand_word(&platform, ps, f + 11, line)))
			goto done;
	}
	rest = words->n - i;
	if (rest == 0) {
		err = hm_error_set(HM_E_IO, "%s:%d: FROM needs an image", ps->what, line);
		goto done;
	}
	if (rest != 1 && !(rest == 3 && !strcasecmp(words->v[i + 1], "as"))) {
		err = hm_error_set(HM_E_IO, "%s:%d: FROM takes an image and an optional 'AS name'",
				   ps->what, line);
		goto done;
	}
	if ((err = hm_df_expand_word(&image, ps, words->v[i], line)))
		goto done;
	if (!*image) {
		err = hm_error_set(HM_E_IO, "%s:%d: FROM image '%.200s' is empty after substitution",
				   ps->what, line, words->v[i]);
		goto done;
	}
	if (strpbrk(image, " \t")) {
		err = hm_error_set(HM_E_IO, "%s:%d: FROM image '%.200s' contains a space", ps->what,
				   line, image);
		goto done;
	}
	if (rest == 3) {
		char *c;

		if (!(name = strdup(words->v[i + 2]))) {
			err = nomem();
			goto done;
		}
		for (c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_stage_name(name)) {
			err = hm_error_set(HM_E_IO, "%s:%d: invalid stage name '%.100s'", ps->what, line,
					   words->v[i + 2]);
			goto done;
		}
		if (stage_index(df, name) >= 0) {
			err = hm_error_set(HM_E_IO, "%s:%d: duplicate stage name '%s'", ps->what, line,
					   name);
			goto done;
		}
	}
	if (platform && !*platform) {
		free(platform);
		platform = NULL;
	}
	if (!(nv = realloc(df->stages, (df->n_stages + 1) * sizeof(*nv)))) {
		err = nomem();
		goto done;
	}
	df->stages = nv;
	st = &nv[df->n_stages++];
	st->name = name;
	st->base = image;
	st->platform = platform;
	st->line = line;
	st->parent = stage_index(df, image);
	if (st->parent == (int)df->n_stages - 1) /* FROM x AS x names an image x */
		st->parent = -1;
	name = image = platform = NULL;
	if (st->parent < 0 && strcasecmp(st->base, "scratch"))
		err = add_image(df, st->base, st->platform, line);
done:
	free(platform);
	free(image);
	free(name);
	return err;
}

/* X of COPY --from=X or RUN --mount=from=X (expanded): an earlier stage (by
 * name or index) uses nothing new; anything else is an image the build
 * pulls.  A name that still holds a '$' cannot be told apart, so it is
 * refused rather than left out of the provenance. */
static int stage_or_image(parser *ps, const char *src, const char *what, int line)
{
	const char *d;

	for (d = src; isdigit((unsigned char)*d); d++)
		;
	if (!*src)
		return hm_error_set(HM_E_IO, "%s:%d: %s needs a stage or an image", ps->what, line, what);
	if (!*d || stage_index(ps->df, src) >= 0)
		return HM_OK;
	if (strpbrk(src, "$ \t"))
		return hm_error_set(HM_E_IO, "%s:%d: %s '%.200s' is neither a stage nor an image reference",
				    ps->what, line, what, src);
	return add_image(ps->df, src, NULL, line);
}

int hm_df_copy_from(parser *ps, const hm_strv *words, int line)
{
	size_t i;
	int err = HM_OK;

	for (i = 1; i < words->n && !strncmp(words->v[i], "--", 2) && !err; i++) {
		char *src = NULL;

		if (strncmp(words->v[i], "--from=", 7))
			continue;
		if (!(err = hm_df_expand_word(&src, ps, words->v[i] + 7, line)))
			err = stage_or_image(ps, src, "COPY --from", line);
		free(src);
	}
	return err;
}

/* One field of a comma-separated --mount value, as BuildKit reads it (CSV:
 * a field may be double-quoted, "" inside is a quote).  *p advances past
 * the field and its comma. */
static int csv_field(hm_buf *out, const char **p)
{
	const char *s = *p;
	int err = HM_OK;

	hm_buf_reset(out);
	if (*s == '"') {
		for (s++; *s && !err; s++) {
			if (*s == '"' && s[1] == '"')
				err = hm_buf_addch(out, *s++);
			else if (*s == '"')
				break;
			else
				err = hm_buf_addch(out, *s);
		}
		if (*s == '"')
			s++;
	} else {
		while (*s && *s != ',' && !err)
			err = hm_buf_addch(out, *s++);
	}
	if (*s == ',')
		s++;
	*p = s;
	return err;
}

int hm_df_run_mounts(parser *ps, const hm_strv *words, int line)
{
	hm_buf field = HM_BUF_INIT;
	int err = HM_OK;

	hm_buf_init(&field, WORD_MAX);
	for (size_t i = 1; i < words->n && !strncmp(words->v[i], "--", 2) && !err; i++) {
		char *value = NULL;
		const char *p;

		if (strncasecmp(words->v[i], "--mount=", 8))
			continue;
		/* the flag's value is one shell word: quotes and ARGs first */
		if ((err = hm_df_expand_word(&value, ps, words->v[i] + 8, line)))
			break;
		for (p = value; *p && !err;) {
			const char *f;

			if ((err = csv_field(&field, &p)))
				break;
			f = hm_buf_cstr(&field);
			if (!strncasecmp(f, "from=", 5))
				err = stage_or_image(ps, f + 5, "RUN --mount from", line);
		}
		free(value);
	}
	hm_buf_release(&field);
	return err;
}

int hm_df_frontend(parser *ps, const char *image, int line)
{
	if (!*image || strpbrk(image, " \t$"))
		return hm_error_set(HM_E_IO, "%s:%d: syntax '%.200s' is not an image reference", ps->what, line,
				    image);
	return add_image(ps->df, image, NULL, line);
}
