/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark verify */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/keyless.h"
#include "core/error.h"
#include "core/time.h"
#include "verify/verify.h"

static const char *short_digest(const char *d, char *buf, size_t n)
{
	snprintf(buf, n, "%.19s", *d ? d : "-");
	return buf;
}

/* "notation JWS signer 'C=US, ..., CN=x' (trust store DIR ca:NAME, notary.x509, signed 2026-...)" */
static void notation_line(FILE *f, const hm_notation_trust *t, const hm_notation_result *n)
{
	char when[32];

	fprintf(f, "notation %s signer '%s' (trust store %s %s, %s", n->format == HM_NOTATION_COSE ? "COSE" : "JWS",
		n->subject ? n->subject : "?", t->store_dir, n->trust_store ? n->trust_store : "-",
		hm_notation_scheme_name(n->scheme));
	if (n->authentic_signing_time) {
		hm_time_format(when, n->authentic_signing_time);
		fprintf(f, ", authentic signing time %s", when);
	} else if (n->signing_time) {
		hm_time_format(when, n->signing_time);
		fprintf(f, ", signed %s", when);
	}
	if (n->timestamp_time) {
		hm_time_format(when, n->timestamp_time);
		fprintf(f, ", timestamped %s", when);
	}
	if (n->expiry) {
		hm_time_format(when, n->expiry);
		fprintf(f, ", expires %s", when);
	}
	fputs(")", f);
}

static void print_text(const hm_args *a, hm_notation_trust *const *trusts, const char *image,
		       const hm_verify_result *r)
{
	const hm_strv *keys = hm_arg_all(a, "key");
	char sd[32];

	printf("%s %s@%s: %zu of %zu signature%s valid\n", r->n_valid ? "verified" : "NOT VERIFIED", image,
	       r->digest, r->n_valid, r->n_sigs, r->n_sigs == 1 ? "" : "s");
	for (size_t i = 0; i < r->n_sigs; i++) {
		const hm_sig_result *g = &r->sigs[i];

		if (g->valid && g->notation_index >= 0) {
			printf("  valid    %s... (%s) ", short_digest(g->layer, sd, sizeof(sd)), g->source);
			notation_line(stdout, trusts[g->notation_index], g->notation);
			putchar('\n');
		} else if (g->valid && g->signer.kind == HM_AUTH_KEYLESS) {
			printf("  valid    %s... (%s)", short_digest(g->layer, sd, sizeof(sd)), g->source);
			hm_cli_print_signer(&g->signer);
			printf("\n");
		} else if (g->valid) {
			printf("  valid    %s... (%s) key %s", short_digest(g->layer, sd, sizeof(sd)), g->source,
			       keys->v[g->key_index]);
			hm_cli_print_signer(&g->signer);
			printf("\n");
		} else
			printf("  invalid  %s... (%s): %s\n", short_digest(g->layer, sd, sizeof(sd)), g->source,
			       g->reason);
	}
}

struct verify_ctx {
	const hm_args *a;
	hm_key **keys;
	hm_notation_trust *trust;
	hm_verify_opts o;
	hm_cli_keyless kl;
};

static void add_time(cJSON *o, const char *name, int64_t t)
{
	char when[32];

	if (!t)
		return;
	hm_time_format(when, t);
	cJSON_AddStringToObject(o, name, when);
}

/* What a notation signature says, for --output json. */
static cJSON *notation_json(const hm_notation_trust *t, const hm_notation_result *n)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "format", n->format == HM_NOTATION_COSE ? "cose" : "jws");
	if (n->format)
		cJSON_AddStringToObject(o, "algorithm", hm_notation_alg_name(n->alg));
	if (n->scheme)
		cJSON_AddStringToObject(o, "signingScheme", hm_notation_scheme_name(n->scheme));
	if (n->subject)
		cJSON_AddStringToObject(o, "signer", n->subject);
	if (t) {
		cJSON_AddStringToObject(o, "trustStore", t->store_dir);
		if (t->policy_file)
			cJSON_AddStringToObject(o, "trustPolicy", t->policy_file);
	}
	if (n->trust_store)
		cJSON_AddStringToObject(o, "trustedBy", n->trust_store);
	if (n->policy_name)
		cJSON_AddStringToObject(o, "trustPolicyStatement", n->policy_name);
	add_time(o, "signingTime", n->signing_time);
	add_time(o, "authenticSigningTime", n->authentic_signing_time);
	add_time(o, "timestampTime", n->timestamp_time);
	add_time(o, "expiry", n->expiry);
	return o;
}

static cJSON *to_json(const struct verify_ctx *c, const char *image, const hm_verify_result *r)
{
	cJSON *j = cJSON_CreateObject(), *sigs = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "reference", image);
	cJSON_AddStringToObject(j, "digest", r->digest);
	cJSON_AddBoolToObject(j, "verified", r->n_valid > 0);
	for (size_t i = 0; i < r->n_sigs; i++) {
		const hm_sig_result *g = &r->sigs[i];
		cJSON *s = cJSON_CreateObject();

		hm_cli_json_verdict(s, c->a, c->keys, g->source, "payloadDigest", g->layer, g->valid,
				    g->key_index, g->reason);
		if (g->valid)
			hm_cli_json_signer(s, &g->signer);
		if (g->kind == HM_KIND_NOTATION)
			cJSON_AddItemToObject(s, "notation",
					      g->notation ? notation_json(g->notation_index >= 0 ? c->trust : NULL, g->notation)
							  : cJSON_CreateObject());
		if (g->payload)
			cJSON_AddItemToObject(s, "payload", cJSON_Duplicate(g->payload, 1));
		cJSON_AddItemToArray(sigs, s);
	}
	cJSON_AddItemToObject(j, "signatures", sigs);
	return j;
}

static int check(void *ctx, const char *arg, const hm_ref *ref, hm_store *s, const hm_desc *d, cJSON *json)
{
	const struct verify_ctx *c = ctx;
	hm_verify_result r = {0};
	hm_verify_opts o = c->o;
	char *repo = NULL;
	int err;

	if (ref->registry && asprintf(&repo, "%s/%s", ref->registry, ref->repository) < 0)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	o.repository = repo ? repo : ref->repository;
	err = hm_verify_signatures(&r, s, d->digest, &o);
	free(repo);
	if (err)
		return err;
	if (json)
		cJSON_AddItemToArray(json, to_json(c, arg, &r));
	else
		print_text(c->a, &c->trust, hm_store_name(s), &r);
	if (r.n_valid == 0)
		err = hm_error_set(HM_E_VERIFY, "%s: no valid signature (%zu found)", arg, r.n_sigs);
	hm_verify_result_free(&r);
	return err;
}

static int run(hm_args *a)
{
	const hm_strv *ann = hm_arg_all(a, "annotation");
	struct verify_ctx c = {.a = a};
	size_t nkeys = 0;
	const char *output;
	int err, rc;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((rc = hm_cli_keyless_load(&c.kl, a, 1)) >= 0)
		return rc;
	if ((err = hm_cli_load_notation(&c.trust, a))) {
		hm_cli_keyless_release(&c.kl);
		return hm_cli_fail(err);
	}
	err = hm_cli_load_public_keys(&c.keys, &nkeys, a, "key");
	if (err) {
		hm_cli_keyless_release(&c.kl);
		hm_notation_trust_free(c.trust);
		return hm_cli_fail(err);
	}
	if (c.kl.given) {
		c.o.identities = &c.kl.auth;
		c.o.n_identities = 1;
	}
	c.o.notation = &c.trust;
	c.o.n_notation = c.trust ? 1 : 0;
	c.o.keys = c.keys;
	c.o.n_keys = nkeys;
	c.o.annotations = (const char *const *)ann->v;
	c.o.n_annotations = ann->n;
	rc = hm_cli_each_image(a, "verifying", check, &c, strcmp(output, "json") == 0);
	hm_cli_keys_free(c.keys, nkeys);
	hm_cli_keyless_release(&c.kl);
	hm_notation_trust_free(c.trust);
	return rc;
}

static const hm_opt opts[] = {
	{"key", 'k', "KEY", HM_OPT_MULTI, "a public key to accept: FILE, env://VAR or pkcs11:URI (repeatable)"},
	{"annotation", 'a', "KEY=VALUE", HM_OPT_MULTI, "require KEY=VALUE in what was signed"},
	HM_CLI_KEYLESS_OPTS,
	{"notation-trust-policy", 0, "FILE", 0, "verify Notary Project signatures under this trustpolicy.json"},
	{"notation-trust-store", 0, "DIR", 0, "...with this notation trust store (x509/ca/NAME ...)"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_verify = {
	.name = "verify",
	.run = run,
	.usage = "(--key KEY | --certificate-identity ID --certificate-oidc-issuer URL |\n"
		 "       --notation-trust-policy FILE --notation-trust-store DIR)... [options] IMAGE...",
	.summary = "verify the signatures of images",
	.description =
	    "Finds the signatures of each IMAGE wherever they are stored (OCI 1.1\n"
	    "referrers through the API or the referrers tag sha256-<hex>, the tag\n"
	    "sha256-<hex>.sig, layouts and cosign save layouts) in either format:\n"
	    "cosign v2's simple-signing layer, accepted only when its payload blob\n"
	    "matches its digest, the signature verifies with one of the keys, the\n"
	    "payload names this image's digest and its type is cosign's; or cosign v3's\n"
	    "Sigstore bundle, accepted only when its DSSE envelope verifies with one of\n"
	    "the keys and holds a statement of predicate type\n"
	    "https://sigstore.dev/cosign/sign/v1 whose subjects include this image's\n"
	    "digest. A signature copied from another image is refused.\n"
	    "\n"
	    "Keyless (cosign's flags and meanings): a signature made with a Fulcio\n"
	    "certificate -- a bundle, or cosign v2's simple-signing layer with the\n"
	    "dev.sigstore.cosign/certificate, /chain, /bundle (Rekor) and\n"
	    "/rfc3161timestamp annotations -- counts when the certificate chains to\n"
	    "the trusted root at the time its log entry or timestamp established, has\n"
	    "an SCT, and names --certificate-identity (or matches -regexp) issued by\n"
	    "--certificate-oidc-issuer (or -regexp), with every\n"
	    "--certificate-github-workflow-* claim given. --key and an identity may\n"
	    "be given together: a signature counts if it verifies with a key OR\n"
	    "matches the identity. A keyless signature with no identity given, or a\n"
	    "key signature with no key, is refused. Every\n"
	    "--annotation must be in the payload's optional section (simple signing)\n"
	    "or the statement subject's annotations (bundle). Reports which key\n"
	    "verified which signature, and why the others were refused.\n"
	    "\n"
	    "Notary Project (notation) signatures, referrers of artifact type\n"
	    "application/vnd.cncf.notary.signature holding a JWS or COSE envelope, are\n"
	    "verified under a notation trust policy and trust store, laid out as\n"
	    "notation's own (trustpolicy.json; truststore/x509/{ca,signingAuthority,tsa}/NAME):\n"
	    "the envelope's signed payload must name this image's media type, digest\n"
	    "and size, its certificate chain lead to a store the applicable policy\n"
	    "trusts and its signer match a trusted identity. When only one of the two\n"
	    "options is given the other is notation's default,\n"
	    "${XDG_CONFIG_HOME:-~/.config}/notation/trustpolicy.oci.json (else\n"
	    "trustpolicy.json) or .../notation/truststore. With --key too, a signature\n"
	    "counts when it verifies either way. Annotations are not required of\n"
	    "notation signatures. Revocation (OCSP, CRL) is not checked.\n"
	    "\n"
	    "Exit status: 0 when every image has at least one valid signature, 1 when\n"
	    "one has none, 2 on a usage error, 3 on an operational error.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = -1,
};
