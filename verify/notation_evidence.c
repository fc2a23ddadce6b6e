/* SPDX-License-Identifier: Apache-2.0 */
/* Notation signatures attached to images, verified (see notation_evidence.h). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/error.h"
#include "oci/manifest.h"
#include "verify/notation_evidence.h"

static int oom(void)
{
	return hm_error_set(HM_E_NOMEM, "out of memory");
}

void hm_notation_trust_free(hm_notation_trust *t)
{
	if (!t)
		return;
	free(t->store_dir);
	free(t->policy_file);
	hm_notation_policy_free(t->policy);
	hm_notation_store_free(t->store);
	for (size_t i = 0; i < t->n_identities; i++)
		free(t->identities[i]);
	free(t->identities);
	free(t);
}

int hm_notation_trust_load(hm_notation_trust **out, const char *policy_file, const char *store_dir)
{
	return hm_notation_trust_make(out, store_dir, policy_file, NULL, 0, NULL);
}

/* Adds "TYPE:NAME" to the JSON array for every sub-directory of
 * store_dir/x509/TYPE (symlinks are left to the store to refuse).  tsa
 * stores are not added: a trust policy naming one requires a timestamp
 * of every signature, which only a trust policy file should ask. */
static int add_stores(cJSON *arr, const char *store_dir, const char *type, size_t *n)
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	int err = HM_OK;

	snprintf(path, sizeof(path), "%s/x509/%s", store_dir, type);
	if (!(d = opendir(path)))
		return HM_OK;
	while ((de = readdir(d)) && !err) {
		char sub[4096 + 256], ref[300];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (snprintf(ref, sizeof(ref), "%s:%s", type, de->d_name) >= (int)sizeof(ref))
			continue;
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(ref)))
			err = oom();
		else
			(*n)++;
	}
	closedir(d);
	return err;
}

/* The trust policy document trusting every store of store_dir and identities. */
static int make_policy(hm_notation_policy **out, const char *store_dir, const char *const *ids, size_t n_ids,
		       const char *what)
{
	cJSON *doc = cJSON_CreateObject(), *pols = cJSON_AddArrayToObject(doc, "trustPolicies");
	cJSON *st = cJSON_CreateObject(), *scopes, *stores, *idv, *sv;
	size_t n_stores = 0;
	char *text = NULL;
	int err = HM_OK;

	if (!doc || !pols || !st || !cJSON_AddItemToArray(pols, st)) {
		cJSON_Delete(st);
		err = oom();
		goto done;
	}
	cJSON_AddStringToObject(doc, "version", "1.0");
	cJSON_AddStringToObject(st, "name", "hallmark");
	scopes = cJSON_AddArrayToObject(st, "registryScopes");
	cJSON_AddItemToArray(scopes, cJSON_CreateString("*"));
	sv = cJSON_AddObjectToObject(st, "signatureVerification");
	cJSON_AddStringToObject(sv, "level", "strict");
	stores = cJSON_AddArrayToObject(st, "trustStores");
	idv = cJSON_AddArrayToObject(st, "trustedIdentities");
	for (size_t i = 0; i < n_ids; i++)
		cJSON_AddItemToArray(idv, cJSON_CreateString(ids[i]));
	if ((err = add_stores(stores, store_dir, "ca", &n_stores)) ||
	    (err = add_stores(stores, store_dir, "signingAuthority", &n_stores)))
		goto done;
	if (!n_stores) {
		err = hm_error_set(HM_E_USAGE, "%s: notation trust store '%s' has no x509/ca/NAME or "
					       "x509/signingAuthority/NAME directory", what, store_dir);
		goto done;
	}
	if (!(text = cJSON_PrintUnformatted(doc))) {
		err = oom();
		goto done;
	}
	err = hm_notation_policy_parse(out, text, strlen(text), what);
done:
	free(text);
	cJSON_Delete(doc);
	return err;
}

int hm_notation_trust_make(hm_notation_trust **out, const char *store_dir, const char *policy_file,
			   const char *const *ids, size_t n_ids, const char *what)
{
	hm_notation_trust *t = calloc(1, sizeof(*t));
	int err;

	*out = NULL;
	if (!t)
		return oom();
	/* the identities are kept only beside a policy file: a policy made
	 * from them holds them already */
	if (!(t->store_dir = strdup(store_dir)) || (policy_file && !(t->policy_file = strdup(policy_file))) ||
	    (policy_file && n_ids && !(t->identities = calloc(n_ids, sizeof(*t->identities))))) {
		err = oom();
		goto fail;
	}
	for (; policy_file && t->n_identities < n_ids; t->n_identities++)
		if (!(t->identities[t->n_identities] = strdup(ids[t->n_identities]))) {
			err = oom();
			goto fail;
		}
	if (policy_file)
		err = hm_notation_policy_load(&t->policy, policy_file);
	else
		err = make_policy(&t->policy, store_dir, ids, n_ids, what ? what : store_dir);
	if (err)
		goto fail;
	if ((err = hm_notation_store_open(&t->store, store_dir)))
		goto fail;
	/* Every named store the policy uses is read now, while one thread
	 * runs: verification only reads them after (audit and the webhook
	 * share a trust between threads).  One that cannot be read is
	 * reported when a signature needs it. */
	for (size_t i = 0; i < hm_notation_policy_count(t->policy); i++) {
		const hm_notation_trust_policy *st = hm_notation_policy_get(t->policy, i);

		for (size_t k = 0; k < st->n_trust_stores; k++) {
			STACK_OF(X509) *certs;

			if (hm_notation_store_certs(&certs, t->store, st->trust_stores[k]) == HM_E_NOMEM) {
				err = HM_E_NOMEM;
				goto fail;
			}
		}
	}
	hm_error_clear();
	*out = t;
	return HM_OK;
fail:
	hm_notation_trust_free(t);
	return what && err != HM_E_NOMEM ? hm_error_wrap(err, "%s", what) : err;
}

void hm_notation_verdict_free(hm_notation_verdict *v)
{
	free(v->reason);
	if (v->result) {
		hm_notation_result_free(v->result);
		free(v->result);
	}
	memset(v, 0, sizeof(*v));
	v->trust_index = -1;
}

static int refuse(hm_notation_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(hm_notation_verdict *v, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = hm_reason_vset(&v->reason, fmt, ap);
	va_end(ap);
	if (!err)
		hm_error_clear(); /* the reason carries it */
	v->trust_index = -1;
	return err;
}

/* Whether the leaf of r matches one of t's extra identities. */
static int identity_ok(const hm_notation_trust *t, const hm_notation_result *r)
{
	if (!t->n_identities)
		return 1;
	if (!r->chain || sk_X509_num(r->chain) < 1)
		return 0;
	for (size_t i = 0; i < t->n_identities; i++)
		if (hm_notation_identity_match(t->identities[i], sk_X509_value(r->chain, 0)))
			return 1;
	return 0;
}

int hm_evidence_notation(hm_notation_verdict *out, hm_store *s, const hm_attached *a, const char *digest,
			 const char *repository, hm_notation_trust *const *trusts, size_t n_trusts, int64_t now)
{
	hm_buf env = HM_BUF_INIT, body = HM_BUF_INIT;
	hm_desc got;
	hm_descriptor target;
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	out->trust_index = -1;
	if (a->refused)
		return refuse(out, "%s", a->refused);
	if (strcmp(a->desc.media_type, HM_NOTATION_MT_JWS) != 0 && strcmp(a->desc.media_type, HM_NOTATION_MT_COSE) != 0)
		return refuse(out, "notation signature layer of media type '%s', not " HM_NOTATION_MT_JWS
				   " or " HM_NOTATION_MT_COSE, a->desc.media_type);
	if (!n_trusts)
		return refuse(out, "no notation trust store to verify the notation signature with");
	err = hm_attached_fetch(&env, s, a, HM_NOTATION_MAX_ENVELOPE);
	if (err == HM_E_VERIFY) {
		err = refuse(out, "notation envelope: %s", hm_error_message());
		goto done;
	}
	if (err)
		goto done;
	/* The target is the image as the store holds it, never as the
	 * signature claims: its media type and size are checked too. */
	if ((err = hm_store_get_manifest(s, digest, &body, &got)))
		goto done;
	memset(&target, 0, sizeof(target));
	target.media_type = got.media_type;
	target.digest = got.digest;
	target.size = got.size;
	for (size_t i = 0; i < n_trusts; i++) {
		hm_notation_verify_opts o = HM_NOTATION_VERIFY_OPTS_INIT;
		hm_notation_result *r = calloc(1, sizeof(*r));

		if (!r) {
			err = oom();
			goto done;
		}
		o.repository = repository;
		o.policy = trusts[i]->policy;
		o.store = trusts[i]->store;
		o.now = now;
		err = hm_notation_verify(r, env.data, env.len, a->desc.media_type, &target, &o);
		if (out->result) {
			hm_notation_result_free(out->result);
			free(out->result);
		}
		out->result = r;
		if (err == HM_E_VERIFY) {
			err = refuse(out, "%s", r->reason ? r->reason : hm_error_message());
			continue;
		}
		if (err)
			goto done;
		if (r->outcome != HM_NOTATION_VERIFIED) {
			err = refuse(out, "notation trust policy '%s' says skip: nothing was verified",
				     r->policy_name ? r->policy_name : "?");
			continue;
		}
		/* at level audit an untrusted signer still "verifies": it is
		 * no signature of anyone this trust names */
		if (!r->signer_trusted) {
			err = refuse(out, "notation signer '%s' is not trusted (trust policy '%s' at level %s only logs it)",
				     r->subject ? r->subject : "?", r->policy_name ? r->policy_name : "?",
				     hm_notation_level_name(r->level));
			continue;
		}
		if (!identity_ok(trusts[i], r)) {
			err = refuse(out, "notation signer '%s' is not one of the trusted identities",
				     r->subject ? r->subject : "?");
			continue;
		}
		free(out->reason);
		out->reason = NULL;
		out->trust_index = (int)i;
		break;
	}
done:
	hm_buf_release(&env);
	hm_buf_release(&body);
	return err;
}
