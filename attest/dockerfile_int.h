/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the Dockerfile parser: what attest/dockerfile.c (lines, words,
 * directives, variables) shares with attest/dockerfile_deps.c (stages and
 * the images a build uses).  Not a public interface. */
#ifndef HM_ATTEST_DOCKERFILE_INT_H
#define HM_ATTEST_DOCKERFILE_INT_H

#include "attest/dockerfile.h"
#include "core/strv.h"

#define WORD_MAX (64u << 10) /* one word after substitution */

typedef struct var {
	char *name;
	char *value; /* NULL: declared, unset */
} var;

typedef struct parser {
	const char *p, *end; /* raw input not read yet */
	int line;            /* number of the next raw line */
	char esc;
	const char *what;
	var *args; /* global ARGs, and the predefined platform ARGs given as build args */
	size_t n_args;
	var *bargs; /* build arguments */
	size_t n_bargs;
	hm_dockerfile *df;
} parser;


/* Expands word (quotes, escapes, global ARGs) into a new string (*out,
 * caller frees). */
int hm_df_expand_word(char **out, parser *ps, const char *word, int line);

/* FROM [--platform=P] IMAGE [AS NAME]: a new stage, and its image when it
 * names no earlier stage. */
int hm_df_from(parser *ps, const hm_strv *words, int line);
/* COPY --from=X: an image unless X is an earlier stage's name or index. */
int hm_df_copy_from(parser *ps, const hm_strv *words, int line);
/* RUN --mount=...,from=X,...: likewise. */
int hm_df_run_mounts(parser *ps, const hm_strv *words, int line);
/* The frontend image of "# syntax=IMAGE" (or the BUILDKIT_SYNTAX build
 * argument, which overrides it). */
int hm_df_frontend(parser *ps, const char *image, int line);

#endif
