/* SPDX-License-Identifier: Apache-2.0 */
/* cosign's keyless flags, read once for every verifying command. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/keyless.h"
#include "core/error.h"
#include "core/time.h"

/* cosign's --certificate-github-workflow-* flags and the Fulcio claim arc
 * (1.3.6.1.4.1.57264.1.N, the legacy raw-bytes extensions) each compares. */
static const struct {
	const char *flag;
	int arc;
} workflow_flags[] = {
	{"certificate-github-workflow-trigger", 2}, {"certificate-github-workflow-sha", 3},
	{"certificate-github-workflow-name", 4},    {"certificate-github-workflow-repository", 5},
	{"certificate-github-workflow-ref", 6},
};
#define N_WORKFLOW_FLAGS (sizeof(workflow_flags) / sizeof(workflow_flags[0]))

/* Reads the flags of the identity into p; 1 when any keyless flag was given. */
static int identity_flags(hm_identity_policy *p, const hm_args *a)
{
	int any = 0;

	memset(p, 0, sizeof(*p));
	p->subject = hm_arg(a, "certificate-identity");
	p->subject_regexp = hm_arg(a, "certificate-identity-regexp");
	p->issuer = hm_arg(a, "certificate-oidc-issuer");
	p->issuer_regexp = hm_arg(a, "certificate-oidc-issuer-regexp");
	for (size_t i = 0; i < N_WORKFLOW_FLAGS; i++)
		if ((p->claims[workflow_flags[i].arc] = hm_arg(a, workflow_flags[i].flag)))
			any = 1;
	return any || p->subject || p->subject_regexp || p->issuer || p->issuer_regexp;
}

/* cosign's rules: keyless needs an identity and an issuer, each given one
 * way.  Returns an exit code or -1. */
static int takes_notation(const hm_args *a)
{
	for (size_t i = 0; i < a->n_opts; i++)
		if (strcmp(a->opts[i]->name, "notation-trust-store") == 0)
			return 1;
	return 0;
}

static int check_mode(const hm_args *a, const hm_identity_policy *p, int keyless, int mix)
{
	int notation = hm_arg(a, "notation-trust-policy") || hm_arg(a, "notation-trust-store");
	int keys = hm_arg_all(a, "key")->n > 0;

	if (keys && keyless && !mix)
		return hm_cli_usage(a, "give --key, or --certificate-identity and --certificate-oidc-issuer, not both");
	if (!keys && !keyless && !notation)
		return hm_cli_usage(a, takes_notation(a)
				       ? "--key, --certificate-identity with --certificate-oidc-issuer, or "
					 "--notation-trust-policy/--notation-trust-store is required"
				       : "--key, or --certificate-identity and --certificate-oidc-issuer, is required");
	if (!keyless)
		return -1;
	if (p->subject && p->subject_regexp)
		return hm_cli_usage(a, "give --certificate-identity or --certificate-identity-regexp, not both");
	if (p->issuer && p->issuer_regexp)
		return hm_cli_usage(a, "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both");
	if (!p->subject && !p->subject_regexp)
		return hm_cli_usage(a, "keyless verification needs --certificate-identity or "
				       "--certificate-identity-regexp");
	if (!p->issuer && !p->issuer_regexp)
		return hm_cli_usage(a, "keyless verification needs --certificate-oidc-issuer or "
				       "--certificate-oidc-issuer-regexp");
	/* A bad regexp is a usage error before anything is read, not a refusal. */
	for (int i = 0; i < 2; i++) {
		const char *re = i ? p->issuer_regexp : p->subject_regexp;
		regex_t rx;

		if (!re)
			continue;
		if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
			return hm_cli_usage(a, "%s: invalid regular expression '%s'",
					    i ? "--certificate-oidc-issuer-regexp" : "--certificate-identity-regexp", re);
		regfree(&rx);
	}
	return -1;
}

int hm_cli_keyless_load(hm_cli_keyless *k, const hm_args *a, int mix)
{
	const char *path = hm_arg(a, "trusted-root");
	int rc;

	memset(k, 0, sizeof(*k));
	k->auth.kind = HM_AUTH_KEYLESS;
	k->auth.name = "keyless";
	k->given = identity_flags(&k->auth.identity, a);
	if ((rc = check_mode(a, &k->auth.identity, k->given, mix)) >= 0)
		return rc;
	/* --trusted-root, else $HALLMARK_TRUSTED_ROOT, else NULL: the built-in
	 * public-good root, loaded when a signature needs it. */
	if (!path || !*path)
		path = getenv("HALLMARK_TRUSTED_ROOT");
	if (path && *path && (rc = hm_trustroot_load(&k->root, path)) != HM_OK)
		return hm_cli_fail(rc);
	k->auth.trustroot = k->root;
	return -1;
}

int hm_cli_keyless_given(const hm_args *a)
{
	hm_identity_policy p;

	return identity_flags(&p, a) || hm_arg(a, "trusted-root");
}

void hm_cli_keyless_release(hm_cli_keyless *k)
{
	hm_trustroot_free(k->root);
	k->root = NULL;
}

void hm_cli_json_signer(cJSON *e, const hm_signer *s)
{
	char when[32];
	cJSON *claims;

	if (s->kind == HM_AUTH_KEYLESS) {
		cJSON_AddBoolToObject(e, "keyless", 1);
		if (s->identity)
			cJSON_AddStringToObject(e, "identity", s->identity);
		if (s->cert.issuer)
			cJSON_AddStringToObject(e, "issuer", s->cert.issuer);
		claims = cJSON_AddObjectToObject(e, "claims");
		for (int arc = 1; arc <= HM_FULCIO_MAX_ARC; arc++)
			if (s->cert.claims[arc] && hm_fulcio_claim_name(arc))
				cJSON_AddStringToObject(claims, hm_fulcio_claim_name(arc), s->cert.claims[arc]);
	}
	if (s->kind != HM_AUTH_NONE && s->log_index >= 0)
		cJSON_AddNumberToObject(e, "logIndex", (double)s->log_index);
	if (s->kind != HM_AUTH_NONE && s->time) {
		hm_time_format(when, s->time);
		cJSON_AddStringToObject(e, "signedAt", when);
	}
}

void hm_cli_print_signer(const hm_signer *s)
{
	char when[32];

	if (s->kind == HM_AUTH_KEYLESS)
		printf(" identity %s, issuer %s", s->identity ? s->identity : "?",
		       s->cert.issuer ? s->cert.issuer : "?");
	if (s->log_index >= 0)
		printf(", log index %lld", (long long)s->log_index);
	if (s->time) {
		hm_time_format(when, s->time);
		printf(", signed at %s", when);
	}
}
