/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark audit: renders a hm_audit_report as a table, JSON or Markdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "verify/notation_evidence.h"
#include "cli/keyless.h"
#include "core/buf.h"
#include "core/error.h"
#include "policy/policy.h"

static const char *const git_states[] = {"", "match", "mismatch", "no-tag", "unknown"};

/* "keys/release.pub" -> "release" into buf. */
static const char *key_name(const hm_args *a, int k, char *buf, size_t n)
{
	const char *path = hm_arg_all(a, "key")->v[k], *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".pub") == 0)
		len -= 4;
	snprintf(buf, n, "%.*s", (int)len, base);
	return buf;
}

static const hm_audit_image *image_of(const hm_audit_report *r, const hm_audit_tag *t)
{
	return t->error ? NULL : &r->images[t->image];
}

/* Whether valid signatures x and y have the same signer: the same key, the
 * same keyless identity and issuer, or (notation) the same subject. */
static int same_signer(const hm_audit_sig *x, const hm_audit_sig *y)
{
	if (x->signer || y->signer)
		return x->signer && y->signer && !strcmp(x->signer, y->signer) &&
		       (x->issuer ? y->issuer && !strcmp(x->issuer, y->issuer) : !y->issuer);
	return x->key_index == y->key_index;
}

/* How many valid signatures of img are by the signer of signature i, when i
 * is the first of them; 0 otherwise (each signer is named once, with a count). */
static size_t key_times(const hm_audit_image *img, size_t i)
{
	size_t times = 0;

	if (!img->sigs[i].valid || (img->sigs[i].key_index < 0 && !img->sigs[i].signer))
		return 0;
	for (size_t k = 0; k < img->n_sigs; k++) {
		if (!img->sigs[k].valid || !same_signer(&img->sigs[k], &img->sigs[i]))
			continue;
		if (k < i)
			return 0;
		times++;
	}
	return times;
}

/* The cells of one row, shared by the table and Markdown. */
static void cell_sigs(char *out, size_t n, const hm_args *a, const hm_audit_image *img)
{
	size_t w;
	char name[128];

	if (!img->n_sigs) {
		snprintf(out, n, "unsigned");
		return;
	}
	w = (size_t)snprintf(out, n, "%zu/%zu", img->n_valid_sigs, img->n_sigs);
	for (size_t i = 0; i < img->n_sigs && w < n; i++) {
		size_t times = key_times(img, i);

		if (!times)
			continue;
		if (img->sigs[i].signer && img->sigs[i].issuer) /* keyless: the certificate identity */
			w += (size_t)snprintf(out + w, n - w, " %s", img->sigs[i].signer);
		else if (img->sigs[i].key_index < 0)
			w += (size_t)snprintf(out + w, n - w, " notation:'%s'", img->sigs[i].signer ? img->sigs[i].signer : "?");
		else
			w += (size_t)snprintf(out + w, n - w, " %s",
					      key_name(a, img->sigs[i].key_index, name, sizeof(name)));
		if (times > 1 && w < n)
			w += (size_t)snprintf(out + w, n - w, " \u00d7%zu", times);
	}
}

static void cell_prov(char *out, size_t n, const hm_audit_image *img)
{
	if (img->prov.present)
		snprintf(out, n, "%.12s%s", img->prov.commit ? img->prov.commit : "no commit",
			 img->prov.dirty == 1 ? " dirty" : "");
	else
		snprintf(out, n, "%s", hm_audit_provenance_attached(img) ? "unverified" : "missing");
}

static void cell_findings(char *out, size_t n, const hm_audit_tag *t)
{
	size_t w = 0;

	out[0] = '\0';
	if (t->error)
		snprintf(out, n, "could not be checked");
	for (size_t i = 0; i < t->findings.n && w < n; i++)
		if (t->findings.v[i].severity != HM_AUDIT_INFO)
			w += (size_t)snprintf(out + w, n - w, "%s%s", w ? ", " : "", t->findings.v[i].code);
	if (!out[0])
		snprintf(out, n, "ok");
}

/* "allowed (rule)", "warned (rule)" when allowed with violations (a rule in
 * warn or audit mode), "denied (rule)"; "(default)" when no rule matched. */
static void cell_policy(char *out, size_t n, const hm_audit_decision *d)
{
	const char *verdict = !d->allowed ? "denied" : d->violations.n ? "warned" : "allowed";

	snprintf(out, n, "%s (%s)", verdict, d->rule ? d->rule : "default");
}

enum { C_TAG, C_DIGEST, C_SIGS, C_PROV, C_GIT, C_POLICY, C_FIND, NCOL };

/* The policy column only with --policy. */
static int shown(int c, int with_policy)
{
	return c != C_POLICY || with_policy;
}

static void row(char cells[NCOL][512], const hm_args *a, const hm_audit_report *r, const hm_audit_tag *t)
{
	const hm_audit_image *img = image_of(r, t);

	snprintf(cells[C_TAG], 512, "%s", t->tag);
	snprintf(cells[C_DIGEST], 512, "%.19s", img ? img->digest : "-");
	if (img && !img->error) {
		cell_sigs(cells[C_SIGS], 512, a, img);
		cell_prov(cells[C_PROV], 512, img);
	} else {
		snprintf(cells[C_SIGS], 512, "-");
		snprintf(cells[C_PROV], 512, "-");
	}
	if (t->git == HM_AUDIT_GIT_OFF)
		snprintf(cells[C_GIT], 512, "-");
	else if (t->git_tag)
		snprintf(cells[C_GIT], 512, "%s %s", git_states[t->git], t->git_tag);
	else
		snprintf(cells[C_GIT], 512, "no tag");
	if (img && !img->error && img->decision.allowed >= 0)
		cell_policy(cells[C_POLICY], 512, &img->decision);
	else
		snprintf(cells[C_POLICY], 512, "-");
	cell_findings(cells[C_FIND], 512, t);
}

static void print_summary(const hm_audit_summary *s, const char *lead)
{
	printf("%s%zu tag%s (%zu digest%s): %zu passed, %zu failed; %zu signed, %zu verified, %zu with "
	       "provenance; %zu error%s, %zu warning%s, %zu info\n",
	       lead, s->tags, s->tags == 1 ? "" : "s", s->digests, s->digests == 1 ? "" : "s",
	       s->tags - s->failed_tags, s->failed_tags, s->signed_tags, s->verified_tags, s->with_provenance,
	       s->errors, s->errors == 1 ? "" : "s", s->warnings, s->warnings == 1 ? "" : "s", s->infos);
}

/* Markdown table cells: "|" would end the cell. */
static void md(const char *s)
{
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, stdout);
}

/* One finding of the list; who is the tag, or the tags sharing a digest,
 * or NULL for the repository. */
static void print_finding(const hm_audit_finding *f, const char *who, int markdown)
{
	const char *sev = hm_audit_severity_name(f->severity);

	if (!markdown) {
		printf("  %-8s %s%s%s: %s\n", sev, who ? who : "", who ? ": " : "", f->code, f->message);
		return;
	}
	printf("- **%s** %s%s`%s`: ", sev, who ? who : "", who ? " " : "", f->code);
	md(f->message);
	printf("\n");
}

/* The findings of the report, in tag order: what is said of a digest once,
 * at its first tag, naming every tag that points to it ("1.0.0, latest");
 * what is said of a tag (its git tag) at the tag; then the repository's. */
static void print_findings(const hm_audit_report *r, int markdown)
{
	hm_buf who = HM_BUF_INIT;

	for (size_t i = 0; i < r->n_tags; i++) {
		const hm_audit_tag *t = &r->tags[i];
		const hm_audit_image *img = image_of(r, t);

		if (img && img->first_tag == i) {
			hm_buf_reset(&who);
			for (size_t k = i; k < r->n_tags; k = r->tags[k].next_tag)
				hm_buf_addf(&who, markdown ? "%s`%s`" : "%s%s", k == i ? "" : ", ", r->tags[k].tag);
			for (size_t k = 0; k < t->findings.n; k++)
				if (!hm_audit_finding_per_tag(t->findings.v[k].code))
					print_finding(&t->findings.v[k], hm_buf_cstr(&who), markdown);
		}
		hm_buf_reset(&who);
		hm_buf_addf(&who, markdown ? "`%s`" : "%s", t->tag);
		for (size_t k = 0; k < t->findings.n; k++)
			if (!img || hm_audit_finding_per_tag(t->findings.v[k].code))
				print_finding(&t->findings.v[k], hm_buf_cstr(&who), markdown);
	}
	for (size_t k = 0; k < r->findings.n; k++)
		print_finding(&r->findings.v[k], NULL, markdown);
	hm_buf_release(&who);
}

/* The width of s on a terminal: UTF-8 continuation bytes take no column
 * (the cells hold ASCII and the "×" of a count). */
static size_t columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void print_table(const hm_args *a, const hm_audit_report *r, int with_policy)
{
	static const char *const heads[NCOL] = {"TAG", "DIGEST", "SIGNATURES", "PROVENANCE",
						"GIT", "POLICY", "FINDINGS"};
	size_t width[NCOL];
	char cells[NCOL][512];

	printf("repository %s\n\n", r->repository);
	for (int c = 0; c < NCOL; c++)
		width[c] = strlen(heads[c]);
	for (size_t i = 0; i < r->n_tags; i++) {
		row(cells, a, r, &r->tags[i]);
		for (int c = 0; c < NCOL; c++)
			if (columns(cells[c]) > width[c])
				width[c] = columns(cells[c]);
	}
	for (int c = 0; c < NCOL - 1; c++)
		if (shown(c, with_policy))
			printf("%-*s  ", (int)width[c], heads[c]);
	printf("%s\n", heads[NCOL - 1]);
	for (size_t i = 0; i < r->n_tags; i++) {
		row(cells, a, r, &r->tags[i]);
		for (int c = 0; c < NCOL - 1; c++)
			if (shown(c, with_policy))
				printf("%s%*s  ", cells[c], (int)(width[c] - columns(cells[c])), "");
		printf("%s\n", cells[NCOL - 1]);
	}
	if (r->summary.errors + r->summary.warnings + r->summary.infos)
		printf("\nfindings:\n");
	print_findings(r, 0);
	print_summary(&r->summary, "\n");
}

static void print_markdown(const hm_args *a, const hm_audit_report *r, int with_policy)
{
	static const char *const heads[NCOL] = {"Tag", "Digest", "Signatures", "Provenance",
						"Git", "Policy", "Findings"};
	char cells[NCOL][512];

	printf("## Audit of `%s`\n\n", r->repository);
	print_summary(&r->summary, "");
	printf("\n");
	for (int c = 0; c < NCOL; c++)
		if (shown(c, with_policy))
			printf("| %s ", heads[c]);
	printf("|\n");
	for (int c = 0; c < NCOL; c++)
		if (shown(c, with_policy))
			printf("|---");
	printf("|\n");
	for (size_t i = 0; i < r->n_tags; i++) {
		row(cells, a, r, &r->tags[i]);
		for (int c = 0; c < NCOL; c++) {
			if (!shown(c, with_policy))
				continue;
			printf(c == C_TAG || c == C_DIGEST ? "| `" : "| ");
			md(cells[c]);
			printf(c == C_TAG || c == C_DIGEST ? "` " : " ");
		}
		printf("|\n");
	}
	if (r->summary.errors + r->summary.warnings + r->summary.infos)
		printf("\n### Findings\n\n");
	print_findings(r, 1);
}

/* which: 0 every finding, 1 those about the tag, 2 those about the digest. */
static cJSON *findings_json(const hm_audit_findings *f, int which)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < f->n; i++) {
		cJSON *o;

		if (which && hm_audit_finding_per_tag(f->v[i].code) != (which == 1))
			continue;
		o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", f->v[i].code);
		cJSON_AddStringToObject(o, "severity", hm_audit_severity_name(f->v[i].severity));
		cJSON_AddStringToObject(o, "message", f->v[i].message);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *opt_str(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *strv_json(const hm_strv *v)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v->v[i]));
	return arr;
}

static cJSON *sigs_json(const hm_args *a, const hm_audit_image *img, hm_key **keys)
{
	cJSON *o = cJSON_CreateObject(), *by = cJSON_CreateArray(), *bad = cJSON_CreateArray();
	cJSON *ids = cJSON_CreateArray(), *keyless = cJSON_CreateArray();

	cJSON_AddNumberToObject(o, "count", (double)img->n_sigs);
	cJSON_AddNumberToObject(o, "valid", (double)img->n_valid_sigs);
	for (size_t i = 0; i < img->n_sigs; i++) {
		const hm_audit_sig *g = &img->sigs[i];

		size_t times = key_times(img, i); /* 0 when this key is already listed */

		if (times && g->signer && g->issuer) { /* keyless */
			cJSON *k = cJSON_CreateObject();

			cJSON_AddStringToObject(k, "identity", g->signer);
			cJSON_AddStringToObject(k, "issuer", g->issuer);
			cJSON_AddItemToObject(k, "sourceRepositoryDigest", opt_str(g->source_commit));
			cJSON_AddNumberToObject(k, "count", (double)times);
			cJSON_AddItemToArray(keyless, k);
		} else if (times) {
			cJSON *k = cJSON_CreateObject();

			if (g->key_index < 0) {
				cJSON_AddStringToObject(k, "notation", g->signer ? g->signer : "?");
			} else {
				cJSON_AddStringToObject(k, "key", hm_arg_all(a, "key")->v[g->key_index]);
				cJSON_AddStringToObject(k, "fingerprint", hm_key_fingerprint(keys[g->key_index]));
			}
			cJSON_AddNumberToObject(k, "count", (double)times);
			cJSON_AddItemToArray(by, k);
		} else if (!g->valid) {
			cJSON_AddItemToArray(bad, cJSON_CreateString(g->reason ? g->reason : "refused"));
		}
		if (g->identity)
			cJSON_AddItemToArray(ids, cJSON_CreateString(g->identity));
	}
	cJSON_AddItemToObject(o, "keys", by);
	cJSON_AddItemToObject(o, "keyless", keyless);
	cJSON_AddItemToObject(o, "invalid", bad);
	cJSON_AddItemToObject(o, "identities", ids);
	return o;
}

static cJSON *atts_json(const hm_audit_image *img)
{
	const hm_audit_provenance *p = &img->prov;
	cJSON *o = cJSON_CreateObject(), *types = cJSON_CreateArray(), *ok = cJSON_CreateArray(), *prov;

	cJSON_AddNumberToObject(o, "count", (double)img->n_atts);
	cJSON_AddNumberToObject(o, "valid", (double)img->n_valid_atts);
	for (size_t i = 0; i < img->n_atts; i++) {
		const char *t = img->atts[i].predicate_type ? img->atts[i].predicate_type : "";

		cJSON_AddItemToArray(img->atts[i].valid ? ok : types, cJSON_CreateString(t));
	}
	cJSON_AddItemToObject(o, "verifiedTypes", ok);
	cJSON_AddItemToObject(o, "unverifiedTypes", types);
	if (!p->present) {
		cJSON_AddNullToObject(o, "provenance");
		return o;
	}
	prov = cJSON_AddObjectToObject(o, "provenance");
	cJSON_AddItemToObject(prov, "builderId", opt_str(p->builder_id));
	cJSON_AddItemToObject(prov, "source", opt_str(p->source));
	cJSON_AddItemToObject(prov, "ref", opt_str(p->ref));
	cJSON_AddItemToObject(prov, "commit", opt_str(p->commit));
	cJSON_AddItemToObject(prov, "dirty", p->dirty < 0 ? cJSON_CreateNull() : cJSON_CreateBool(p->dirty));
	cJSON_AddItemToObject(prov, "unpinnedBaseImages", strv_json(&p->unpinned));
	return o;
}

/* {"allowed": bool, "rule": name or null, "violations": [...]}, or null
 * without --policy. */
static cJSON *decision_json(const hm_audit_decision *d)
{
	cJSON *o;

	if (d->allowed < 0)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "allowed", d->allowed);
	cJSON_AddItemToObject(o, "rule", opt_str(d->rule));
	cJSON_AddItemToObject(o, "violations", strv_json(&d->violations));
	return o;
}

static cJSON *tag_json(const hm_args *a, const hm_audit_report *r, const hm_audit_tag *t, hm_key **keys)
{
	const hm_audit_image *img = image_of(r, t);
	const char *err = t->error ? t->error : img && img->error ? img->error : NULL;
	cJSON *o = cJSON_CreateObject(), *g;

	cJSON_AddStringToObject(o, "tag", t->tag);
	cJSON_AddItemToObject(o, "digest", opt_str(img ? img->digest : NULL));
	cJSON_AddItemToObject(o, "mediaType", opt_str(img ? img->media_type : NULL));
	if (img && img->platforms.n)
		cJSON_AddItemToObject(o, "platforms", strv_json(&img->platforms));
	cJSON_AddItemToObject(o, "signatures", img && !err ? sigs_json(a, img, keys) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "attestations", img && !err ? atts_json(img) : cJSON_CreateNull());
	if (t->git == HM_AUDIT_GIT_OFF) {
		cJSON_AddNullToObject(o, "git");
	} else {
		g = cJSON_AddObjectToObject(o, "git");
		cJSON_AddItemToObject(g, "tag", opt_str(t->git_tag));
		cJSON_AddItemToObject(g, "commit", opt_str(t->git_tag ? t->git_commit : NULL));
		cJSON_AddStringToObject(g, "state", git_states[t->git]);
	}
	cJSON_AddItemToObject(o, "decision", img && !err ? decision_json(&img->decision) : cJSON_CreateNull());
	/* what is said of its digest is under "digests", once */
	cJSON_AddItemToObject(o, "findings", findings_json(&t->findings, img ? 1 : 0));
	hm_cli_json_set_error(o, err);
	return o;
}

/* Streamed (docs/json.md): each tag and each digest is made, written and
 * freed in turn, so the output costs the memory of one entry, not of a
 * tree of the whole repository. */
static void print_json(const hm_args *a, const hm_audit_report *r, hm_key **keys, int rc)
{
	const hm_audit_summary *s = &r->summary;
	cJSON *sum;

	hm_cli_json_open(a);
	hm_cli_json_member("reference", cJSON_CreateString(a->pos.v[0]));
	hm_cli_json_member("repository", cJSON_CreateString(r->repository));
	hm_cli_json_array_open("tags");
	for (size_t i = 0; i < r->n_tags; i++)
		hm_cli_json_array_item(tag_json(a, r, &r->tags[i], keys));
	hm_cli_json_array_close();
	hm_cli_json_array_open("digests");
	for (size_t i = 0; i < r->n_tags; i++) {
		const hm_audit_image *img = image_of(r, &r->tags[i]);
		cJSON *d, *names;

		if (!img || img->first_tag != i)
			continue;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "digest", img->digest);
		names = cJSON_AddArrayToObject(d, "tags");
		for (size_t k = i; k < r->n_tags; k = r->tags[k].next_tag)
			cJSON_AddItemToArray(names, cJSON_CreateString(r->tags[k].tag));
		cJSON_AddItemToObject(d, "findings", findings_json(&r->tags[i].findings, 2));
		hm_cli_json_set_error(d, img->error);
		hm_cli_json_array_item(d);
	}
	hm_cli_json_array_close();
	hm_cli_json_member("findings", findings_json(&r->findings, 0));
	sum = cJSON_CreateObject();
	cJSON_AddNumberToObject(sum, "tags", (double)s->tags);
	cJSON_AddNumberToObject(sum, "digests", (double)s->digests);
	cJSON_AddNumberToObject(sum, "passed", (double)(s->tags - s->failed_tags));
	cJSON_AddNumberToObject(sum, "failed", (double)s->failed_tags);
	cJSON_AddNumberToObject(sum, "signed", (double)s->signed_tags);
	cJSON_AddNumberToObject(sum, "verified", (double)s->verified_tags);
	cJSON_AddNumberToObject(sum, "withProvenance", (double)s->with_provenance);
	cJSON_AddNumberToObject(sum, "gitMatched", (double)s->git_matched);
	cJSON_AddNumberToObject(sum, "errors", (double)s->errors);
	cJSON_AddNumberToObject(sum, "warnings", (double)s->warnings);
	cJSON_AddNumberToObject(sum, "infos", (double)s->infos);
	cJSON_AddNumberToObject(sum, "operationalErrors", (double)s->operational);
	hm_cli_json_member("summary", sum);
	hm_cli_json_close(rc, NULL);
}

/* A bar on stderr, redrawn only when it changes. */
static void progress(void *ctx, const char *phase, size_t done, size_t total)
{
	int *last = ctx, fill = total ? (int)(done * 30 / total) : 30;

	if (fill == *last && done != total)
		return;
	*last = done == total ? -1 : fill;
	fprintf(stderr, "\r%-10s [%.*s%*s] %zu/%zu", phase, fill, "##############################", 30 - fill,
		"", done, total);
	if (done == total)
		fprintf(stderr, "\r\033[K");
}

static int run(hm_args *a)
{
	hm_audit_opts o = HM_AUDIT_OPTS_INIT;
	hm_audit_report r;
	const hm_strv *pats = hm_arg_all(a, "tags");
	const char *output, *jobs = hm_arg(a, "jobs"), *text = a->pos.v[0], *last_slash;
	const char *policy_file = hm_arg(a, "policy");
	hm_policy *policy = NULL;
	hm_notation_trust *trust = NULL;
	hm_cli_keyless kl = {0};
	hm_key **keys = NULL;
	size_t nkeys = 0;
	hm_ref ref;
	int err, rc, bar = -1;

	if (hm_arg_output(&output, a, "table|json|markdown", "table"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (jobs) {
		char *end;
		long n;

		errno = 0;
		n = strtol(jobs, &end, 10);
		if (errno || *end || n < 1 || n > 64)
			return hm_cli_usage(a, "--jobs takes a number from 1 to 64, not '%s'", jobs);
		o.jobs = (unsigned)n;
	}
	if ((err = hm_ref_parse(&ref, text)))
		return hm_cli_usage(a, "%s", hm_error_message());
	last_slash = strrchr(text, '/');
	if (ref.digest || (ref.kind == HM_REF_REGISTRY && strchr(last_slash ? last_slash : text, ':')) ||
	    (ref.kind == HM_REF_LAYOUT && ref.tag)) {
		hm_ref_free(&ref);
		return hm_cli_usage(a, "'%s' names an image; give the repository, without tag or digest", text);
	}
	if ((err = hm_cli_load_notation(&trust, a)) || (err = hm_cli_load_public_keys(&keys, &nkeys, a, "key"))) {
		hm_ref_free(&ref);
		hm_notation_trust_free(trust);
		return hm_cli_fail(err);
	}
	/* keyless identity: as verify's flags, optional here (keys are too) */
	if (hm_cli_keyless_given(a) && (rc = hm_cli_keyless_load(&kl, a, 1)) >= 0) {
		hm_ref_free(&ref);
		hm_cli_keys_free(keys, nkeys);
		return rc;
	}
	if (kl.given) {
		o.identities = &kl.auth;
		o.n_identities = 1;
	}
	/* linted first: an invalid policy is a bad input file (exit 3) */
	if (policy_file && (err = hm_cli_load_policy(&policy, policy_file, stderr))) {
		hm_ref_free(&ref);
		hm_cli_keys_free(keys, nkeys);
		hm_notation_trust_free(trust);
		hm_cli_keyless_release(&kl);
		return hm_cli_fail(err);
	}
	if (!nkeys && !trust && !kl.given)
		fprintf(stderr, "hallmark: no --key given: signatures and attestations are found but none can verify\n");
	o.keys = keys;
	o.n_keys = nkeys;
	o.notation = &trust;
	o.n_notation = trust ? 1 : 0;
	o.tag_patterns = (const char *const *)pats->v;
	o.n_tag_patterns = pats->n;
	o.git_dir = hm_arg(a, "git");
	o.store = &a->store;
	if (policy) {
		o.decide = hm_audit_policy_decide;
		o.decide_ctx = policy;
	}
	if (isatty(STDERR_FILENO)) {
		o.progress = progress;
		o.progress_ctx = &bar;
	}
	err = hm_audit_run(&r, &ref, &o);
	hm_ref_free(&ref);
	if (err) {
		hm_cli_keys_free(keys, nkeys);
		hm_notation_trust_free(trust);
		hm_cli_keyless_release(&kl);
		hm_policy_free(policy);
		return hm_cli_fail(err);
	}
	rc = r.summary.operational ? HM_EXIT_ERROR : r.summary.errors ? HM_EXIT_DENIED : HM_EXIT_OK;
	if (strcmp(output, "json") == 0)
		print_json(a, &r, keys, rc);
	else if (strcmp(output, "markdown") == 0)
		print_markdown(a, &r, policy != NULL);
	else
		print_table(a, &r, policy != NULL);
	for (size_t i = 0; i < r.n_tags; i++) {
		const hm_audit_image *img = image_of(&r, &r.tags[i]);
		const char *why = r.tags[i].error ? r.tags[i].error : img && img->error ? img->error : NULL;

		if (why)
			fprintf(stderr, "hallmark: tag '%s' could not be checked: %s\n", r.tags[i].tag, why);
	}
	hm_audit_report_free(&r);
	hm_cli_keys_free(keys, nkeys);
	hm_notation_trust_free(trust);
	hm_cli_keyless_release(&kl);
	hm_policy_free(policy);
	return rc;
}

static const hm_opt opts[] = {
	{"key", 'k', "FILE", HM_OPT_MULTI, "a public key to accept (repeat for several)"},
	{"notation-trust-policy", 0, "FILE", 0, "verify Notary Project signatures under this trustpolicy.json"},
	{"notation-trust-store", 0, "DIR", 0, "...with this notation trust store (see hallmark verify)"},
	{"policy", 'p', "FILE", 0, "decide on every digest with the policy FILE (linted first)"},
	{"git", 'g', "DIR", 0, "compare provenance commits with the git tags in DIR"},
	{"tags", 't', "PATTERN", HM_OPT_MULTI, "audit only tags matching the glob PATTERN (repeatable)"},
	{"jobs", 'j', "N", 0, "check N tags at a time (default 8)"},
	{"output", 'o', "FORMAT", 0, "table (default), json or markdown"},
	HM_CLI_KEYLESS_OPTS,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_audit = {
	.name = "audit",
	.run = run,
	.usage = "[--key FILE]... [--certificate-identity ID --certificate-oidc-issuer URL] [--policy FILE] "
		 "[--git DIR] [--tags PATTERN] [options] REPOSITORY",
	.summary = "audit the signatures and provenance of every tag of a repository",
	.description =
	    "Walks every tag of REPOSITORY (a registry repository, or oci:PATH), but\n"
	    "the sha256-<hex>.sig/.att tags of attached artifacts, and reports what\n"
	    "each points to (digest, media type, platforms of an index), which --key\n"
	    "verified its signatures, its attestations, and what its SLSA provenance\n"
	    "says (builder, source, ref, commit). With --git, the provenance commit is\n"
	    "compared with the commit the git tag of the same name points to (annotated\n"
	    "tags peeled; v1.2.3 and 1.2.3 pair), and tags missing on either side are\n"
	    "listed. Each digest is checked once; several at a time (--jobs).\n"
	    "Notary Project signatures are verified as hallmark verify does with\n"
	    "--notation-trust-policy/--notation-trust-store and listed by their\n"
	    "signer's subject (notation:'C=US, ST=WA, O=acme, CN=...').\n"
	    "\n"
	    "Tags are listed as versions: 0.9.0 before 0.10.0, v1.2.3 with 1.2.3,\n"
	    "1.0.0-rc.1 before 1.0.0, then other tags (latest, main) by name. What\n"
	    "is found about a digest is reported once, naming every tag that points\n"
	    "to it; what is found about a tag (its git tag) at the tag.\n"
	    "\n"
	    "Keyless signatures (a Fulcio certificate) count with cosign's\n"
	    "--certificate-identity and --certificate-oidc-issuer flags (and\n"
	    "--trusted-root), as for hallmark verify; the signer's identity is shown\n"
	    "where a key's name would be. With --git, the commit its certificate\n"
	    "names (the sourceRepositoryDigest claim) is compared with the git tag\n"
	    "too: either the provenance's or the certificate's commit differing is a\n"
	    "commit-mismatch.\n"
	    "\n"
	    "With --policy, the policy (docs/policy.md) decides on each digest, as\n"
	    "hallmark policy check would on REPOSITORY@DIGEST (no tag is given to its\n"
	    "rules). A denial is a policy-denied error naming the rule and the first\n"
	    "failed requirement; the table gains a POLICY column and the JSON a\n"
	    "decision (allowed, rule, violations). The policy is linted first.\n"
	    "\n"
	    "Finding codes: unsigned, unknown-signer, invalid-signature,\n"
	    "provenance-missing, commit-mismatch, policy-denied (errors); dirty-tree,\n"
	    "unpinned-base-image, no-git-tag, no-image-for-git-tag, reference-mismatch\n"
	    "(warnings); shared-digest (info). A signature that verifies with no --key\n"
	    "is an unknown signer; next to a valid one, unknown-signer and\n"
	    "invalid-signature are warnings. no-git-tag is only info for tags that do\n"
	    "not look like versions (latest, main).\n"
	    "\n"
	    "Exit status: 0 when no tag has an error finding, 1 when one has, 2 on a\n"
	    "usage error, 3 when a tag could not be checked, the repository could\n"
	    "not be listed or the policy is unreadable or invalid.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = 1,
};
