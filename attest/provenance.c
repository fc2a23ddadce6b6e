/* SPDX-License-Identifier: Apache-2.0 */
/* SLSA Provenance v1 from a git checkout and a Dockerfile
 * (the fields are listed in attest/provenance.h). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "attest/dockerfile.h"
#include "attest/provenance.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"
#include "oci/ref.h"

int hm_rfc3339_valid(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i])
				  : (pat[i] == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != pat[i]))
			return 0;
	}
	s += i;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && !s[1])
		return 1;
	return (*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
	       isdigit((unsigned char)s[5]) && !s[6];
}

static int uuid4(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return hm_error_set(HM_E_IO, "generating an invocation id: no randomness");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return HM_OK;
}

/* path relative to the work tree root ("." for the root itself), or path as
 * given when it lies elsewhere.  Caller frees. */
static char *repo_relative(const char *workdir, const char *path)
{
	char root[PATH_MAX], abs[PATH_MAX];
	size_t n;

	if (!realpath(workdir, root) || !realpath(path, abs))
		return strdup(path);
	n = strlen(root);
	if (!strcmp(abs, root))
		return strdup(".");
	if (!strncmp(abs, root, n) && abs[n] == '/')
		return strdup(abs + n + 1);
	return strdup(path);
}

/* pkg:docker/<familiar name>@<tag or digest>[?platform=<os%2Farch>] */
static int image_purl(hm_buf *out, const char *ref, const char *platform)
{
	const char *name = ref, *at = strchr(ref, '@'), *slash, *colon, *version = "latest";
	size_t name_len;
	int err;

	if (!strncmp(name, "docker.io/library/", 18))
		name += 18;
	else if (!strncmp(name, "index.docker.io/library/", 24))
		name += 24;
	else if (!strncmp(name, "docker.io/", 10))
		name += 10;
	name_len = at ? (size_t)(at - name) : strlen(name);
	slash = memrchr(name, '/', name_len);
	colon = memrchr(slash ? slash : name, ':', name_len - (size_t)((slash ? slash : name) - name));
	if (colon) {
		version = colon + 1;
		name_len = (size_t)(colon - name);
	}
	if (at)
		version = at + 1;
	if ((err = hm_buf_addf(out, "pkg:docker/%.*s@", (int)name_len, name)))
		return err;
	if ((err = hm_buf_addstr(out, version)))
		return err;
	if (platform) {
		const char *p;

		if ((err = hm_buf_addstr(out, "?platform=")))
			return err;
		for (p = platform; *p && !err; p++)
			err = isalnum((unsigned char)*p) || strchr("-._~", *p)
				      ? hm_buf_addch(out, *p)
				      : hm_buf_addf(out, "%%%02X", (unsigned char)*p);
	}
	return err;
}

static cJSON *add_obj(cJSON *parent, const char *key)
{
	return parent ? cJSON_AddObjectToObject(parent, key) : NULL;
}

static int add_str(cJSON *o, const char *key, const char *v)
{
	return o && cJSON_AddStringToObject(o, key, v) ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

static int add_dependency(cJSON *deps, const char *uri, const char *name, const char *alg,
			  const char *hex)
{
	cJSON *d = cJSON_CreateObject(), *dig;

	if (!d)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	cJSON_AddItemToArray(deps, d);
	if (add_str(d, "uri", uri) || (name && add_str(d, "name", name)) ||
	    !(dig = cJSON_AddObjectToObject(d, "digest")))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return add_str(dig, alg, hex);
}

/* The digest an image reference pins ("alpine@sha256:...", also with a
 * tag before it) into digest; 0 when it pins none (or not a sha256 one). */
static int pinned_digest(const char *image, char digest[HM_DIGEST_SIZE])
{
	hm_ref r;
	int ok;

	if (!strchr(image, '@') || hm_ref_parse(&r, image) < 0) {
		hm_error_clear();
		return 0;
	}
	ok = r.kind == HM_REF_REGISTRY && r.digest && strncmp(r.digest, "sha256:", 7) == 0 &&
	     hm_digest_valid(r.digest) && strlen(r.digest) < HM_DIGEST_SIZE;
	if (ok)
		memcpy(digest, r.digest, strlen(r.digest) + 1);
	hm_ref_free(&r);
	return ok;
}

/* The digest of one external image: the one its reference pins (the build
 * used exactly that, and no registry needs asking), else o->resolve's. */
static int image_digest(const hm_provenance_opts *o, const hm_df_image *im, const char *dfname,
			char digest[HM_DIGEST_SIZE])
{
	int err;

	if (pinned_digest(im->ref, digest))
		return HM_OK;
	if (!o->resolve)
		return hm_error_set(HM_E_USAGE, "%s:%d: no way to resolve base image '%s'", dfname, im->line,
				    im->ref);
	hm_error_clear();
	if ((err = o->resolve(o->resolve_ctx, im->ref, digest)))
		return hm_error_wrap(err, "%s:%d: resolving base image '%s'", dfname, im->line, im->ref);
	if (strncmp(digest, "sha256:", 7) || !hm_digest_valid(digest))
		return hm_error_set(HM_E_IO, "%s:%d: base image '%s' resolved to an invalid digest", dfname,
				    im->line, im->ref);
	return HM_OK;
}

static int base_images(cJSON *deps, const hm_dockerfile *df, const char *dfname,
		       const hm_provenance_opts *o)
{
	hm_buf purl = HM_BUF_INIT;
	int err = HM_OK;

	for (size_t i = 0; i < df->n_images && !err; i++) {
		const hm_df_image *im = &df->images[i];
		char digest[HM_DIGEST_SIZE] = "";

		if ((err = image_digest(o, im, dfname, digest)))
			break;
		hm_buf_reset(&purl);
		if (!(err = image_purl(&purl, im->ref, im->platform)))
			err = add_dependency(deps, hm_buf_cstr(&purl), im->ref, "sha256", digest + 7);
	}
	hm_buf_release(&purl);
	return err;
}

int hm_provenance_generate(cJSON **out, const hm_provenance_opts *o)
{
	hm_git_info g = {0};
	hm_dockerfile df = HM_DOCKERFILE_INIT;
	hm_buf path = HM_BUF_INIT, s = HM_BUF_INIT;
	cJSON *pred = NULL, *bd, *ext, *bargs, *intl, *deps, *run, *builder, *meta;
	char *ref = NULL, *rel_df = NULL, *rel_ctx = NULL, *uri = NULL;
	char started[32], finished[32], uuid[37];
	const char *context;
	size_t i;
	int err;

	*out = NULL;
	if (!o || o->version != HM_PROVENANCE_OPTS_VERSION || !o->git_dir)
		return hm_error_set(HM_E_USAGE, "provenance: no git directory given");
	if (o->started_on && !hm_rfc3339_valid(o->started_on))
		return hm_error_set(HM_E_USAGE, "invalid start time '%s' (want RFC 3339, e.g. 2024-05-01T12:00:00Z)",
				    o->started_on);
	if (o->finished_on && !hm_rfc3339_valid(o->finished_on))
		return hm_error_set(HM_E_USAGE, "invalid finish time '%s' (want RFC 3339, e.g. 2024-05-01T12:00:00Z)",
				    o->finished_on);
	hm_time_format(started, time(NULL));
	if ((err = hm_git_info_read(&g, o->git_dir)))
		goto done;
	if (g.n_dirty && !o->allow_dirty) {
		err = hm_error_set(HM_E_USAGE,
				   "work tree '%s' has %zu uncommitted change%s (e.g. '%s'): commit them, or use --allow-dirty to record it",
				   o->git_dir, g.n_dirty, g.n_dirty == 1 ? "" : "s",
				   g.first_dirty ? g.first_dirty : "?");
		goto done;
	}
	context = o->context ? o->context : o->git_dir;
	if (o->dockerfile)
		err = hm_buf_addstr(&path, o->dockerfile);
	else
		err = hm_buf_addf(&path, "%s/Dockerfile", context);
	if (err || (err = hm_dockerfile_load(&df, hm_buf_cstr(&path), o->build_args, o->n_build_args)))
		goto done;

	if (g.tag)
		err = hm_buf_addf(&s, "refs/tags/%s", g.tag);
	else if (g.branch)
		err = hm_buf_addf(&s, "refs/heads/%s", g.branch);
	else
		err = hm_buf_addstr(&s, g.commit);
	if (err)
		goto done;
	ref = hm_buf_detach(&s, NULL);
	if (g.remote)
		uri = strdup(g.remote);
	else if ((err = hm_buf_addf(&s, "file://%.*s", (int)(strlen(g.workdir) - 1), g.workdir)) == HM_OK)
		uri = hm_buf_detach(&s, NULL);
	rel_df = repo_relative(g.workdir, hm_buf_cstr(&path));
	rel_ctx = repo_relative(g.workdir, context);
	if (err || !uri || !rel_df || !rel_ctx) {
		err = err ? err : hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}

	err = hm_error_set(HM_E_NOMEM, "out of memory");
	pred = cJSON_CreateObject();
	bd = add_obj(pred, "buildDefinition");
	if (add_str(bd, "buildType", HM_PROVENANCE_BUILD_TYPE))
		goto done;
	ext = add_obj(bd, "externalParameters");
	if (add_str(ext, "repository", uri) || add_str(ext, "ref", ref) ||
	    add_str(ext, "dockerfile", rel_df) || add_str(ext, "context", rel_ctx) ||
	    !(bargs = add_obj(ext, "buildArgs")))
		goto done;
	for (i = 0; i < o->n_build_args; i++) {
		const char *a = o->build_args[i], *eq = strchr(a, '=');
		char *name = eq ? strndup(a, (size_t)(eq - a)) : strdup(a);
		const char *v = eq ? eq + 1 : (name ? getenv(name) : NULL);
		int bad;

		if (!name)
			goto done;
		cJSON_DeleteItemFromObjectCaseSensitive(bargs, name);
		bad = v && add_str(bargs, name, v);
		free(name);
		if (bad)
			goto done;
	}
	intl = add_obj(bd, "internalParameters");
	if (!intl || !cJSON_AddBoolToObject(intl, "dirty", g.n_dirty > 0) ||
	    (g.n_dirty && !cJSON_AddNumberToObject(intl, "dirtyPaths", (double)g.n_dirty)) ||
	    (g.branch && add_str(intl, "branch", g.branch)) || (g.tag && add_str(intl, "tag", g.tag)))
		goto done;
	if (!(deps = cJSON_AddArrayToObject(bd, "resolvedDependencies")))
		goto done;
	hm_buf_reset(&s);
	if (hm_buf_addf(&s, "%s%s@%s", strncmp(uri, "git+", 4) ? "git+" : "", uri, ref) ||
	    add_dependency(deps, hm_buf_cstr(&s), NULL, "gitCommit", g.commit))
		goto done;
	if ((err = base_images(deps, &df, hm_buf_cstr(&path), o)))
		goto done;

	err = hm_error_set(HM_E_NOMEM, "out of memory");
	run = add_obj(pred, "runDetails");
	builder = add_obj(run, "builder");
	if (add_str(builder, "id", o->builder_id ? o->builder_id : HM_PROVENANCE_BUILDER_ID))
		goto done;
	if (o->builder_version && add_str(add_obj(builder, "version"), "hallmark", o->builder_version))
		goto done;
	if (!o->invocation_id && (err = uuid4(uuid)))
		goto done;
	hm_time_format(finished, time(NULL));
	meta = add_obj(run, "metadata");
	if (add_str(meta, "invocationId", o->invocation_id ? o->invocation_id : uuid) ||
	    add_str(meta, "startedOn", o->started_on ? o->started_on : started) ||
	    add_str(meta, "finishedOn", o->finished_on ? o->finished_on : finished))
		goto done;
	*out = pred;
	pred = NULL;
	err = HM_OK;
	hm_error_clear();
done:
	cJSON_Delete(pred);
	free(ref);
	free(uri);
	free(rel_df);
	free(rel_ctx);
	hm_buf_release(&path);
	hm_buf_release(&s);
	hm_dockerfile_free(&df);
	hm_git_info_free(&g);
	return err;
}
