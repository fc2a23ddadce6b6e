/* SPDX-License-Identifier: Apache-2.0 */
/* Image patterns: parsing, normalisation, matching.  See policy/pattern.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/digest.h"
#include "oci/ref.h"
#include "policy/pattern.h"

enum tok { T_LIT, T_ONE, T_STAR, T_DSTAR };

int hm_glob_match(const char *pat, const char *s, int segments)
{
	size_t m = 0, plen = strlen(pat), j;
	unsigned char *tok = malloc(plen + 1), *lit = malloc(plen + 1);
	unsigned char *prev = calloc(plen + 1, 1), *cur = calloc(plen + 1, 1), *t;
	int ok = 0;

	if (!tok || !lit || !prev || !cur)
		goto done;
	for (const char *p = pat; *p; p++) {
		if (*p == '*' && segments && p[1] == '*') {
			tok[m++] = T_DSTAR;
			while (p[1] == '*')
				p++;
		} else if (*p == '*') {
			if (m && (tok[m - 1] == T_STAR || tok[m - 1] == T_DSTAR))
				continue;
			tok[m++] = T_STAR;
		} else if (*p == '?') {
			tok[m++] = T_ONE;
		} else {
			lit[m] = (unsigned char)*p;
			tok[m++] = T_LIT;
		}
	}
	prev[0] = 1;
	for (j = 1; j <= m; j++)
		prev[j] = prev[j - 1] && (tok[j - 1] == T_STAR || tok[j - 1] == T_DSTAR);
	for (; *s; s++) {
		int sep = segments && *s == '/';

		cur[0] = 0;
		for (j = 1; j <= m; j++) {
			switch (tok[j - 1]) {
			case T_LIT:
				cur[j] = prev[j - 1] && (unsigned char)*s == lit[j - 1];
				break;
			case T_ONE:
				cur[j] = prev[j - 1] && !sep;
				break;
			case T_STAR:
				cur[j] = cur[j - 1] || (prev[j] && !sep);
				break;
			default:
				cur[j] = cur[j - 1] || prev[j];
				break;
			}
		}
		t = prev, prev = cur, cur = t;
	}
	ok = prev[m];
done:
	free(tok);
	free(lit);
	free(prev);
	free(cur);
	return ok;
}

static const char *check_tag(const char *t)
{
	if (!*t)
		return "the tag is empty";
	if (strlen(t) > 128)
		return "the tag is longer than 128 characters";
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      strchr("._-*?", *t)))
			return "unexpected character in the tag";
	return NULL;
}

int hm_pattern_parse(hm_pattern *out, const char *text)
{
	char *work = NULL, *at, *colon, *slash;
	const char *why = NULL;
	char name_why[HM_REF_WHY_MAX];
	int err = HM_OK;

	*out = (hm_pattern)HM_PATTERN_INIT;
	if (!(out->text = strdup(text)) || !(work = strdup(text))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if ((at = strchr(work, '@'))) {
		*at++ = '\0';
		if (!hm_digest_valid(at)) {
			why = "the digest is not sha256:<64 hex digits>";
			goto done;
		}
		if (!(out->digest = strdup(at)))
			goto nomem;
	}
	slash = strrchr(work, '/');
	colon = strrchr(slash ? slash : work, ':');
	if (colon) {
		*colon++ = '\0';
		if ((why = check_tag(colon)))
			goto done;
		if (!(out->tag = strdup(colon)))
			goto nomem;
	}
	if (out->tag && out->digest) {
		/* the digest is what runs; a tag beside it is never looked at */
		why = "a pattern with a digest cannot also name a tag (the digest decides)";
		goto done;
	}
	/* the same normalisation as references, so that every spelling of a
	 * registry meets the patterns that name another */
	err = hm_ref_normalise_name(&out->name, work, strlen(work), 1, name_why);
	if (err == HM_E_USAGE)
		why = name_why;
	goto done;
nomem:
	err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	if (why)
		err = hm_error_set(HM_E_USAGE, "invalid image pattern '%s': %s", text, why);
	free(work);
	if (err < 0)
		hm_pattern_free(out);
	return err;
}

void hm_pattern_free(hm_pattern *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->name);
	free(p->tag);
	free(p->digest);
	*p = (hm_pattern)HM_PATTERN_INIT;
}

int hm_pattern_match(const hm_pattern *p, const char *name, const char *tag, const char *digest)
{
	/* In "repo:tag@digest" the digest is what runs and the tag is not
	 * checked against it: the tag must not choose a rule. */
	if (digest)
		tag = NULL;
	if (!hm_glob_match(p->name, name, 1))
		return 0;
	if (p->tag && !(tag && hm_glob_match(p->tag, tag, 0)))
		return 0;
	if (p->digest && !(digest && !strcmp(p->digest, digest)))
		return 0;
	return 1;
}
