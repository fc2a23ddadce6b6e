/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of the audit: which tags, which git tag pairs with which,
 * what a provenance says, and the findings that follow from a tag's
 * results.  Nothing here does I/O, so all of it is unit-tested. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "audit/audit.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/ref.h"

const char *hm_audit_severity_name(enum hm_audit_severity s)
{
	return s == HM_AUDIT_ERROR ? "error" : s == HM_AUDIT_WARNING ? "warning" : "info";
}

int hm_audit_finding_add(hm_audit_findings *f, const char *code, enum hm_audit_severity sev,
			 const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int n;

	if (hm_array_reserve(&f->v, f->n, &f->cap, sizeof(*f->v), 4))
		return HM_E_NOMEM;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	f->v[f->n].code = code;
	f->v[f->n].severity = sev;
	f->v[f->n].message = msg;
	f->n++;
	return HM_OK;
}

void hm_audit_findings_release(hm_audit_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].message);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* "sha256-<64 hex>" followed by nothing or ".<suffix>": cosign's scheme for
 * .sig, .att, .sbom, and the referrers fallback tag. */
static int is_attached_tag(const char *tag)
{
	if (strncmp(tag, "sha256-", 7) != 0)
		return 0;
	for (int i = 7; i < 7 + 64; i++)
		if (!isxdigit((unsigned char)tag[i]))
			return 0;
	return tag[71] == '\0' || tag[71] == '.';
}

int hm_audit_tag_selected(const char *tag, const char *const *patterns, size_t n)
{
	if (is_attached_tag(tag))
		return 0;
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(patterns[i], tag, 0) == 0)
			return 1;
	return 0;
}

static const char *digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

/* [0-9A-Za-z-] identifiers separated by dots, at least one. */
static const char *idents(const char *p)
{
	const char *start = p;

	while (isalnum((unsigned char)*p) || *p == '-' || *p == '.') {
		if (*p == '.' && (p == start || p[-1] == '.'))
			return NULL;
		p++;
	}
	return p == start || p[-1] == '.' ? NULL : p;
}

int hm_audit_is_release(const char *s)
{
	const char *p = s;

	if (*p == 'v')
		p++;
	if (!(p = digits(p)) || *p++ != '.' || !(p = digits(p)))
		return 0;
	if (*p == '.' && !(p = digits(p + 1)))
		return 0;
	if (*p == '-' && !(p = idents(p + 1)))
		return 0;
	if (*p == '+' && !(p = idents(p + 1)))
		return 0;
	return *p == '\0';
}

/* A version's parts as spans of the tag: MAJOR, MINOR, PATCH (len 0 when
 * absent) and the pre-release identifiers (NULL when none). */
typedef struct version {
	const char *num[3];
	size_t len[3];
	const char *pre;
	size_t pre_len;
} version;

static int version_parse(version *v, const char *s)
{
	const char *p = s + (*s == 'v');

	memset(v, 0, sizeof(*v));
	if (!hm_audit_is_release(s))
		return 0;
	for (int i = 0; i < 3 && isdigit((unsigned char)*p); i++) {
		v->num[i] = p;
		while (isdigit((unsigned char)*p))
			p++;
		v->len[i] = (size_t)(p - v->num[i]);
		if (*p == '.')
			p++;
	}
	if (*p == '-') {
		v->pre = ++p;
		v->pre_len = strcspn(p, "+");
	}
	return 1;
}

/* Decimal numbers of any length (a missing one is 0). */
static int num_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c;

	while (na && *a == '0')
		a++, na--;
	while (nb && *b == '0')
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	c = na ? memcmp(a, b, na) : 0;
	return (c > 0) - (c < 0);
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* Semantic versioning 2.0.0, item 11: identifiers from left to right;
 * numeric ones as numbers and before alphanumeric ones, those in ASCII
 * order; a shorter list that is a prefix comes first. */
static int pre_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	while (na && nb) {
		size_t la = strcspn(a, ".+"), lb = strcspn(b, ".+");
		int da, db, c;

		la = la < na ? la : na;
		lb = lb < nb ? lb : nb;
		da = all_digits(a, la);
		db = all_digits(b, lb);
		if (da != db)
			return da ? -1 : 1;
		if (da) {
			c = num_cmp(a, la, b, lb);
		} else {
			c = memcmp(a, b, la < lb ? la : lb);
			c = c ? (c > 0) - (c < 0) : (la > lb) - (la < lb);
		}
		if (c)
			return c;
		a += la, na -= la;
		b += lb, nb -= lb;
		if (na)
			a++, na--;
		if (nb)
			b++, nb--;
	}
	return (na > 0) - (nb > 0);
}

int hm_audit_tag_compare(const char *a, const char *b)
{
	version va, vb;
	int isa = version_parse(&va, a), isb = version_parse(&vb, b), c = 0;

	if (isa != isb)
		return isa ? -1 : 1;
	for (int i = 0; isa && i < 3 && !c; i++)
		c = num_cmp(va.num[i], va.len[i], vb.num[i], vb.len[i]);
	if (isa && !c && (va.pre != NULL) != (vb.pre != NULL))
		c = va.pre ? -1 : 1; /* a pre-release comes before its release */
	if (isa && !c && va.pre)
		c = pre_cmp(va.pre, va.pre_len, vb.pre, vb.pre_len);
	if (!c)
		c = strcmp(a, b);
	return (c > 0) - (c < 0);
}

int hm_audit_finding_per_tag(const char *code)
{
	return strcmp(code, HM_AUDIT_NO_GIT_TAG) == 0 || strcmp(code, HM_AUDIT_COMMIT_MISMATCH) == 0;
}

/* s without a leading "v" before a digit. */
static const char *unv(const char *s)
{
	return s[0] == 'v' && isdigit((unsigned char)s[1]) ? s + 1 : s;
}

int hm_audit_tags_pair(const char *registry_tag, const char *git_tag)
{
	return strcmp(registry_tag, git_tag) == 0 || strcmp(unv(registry_tag), unv(git_tag)) == 0;
}

const hm_git_tag_entry *hm_audit_git_find(const hm_git_tags *tags, const char *registry_tag)
{
	const hm_git_tag_entry *paired = NULL;

	for (size_t i = 0; i < tags->n; i++) {
		if (strcmp(tags->v[i].name, registry_tag) == 0)
			return &tags->v[i];
		if (!paired && hm_audit_tags_pair(registry_tag, tags->v[i].name))
			paired = &tags->v[i];
	}
	return paired;
}

/* Member at a dotted path, or NULL. */
static const cJSON *at(const cJSON *j, const char *path)
{
	char name[64];

	while (j && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		j = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, name) : NULL;
		path += n + (path[n] == '.');
	}
	return j;
}

static int dup_str(char **out, const cJSON *j)
{
	*out = NULL;
	if (!cJSON_IsString(j) || !j->valuestring[0])
		return HM_OK;
	*out = strdup(j->valuestring);
	return *out ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

/* "git+https://host/x@refs/tags/v1" -> "https://host/x" (owned): the ref
 * follows the last "@" of the path (an "@" before it is user information). */
static char *git_uri_repo(const char *uri)
{
	const char *s = strncmp(uri, "git+", 4) == 0 ? uri + 4 : uri;
	const char *scheme = strstr(s, "://");
	const char *path = scheme ? strchr(scheme + 3, '/') : s;
	const char *at_sign = path ? strrchr(path, '@') : NULL;

	return at_sign ? strndup(s, (size_t)(at_sign - s)) : strdup(s);
}

/* A base image written without "@sha256:": its name as written (or its
 * uri), else NULL. */
static const char *unpinned_name(const cJSON *dep)
{
	const char *uri = hm_json_str(dep, "uri"), *name = hm_json_str(dep, "name");
	const cJSON *digest = cJSON_GetObjectItemCaseSensitive(dep, "digest");

	if (!uri || (strncmp(uri, "pkg:docker/", 11) != 0 && strncmp(uri, "pkg:oci/", 8) != 0))
		return NULL;
	if (!hm_json_str(digest, "sha256"))
		return name ? name : uri;
	if (name && !strstr(name, "@sha256:"))
		return name;
	return NULL;
}

int hm_audit_provenance_read(hm_audit_provenance *out, const cJSON *st)
{
	const cJSON *pred = at(st, "predicate"), *ext = at(pred, "buildDefinition.externalParameters");
	const cJSON *deps = at(pred, "buildDefinition.resolvedDependencies"), *dep, *dirty;
	const cJSON *src = at(ext, "source");
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	out->present = 1;
	out->dirty = -1;
	err = dup_str(&out->builder_id, at(pred, "runDetails.builder.id"));
	if (!err)
		err = dup_str(&out->source, at(ext, "repository"));
	if (!err && !out->source)
		err = dup_str(&out->source, cJSON_IsString(src) ? src : at(src, "uri"));
	if (!err)
		err = dup_str(&out->ref, at(ext, "ref"));
	if (!err && !out->ref)
		err = dup_str(&out->ref, at(src, "ref"));
	if (!cJSON_IsArray(deps))
		deps = NULL;
	cJSON_ArrayForEach(dep, deps)
	{
		const char *uri = hm_json_str(dep, "uri"), *name;
		const cJSON *d = at(dep, "digest");

		if (err)
			break;
		if (uri && strncmp(uri, "git+", 4) == 0 && !out->commit) {
			const cJSON *c = at(d, "gitCommit");

			err = dup_str(&out->commit, c ? c : at(d, "sha1"));
			if (!err && !out->source && !(out->source = git_uri_repo(uri)))
				err = hm_error_set(HM_E_NOMEM, "out of memory");
		} else if ((name = unpinned_name(dep))) {
			err = hm_strv_push(&out->unpinned, name);
		}
	}
	dirty = at(pred, "buildDefinition.internalParameters.dirty");
	if (cJSON_IsBool(dirty))
		out->dirty = cJSON_IsTrue(dirty);
	if (err)
		hm_audit_provenance_release(out);
	return err;
}

void hm_audit_provenance_release(hm_audit_provenance *p)
{
	free(p->builder_id);
	free(p->source);
	free(p->ref);
	free(p->commit);
	hm_strv_free(&p->unpinned);
	memset(p, 0, sizeof(*p));
	p->dirty = -1;
}

/* Length of the repository part of a reference: without ":tag" (a colon
 * after the last "/") and "@digest". */
static size_t repo_len(const char *s)
{
	size_t n = strcspn(s, "@");
	const char *slash = memrchr(s, '/', n), *colon = memrchr(s, ':', n);

	if (colon && slash && colon > slash)
		n = (size_t)(colon - s);
	return n;
}

/* The repository of a reference in the one spelling that references and
 * policy patterns get (oci/ref.h), or NULL when it names no image. */
static char *canon(const char *ref)
{
	char why[HM_REF_WHY_MAX], *out = NULL;

	if (hm_ref_normalise_name(&out, ref, repo_len(ref), 0, why) < 0)
		return NULL;
	return out;
}

int hm_audit_identity_matches(const char *ref, const char *expected)
{
	char *a = canon(ref), *b = canon(expected);
	int same = a && b ? strcmp(a, b) == 0 : strcmp(ref, expected) == 0;

	free(a);
	free(b);
	return same;
}

static int commit_equal(const char *prov, const char *git)
{
	size_t n = strlen(prov);

	/* a provenance may carry an abbreviated commit; 7 hex digits at least */
	if (n < 7 || n > 40 || strncasecmp(prov, git, n) != 0)
		return 0;
	return n == strlen(git) || n < 40;
}

static int signature_findings(hm_audit_tag *t, const hm_audit_image *img, const char *identity)
{
	size_t unknown = 0, invalid = 0, mismatched = 0;
	const char *why_invalid = NULL, *other = NULL;
	enum hm_audit_severity sev = img->n_valid_sigs ? HM_AUDIT_WARNING : HM_AUDIT_ERROR;
	int err = HM_OK;

	if (img->n_sigs == 0)
		return hm_audit_finding_add(&t->findings, HM_AUDIT_UNSIGNED, HM_AUDIT_ERROR,
					    "no signature is attached to %s", img->digest);
	for (size_t i = 0; i < img->n_sigs; i++) {
		const hm_audit_sig *g = &img->sigs[i];

		/* A signature that verifies with none of the keys cannot be told
		 * apart from a forged one: both are "unknown signer".  Refused for
		 * any other reason (its payload names another digest, the blob is
		 * missing) it is invalid. */
		if (g->unknown_key)
			unknown++;
		else if (!g->valid) {
			invalid++;
			why_invalid = why_invalid ? why_invalid : g->reason;
		}
		/* a layout's name is its path, spelled as each caller pleased:
		 * only registry names are compared */
		if (g->identity && strncmp(identity, "oci:", 4) != 0 &&
		    !hm_audit_identity_matches(g->identity, identity)) {
			mismatched++;
			other = other ? other : g->identity;
		}
	}
	if (unknown)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_UNKNOWN_SIGNER, sev,
					   "%zu signature%s by a key not given with --key%s", unknown,
					   unknown == 1 ? "" : "s",
					   img->n_valid_sigs ? "" : " (and none by a known key)");
	if (!err && invalid)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_INVALID_SIGNATURE, sev,
					   "%zu invalid signature%s: %s", invalid, invalid == 1 ? "" : "s",
					   why_invalid ? why_invalid : "refused");
	if (!err && mismatched)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_REFERENCE_MISMATCH, HM_AUDIT_WARNING,
					   "signature names repository '%s', not '%s' (copied from another repository?)",
					   other, identity);
	return err;
}

size_t hm_audit_provenance_attached(const hm_audit_image *img)
{
	size_t n = 0;

	for (size_t i = 0; i < img->n_atts; i++)
		if (img->atts[i].predicate_type &&
		    strncmp(img->atts[i].predicate_type, "https://slsa.dev/provenance/", 28) == 0)
			n++;
	return n;
}

static int provenance_findings(hm_audit_tag *t, const hm_audit_image *img)
{
	const hm_audit_provenance *p = &img->prov;
	size_t n_prov = 0;
	int err = HM_OK;

	if (!p->present) {
		if ((n_prov = hm_audit_provenance_attached(img)))
			return hm_audit_finding_add(&t->findings, HM_AUDIT_PROVENANCE_MISSING, HM_AUDIT_ERROR,
						    "%zu provenance attestation%s found, none verified with the given keys",
						    n_prov, n_prov == 1 ? "" : "s");
		return hm_audit_finding_add(&t->findings, HM_AUDIT_PROVENANCE_MISSING, HM_AUDIT_ERROR,
					    "no SLSA provenance is attached");
	}
	if (p->dirty == 1)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_DIRTY_TREE, HM_AUDIT_WARNING,
					   "built from a work tree with uncommitted changes%s%s",
					   p->commit ? " on top of " : "", p->commit ? p->commit : "");
	for (size_t i = 0; i < p->unpinned.n && !err; i++)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_UNPINNED_BASE, HM_AUDIT_WARNING,
					   "base image '%s' is not pinned by digest", p->unpinned.v[i]);
	return err;
}

const char *hm_audit_keyless_commit(const hm_audit_image *img)
{
	for (size_t i = 0; i < img->n_sigs; i++)
		if (img->sigs[i].valid && img->sigs[i].source_commit)
			return img->sigs[i].source_commit;
	return NULL;
}

/* The git tag against the provenance's commit and the commit a keyless
 * signature's certificate names (its sourceRepositoryDigest claim, which
 * Fulcio copies from the CI's token: the commit the signing workflow ran
 * on).  Either differing is a commit-mismatch. */
static int git_findings(hm_audit_tag *t, const hm_audit_image *img)
{
	const char *commit = img->prov.commit, *cert = hm_audit_keyless_commit(img);
	int err = HM_OK;

	if (t->git == HM_AUDIT_GIT_OFF)
		return HM_OK;
	if (!t->git_tag) {
		t->git = HM_AUDIT_GIT_NO_TAG;
		/* "latest" or "main" are not expected to have a git tag */
		return hm_audit_finding_add(&t->findings, HM_AUDIT_NO_GIT_TAG,
					    hm_audit_is_release(t->tag) ? HM_AUDIT_WARNING : HM_AUDIT_INFO,
					    "no git tag '%s'", t->tag);
	}
	if (!commit && !cert) {
		t->git = HM_AUDIT_GIT_UNKNOWN;
		return HM_OK;
	}
	t->git = HM_AUDIT_GIT_MATCH;
	if (commit && !commit_equal(commit, t->git_commit)) {
		t->git = HM_AUDIT_GIT_MISMATCH;
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR,
					   "provenance names commit %.12s but git tag '%s' points to %.12s",
					   commit, t->git_tag, t->git_commit);
	}
	if (!err && cert && !commit_equal(cert, t->git_commit)) {
		t->git = HM_AUDIT_GIT_MISMATCH;
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_COMMIT_MISMATCH, HM_AUDIT_ERROR,
					   "the keyless signature's certificate names commit %.12s "
					   "(sourceRepositoryDigest) but git tag '%s' points to %.12s",
					   cert, t->git_tag, t->git_commit);
	}
	return err;
}

static int policy_findings(hm_audit_tag *t, const hm_audit_decision *d)
{
	const char *why = d->violations.n ? d->violations.v[0] : "denied";

	if (d->rule)
		return hm_audit_finding_add(&t->findings, HM_AUDIT_POLICY_DENIED, HM_AUDIT_ERROR,
					    "policy rule '%s': %s", d->rule, why);
	return hm_audit_finding_add(&t->findings, HM_AUDIT_POLICY_DENIED, HM_AUDIT_ERROR, "policy: %s", why);
}

int hm_audit_tag_findings(hm_audit_tag *t, const hm_audit_image *img, size_t n_sharing,
			  const char *repo_identity)
{
	int err = signature_findings(t, img, repo_identity);

	if (!err)
		err = provenance_findings(t, img);
	if (!err)
		err = git_findings(t, img);
	if (!err && img->decision.allowed == 0)
		err = policy_findings(t, &img->decision);
	if (!err && n_sharing > 1)
		err = hm_audit_finding_add(&t->findings, HM_AUDIT_SHARED_DIGEST, HM_AUDIT_INFO,
					   "%zu tags point to %.19s", n_sharing, img->digest);
	return err;
}

/* Counts the findings of f, those about a digest only when digest_too;
 * failed is set by any error (the tag fails by its digest's too). */
static void count(hm_audit_summary *s, const hm_audit_findings *f, int digest_too, int *failed)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].severity == HM_AUDIT_ERROR)
			*failed = 1;
		if (!digest_too && !hm_audit_finding_per_tag(f->v[i].code))
			continue;
		if (f->v[i].severity == HM_AUDIT_ERROR) {
			s->errors++;
		} else if (f->v[i].severity == HM_AUDIT_WARNING) {
			s->warnings++;
		} else {
			s->infos++;
		}
	}
}

void hm_audit_summarize(hm_audit_report *r)
{
	hm_audit_summary *s = &r->summary;
	int failed = 0;

	memset(s, 0, sizeof(*s));
	s->tags = r->n_tags;
	s->digests = r->n_images;
	for (size_t i = 0; i < r->n_images; i++) {
		r->images[i].n_tags = 0;
		r->images[i].first_tag = r->n_tags;
		if (r->images[i].error)
			s->operational++;
	}
	/* backwards, so that each image ends up with its first tag */
	for (size_t i = r->n_tags; i-- > 0;) {
		hm_audit_tag *t = &r->tags[i];
		hm_audit_image *img = t->error ? NULL : &r->images[t->image];

		t->next_tag = img ? img->first_tag : r->n_tags;
		if (img) {
			img->first_tag = i;
			img->n_tags++;
		}
	}
	for (size_t i = 0; i < r->n_tags; i++) {
		const hm_audit_tag *t = &r->tags[i];
		const hm_audit_image *img = t->error ? NULL : &r->images[t->image];

		failed = 0;
		count(s, &t->findings, !img || img->first_tag == i, &failed);
		if (t->error)
			s->operational++;
		if (failed || t->error || (img && img->error))
			s->failed_tags++;
		if (!img)
			continue;
		s->signed_tags += img->n_sigs > 0;
		s->verified_tags += img->n_valid_sigs > 0;
		s->with_provenance += img->prov.present;
		s->git_matched += t->git == HM_AUDIT_GIT_MATCH;
	}
	count(s, &r->findings, 1, &failed);
}
