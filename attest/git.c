/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a git checkout with libgit2: remote, commit, tag, branch, dirt. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "attest/provenance.h"
#include "attest/git_lib.h"
#include "core/error.h"

static int git_fail(int code, const char *doing, const char *dir)
{
	const git_error *e = git_error_last();

	return hm_error_set(code, "%s '%s': %s", doing, dir, e && e->message ? e->message : "failed");
}

char *hm_git_url_sanitize(const char *url)
{
	const char *scheme = strstr(url, "://"), *colon, *slash, *at;
	size_t n;
	char *out;

	if (scheme && scheme != url) {
		const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?#");

		/* the last '@' of the authority ends the userinfo */
		for (at = NULL, colon = auth; colon < end; colon++)
			if (*colon == '@')
				at = colon;
		if (!at)
			return strdup(url);
		n = (size_t)(auth - url);
		if (!(out = malloc(n + strlen(at + 1) + 1)))
			return NULL;
		memcpy(out, url, n);
		memcpy(out + n, at + 1, strlen(at + 1) + 1);
		return out;
	}
	/* scp-like [user@]host:path: a ':' before any '/', and not "C:" */
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	if (!colon || (slash && slash < colon) || colon - url < 2)
		return strdup(url);
	at = memchr(url, '@', (size_t)(colon - url));
	url = at ? at + 1 : url;
	n = (size_t)(colon - url);
	if (!(out = malloc(6 + n + 1 + strlen(colon + 1) + 1)))
		return NULL;
	memcpy(out, "ssh://", 6);
	memcpy(out + 6, url, n);
	out[6 + n] = '/';
	colon += colon[1] == '/' ? 2 : 1;
	memcpy(out + 7 + n, colon, strlen(colon) + 1);
	return out;
}

/* "v1.2.3", "1.2", "v2.0.0-rc.1": a version, parsed into up to 3 numbers. */
static int semver(const char *t, unsigned long v[3])
{
	int i;
	char *e;

	v[0] = v[1] = v[2] = 0;
	if (*t == 'v' || *t == 'V')
		t++;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*t))
			return i >= 2;
		v[i] = strtoul(t, &e, 10);
		t = e;
		if (*t != '.')
			return i >= 1 && (*t == '\0' || *t == '-' || *t == '+');
		t++;
	}
	return 0;
}

/* <0 when a is the better tag */
static int tag_cmp(const char *a, const char *b)
{
	unsigned long va[3], vb[3];
	int sa = semver(a, va), sb = semver(b, vb), i;

	if (sa != sb)
		return sa ? -1 : 1;
	if (sa) {
		/* a prerelease ranks below its release */
		int pa = strchr(a, '-') != NULL, pb = strchr(b, '-') != NULL;

		for (i = 0; i < 3; i++)
			if (va[i] != vb[i])
				return va[i] > vb[i] ? -1 : 1;
		if (pa != pb)
			return pa ? 1 : -1;
	}
	return strcmp(a, b);
}

typedef struct tag_walk {
	git_repository *repo;
	const git_oid *head;
	char *best;
	int err;
} tag_walk;

static int tag_cb(const char *name, git_oid *oid, void *payload)
{
	tag_walk *w = payload;
	git_object *obj = NULL, *peeled = NULL;
	const char *shortname = name + (strncmp(name, "refs/tags/", 10) ? 0 : 10);

	if (git_object_lookup(&obj, w->repo, oid, GIT_OBJECT_ANY) == 0 &&
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 &&
	    git_oid_equal(git_object_id(peeled), w->head) &&
	    (!w->best || tag_cmp(shortname, w->best) < 0)) {
		char *t = strdup(shortname);

		if (!t) {
			w->err = hm_error_set(HM_E_NOMEM, "out of memory");
		} else {
			free(w->best);
			w->best = t;
		}
	}
	git_object_free(peeled);
	git_object_free(obj);
	return w->err ? -1 : 0;
}

static int read_remote(hm_git_info *g, git_repository *repo)
{
	git_remote *r = NULL;
	git_strarray names = {0};
	int err = HM_OK;

	if (git_remote_lookup(&r, repo, "origin") < 0) {
		if (git_remote_list(&names, repo) < 0 || !names.count)
			goto done;
		if (git_remote_lookup(&r, repo, names.strings[0]) < 0)
			goto done;
	}
	if (git_remote_url(r) && !(g->remote = hm_git_url_sanitize(git_remote_url(r))))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	git_error_clear();
	git_remote_free(r);
	git_strarray_dispose(&names);
	return err;
}

static int read_status(hm_git_info *g, git_repository *repo, const char *dir)
{
	git_status_options so;
	git_status_list *sl = NULL;
	size_t i, n;
	int err = HM_OK;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX;
	if (git_status_list_new(&sl, repo, &so) < 0)
		return git_fail(HM_E_IO, "reading the status of", dir);
	n = git_status_list_entrycount(sl);
	for (i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(sl, i);
		const git_diff_delta *d;

		if (!e || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
			continue;
		if (!g->n_dirty++) {
			d = e->head_to_index ? e->head_to_index : e->index_to_workdir;
			if (d && !(g->first_dirty = strdup(d->new_file.path ? d->new_file.path
									  : d->old_file.path))) {
				err = hm_error_set(HM_E_NOMEM, "out of memory");
				break;
			}
		}
	}
	git_status_list_free(sl);
	return err;
}

int hm_git_info_read(hm_git_info *out, const char *dir)
{
	hm_git_info g = {0};
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	tag_walk w = {0};
	int err = HM_OK, r;

	memset(out, 0, sizeof(*out));
	if ((err = hm_git_load()))
		return err;
	git_libgit2_init();
	r = git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (r == GIT_ENOTFOUND) {
		err = hm_error_set(HM_E_USAGE, "'%s' is not a git repository (give the top of a checkout)", dir);
		goto done;
	} else if (r < 0) {
		err = git_fail(HM_E_IO, "opening", dir);
		goto done;
	}
	if (git_repository_is_bare(repo)) {
		err = hm_error_set(HM_E_USAGE, "'%s' is a bare repository (provenance needs a checkout)", dir);
		goto done;
	}
	if (!(g.workdir = strdup(git_repository_workdir(repo)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	r = git_repository_head(&head, repo);
	if (r == GIT_EUNBORNBRANCH || r == GIT_ENOTFOUND) {
		err = hm_error_set(HM_E_USAGE, "'%s' has no commits", dir);
		goto done;
	} else if (r < 0) {
		err = git_fail(HM_E_IO, "reading HEAD of", dir);
		goto done;
	}
	if (git_reference_peel(&commit, head, GIT_OBJECT_COMMIT) < 0) {
		err = git_fail(HM_E_IO, "reading HEAD of", dir);
		goto done;
	}
	git_oid_tostr(g.commit, sizeof(g.commit), git_object_id(commit));
	if (git_reference_is_branch(head) && !(g.branch = strdup(git_reference_shorthand(head)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	w.repo = repo;
	w.head = git_object_id(commit);
	if (git_tag_foreach(repo, tag_cb, &w) < 0 && !w.err) {
		err = git_fail(HM_E_IO, "listing the tags of", dir);
		goto done;
	}
	if ((err = w.err))
		goto done;
	g.tag = w.best;
	w.best = NULL;
	if ((err = read_remote(&g, repo)) || (err = read_status(&g, repo, dir)))
		goto done;
	*out = g;
	memset(&g, 0, sizeof(g));
done:
	free(w.best);
	hm_git_info_free(&g);
	git_object_free(commit);
	git_reference_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}

void hm_git_info_free(hm_git_info *g)
{
	if (!g)
		return;
	free(g->workdir);
	free(g->remote);
	free(g->tag);
	free(g->branch);
	free(g->first_dirty);
	memset(g, 0, sizeof(*g));
}
