/* SPDX-License-Identifier: Apache-2.0 */
/* Image patterns and globs.
 *
 * An image pattern is NAME[:TAG] or NAME[@DIGEST] where NAME is normalised
 * by the function that normalises image references, hm_ref_normalise_name()
 * ("nginx" is docker.io/library/nginx, "INDEX.docker.io:443/x" is
 * docker.io/library/x), except that a first segment of "*" or "**" stands
 * for any registry.  In NAME, "*" matches within one path segment
 * (not "/"), "**" matches across segments (anything, "/" included, even
 * nothing), "?" one character other than "/".
 *
 * Tags and digests: a pattern without ":TAG" or "@DIGEST" matches every tag
 * and digest of the repositories it names (it does not mean ":latest").
 * ":TAG" is a glob ("*" and "?") over the reference's tag: a reference
 * without a tag does not match it, and neither does a reference pinned by
 * digest ("app:v1@sha256:..."), whose tag is ignored: the digest is what
 * runs and nothing checked that the tag names it.  "@DIGEST" must equal the
 * reference's digest exactly.  Patterns are matched against the reference as written,
 * normalised, before any tag is resolved. */
#ifndef HM_POLICY_PATTERN_H
#define HM_POLICY_PATTERN_H

typedef struct hm_pattern {
	char *text;   /* as written */
	char *name;   /* normalised name glob */
	char *tag;    /* tag glob, or NULL */
	char *digest; /* exact digest, or NULL */
} hm_pattern;

#define HM_PATTERN_INIT {NULL, NULL, NULL, NULL}

/* Parses and normalises text.  HM_E_USAGE "invalid image pattern 'text':
 * why" for anything else. */
int hm_pattern_parse(hm_pattern *out, const char *text);
void hm_pattern_free(hm_pattern *p);

/* 1 when the normalised reference name ("docker.io/library/nginx"), tag
 * (or NULL) and digest (or NULL) match p, else 0.  With a digest the tag
 * is not looked at. */
int hm_pattern_match(const hm_pattern *p, const char *name, const char *tag, const char *digest);

/* Glob over a whole string: "*" any run of characters, "?" one character,
 * every other byte literal.  With segments set, "*" and "?" do not match
 * "/" and "**" matches anything.  Linear in memory, O(len(pat) * len(s))
 * time whatever the input. */
int hm_glob_match(const char *pat, const char *s, int segments);

#endif
