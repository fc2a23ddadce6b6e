/* SPDX-License-Identifier: Apache-2.0 */
/* notation's trustpolicy.json (version 1.0, OCI) and trust store directory. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "notation/identity.h"
#include "notation/internal.h"

struct hm_notation_policy {
	hm_notation_trust_policy *v;
	size_t n;
};

const char *hm_notation_level_name(enum hm_notation_level l)
{
	static const char *const names[] = {"?", "strict", "permissive", "audit", "skip"};

	return l >= HM_NOTATION_STRICT && l <= HM_NOTATION_SKIP ? names[l] : "?";
}

const char *hm_notation_check_name(enum hm_notation_check c)
{
	static const char *const names[] = {"integrity", "authenticity", "authenticTimestamp", "expiry", "revocation"};

	return c < HM_NOTATION_N_CHECKS ? names[c] : "?";
}

/* The specification's table: what each level does with each validation. */
static const enum hm_notation_action level_table[5][HM_NOTATION_N_CHECKS] = {
	[HM_NOTATION_STRICT] = {HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_ENFORCE,
				HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_ENFORCE},
	[HM_NOTATION_PERMISSIVE] = {HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_LOG,
				    HM_NOTATION_ACT_LOG, HM_NOTATION_ACT_LOG},
	[HM_NOTATION_AUDIT] = {HM_NOTATION_ACT_ENFORCE, HM_NOTATION_ACT_LOG, HM_NOTATION_ACT_LOG,
			       HM_NOTATION_ACT_LOG, HM_NOTATION_ACT_LOG},
	[HM_NOTATION_SKIP] = {HM_NOTATION_ACT_SKIP, HM_NOTATION_ACT_SKIP, HM_NOTATION_ACT_SKIP,
			      HM_NOTATION_ACT_SKIP, HM_NOTATION_ACT_SKIP},
};

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void hm_notation_policy_free(hm_notation_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		hm_notation_trust_policy *t = &p->v[i];

		free(t->name);
		strs_free(t->scopes, t->n_scopes);
		strs_free(t->trust_stores, t->n_trust_stores);
		strs_free(t->identities, t->n_identities);
	}
	free(p->v);
	free(p);
}

size_t hm_notation_policy_count(const hm_notation_policy *p)
{
	return p ? p->n : 0;
}

const hm_notation_trust_policy *hm_notation_policy_get(const hm_notation_policy *p, size_t i)
{
	return p && i < p->n ? &p->v[i] : NULL;
}

/* An array of non-empty unique strings, copied; 0 elements allowed only when optional. */
static int str_array(char ***out, size_t *n, const cJSON *a, const char *what, int i, const char *field)
{
	const cJSON *e;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(a))
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].%s must be an array of strings", what, i, field);
	if (!(*out = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	cJSON_ArrayForEach(e, a)
	{
		if (!cJSON_IsString(e) || !e->valuestring[0])
			return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].%s[%zu] is not a non-empty string", what, i,
					    field, k);
		for (size_t j = 0; j < k; j++)
			if (strcmp((*out)[j], e->valuestring) == 0)
				return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].%s has '%s' twice", what, i, field,
						    e->valuestring);
		if (!((*out)[k] = strdup(e->valuestring)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		*n = ++k;
	}
	return HM_OK;
}

static int valid_store_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* "ca:NAME" -> type and name; 0 when malformed. */
static int store_ref(const char *ref, char type[24], const char **name)
{
	const char *colon = strchr(ref, ':');
	size_t tl = colon ? (size_t)(colon - ref) : 0;

	if (!colon || tl >= 24)
		return 0;
	memcpy(type, ref, tl);
	type[tl] = '\0';
	*name = colon + 1;
	return (strcmp(type, "ca") == 0 || strcmp(type, "signingAuthority") == 0 || strcmp(type, "tsa") == 0) &&
	       valid_store_name(*name) && strcmp(*name, ".") != 0 && strcmp(*name, "..") != 0;
}

static int parse_verification(hm_notation_trust_policy *t, const cJSON *sv, const char *what, int i)
{
	static const char *const levels[] = {NULL, "strict", "permissive", "audit", "skip"};
	const char *level = hm_json_str(sv, "level"), *vt;
	const cJSON *ov, *e;

	if (!cJSON_IsObject(sv) || !level)
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].signatureVerification.level is required", what, i);
	for (int l = HM_NOTATION_STRICT; l <= HM_NOTATION_SKIP; l++)
		if (strcmp(level, levels[l]) == 0)
			t->level = (enum hm_notation_level)l;
	if (!t->level)
		return hm_error_set(HM_E_USAGE,
				    "%s: trustPolicies[%d].signatureVerification.level '%s' is not strict, permissive, "
				    "audit or skip",
				    what, i, level);
	memcpy(t->actions, level_table[t->level], sizeof(t->actions));
	t->verify_timestamp_always = 1;
	if ((vt = hm_json_str(sv, "verifyTimestamp"))) {
		if (strcmp(vt, "afterCertExpiry") == 0)
			t->verify_timestamp_always = 0;
		else if (strcmp(vt, "always") != 0)
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d].signatureVerification.verifyTimestamp '%s' is not always "
					    "or afterCertExpiry",
					    what, i, vt);
	} else if (cJSON_GetObjectItemCaseSensitive(sv, "verifyTimestamp")) {
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].signatureVerification.verifyTimestamp is not a string",
				    what, i);
	}
	if (!(ov = cJSON_GetObjectItemCaseSensitive(sv, "override")))
		return HM_OK;
	if (t->level == HM_NOTATION_SKIP)
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d]: level skip cannot be overridden", what, i);
	if (!cJSON_IsObject(ov))
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].signatureVerification.override is not an object",
				    what, i);
	cJSON_ArrayForEach(e, ov)
	{
		int c = -1;

		for (int k = HM_NOTATION_AUTHENTICITY; k < HM_NOTATION_N_CHECKS; k++)
			if (strcmp(e->string, hm_notation_check_name((enum hm_notation_check)k)) == 0)
				c = k;
		if (c < 0)
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d].signatureVerification.override: '%s' cannot be "
					    "overridden (authenticity, authenticTimestamp, expiry, revocation)",
					    what, i, e->string);
		if (cJSON_IsString(e) && strcmp(e->valuestring, "enforce") == 0)
			t->actions[c] = HM_NOTATION_ACT_ENFORCE;
		else if (cJSON_IsString(e) && strcmp(e->valuestring, "log") == 0)
			t->actions[c] = HM_NOTATION_ACT_LOG;
		else if (cJSON_IsString(e) && strcmp(e->valuestring, "skip") == 0 && c == HM_NOTATION_REVOCATION)
			t->actions[c] = HM_NOTATION_ACT_SKIP;
		else
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d].signatureVerification.override.%s must be enforce or log%s",
					    what, i, e->string, c == HM_NOTATION_REVOCATION ? " or skip" : "");
	}
	return HM_OK;
}

static int check_identities(const hm_notation_trust_policy *t, const char *what, int i)
{
	nt_dn dns[64];
	size_t n = 0;
	int err = HM_OK;

	for (size_t k = 0; k < t->n_identities; k++) {
		const char *why;

		if (strcmp(t->identities[k], "*") == 0) {
			if (t->n_identities != 1)
				return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].trustedIdentities: \"*\" must be alone",
						    what, i);
			continue;
		}
		if (n >= 64) {
			err = hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].trustedIdentities: over 64 identities", what, i);
			break;
		}
		if (nt_identity_parse(&dns[n], t->identities[k], &why) != HM_OK) {
			err = hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].trustedIdentities[%zu] '%s' %s", what, i, k,
					   t->identities[k], why);
			break;
		}
		for (size_t j = 0; j < n && !err; j++)
			if (nt_dn_overlap(&dns[j], &dns[n]))
				err = hm_error_set(HM_E_USAGE,
						   "%s: trustPolicies[%d].trustedIdentities[%zu] overlaps an earlier identity "
						   "(one certificate could match both)",
						   what, i, k);
		n++;
	}
	for (size_t k = 0; k < n; k++)
		nt_dn_free(&dns[k]);
	return err;
}

static int parse_statement(hm_notation_trust_policy *t, const cJSON *s, const char *what, int i)
{
	const char *name = hm_json_str(s, "name");
	const cJSON *stores = cJSON_GetObjectItemCaseSensitive(s, "trustStores");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(s, "trustedIdentities");
	int err;

	if (!cJSON_IsObject(s) || !name || !name[0])
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d] needs a non-empty name", what, i);
	if (!(t->name = strdup(name)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if ((err = str_array(&t->scopes, &t->n_scopes, cJSON_GetObjectItemCaseSensitive(s, "registryScopes"), what,
			     i, "registryScopes")) != HM_OK)
		return err;
	if (t->n_scopes == 0)
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d].registryScopes is empty", what, i);
	for (size_t k = 0; k < t->n_scopes; k++)
		if (strchr(t->scopes[k], '*') && (strcmp(t->scopes[k], "*") != 0 || t->n_scopes != 1))
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d].registryScopes: '*' must be the only scope, and "
					    "repositories contain no '*'",
					    what, i);
	if ((err = parse_verification(t, cJSON_GetObjectItemCaseSensitive(s, "signatureVerification"), what, i)) != HM_OK)
		return err;
	if (t->level == HM_NOTATION_SKIP) {
		if (strcmp(t->scopes[0], "*") == 0)
			return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d]: level skip cannot have the global scope '*'",
					    what, i);
		if ((stores && cJSON_GetArraySize(stores) > 0) || (ids && cJSON_GetArraySize(ids) > 0))
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d]: level skip takes no trustStores or trustedIdentities",
					    what, i);
		return HM_OK;
	}
	if ((err = str_array(&t->trust_stores, &t->n_trust_stores, stores, what, i, "trustStores")) != HM_OK ||
	    (err = str_array(&t->identities, &t->n_identities, ids, what, i, "trustedIdentities")) != HM_OK)
		return err;
	if (t->n_trust_stores == 0 || t->n_identities == 0)
		return hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d] needs trustStores and trustedIdentities", what, i);
	for (size_t k = 0; k < t->n_trust_stores; k++) {
		char type[24];
		const char *sname;

		if (!store_ref(t->trust_stores[k], type, &sname))
			return hm_error_set(HM_E_USAGE,
					    "%s: trustPolicies[%d].trustStores[%zu] '%s' is not ca:NAME, "
					    "signingAuthority:NAME or tsa:NAME",
					    what, i, k, t->trust_stores[k]);
	}
	return check_identities(t, what, i);
}

int hm_notation_policy_parse(hm_notation_policy **out, const void *json, size_t len, const char *what)
{
	cJSON *j = NULL;
	const cJSON *list, *s;
	hm_notation_policy *p = NULL;
	const char *version;
	int err = HM_OK, i = 0, globals = 0;

	*out = NULL;
	if (len > HM_NOTATION_MAX_POLICY)
		return hm_error_set(HM_E_USAGE, "%s: over %u bytes", what, HM_NOTATION_MAX_POLICY);
	if (!(j = nt_json_parse(json, len, what, HM_E_USAGE)))
		return HM_E_USAGE;
	version = hm_json_str(j, "version");
	list = cJSON_GetObjectItemCaseSensitive(j, "trustPolicies");
	if (!version || strcmp(version, "1.0") != 0) {
		err = hm_error_set(HM_E_USAGE, "%s: version must be \"1.0\"", what);
		goto done;
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		err = hm_error_set(HM_E_USAGE, "%s: trustPolicies must be a non-empty array", what);
		goto done;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->v = calloc((size_t)cJSON_GetArraySize(list), sizeof(*p->v)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(s, list)
	{
		hm_notation_trust_policy *t = &p->v[p->n++];

		if ((err = parse_statement(t, s, what, i)) != HM_OK)
			goto done;
		for (size_t k = 0; k + 1 < p->n; k++) {
			if (strcmp(p->v[k].name, t->name) == 0) {
				err = hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d]: name '%s' is used twice", what, i,
						   t->name);
				goto done;
			}
			for (size_t a = 0; a < t->n_scopes; a++)
				for (size_t b = 0; b < p->v[k].n_scopes; b++)
					if (strcmp(t->scopes[a], "*") != 0 && strcmp(t->scopes[a], p->v[k].scopes[b]) == 0) {
						err = hm_error_set(HM_E_USAGE,
								   "%s: trustPolicies[%d]: registry scope '%s' is in two "
								   "policies",
								   what, i, t->scopes[a]);
						goto done;
					}
		}
		if (strcmp(t->scopes[0], "*") == 0 && ++globals > 1) {
			err = hm_error_set(HM_E_USAGE, "%s: trustPolicies[%d]: only one policy may have the global scope '*'",
					   what, i);
			goto done;
		}
		i++;
	}
done:
	cJSON_Delete(j);
	if (err)
		hm_notation_policy_free(p);
	else
		*out = p;
	return err;
}

int hm_notation_policy_load(hm_notation_policy **out, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = NULL;
	if ((err = hm_file_read(&b, path, HM_NOTATION_MAX_POLICY)) == HM_OK)
		err = hm_notation_policy_parse(out, b.data, b.len, path);
	hm_buf_release(&b);
	return err;
}

int hm_notation_policy_select(const hm_notation_trust_policy **out, const hm_notation_policy *p,
			      const char *repository)
{
	const hm_notation_trust_policy *global = NULL;

	*out = NULL;
	for (size_t i = 0; p && i < p->n; i++)
		for (size_t k = 0; k < p->v[i].n_scopes; k++) {
			if (strcmp(p->v[i].scopes[k], "*") == 0)
				global = &p->v[i];
			else if (repository && strcmp(p->v[i].scopes[k], repository) == 0) {
				*out = &p->v[i];
				return HM_OK;
			}
		}
	if (!global)
		return hm_error_set(HM_E_VERIFY, "no notation trust policy applies to '%s'", repository ? repository : "");
	*out = global;
	return HM_OK;
}

/* ---- Trust store ----------------------------------------------------- */

typedef struct named_store {
	char *ref; /* "ca:NAME" */
	STACK_OF(X509) *certs;
} named_store;

struct hm_notation_store {
	char *dir;
	named_store v[32];
	size_t n;
};

int hm_notation_store_open(hm_notation_store **out, const char *dir)
{
	struct stat st;

	*out = NULL;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return hm_error_set(HM_E_IO, "notation trust store '%s': not a directory", dir);
	if (!(*out = calloc(1, sizeof(**out))) || !((*out)->dir = strdup(dir))) {
		free(*out);
		*out = NULL;
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return HM_OK;
}

void hm_notation_store_free(hm_notation_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].ref);
		sk_X509_pop_free(st->v[i].certs, X509_free);
	}
	free(st->dir);
	free(st);
}

static int has_cert_ext(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && (strcmp(name + n - 4, ".pem") == 0 || strcmp(name + n - 4, ".crt") == 0 ||
			 strcmp(name + n - 4, ".cer") == 0);
}

/* PEM (one or more certificates) or one DER certificate. */
static int read_certs(STACK_OF(X509) *out, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	BIO *bio = NULL;
	X509 *x;
	int err, n = 0;

	if ((err = hm_file_read(&b, path, HM_NOTATION_MAX_STORE_FILE)) != HM_OK)
		return err;
	if (b.len > 0 && memmem(b.data, b.len, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(b.data, (int)b.len);
		while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			if (sk_X509_num(out) >= HM_NOTATION_MAX_STORE_CERTS || !sk_X509_push(out, x)) {
				X509_free(x);
				break;
			}
			n++;
		}
	} else if (b.len > 0) {
		const unsigned char *p = (const unsigned char *)b.data;

		if ((x = d2i_X509(NULL, &p, (long)b.len)) && p == (const unsigned char *)b.data + b.len &&
		    sk_X509_num(out) < HM_NOTATION_MAX_STORE_CERTS && sk_X509_push(out, x))
			n++;
		else
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	hm_buf_release(&b);
	if (n == 0)
		return hm_error_set(HM_E_IO, "notation trust store: '%s' holds no readable certificate (or too many)", path);
	return HM_OK;
}

static int load_named(STACK_OF(X509) *out, const char *dir, const char *type)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int err = HM_OK;

	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return hm_error_set(HM_E_IO, "notation trust store: '%s' is not a directory (symlinks are refused)", dir);
	if (!(d = opendir(dir)))
		return hm_error_set(HM_E_IO, "notation trust store: opening '%s': %s", dir, strerror(errno));
	while ((de = readdir(d)) && !err) {
		char *path;

		if (!has_cert_ext(de->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!nv) {
				err = hm_error_set(HM_E_NOMEM, "out of memory");
				break;
			}
			names = nv;
		}
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			break;
		}
		names[n++] = path;
	}
	closedir(d);
	/* Read in name order so that results do not depend on the directory. */
	for (size_t i = 0; i < n && !err; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(names[k], names[i]) < 0) {
				char *t = names[i];

				names[i] = names[k];
				names[k] = t;
			}
	for (size_t i = 0; i < n && !err; i++) {
		if (lstat(names[i], &st) != 0 || S_ISLNK(st.st_mode))
			err = hm_error_set(HM_E_IO, "notation trust store: '%s' is a symlink (refused)", names[i]);
		else if (S_ISREG(st.st_mode))
			err = read_certs(out, names[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!err && sk_X509_num(out) == 0)
		err = hm_error_set(HM_E_IO, "notation trust store: '%s' has no certificates", dir);
	/* ca and signingAuthority stores hold CA or self-signed certificates, tsa stores roots. */
	for (int i = 0; !err && i < sk_X509_num(out); i++) {
		X509 *x = sk_X509_value(out, i);
		int ss = (X509_get_extension_flags(x) & EXFLAG_SS) != 0, ca = X509_check_ca(x) != 0;

		if (strcmp(type, "tsa") == 0 ? !(ss && ca) : !(ss || ca)) {
			char *s = nt_subject_string(x);

			err = hm_error_set(HM_E_IO, "notation trust store '%s': certificate '%s' is not %s", dir, s ? s : "?",
					   strcmp(type, "tsa") == 0 ? "a self-signed root CA" : "a CA or self-signed");
			free(s);
		}
	}
	return err;
}

int hm_notation_store_certs(STACK_OF(X509) **out, hm_notation_store *st, const char *ref)
{
	char type[24], *dir = NULL;
	const char *name;
	named_store *ns;
	int err;

	*out = NULL;
	if (!store_ref(ref, type, &name))
		return hm_error_set(HM_E_USAGE, "notation trust store reference '%s' is not TYPE:NAME", ref);
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].ref, ref) == 0) {
			*out = st->v[i].certs;
			return HM_OK;
		}
	if (st->n >= sizeof(st->v) / sizeof(st->v[0]))
		return hm_error_set(HM_E_USAGE, "notation trust store: over 32 named stores in use");
	ns = &st->v[st->n];
	if (asprintf(&dir, "%s/x509/%s/%s", st->dir, type, name) < 0)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (!(ns->certs = sk_X509_new_null()) || !(ns->ref = strdup(ref))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	} else {
		err = load_named(ns->certs, dir, type);
	}
	free(dir);
	if (err) {
		sk_X509_pop_free(ns->certs, X509_free);
		free(ns->ref);
		memset(ns, 0, sizeof(*ns));
		return err;
	}
	st->n++;
	*out = ns->certs;
	return HM_OK;
}
