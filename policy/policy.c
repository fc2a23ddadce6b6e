/* SPDX-License-Identifier: Apache-2.0 */
/* The policy file: load and lint.  See policy/policy.h and docs/policy.md. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/yaml.h"
#include "crypto/digest.h"
#include "policy/diag.h"
#include "policy/policy.h"
#include "verify/notation_evidence.h"


typedef struct lint {
	const hm_yaml *y;
	hm_strv *diags;
	const char *base_dir;
	hm_policy *p;
	int nomem;
} lint;

#define D(l, node, at_key, ...) note(l, hm_diag_add((l)->diags, (l)->y, node, at_key, __VA_ARGS__))

static void note(lint *l, int err)
{
	if (err == HM_E_NOMEM)
		l->nomem = 1;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "a list";
	return "a mapping";
}

/* Reports members of obj not named in allowed (NULL-terminated); returns
 * 0 when obj is not a mapping (reported as such, under what). */
static int check_map(lint *l, const cJSON *obj, const char *what, const char *const *allowed)
{
	if (!cJSON_IsObject(obj)) {
		D(l, obj, 0, "%s must be a mapping, not %s", what, type_name(obj));
		return 0;
	}
	for (const cJSON *m = obj->child; m; m = m->next) {
		const char *const *a;
		hm_buf list = HM_BUF_INIT;

		for (a = allowed; *a; a++)
			if (!strcmp(*a, m->string))
				break;
		if (*a)
			continue;
		for (a = allowed; *a; a++)
			hm_buf_addf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		D(l, m, 1, "unknown key '%s' in %s (expected %s)", m->string, what, hm_buf_cstr(&list));
		hm_buf_release(&list);
	}
	return 1;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* A string member; reports a wrong type; NULL when absent or wrong. */
static const char *get_str(lint *l, const cJSON *obj, const char *key, const char *what)
{
	const cJSON *v = get(obj, key);

	if (!v)
		return NULL;
	if (!cJSON_IsString(v) || !*v->valuestring) {
		D(l, v, 0, "'%s' in %s must be a non-empty string, not %s", key, what,
		  cJSON_IsString(v) ? "an empty one" : type_name(v));
		return NULL;
	}
	return v->valuestring;
}

static int get_bool(lint *l, const cJSON *obj, const char *key, const char *what, int dflt)
{
	const cJSON *v = get(obj, key);

	if (!v)
		return dflt;
	if (!cJSON_IsBool(v)) {
		D(l, v, 0, "'%s' in %s must be true or false, not %s", key, what, type_name(v));
		return dflt;
	}
	return cJSON_IsTrue(v);
}

/* One of the NULL-terminated words; returns its index, dflt when absent. */
static int get_enum(lint *l, const cJSON *obj, const char *key, const char *what, const char *const *words,
		    int dflt)
{
	const cJSON *v = get(obj, key);

	if (!v)
		return dflt;
	for (int i = 0; cJSON_IsString(v) && words[i]; i++)
		if (!strcmp(words[i], v->valuestring))
			return i;
	{
		hm_buf list = HM_BUF_INIT;

		for (int i = 0; words[i]; i++)
			hm_buf_addf(&list, "%s%s", i ? " | " : "", words[i]);
		if (cJSON_IsString(v))
			D(l, v, 0, "'%s' in %s must be %s, not '%s'", key, what, hm_buf_cstr(&list), v->valuestring);
		else
			D(l, v, 0, "'%s' in %s must be %s, not %s", key, what, hm_buf_cstr(&list), type_name(v));
		hm_buf_release(&list);
	}
	return dflt;
}

/* A list of strings; NULL (reported) when something else. */
static const cJSON *get_str_list(lint *l, const cJSON *obj, const char *key, const char *what, int required)
{
	const cJSON *v = get(obj, key);
	int ok = 1;

	if (!v) {
		if (required)
			D(l, obj, 0, "%s needs '%s'", what, key);
		return NULL;
	}
	if (!cJSON_IsArray(v)) {
		D(l, v, 0, "'%s' in %s must be a list of strings, not %s", key, what, type_name(v));
		return NULL;
	}
	if (required && !v->child) {
		D(l, v, 0, "'%s' in %s must not be empty", key, what);
		return NULL;
	}
	for (const cJSON *e = v->child; e; e = e->next)
		if (!cJSON_IsString(e) || !*e->valuestring) {
			D(l, e, 0, "'%s' in %s must hold non-empty strings, not %s", key, what, type_name(e));
			ok = 0;
		}
	return ok ? v : NULL;
}

static hm_pattern *get_patterns(lint *l, const cJSON *list, size_t *n)
{
	hm_pattern *v;

	*n = 0;
	if (!list)
		return NULL;
	v = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*v));
	if (!v) {
		l->nomem = 1;
		return NULL;
	}
	for (const cJSON *e = list->child; e; e = e->next) {
		int err = hm_pattern_parse(&v[*n], e->valuestring);

		if (err == HM_OK)
			(*n)++;
		else if (err == HM_E_NOMEM)
			l->nomem = 1;
		else
			D(l, e, 0, "%s", hm_error_message());
	}
	return v;
}

static void free_patterns(hm_pattern *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hm_pattern_free(&v[i]);
	free(v);
}

/* ---- keys ---- */

/* A path as written in the policy: relative to its directory. */
static int policy_path(hm_buf *path, const lint *l, const char *file)
{
	if (file[0] == '/' || !l->base_dir)
		return hm_buf_addstr(path, file);
	return hm_buf_addf(path, "%s/%s", l->base_dir, file);
}

/* keys: NAME: {notation: {trustStore: DIR, identities: [...], trustPolicy: FILE}}:
 * a notation trust store and the identities it is trusted for, counted as
 * one key (verify/notation_evidence.h does the matching). */
static void load_notation_key(lint *l, const cJSON *k, const char *what)
{
	static const char *const allowed[] = {"trustStore", "identities", "trustPolicy", NULL};
	const cJSON *n = get(k, "notation"), *ids;
	const char *store, *tp;
	hm_buf sp = HM_BUF_INIT, pp = HM_BUF_INIT;
	const char **idv = NULL;
	size_t nids = 0;
	struct hm_notation_trust *t = NULL;
	hm_policy *p = l->p;
	int err;

	if (!check_map(l, k, what, (const char *const[]){"notation", NULL}) || !check_map(l, n, what, allowed))
		return;
	store = get_str(l, n, "trustStore", what);
	tp = get_str(l, n, "trustPolicy", what);
	ids = get_str_list(l, n, "identities", what, 1);
	if (!store) {
		if (!get(n, "trustStore"))
			D(l, n, 0, "%s needs 'trustStore' (a notation trust store directory)", what);
		return;
	}
	if (!ids)
		return;
	if (!(idv = calloc((size_t)cJSON_GetArraySize(ids) + 1, sizeof(*idv)))) {
		l->nomem = 1;
		return;
	}
	for (const cJSON *e = ids->child; e; e = e->next)
		idv[nids++] = e->valuestring;
	err = policy_path(&sp, l, store);
	if (!err && tp)
		err = policy_path(&pp, l, tp);
	if (!err)
		err = hm_notation_trust_make(&t, hm_buf_cstr(&sp), tp ? hm_buf_cstr(&pp) : NULL, idv, nids, what);
	if (err == HM_E_NOMEM)
		l->nomem = 1;
	else if (err < 0)
		D(l, n, 0, "%s", hm_error_message());
	if (!err && !(p->keys[p->n_keys].name = strdup(k->string))) {
		l->nomem = 1;
		hm_notation_trust_free(t);
	} else if (!err) {
		p->keys[p->n_keys].auth.kind = HM_AUTH_NOTATION;
		p->keys[p->n_keys].auth.name = p->keys[p->n_keys].name;
		p->keys[p->n_keys++].notation = t;
	}
	free(idv);
	hm_buf_release(&sp);
	hm_buf_release(&pp);
}

static const char *const keyless_fields[] = {"issuer", "issuerRegExp", "subject", "subjectRegExp",
					     "trustedRoot", "claims", NULL};

static int is_keyless_entry(const cJSON *k)
{
	for (const char *const *f = keyless_fields; *f; f++)
		if (get(k, *f))
			return 1;
	return 0;
}

/* The trusted root at file (relative to the policy), loaded once per
 * policy however many entries name it; NULL (reported) when it fails. */
static hm_trustroot *policy_root(lint *l, const cJSON *node, const char *file, const char *what)
{
	hm_policy *p = l->p;
	hm_buf path = HM_BUF_INIT;
	hm_trustroot *tr = NULL;
	void *grown;
	int err;

	if (file[0] == '/' || !l->base_dir)
		err = hm_buf_addstr(&path, file);
	else
		err = hm_buf_addf(&path, "%s/%s", l->base_dir, file);
	for (size_t i = 0; err == HM_OK && i < p->n_roots; i++)
		if (!strcmp(p->root_paths[i], hm_buf_cstr(&path))) {
			hm_buf_release(&path);
			return p->roots[i];
		}
	if (err == HM_OK && (err = hm_trustroot_load(&tr, hm_buf_cstr(&path))) < 0 && err != HM_E_NOMEM)
		D(l, node, 0, "%s: trustedRoot: %s", what, hm_error_message());
	if (err == HM_OK) {
		if ((grown = realloc(p->roots, (p->n_roots + 1) * sizeof(*p->roots))))
			p->roots = grown;
		if (grown && (grown = realloc(p->root_paths, (p->n_roots + 1) * sizeof(*p->root_paths))))
			p->root_paths = grown;
		if (!grown || !(p->root_paths[p->n_roots] = hm_buf_detach(&path, NULL))) {
			hm_trustroot_free(tr);
			tr = NULL;
			err = HM_E_NOMEM;
		} else {
			p->roots[p->n_roots++] = tr;
		}
	}
	if (err == HM_E_NOMEM)
		l->nomem = 1;
	hm_buf_release(&path);
	return tr;
}

/* The arc of a claim by cosign's name; "issuer" is not a claim here (it is
 * the entry's own issuer). */
static int claim_arc(const char *name)
{
	for (int arc = 2; arc <= HM_FULCIO_MAX_ARC; arc++)
		if (hm_fulcio_claim_name(arc) && arc != 8 && !strcmp(hm_fulcio_claim_name(arc), name))
			return arc;
	return -1;
}

static char *own(lint *l, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		l->nomem = 1;
	return d;
}

/* A keyless entry into slot: 0 when it was refused (reported). */
static int load_keyless(lint *l, const cJSON *k, const char *what, hm_policy_key *slot)
{
	hm_identity_policy *id = &slot->auth.identity;
	const char *subject = get_str(l, k, "subject", what), *subject_re = get_str(l, k, "subjectRegExp", what);
	const char *issuer = get_str(l, k, "issuer", what), *issuer_re = get_str(l, k, "issuerRegExp", what);
	const char *root = get_str(l, k, "trustedRoot", what);
	const cJSON *claims = get(k, "claims");
	int ok = 1;

	if (get(k, "file") || get(k, "pem")) {
		D(l, k, 1, "%s is keyless (issuer, subject) and so takes no 'file' or 'pem'", what);
		return 0;
	}
	if (!!get(k, "subject") + !!get(k, "subjectRegExp") != 1) {
		D(l, k, 1, "keyless %s needs exactly one of 'subject' or 'subjectRegExp'", what);
		ok = 0;
	}
	if (!!get(k, "issuer") + !!get(k, "issuerRegExp") != 1) {
		D(l, k, 1, "keyless %s needs exactly one of 'issuer' or 'issuerRegExp'", what);
		ok = 0;
	}
	for (int i = 0; i < 2; i++) {
		const char *re = i ? issuer_re : subject_re;
		char msg[160];
		regex_t rx;
		int rc;

		if (!re)
			continue;
		/* compiled as hm_fulcio_identity_match() will: POSIX ERE, unanchored */
		if ((rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, NULL, msg, sizeof(msg));
			D(l, get(k, i ? "issuerRegExp" : "subjectRegExp"), 0, "%s: invalid regular expression '%s': %s",
			  what, re, msg);
			ok = 0;
			continue;
		}
		regfree(&rx);
	}
	if (claims && !cJSON_IsObject(claims)) {
		D(l, claims, 0, "'claims' in %s must be a mapping of claim names to strings, not %s", what,
		  type_name(claims));
		ok = 0;
	}
	for (const cJSON *c = cJSON_IsObject(claims) ? claims->child : NULL; c; c = c->next) {
		int arc = claim_arc(c->string);

		if (arc < 0) {
			hm_buf list = HM_BUF_INIT;

			for (int a = 2; a <= HM_FULCIO_MAX_ARC; a++)
				if (hm_fulcio_claim_name(a) && a != 8)
					hm_buf_addf(&list, "%s%s", list.len ? ", " : "", hm_fulcio_claim_name(a));
			D(l, c, 1, "unknown claim '%s' in %s (expected %s)", c->string, what, hm_buf_cstr(&list));
			hm_buf_release(&list);
			ok = 0;
		} else if (!cJSON_IsString(c) || !*c->valuestring) {
			D(l, c, 0, "claim '%s' in %s must be a non-empty string (quote it), not %s", c->string, what,
			  cJSON_IsString(c) ? "an empty one" : type_name(c));
			ok = 0;
		} else {
			id->claims[arc] = own(l, c->valuestring);
		}
	}
	if (root && ok && !(slot->auth.trustroot = policy_root(l, get(k, "trustedRoot"), root, what)))
		ok = 0;
	if (get(k, "trustedRoot") && !root)
		ok = 0;
	id->subject = own(l, subject);
	id->subject_regexp = own(l, subject_re);
	id->issuer = own(l, issuer);
	id->issuer_regexp = own(l, issuer_re);
	slot->auth.kind = HM_AUTH_KEYLESS;
	return ok && (subject || subject_re) && (issuer || issuer_re);
}

static void release_identity(hm_identity_policy *id)
{
	free((char *)id->subject);
	free((char *)id->subject_regexp);
	free((char *)id->issuer);
	free((char *)id->issuer_regexp);
	for (int arc = 0; arc <= HM_FULCIO_MAX_ARC; arc++)
		free((char *)id->claims[arc]);
	memset(id, 0, sizeof(*id));
}

static void load_keys(lint *l, const cJSON *keys)
{
	static const char *const allowed[] = {"file", "pem", "issuer", "issuerRegExp", "subject", "subjectRegExp",
					      "trustedRoot", "claims", NULL};
	hm_policy *p = l->p;

	if (!keys)
		return;
	if (!cJSON_IsObject(keys)) {
		D(l, keys, 0, "'keys' must be a mapping of names to {file} or {pem}, not %s", type_name(keys));
		return;
	}
	p->keys = calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof(*p->keys));
	if (!p->keys) {
		l->nomem = 1;
		return;
	}
	for (const cJSON *k = keys->child; k; k = k->next) {
		char what[160];
		const char *file, *pem;
		hm_key *key = NULL;
		int err;

		snprintf(what, sizeof(what), "key '%s'", k->string);
		if (get(k, "notation")) {
			load_notation_key(l, k, what);
			continue;
		}
		if (!check_map(l, k, what, allowed))
			continue;
		if (is_keyless_entry(k)) {
			hm_policy_key *slot = &p->keys[p->n_keys];

			if (!load_keyless(l, k, what, slot) || !(slot->name = own(l, k->string))) {
				release_identity(&slot->auth.identity);
				memset(slot, 0, sizeof(*slot));
				continue;
			}
			slot->auth.name = slot->name;
			p->n_keys++;
			continue;
		}
		file = get_str(l, k, "file", what);
		pem = get_str(l, k, "pem", what);
		if (!!get(k, "file") + !!get(k, "pem") != 1) {
			D(l, k, 1, "%s needs exactly one of 'file' or 'pem'", what);
			continue;
		}
		if (!file && !pem)
			continue;
		if (file) {
			hm_buf path = HM_BUF_INIT;

			if (file[0] == '/' || !l->base_dir)
				err = hm_buf_addstr(&path, file);
			else
				err = hm_buf_addf(&path, "%s/%s", l->base_dir, file);
			if (err == HM_OK)
				err = hm_key_load_public(&key, hm_buf_cstr(&path));
			hm_buf_release(&path);
			if (err < 0)
				D(l, get(k, "file"), 0, "%s: %s", what, hm_error_message());
		} else {
			err = hm_key_load_public_mem(&key, pem, strlen(pem), what);
			if (err < 0)
				D(l, get(k, "pem"), 0, "%s: %s", what, hm_error_message());
		}
		if (err == HM_E_NOMEM)
			l->nomem = 1;
		if (err < 0)
			continue;
		/* Computed now, while single-threaded: evaluation shares keys. */
		hm_key_fingerprint(key);
		if (!(p->keys[p->n_keys].name = strdup(k->string))) {
			hm_key_free(key);
			l->nomem = 1;
			continue;
		}
		p->keys[p->n_keys].auth = (hm_authority){.kind = HM_AUTH_KEY, .name = p->keys[p->n_keys].name, .key = key};
		p->keys[p->n_keys++].key = key;
	}
}

static int p_key_is_notation(const hm_policy *p, size_t i)
{
	return p->keys[i].notation != NULL;
}

static int key_index(const hm_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_keys; i++)
		if (!strcmp(p->keys[i].name, name))
			return (int)i;
	return -1;
}

/* How many different public keys the set names: the same key under two
 * names counts once (a signature is credited to one of them only, so it
 * could never meet a threshold counting both).  *a and *b name one pair of
 * such names, when there is one. */
static size_t distinct_keys(const hm_policy *p, const hm_key_set *ks, const char **a, const char **b)
{
	size_t distinct = 0;

	*a = *b = NULL;
	for (size_t i = 0; i < ks->n; i++) {
		const hm_policy_key *k = &p->keys[ks->idx[i]];
		size_t j;

		/* (keyless entries are distinct authorities: an attachment votes
		 * for one of them only, so each needs its own signature) */
		for (j = 0; k->key && j < i; j++)
			if (p->keys[ks->idx[j]].key &&
			    !strcmp(hm_key_fingerprint(p->keys[ks->idx[j]].key), hm_key_fingerprint(k->key)))
				break;
		if (!k->key || j == i) {
			distinct++;
		} else if (!*a) {
			*a = p->keys[ks->idx[j]].name;
			*b = k->name;
		}
	}
	return distinct;
}

/* keys: [names], threshold: N under obj (what names it in messages). */
static void get_key_set(lint *l, const cJSON *obj, const char *what, const cJSON *all_keys, hm_key_set *ks)
{
	const cJSON *names = get_str_list(l, obj, "keys", what, 1);
	const cJSON *th = get(obj, "threshold");
	const char *same_a, *same_b;
	size_t n = 0, distinct;

	if (names) {
		ks->idx = calloc((size_t)cJSON_GetArraySize(names) + 1, sizeof(*ks->idx));
		if (!ks->idx) {
			l->nomem = 1;
			return;
		}
		for (const cJSON *e = names->child; e; e = e->next) {
			int i = key_index(l->p, e->valuestring);
			int dup = 0;

			n++;
			for (const cJSON *f = names->child; f != e; f = f->next)
				dup |= !strcmp(f->valuestring, e->valuestring);
			if (dup) {
				D(l, e, 0, "key '%s' is listed twice in %s", e->valuestring, what);
			} else if (i >= 0) {
				ks->idx[ks->n++] = (size_t)i;
			} else if (!cJSON_GetObjectItemCaseSensitive(all_keys, e->valuestring)) {
				/* (a key that is defined but failed to load was reported already) */
				hm_buf list = HM_BUF_INIT;

				for (const cJSON *k = cJSON_IsObject(all_keys) ? all_keys->child : NULL; k; k = k->next)
					hm_buf_addf(&list, "%s%s", list.len ? ", " : "", k->string);
				D(l, e, 0, "unknown key name '%s' in %s (defined: %s)", e->valuestring, what,
				  list.len ? hm_buf_cstr(&list) : "none");
				hm_buf_release(&list);
			}
		}
	}
	ks->threshold = n;
	distinct = distinct_keys(l->p, ks, &same_a, &same_b);
	if (!th) {
		if (names && distinct < ks->n)
			D(l, names, 0, "keys '%s' and '%s' in %s are the same key, so the default threshold "
			  "(every key listed: %zu) cannot be met; list the key once or set a threshold of at most %zu",
			  same_a, same_b, what, n, distinct);
		return;
	}
	/* (the range test first: casting NaN or a huge double is undefined) */
	if (!cJSON_IsNumber(th) || !(th->valuedouble >= 1 && th->valuedouble <= 1000000) ||
	    th->valuedouble != (double)(long)th->valuedouble) {
		D(l, th, 0, "'threshold' in %s must be a whole number of at least 1", what);
		return;
	}
	if (names && th->valuedouble > (double)n) {
		D(l, th, 0, "'threshold' in %s is %ld but only %zu key%s listed", what, (long)th->valuedouble, n,
		  n == 1 ? " is" : "s are");
		return;
	}
	if (names && th->valuedouble > (double)distinct && distinct < ks->n) {
		D(l, th, 0, "'threshold' in %s is %ld but the keys listed are only %zu distinct key%s ('%s' and '%s' "
		  "are the same key)", what, (long)th->valuedouble, distinct, distinct == 1 ? "" : "s", same_a, same_b);
		return;
	}
	ks->threshold = (size_t)th->valuedouble;
}

/* ---- rules ---- */

static int is_provenance_type(const char *t)
{
	return !strncmp(t, "https://slsa.dev/provenance/", 28) || !strcmp(t, "slsaprovenance") ||
	       !strcmp(t, "slsaprovenance1");
}

/* require.vsa: {keys, threshold, policyDigest, maxAge, verifierId}. */
static void load_vsa(lint *l, hm_policy_rule *r, const cJSON *v, const cJSON *all_keys)
{
	static const char *const allowed[] = {"keys", "threshold", "policyDigest", "maxAge", "verifierId", NULL};
	const char *pd, *age, *vid;
	int col;

	if (!check_map(l, v, "'vsa'", allowed))
		return;
	if (!(r->vsa = calloc(1, sizeof(*r->vsa)))) {
		l->nomem = 1;
		return;
	}
	hm_yaml_pos(l->y, v, &r->vsa->line, &col);
	get_key_set(l, v, "'vsa'", all_keys, &r->vsa->keys);
	if ((pd = get_str(l, v, "policyDigest", "'vsa'"))) {
		if (strncmp(pd, "sha256:", 7) || !hm_digest_valid(pd))
			D(l, get(v, "policyDigest"), 0, "'policyDigest' in 'vsa' must be sha256:<64 hex digits>, not '%s'",
			  pd);
		else if (!(r->vsa->policy_digest = strdup(pd)))
			l->nomem = 1;
	}
	if ((age = get_str(l, v, "maxAge", "'vsa'")) &&
	    (hm_duration_parse(&r->vsa->max_age, age) < 0 || r->vsa->max_age <= 0))
		D(l, get(v, "maxAge"), 0, "'maxAge' in 'vsa' needs a duration such as 30d, 12h or 90m, not '%s'", age);
	if ((vid = get_str(l, v, "verifierId", "'vsa'")) && !(r->vsa->verifier_id = strdup(vid)))
		l->nomem = 1;
}

static void load_require(lint *l, hm_policy_rule *r, const cJSON *req, const cJSON *all_keys, const char *rwhat)
{
	static const char *const allowed[] = {"digest", "tags", "signatures", "attestations", "baseImages", "vsa",
					       NULL};
	static const char *const tags_allowed[] = {"deny", NULL};
	static const char *const sig_allowed[] = {"keys", "threshold", "annotations", NULL};
	static const char *const att_allowed[] = {"type", "keys", "threshold", "where", NULL};
	static const char *const base_allowed[] = {"allow", "pinned", NULL};
	const cJSON *v;
	char what[300];
	int has_provenance = 0;

	snprintf(what, sizeof(what), "'require' of %s", rwhat);
	if (!check_map(l, req, what, allowed))
		return;
	r->digest = get_bool(l, req, "digest", what, 0);
	if ((v = get(req, "tags")) && check_map(l, v, "'tags'", tags_allowed)) {
		const cJSON *list = get_str_list(l, v, "deny", "'tags'", 1);

		if (list) {
			r->deny_tags = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(char *));
			for (const cJSON *e = list->child; r->deny_tags && e; e = e->next)
				if (!(r->deny_tags[r->n_deny_tags++] = strdup(e->valuestring)))
					l->nomem = 1;
			if (!r->deny_tags)
				l->nomem = 1;
		}
	}
	if ((v = get(req, "signatures")) && check_map(l, v, "'signatures'", sig_allowed)) {
		const cJSON *ann = get(v, "annotations");

		r->has_signatures = 1;
		get_key_set(l, v, "'signatures'", all_keys, &r->sig_keys);
		if (ann && !cJSON_IsObject(ann)) {
			D(l, ann, 0, "'annotations' must be a mapping of names to strings");
		} else if (ann) {
			r->annotations = calloc((size_t)cJSON_GetArraySize(ann) + 1, sizeof(char *));
			if (!r->annotations)
				l->nomem = 1;
			for (const cJSON *a = ann->child; r->annotations && a; a = a->next) {
				hm_buf kv = HM_BUF_INIT;

				if (!cJSON_IsString(a)) {
					D(l, a, 0, "annotation '%s' must be a string (quote it), not %s", a->string,
					  type_name(a));
					continue;
				}
				if (hm_buf_addf(&kv, "%s=%s", a->string, a->valuestring) < 0)
					l->nomem = 1;
				else
					r->annotations[r->n_annotations++] = hm_buf_detach(&kv, NULL);
			}
		}
	}
	if ((v = get(req, "attestations"))) {
		if (!cJSON_IsArray(v) || !v->child) {
			D(l, v, 0, "'attestations' must be a non-empty list");
		} else {
			r->attestations = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*r->attestations));
			if (!r->attestations)
				l->nomem = 1;
			for (const cJSON *e = v->child; r->attestations && e; e = e->next) {
				hm_attest_req *a = &r->attestations[r->n_attestations];
				const char *type;
				int col;

				if (!check_map(l, e, "an attestation requirement", att_allowed))
					continue;
				r->n_attestations++;
				hm_yaml_pos(l->y, e, &a->line, &col);
				if (!(type = get_str(l, e, "type", "an attestation requirement")))
					if (!get(e, "type"))
						D(l, e, 0, "an attestation requirement needs 'type' (a predicate type URI)");
				if (type && !(a->type = strdup(type)))
					l->nomem = 1;
				if (type && is_provenance_type(type))
					has_provenance = 1;
				get_key_set(l, e, "an attestation requirement", all_keys, &a->keys);
				for (size_t k = 0; k < a->keys.n; k++)
					if (p_key_is_notation(l->p, a->keys.idx[k]))
						D(l, e, 0, "key '%s' is a notation trust store: it verifies signatures only, "
							   "not attestations", l->p->keys[a->keys.idx[k]].name);
				if (get(e, "where")) {
					int err = hm_cond_compile(&a->where, get(e, "where"), l->y, l->diags);

					if (err == HM_E_NOMEM)
						l->nomem = 1;
				}
			}
		}
	}
	if ((v = get(req, "baseImages")) && check_map(l, v, "'baseImages'", base_allowed)) {
		const cJSON *allow = get_str_list(l, v, "allow", "'baseImages'", 0);

		r->has_base_images = 1;
		r->base_pinned = get_bool(l, v, "pinned", "'baseImages'", 0);
		r->base_allow = get_patterns(l, allow, &r->n_base_allow);
		if (!allow && !r->base_pinned)
			D(l, v, 0, "'baseImages' needs 'allow' patterns or 'pinned: true'");
		if (!has_provenance)
			D(l, v, 1, "'baseImages' reads the provenance: %s also needs an attestation of type "
			  "https://slsa.dev/provenance/v1", rwhat);
	}
	if ((v = get(req, "vsa")))
		load_vsa(l, r, v, all_keys);
}

static void load_rule(lint *l, const cJSON *rule, size_t index, const cJSON *all_keys)
{
	static const char *const allowed[] = {"name", "images", "exclude", "mode", "deny", "require",
					      "on_error", NULL};
	static const char *const modes[] = {"enforce", "warn", "audit", NULL};
	static const char *const on_error[] = {"deny", "allow", NULL};
	hm_policy_rule *r = &l->p->rules[l->p->n_rules];
	const char *name, *deny;
	const cJSON *images;
	char what[200];

	snprintf(what, sizeof(what), "rule %zu", index + 1);
	if (!check_map(l, rule, what, allowed))
		return;
	l->p->n_rules++;
	name = get_str(l, rule, "name", what);
	if (!name && !get(rule, "name"))
		D(l, rule, 0, "%s needs a 'name'", what);
	if (name) {
		snprintf(what, sizeof(what), "rule '%s'", name);
		for (size_t i = 0; i + 1 < l->p->n_rules; i++)
			if (l->p->rules[i].name && !strcmp(l->p->rules[i].name, name))
				D(l, get(rule, "name"), 0, "two rules are named '%s'", name);
	}
	if (!(r->name = strdup(name ? name : what)))
		l->nomem = 1;
	images = get_str_list(l, rule, "images", what, 1);
	r->images = get_patterns(l, images, &r->n_images);
	r->exclude = get_patterns(l, get_str_list(l, rule, "exclude", what, 0), &r->n_exclude);
	r->mode = (enum hm_mode)get_enum(l, rule, "mode", what, modes, HM_MODE_ENFORCE);
	r->on_error_allow = get_enum(l, rule, "on_error", what, on_error, 0);
	deny = get_str(l, rule, "deny", what);
	if (deny && !(r->deny = strdup(deny)))
		l->nomem = 1;
	if (get(rule, "deny") && get(rule, "require"))
		D(l, get(rule, "require"), 1, "%s refuses with 'deny' and so takes no 'require'", what);
	else if (get(rule, "require"))
		load_require(l, r, get(rule, "require"), all_keys, what);
}

/* ---- the file ---- */

static void load_doc(lint *l, const cJSON *doc)
{
	static const char *const allowed[] = {"apiVersion", "kind", "metadata", "keys", "rules", "default",
					      "mutate", NULL};
	static const char *const defaults[] = {"deny", "allow", NULL};
	static const char *const mutates[] = {"none", "digest", NULL};
	const cJSON *v, *rules;

	if (!check_map(l, doc, "the policy", allowed))
		return;
	v = get(doc, "apiVersion");
	if (!v)
		D(l, doc, 0, "the policy needs 'apiVersion: hallmark/v1'");
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, "hallmark/v1"))
		D(l, v, 0, "unsupported apiVersion (expected hallmark/v1)");
	v = get(doc, "kind");
	if (!v)
		D(l, doc, 0, "the policy needs 'kind: Policy'");
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, "Policy"))
		D(l, v, 0, "unsupported kind (expected Policy)");
	if ((v = get(doc, "metadata")) && !cJSON_IsObject(v))
		D(l, v, 0, "'metadata' must be a mapping");
	load_keys(l, get(doc, "keys"));
	l->p->default_allow = get_enum(l, doc, "default", "the policy", defaults, 0);
	l->p->mutate_digest = get_enum(l, doc, "mutate", "the policy", mutates, 0);
	rules = get(doc, "rules");
	if (!rules) {
		D(l, doc, 0, "the policy has no 'rules'");
		return;
	}
	if (!cJSON_IsArray(rules) || !rules->child) {
		D(l, rules, 0, "'rules' must be a non-empty list of rules");
		return;
	}
	l->p->rules = calloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof(*l->p->rules));
	if (!l->p->rules) {
		l->nomem = 1;
		return;
	}
	size_t i = 0;
	for (const cJSON *r = rules->child; r; r = r->next)
		load_rule(l, r, i++, get(doc, "keys"));
}

int hm_policy_load_mem(hm_policy **out, const void *data, size_t len, const char *name,
		       const char *base_dir, hm_strv *diags)
{
	hm_yaml *y = NULL;
	lint l = {0};
	size_t before = diags->n;
	int err;

	*out = NULL;
	if (len > HM_MAX_POLICY)
		return hm_error_set(HM_E_IO, "'%s': larger than the %u-byte limit", name, HM_MAX_POLICY);
	if ((err = hm_yaml_parse(&y, data, len, name)) < 0) {
		if (err != HM_E_NOMEM)
			hm_strv_push(diags, hm_error_message());
		return err == HM_E_NOMEM ? err : hm_error_wrap(HM_E_IO, "'%s' is not a valid policy", name);
	}
	l.y = y;
	l.diags = diags;
	l.base_dir = base_dir ? base_dir : ".";
	if (!(l.p = calloc(1, sizeof(*l.p))) || !(l.p->path = strdup(name))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (hm_yaml_count(y) != 1)
		note(&l, hm_diag_add(diags, y, hm_yaml_doc(y, 1), 0, "a policy file holds exactly one document"));
	else
		load_doc(&l, hm_yaml_doc(y, 0));
	if (l.nomem)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	else if (diags->n > before)
		err = hm_error_set(HM_E_IO, "'%s': %zu problem%s", name, diags->n - before,
				   diags->n - before == 1 ? "" : "s");
done:
	hm_yaml_free(y);
	if (err < 0) {
		hm_policy_free(l.p);
		return err;
	}
	*out = l.p;
	return HM_OK;
}

int hm_policy_load(hm_policy **out, const char *path, hm_strv *diags)
{
	hm_buf b = HM_BUF_INIT;
	char *dir = NULL, *slash;
	int err;

	*out = NULL;
	if ((err = hm_file_read(&b, path, HM_MAX_POLICY)) < 0)
		return err;
	slash = strrchr(path, '/');
	if (!(dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup("."))) {
		hm_buf_release(&b);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	err = hm_policy_load_mem(out, hm_buf_cstr(&b), b.len, path, dir, diags);
	free(dir);
	hm_buf_release(&b);
	return err;
}

static void free_key_set(hm_key_set *k)
{
	free(k->idx);
}

void hm_policy_free(hm_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_keys; i++) {
		free(p->keys[i].name);
		hm_key_free(p->keys[i].key);
		hm_notation_trust_free(p->keys[i].notation);
		release_identity(&p->keys[i].auth.identity);
	}
	free(p->keys);
	for (size_t i = 0; i < p->n_roots; i++) {
		hm_trustroot_free(p->roots[i]);
		free(p->root_paths[i]);
	}
	free(p->roots);
	free(p->root_paths);
	for (size_t i = 0; i < p->n_rules; i++) {
		hm_policy_rule *r = &p->rules[i];

		free(r->name);
		free_patterns(r->images, r->n_images);
		free_patterns(r->exclude, r->n_exclude);
		free(r->deny);
		for (size_t j = 0; j < r->n_deny_tags; j++)
			free(r->deny_tags[j]);
		free(r->deny_tags);
		free_key_set(&r->sig_keys);
		for (size_t j = 0; j < r->n_annotations; j++)
			free(r->annotations[j]);
		free(r->annotations);
		for (size_t j = 0; j < r->n_attestations; j++) {
			free(r->attestations[j].type);
			free_key_set(&r->attestations[j].keys);
			hm_cond_free(r->attestations[j].where);
		}
		free(r->attestations);
		free_patterns(r->base_allow, r->n_base_allow);
		if (r->vsa) {
			free_key_set(&r->vsa->keys);
			free(r->vsa->policy_digest);
			free(r->vsa->verifier_id);
			free(r->vsa);
		}
	}
	free(p->rules);
	free(p->path);
	free(p);
}

const char *hm_mode_name(enum hm_mode m)
{
	return m == HM_MODE_WARN ? "warn" : m == HM_MODE_AUDIT ? "audit" : "enforce";
}

int hm_policy_match(const hm_policy *p, const char *name, const char *tag, const char *digest)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const hm_policy_rule *r = &p->rules[i];
		int hit = 0;

		for (size_t j = 0; j < r->n_images && !hit; j++)
			hit = hm_pattern_match(&r->images[j], name, tag, digest);
		for (size_t j = 0; j < r->n_exclude && hit; j++)
			hit = !hm_pattern_match(&r->exclude[j], name, tag, digest);
		if (hit)
			return (int)i;
	}
	return -1;
}
