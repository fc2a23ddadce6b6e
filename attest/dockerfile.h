/* SPDX-License-Identifier: Apache-2.0 */
/* Dockerfile parsing, as far as provenance needs it: the stages and the
 * external images they build on.
 *
 * Understood: parser directives (# escape=, others ignored), comments, line
 * continuations, heredocs (<<EOF, <<-EOF, quoted words: bodies skipped),
 * global ARGs before the first FROM (defaults, overridden by build args),
 * variable substitution in FROM and ARG ($V, ${V}, ${V:-w}, ${V-w},
 * ${V:+w}, ${V+w}), FROM [--platform=P] IMAGE [AS NAME] (stage names are
 * case-insensitive), FROM scratch, COPY --from=IMAGE, RUN
 * --mount=...,from=IMAGE, and the frontend of "# syntax=IMAGE" (replaced by
 * a BUILDKIT_SYNTAX build argument).  A FROM, --from or from= naming an
 * earlier stage (or a stage index, for --from/from=) is not an external
 * image; one still holding a '$' after substitution is an error, never
 * skipped.  Other instructions are not interpreted. */
#ifndef HM_ATTEST_DOCKERFILE_H
#define HM_ATTEST_DOCKERFILE_H

#include <stddef.h>

/* Larger Dockerfiles are refused. */
#define HM_DOCKERFILE_MAX (1u << 20)

typedef struct hm_df_stage {
	char *name;     /* lowercased AS name, or NULL */
	char *base;     /* the image or stage after substitution, as written */
	char *platform; /* --platform after substitution, or NULL */
	int line;       /* line of the FROM */
	int parent;     /* index of the earlier stage base names, or -1 */
} hm_df_stage;

typedef struct hm_df_image {
	char *ref;      /* image reference after substitution, as written */
	char *platform; /* --platform of the FROM, or NULL */
	int line;       /* first line that names it */
} hm_df_image;

typedef struct hm_dockerfile {
	hm_df_stage *stages;
	size_t n_stages;
	hm_df_image *images; /* external images the build uses (FROM, COPY --from, RUN
				--mount from=, the syntax frontend), first use first,
				each (ref, platform) once; FROM scratch is not one */
	size_t n_images;
} hm_dockerfile;

#define HM_DOCKERFILE_INIT {NULL, 0, NULL, 0}

/* Parses len bytes of text.  build_args are "NAME=VALUE" (a bare "NAME"
 * takes the value from the environment, as docker does); they override the
 * defaults of global ARGs.  what names the file in messages
 * ("Dockerfile:12: FROM needs an image"); NULL means "Dockerfile".
 * Errors: HM_E_IO with the line number for malformed input, HM_E_USAGE for
 * a malformed build argument. */
int hm_dockerfile_parse(hm_dockerfile *out, const char *text, size_t len,
			const char *const *build_args, size_t n_build_args, const char *what);
/* Reads path (at most HM_DOCKERFILE_MAX bytes) and parses it. */
int hm_dockerfile_load(hm_dockerfile *out, const char *path, const char *const *build_args,
		       size_t n_build_args);
void hm_dockerfile_free(hm_dockerfile *df);

#endif
