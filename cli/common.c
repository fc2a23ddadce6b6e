/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "verify/notation_evidence.h"
#include "core/error.h"
#include "core/strv.h"
#include "policy/policy.h"

int hm_cli_open(hm_ref *ref, hm_store **s, const hm_args *a, const char *text, int create)
{
	int err = hm_ref_parse(ref, text);

	*s = NULL;
	if (err)
		return err;
	err = hm_store_open(s, ref, &a->store, create);
	if (err)
		hm_ref_free(ref);
	return err;
}

int hm_cli_open_resolved(hm_ref *ref, hm_store **s, hm_desc *d, const hm_args *a, const char *text)
{
	int err = hm_cli_open(ref, s, a, text, 0);

	if (err)
		return err;
	err = hm_store_resolve(*s, ref->digest ? ref->digest : ref->tag, d);
	if (err) {
		hm_store_free(*s);
		*s = NULL;
		hm_ref_free(ref);
	}
	return err;
}

int hm_cli_each_image(const hm_args *a, const char *what, hm_cli_image_fn fn, void *ctx, int json)
{
	cJSON *top = json ? hm_cli_json_new(a) : NULL;
	cJSON *all = top ? cJSON_AddArrayToObject(top, "images") : NULL;
	int rc = HM_EXIT_OK;

	if (json && !all) {
		cJSON_Delete(top);
		return hm_cli_fail(hm_error_set(HM_E_NOMEM, "out of memory"));
	}
	for (size_t i = 0; i < a->pos.n; i++) {
		const char *arg = a->pos.v[i];
		cJSON *last = all && all->child ? all->child->prev : NULL, *e = NULL;
		hm_store *s = NULL;
		hm_ref ref;
		hm_desc d;
		int err = hm_cli_open_resolved(&ref, &s, &d, a, arg), code;

		if (!err) {
			err = fn(ctx, arg, &ref, s, &d, all);
			hm_store_free(s);
			hm_ref_free(&ref);
		}
		if (err && err != HM_E_VERIFY)
			err = hm_error_wrap(err, "%s %s", what, arg);
		/* every image gets its entry, with its error when it failed */
		if (all) {
			e = last ? last->next : all->child;
			if (!e && (e = cJSON_CreateObject())) {
				cJSON_AddStringToObject(e, "reference", arg);
				cJSON_AddNullToObject(e, "digest");
				cJSON_AddItemToArray(all, e);
			}
			if (e)
				hm_cli_json_set_error(e, err ? hm_error_message() : NULL);
		}
		if (!err)
			continue;
		fflush(stdout);
		code = hm_cli_fail(err);
		/* 3 (operational) outranks 2 (usage), which outranks 1 (check failed). */
		if (code > rc)
			rc = code;
	}
	if (top)
		hm_cli_json_print(top, rc, NULL);
	return rc;
}

void hm_cli_json_verdict(cJSON *e, const hm_args *a, hm_key *const *keys, const char *source,
			 const char *digest_name, const char *digest, int valid, int key_index,
			 const char *reason)
{
	cJSON_AddStringToObject(e, "source", source);
	cJSON_AddStringToObject(e, digest_name, digest);
	cJSON_AddBoolToObject(e, "valid", valid);
	if (key_index >= 0) {
		cJSON_AddStringToObject(e, "key", hm_arg_all(a, "key")->v[key_index]);
		cJSON_AddStringToObject(e, "fingerprint", hm_key_fingerprint(keys[key_index]));
	}
	if (reason)
		cJSON_AddStringToObject(e, "reason", reason);
}

int hm_cli_load_public_keys(hm_key ***keys, size_t *n, const hm_args *a, const char *opt)
{
	const hm_strv *files = hm_arg_all(a, opt);
	int err = HM_OK;

	*n = 0;
	*keys = calloc(files->n ? files->n : 1, sizeof(**keys));
	if (!*keys)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < files->n && !err; i++) {
		err = hm_key_load_public(&(*keys)[i], files->v[i]);
		if (!err) {
			*n = i + 1;
			hm_cli_key_scrub(a, opt, i, (*keys)[i]);
		}
	}
	if (err) {
		hm_cli_keys_free(*keys, *n);
		*keys = NULL;
		*n = 0;
	}
	return err;
}

void hm_cli_key_scrub(const hm_args *a, const char *opt, size_t i, const hm_key *k)
{
	const hm_strv *sv = hm_arg_all(a, opt);
	const char *name = hm_key_name(k);
	size_t have, want = strlen(name);

	if (i >= sv->n)
		return;
	have = strlen(sv->v[i]);
	if (want >= have || strcmp(sv->v[i], name) == 0)
		return; /* a file or env:// name has nothing to hide */
	memcpy(sv->v[i], name, want + 1);
	explicit_bzero(sv->v[i] + want + 1, have - want);
}

int hm_cli_load_private_key(hm_key **out, const hm_args *a)
{
	const hm_strv *sv = hm_arg_all(a, "key");
	int err = hm_key_load_private(out, hm_arg(a, "key"), hm_arg(a, "passphrase-file"));

	if (!err && sv->n)
		hm_cli_key_scrub(a, "key", sv->n - 1, *out);
	return err;
}

void hm_cli_keys_free(hm_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hm_key_free(keys[i]);
	free(keys);
}

int hm_cli_load_policy(hm_policy **p, const char *path, FILE *f)
{
	hm_strv diags = HM_STRV_INIT;
	int err = hm_policy_load(p, path, &diags);

	for (size_t i = 0; i < diags.n; i++)
		fprintf(f, "%s\n", diags.v[i]);
	fflush(f);
	hm_strv_free(&diags);
	return err;
}

/* notation's own location of its configuration file or directory name:
 * ${XDG_CONFIG_HOME:-$HOME/.config}/notation/name; NULL without HOME. */
static char *notation_default(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && *xdg)
		return asprintf(&p, "%s/notation/%s", xdg, name) < 0 ? NULL : p;
	if (home && *home)
		return asprintf(&p, "%s/.config/notation/%s", home, name) < 0 ? NULL : p;
	return NULL;
}

/* --notation-trust-policy and --notation-trust-store, either defaulting to
 * notation's own location when the other is given (trustpolicy.oci.json
 * first, as notation 1.2 reads it, then trustpolicy.json). */
int hm_cli_load_notation(hm_notation_trust **out, const hm_args *a)
{
	const char *pf = hm_arg(a, "notation-trust-policy"), *sd = hm_arg(a, "notation-trust-store");
	char *dpf = NULL, *dsd = NULL;
	int err;

	*out = NULL;
	if (!pf && !sd)
		return HM_OK;
	if (!pf) {
		dpf = notation_default("trustpolicy.oci.json");
		if (dpf && access(dpf, F_OK) != 0) {
			free(dpf);
			dpf = notation_default("trustpolicy.json");
		}
		if (!(pf = dpf))
			return hm_error_set(HM_E_USAGE, "--notation-trust-policy is needed (no HOME)");
	}
	if (!sd && !(sd = dsd = notation_default("truststore")))
		err = hm_error_set(HM_E_USAGE, "--notation-trust-store is needed (no HOME)");
	else
		err = hm_notation_trust_load(out, pf, sd);
	free(dpf);
	free(dsd);
	return err;
}
