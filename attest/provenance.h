/* SPDX-License-Identifier: Apache-2.0 */
/* SLSA Provenance v1 (https://slsa.dev/provenance/v1) for an image built
 * from a git checkout with a Dockerfile.
 *
 * The predicate (see docs/formats.md):
 *   buildDefinition.buildType        HM_PROVENANCE_BUILD_TYPE
 *   buildDefinition.externalParameters
 *     source {uri, ref, dockerfile, context}  repository URL (credentials
 *            stripped), "refs/tags/T" | "refs/heads/B" | the commit, paths
 *            relative to the repository root
 *     ref    the same ref again, where policies look first
 *     buildArgs {NAME: VALUE}
 *   buildDefinition.internalParameters {dirty, dirtyPaths, branch, tag}
 *   buildDefinition.resolvedDependencies
 *     {uri "git+<repo>@<ref>", digest {gitCommit}}, then for each external
 *     image the build uses (FROM, COPY --from, RUN --mount from=, the
 *     syntax frontend: see attest/dockerfile.h) {uri "pkg:docker/<name>@<tag|digest>[?platform=...]",
 *     name <reference as written>, digest {sha256}}
 *   runDetails.builder {id, version {hallmark}}
 *   runDetails.metadata {invocationId (random UUID), startedOn, finishedOn}
 */
#ifndef HM_ATTEST_PROVENANCE_H
#define HM_ATTEST_PROVENANCE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "crypto/digest.h"

#define HM_PROVENANCE_BUILD_TYPE "https://hallmark.dev/buildtypes/dockerfile/v1"
#define HM_PROVENANCE_BUILDER_ID "https://hallmark.dev/local-builder"

/* What the git checkout says about itself. */
typedef struct hm_git_info {
	char *workdir;     /* absolute work tree path, with a trailing '/' */
	char *remote;      /* URL of origin (else the first remote), credentials
			      stripped; NULL without remotes */
	char commit[41];   /* HEAD, hex */
	char *tag;         /* a tag pointing at HEAD (short name), or NULL */
	char *branch;      /* short branch name, or NULL when detached */
	size_t n_dirty;    /* modified, staged or untracked-not-ignored paths */
	char *first_dirty; /* one of them, for messages; NULL when clean */
} hm_git_info;

/* Reads the checkout at dir (its top: no search upwards).  Annotated tags
 * are peeled to their commit; when several tags point at HEAD, semver-like
 * ones ("v1.2.3", "1.2") win, the highest version first, then names in
 * byte order.  Not a repository: HM_E_USAGE "'dir' is not a git
 * repository"; bare, or without commits: HM_E_USAGE. */
int hm_git_info_read(hm_git_info *out, const char *dir);
void hm_git_info_free(hm_git_info *g);

/* A repository URL without credentials: "https://u:t@h/x" -> "https://h/x";
 * scp-like "git@host:org/x" -> "ssh://host/org/x"; local paths unchanged.
 * Caller frees; NULL when out of memory. */
char *hm_git_url_sanitize(const char *url);

/* Resolves an image reference as written in the Dockerfile to the digest
 * of its manifest (or index).  Returns HM_OK, or an HM_E_* code having set
 * a message. */
typedef int (*hm_image_resolve_fn)(void *ctx, const char *image_ref, char digest[HM_DIGEST_SIZE]);

typedef struct hm_provenance_opts {
	unsigned version;
	const char *git_dir;       /* the checkout (required) */
	const char *context;       /* build context; NULL: git_dir */
	const char *dockerfile;    /* NULL: <context>/Dockerfile */
	const char *const *build_args; /* "NAME=VALUE" */
	size_t n_build_args;
	const char *builder_id;    /* NULL: HM_PROVENANCE_BUILDER_ID */
	const char *builder_version; /* recorded as version.hallmark when not NULL */
	const char *started_on;    /* RFC 3339; NULL: now */
	const char *finished_on;   /* RFC 3339; NULL: now */
	const char *invocation_id; /* NULL: a random UUID */
	int allow_dirty;           /* record a dirty work tree instead of refusing it */
	/* Called for each image the Dockerfile names without pinning it by
	 * digest ("FROM alpine@sha256:..." is recorded as written, never
	 * resolved); required when there are such images. */
	hm_image_resolve_fn resolve;
	void *resolve_ctx;
} hm_provenance_opts;

#define HM_PROVENANCE_OPTS_VERSION 1
#define HM_PROVENANCE_OPTS_INIT {HM_PROVENANCE_OPTS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL}

/* Builds the predicate (*out owned by the caller).  A dirty work tree
 * without allow_dirty: HM_E_USAGE naming one path; an image that cannot
 * be resolved: the resolver's code, "Dockerfile:N: resolving 'img': why". */
int hm_provenance_generate(cJSON **out, const hm_provenance_opts *opts);

/* 1 when s is an RFC 3339 date-time ("2024-05-01T12:00:00Z",
 * "2024-05-01T14:00:00.5+02:00"). */
int hm_rfc3339_valid(const char *s);

#endif
