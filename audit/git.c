/* SPDX-License-Identifier: Apache-2.0 */
/* The tags of a git repository, peeled to commits (libgit2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "attest/git_lib.h"
#include "core/error.h"

static const char *git_why(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const hm_git_tag_entry *)a)->name, ((const hm_git_tag_entry *)b)->name);
}

int hm_git_tags_read(hm_git_tags *out, const char *dir)
{
	git_repository *repo = NULL;
	git_strarray names = {NULL, 0};
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	if ((err = hm_git_load()))
		return err;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		err = hm_error_set(HM_E_USAGE, "'%s' is not a git repository: %s", dir, git_why());
		goto done;
	}
	if (git_tag_list(&names, repo) < 0) {
		err = hm_error_set(HM_E_IO, "listing the tags of '%s': %s", dir, git_why());
		goto done;
	}
	out->v = calloc(names.count ? names.count : 1, sizeof(*out->v));
	if (!out->v) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < names.count && !err; i++) {
		git_object *obj = NULL;
		char spec[1024];

		/* "refs/tags/X^{commit}" peels annotated tags (even tags of tags);
		 * a tag of a tree or a blob names no commit and is skipped. */
		snprintf(spec, sizeof(spec), "refs/tags/%s^{commit}", names.strings[i]);
		if (git_revparse_single(&obj, repo, spec) < 0)
			continue;
		git_oid_tostr(out->v[out->n].commit, sizeof(out->v[out->n].commit), git_object_id(obj));
		git_object_free(obj);
		if (!(out->v[out->n].name = strdup(names.strings[i])))
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		else
			out->n++;
	}
	if (!err)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
done:
	git_strarray_dispose(&names);
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (err)
		hm_git_tags_free(out);
	return err;
}

void hm_git_tags_free(hm_git_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
