/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark attest, attest provenance, verify-attestation */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "attest/provenance.h"
#include "crypto/statement.h"
#include "cli/cli.h"
#include "cli/keyless.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "sign/sign.h"

#define PREDICATE_MAX (HM_ATT_MAX_ENVELOPE / 2) /* base64 grows it by a third */

/* Opens text's store and resolves it to a digest once. */
static int load_predicate(cJSON **out, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	int err = hm_file_read(&b, path, PREDICATE_MAX);

	*out = NULL;
	if (err)
		return err;
	*out = hm_json_parse(b.data, b.len, path);
	hm_buf_release(&b);
	if (!*out)
		return HM_E_IO;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return hm_error_set(HM_E_IO, "%s: the predicate must be a JSON object", path);
	}
	return HM_OK;
}

/* The envelope of attest and attest provenance: who signed, what type. */
static cJSON *attest_json(const hm_args *a, const hm_key *key, const char *uri)
{
	cJSON *top = hm_cli_json_new(a);

	if (top && key)
		cJSON_AddStringToObject(top, "fingerprint", hm_key_fingerprint(key));
	if (top)
		cJSON_AddStringToObject(top, "predicateType", uri);
	return top;
}

/* One image attested: {"reference", "digest", "added", "error"}. */
static void attest_entry(cJSON *arr, const char *arg, const char *digest, int added, const char *error)
{
	cJSON *e = cJSON_CreateObject();

	if (!arr || !e) {
		cJSON_Delete(e);
		return;
	}
	cJSON_AddStringToObject(e, "reference", arg);
	if (digest)
		cJSON_AddStringToObject(e, "digest", digest);
	else
		cJSON_AddNullToObject(e, "digest");
	cJSON_AddBoolToObject(e, "added", added);
	hm_cli_json_set_error(e, error);
	cJSON_AddItemToArray(arr, e);
}

static int run_attest(hm_args *a)
{
	const char *type = hm_arg(a, "type") ? hm_arg(a, "type") : "custom", *uri, *output;
	enum hm_sign_format format;
	hm_key *key = NULL;
	cJSON *pred = NULL, *top = NULL, *all = NULL;
	int err, rc = HM_EXIT_OK;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	if (!hm_arg(a, "predicate"))
		return hm_cli_usage(a, "--predicate is required");
	if (hm_predicate_type_resolve(&uri, type))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (hm_sign_format_parse(&format, hm_arg(a, "format")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((err = load_predicate(&pred, hm_arg(a, "predicate"))) ||
	    (err = hm_cli_load_private_key(&key, a))) {
		rc = hm_cli_fail(err);
		goto done;
	}
	if (strcmp(output, "json") == 0 && (top = attest_json(a, key, uri)))
		all = cJSON_AddArrayToObject(top, "images");
	/* every image is tried; the status is the worst met */
	for (size_t i = 0; i < a->pos.n; i++) {
		hm_store *s = NULL;
		hm_ref ref;
		hm_desc d;
		char *name = NULL;
		int added = 0, opened;

		err = hm_cli_open_resolved(&ref, &s, &d, a, a->pos.v[i]);
		opened = !err;
		if (!err) {
			name = hm_ref_name(&ref);
			err = name ? hm_attest_attach(&added, s, d.digest, name, key, uri, pred, (int)format)
				   : hm_error_set(HM_E_NOMEM, "out of memory");
		}
		if (err)
			err = hm_error_wrap(err, "attesting %s", a->pos.v[i]);
		else if (!all)
			printf("%s %s@%s %s\n", added ? "attested" : "already attested", hm_store_name(s),
			       d.digest, uri);
		attest_entry(all, a->pos.v[i], opened ? d.digest : NULL, added, err ? hm_error_message() : NULL);
		free(name);
		hm_store_free(s);
		if (opened)
			hm_ref_free(&ref);
		if (err && hm_cli_fail(err) > rc)
			rc = hm_exit_code(err);
	}
	if (top)
		hm_cli_json_print(top, rc, NULL);
done:
	cJSON_Delete(pred);
	hm_key_free(key);
	return rc;
}

/* How base images that the Dockerfile does not pin get their digest. */
typedef struct base_ctx {
	const hm_args *a;
	char **names;      /* --base-image NAMEs, normalised (hm_ref_string) */
	const char **digests;
	int *used;
	size_t n;
	int offline;
} base_ctx;

/* A --base-image NAME, normalised as the Dockerfile's references are, or
 * NULL (message set) when it is not an image name with at most a tag. */
static char *base_name(const char *name)
{
	hm_ref r;
	char *out;

	if (hm_ref_parse(&r, name) < 0)
		return NULL;
	if (r.kind != HM_REF_REGISTRY || r.digest) {
		hm_ref_free(&r);
		hm_error_set(HM_E_USAGE, "'%s' must name a registry image, with a tag or none", name);
		return NULL;
	}
	if (!(out = hm_ref_string(&r)))
		hm_error_set(HM_E_NOMEM, "out of memory");
	hm_ref_free(&r);
	return out;
}

/* Parses every --base-image NAME=DIGEST into c; a usage message on error. */
static int base_ctx_init(base_ctx *c, const hm_args *a)
{
	const hm_strv *v = hm_arg_all(a, "base-image");

	memset(c, 0, sizeof(*c));
	c->a = a;
	c->offline = hm_arg_flag(a, "offline");
	if (!v->n)
		return HM_OK;
	c->names = calloc(v->n, sizeof(*c->names));
	c->digests = calloc(v->n, sizeof(*c->digests));
	c->used = calloc(v->n, sizeof(*c->used));
	if (!c->names || !c->digests || !c->used)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strrchr(v->v[i], '=');
		char *name;

		if (!eq || eq == v->v[i])
			return hm_error_set(HM_E_USAGE, "--base-image '%s' is not NAME=DIGEST", v->v[i]);
		if (strncmp(eq + 1, "sha256:", 7) || !hm_digest_valid(eq + 1))
			return hm_error_set(HM_E_USAGE, "--base-image '%s': '%s' is not a sha256 digest "
					    "(sha256: and 64 lowercase hex digits)", v->v[i], eq + 1);
		if (!(name = strndup(v->v[i], (size_t)(eq - v->v[i]))))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		c->names[c->n] = base_name(name);
		free(name);
		if (!c->names[c->n])
			return hm_error_wrap(HM_E_USAGE, "--base-image '%s'", v->v[i]);
		c->digests[c->n++] = eq + 1; /* counted now, so that base_ctx_free frees it on any way out */
		for (size_t k = 0; k + 1 < c->n; k++)
			if (!strcmp(c->names[k], c->names[c->n - 1]) && strcmp(c->digests[k], eq + 1))
				return hm_error_set(HM_E_USAGE, "--base-image gives two digests for '%s'",
						    c->names[c->n - 1]);
	}
	return HM_OK;
}

static void base_ctx_free(base_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	free(c->digests);
	free(c->used);
}

/* A base image the Dockerfile does not pin: the digest given with
 * --base-image, else (but with --offline) through the store its reference
 * names. */
static int resolve_image(void *ctx, const char *image, char digest[HM_DIGEST_SIZE])
{
	base_ctx *c = ctx;
	const hm_args *a = c->a;
	char *want = NULL;
	hm_store *s = NULL;
	hm_ref ref;
	hm_desc d;
	int err;

	if (c->n && hm_ref_parse(&ref, image) == HM_OK) {
		want = hm_ref_string(&ref);
		hm_ref_free(&ref);
	}
	hm_error_clear();
	for (size_t i = 0; want && i < c->n; i++)
		if (!strcmp(want, c->names[i])) {
			snprintf(digest, HM_DIGEST_SIZE, "%s", c->digests[i]);
			c->used[i] = 1;
			free(want);
			return HM_OK;
		}
	free(want);
	/* a layout is a directory here, not a registry: --offline allows it */
	if (c->offline && strncmp(image, "oci:", 4) != 0)
		return hm_error_set(HM_E_USAGE, "--offline: it is not pinned by digest; pin it in the Dockerfile "
				    "(%s@sha256:...) or give its digest with --base-image '%s=sha256:...'",
				    image, image);
	if ((err = hm_cli_open_resolved(&ref, &s, &d, a, image)))
		return err;

	if (err)
		return err;
	memcpy(digest, d.digest, HM_DIGEST_SIZE);
	hm_store_free(s);
	hm_ref_free(&ref);
	return HM_OK;
}

static int run_provenance(hm_args *a)
{
	hm_provenance_opts o = HM_PROVENANCE_OPTS_INIT;
	const hm_strv *bargs = hm_arg_all(a, "build-arg");
	int print = hm_arg_flag(a, "print"), added = 0, err, opened = 0, json;
	const char *output;
	enum hm_sign_format format;
	hm_key *key = NULL;
	hm_store *s = NULL;
	cJSON *pred = NULL, *st = NULL;
	base_ctx bases;
	char *name = NULL;
	hm_ref ref;
	hm_desc d;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	json = strcmp(output, "json") == 0;
	if (!print && !hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required (or --print to only show the statement)");
	if (!hm_arg(a, "git"))
		return hm_cli_usage(a, "--git is required");
	if (hm_sign_format_parse(&format, hm_arg(a, "format")))
		return hm_cli_usage(a, "%s", hm_error_message());
	for (size_t i = 0; i < bargs->n; i++)
		if (bargs->v[i][0] == '=')
			return hm_cli_usage(a, "build argument '%s' is not NAME=VALUE", bargs->v[i]);
	if (hm_arg(a, "started-on") && !hm_rfc3339_valid(hm_arg(a, "started-on")))
		return hm_cli_usage(a, "--started-on '%s' is not an RFC 3339 time (2024-05-01T12:00:00Z)",
				    hm_arg(a, "started-on"));
	if ((err = base_ctx_init(&bases, a))) {
		base_ctx_free(&bases);
		return err == HM_E_USAGE ? hm_cli_usage(a, "%s", hm_error_message()) : hm_cli_fail(err);
	}
	if (!print && (err = hm_cli_load_private_key(&key, a)))
		goto done;
	if ((err = hm_cli_open_resolved(&ref, &s, &d, a, a->pos.v[0])))
		goto done;
	opened = 1;
	if (!(name = hm_ref_name(&ref))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	o.git_dir = hm_arg(a, "git");
	o.dockerfile = hm_arg(a, "dockerfile");
	o.context = hm_arg(a, "context");
	o.builder_id = hm_arg(a, "builder-id");
	o.builder_version = HM_VERSION;
	o.build_args = (const char *const *)bargs->v;
	o.n_build_args = bargs->n;
	o.started_on = hm_arg(a, "started-on");
	o.allow_dirty = hm_arg_flag(a, "allow-dirty");
	o.resolve = resolve_image;
	o.resolve_ctx = &bases;
	if ((err = hm_provenance_generate(&pred, &o)))
		goto done;
	for (size_t i = 0; i < bases.n; i++)
		if (!bases.used[i])
			fprintf(stderr, "hallmark: --base-image '%s' names no unpinned image of the Dockerfile\n",
				hm_arg_all(a, "base-image")->v[i]);
	if (print) {
		if (!(err = hm_statement_build(&st, name, d.digest, HM_PREDICATE_SLSA_V1, pred)) && !json) {
			hm_cli_print_json(st);
			st = NULL;
		}
	} else {
		err = hm_attest_attach(&added, s, d.digest, name, key, HM_PREDICATE_SLSA_V1, pred, (int)format);
		if (!err && !json)
			printf("%s %s@%s %s\n", added ? "attested" : "already attested", hm_store_name(s), d.digest,
			       HM_PREDICATE_SLSA_V1);
	}
	if (!err && json) {
		cJSON *top = attest_json(a, key, HM_PREDICATE_SLSA_V1);

		if (top) {
			cJSON_AddStringToObject(top, "reference", a->pos.v[0]);
			cJSON_AddStringToObject(top, "digest", d.digest);
			cJSON_AddBoolToObject(top, "added", added);
			if (st) {
				cJSON_AddItemToObject(top, "statement", st);
				st = NULL;
			}
		}
		hm_cli_json_print(top, HM_EXIT_OK, NULL);
	}
done:
	if (err)
		err = hm_error_wrap(err, "provenance for %s", a->pos.v[0]);
	cJSON_Delete(st);
	cJSON_Delete(pred);
	base_ctx_free(&bases);
	free(name);
	hm_store_free(s);
	if (opened)
		hm_ref_free(&ref);
	hm_key_free(key);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static void print_text(const hm_args *a, const char *image, const hm_att_results *r)
{
	const hm_strv *keys = hm_arg_all(a, "key");

	printf("%s %s@%s: %zu of %zu attestation%s valid\n", r->n_valid ? "verified" : "NOT VERIFIED",
	       image, r->digest, r->n_valid, r->n, r->n == 1 ? "" : "s");
	for (size_t i = 0; i < r->n; i++) {
		const hm_att_result *v = &r->v[i];
		const char *type = v->predicate_type ? v->predicate_type : "(no predicate type)";

		if (v->valid && v->signer.kind == HM_AUTH_KEYLESS) {
			printf("  valid    %.19s... %s (%s)", v->layer, type, v->source);
			hm_cli_print_signer(&v->signer);
			printf("\n");
		} else if (v->valid) {
			printf("  valid    %.19s... %s (%s) key %s", v->layer, type, v->source, keys->v[v->key_index]);
			hm_cli_print_signer(&v->signer);
			printf("\n");
		} else
			printf("  invalid  %.19s... %s (%s): %s\n", v->layer, type, v->source, v->reason);
	}
}

struct verify_ctx {
	const hm_args *a;
	hm_key **keys;
	size_t nkeys;
	const char *type;
	hm_cli_keyless kl;
};

static cJSON *to_json(const struct verify_ctx *c, const char *image, const hm_att_results *r)
{
	cJSON *j = cJSON_CreateObject(), *arr = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "reference", image);
	cJSON_AddStringToObject(j, "digest", r->digest);
	cJSON_AddBoolToObject(j, "verified", r->n_valid > 0);
	for (size_t i = 0; i < r->n; i++) {
		const hm_att_result *v = &r->v[i];
		cJSON *e = cJSON_CreateObject();

		hm_cli_json_verdict(e, c->a, c->keys, v->source, "envelopeDigest", v->layer, v->valid,
				    v->key_index, v->reason);
		if (v->valid)
			hm_cli_json_signer(e, &v->signer);
		if (v->predicate_type)
			cJSON_AddStringToObject(e, "predicateType", v->predicate_type);
		if (v->statement)
			cJSON_AddItemToObject(e, "statement", cJSON_Duplicate(v->statement, 1));
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(j, "attestations", arr);
	return j;
}

static int check(void *ctx, const char *arg, const hm_ref *ref, hm_store *s, const hm_desc *d, cJSON *json)
{
	const struct verify_ctx *c = ctx;
	hm_att_results r = {0};
	int err = hm_attest_verify_who(&r, s, NULL, d->digest, c->keys, c->nkeys, c->kl.given ? &c->kl.auth : NULL,
				       c->kl.given ? 1 : 0, c->type);

	if (err)
		return err;
	if (json)
		cJSON_AddItemToArray(json, to_json(c, arg, &r));
	else
		print_text(c->a, hm_store_name(s), &r);
	if (r.n_valid == 0)
		err = hm_error_set(HM_E_VERIFY, "%s: no valid attestation%s%s (%zu found)", arg,
				   c->type ? " of type " : "", c->type ? c->type : "", r.n);
	hm_att_results_free(&r);
	return err;
}

static int run_verify(hm_args *a)
{
	const char *output, *type = hm_arg(a, "type");
	struct verify_ctx c = {.a = a};
	int err, rc;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (type && hm_predicate_type_resolve(&c.type, type))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((rc = hm_cli_keyless_load(&c.kl, a, 1)) >= 0)
		return rc;
	if ((err = hm_cli_load_public_keys(&c.keys, &c.nkeys, a, "key"))) {
		hm_cli_keyless_release(&c.kl);
		return hm_cli_fail(err);
	}
	rc = hm_cli_each_image(a, "verifying the attestations of", check, &c, strcmp(output, "json") == 0);
	hm_cli_keys_free(c.keys, c.nkeys);
	hm_cli_keyless_release(&c.kl);
	return rc;
}

static const hm_opt attest_opts[] = {
	{"key", 'k', "KEY", 0, "the private key to sign with: FILE, env://VAR or pkcs11:URI"},
	{"predicate", 0, "FILE", 0, "the predicate: a JSON object (\"-\" reads stdin)"},
	{"format", 0, "FORMAT", 0, "bundle (default: cosign v3's Sigstore bundle referrer) or legacy (tag .att)"},
	{"type", 't', "TYPE", 0,
	 "predicate type: a URI, or slsaprovenance, slsaprovenance02, spdx, spdxjson, cyclonedx, link, openvex, vuln, custom (default)"},
	{"passphrase-file", 0, "FILE", 0, "read the key's passphrase from FILE"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_attest = {
	.name = "attest",
	.run = run_attest,
	.usage = "--key KEY --predicate FILE [--type TYPE] IMAGE...",
	.summary = "attach a signed in-toto attestation to images",
	.description =
	    "Resolves each IMAGE to its manifest digest once, wraps the predicate in an\n"
	    "in-toto Statement v1 whose subject is the image's name and digest, signs it\n"
	    "as a DSSE envelope (payload type application/vnd.in-toto+json) and attaches\n"
	    "it as cosign does. --format bundle (the default, cosign v3): in a Sigstore\n"
	    "bundle v0.3 stored as an OCI 1.1 referrer of the image (the referrers API,\n"
	    "else the referrers tag sha256-<hex>), annotated\n"
	    "dev.sigstore.bundle.predicateType. --format legacy (cosign v2, for\n"
	    "verifiers that read only tags): a layer of media type\n"
	    "application/vnd.dsse.envelope.v1+json with the annotation predicateType,\n"
	    "under the tag sha256-<hex>.att. The same statement by the same key is not\n"
	    "added twice. Note: cosign maps plain 'slsaprovenance' to\n"
	    "SLSA v0.2; hallmark maps it to https://slsa.dev/provenance/v1. Every IMAGE\n"
	    "is tried even when one fails; the exit status is then the worst met.",
	.opts = attest_opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = -1,
};

static const hm_opt provenance_opts[] = {
	{"key", 'k', "KEY", 0, "the private key to sign with: FILE, env://VAR or pkcs11:URI"},
	{"git", 0, "DIR", 0, "the top of the git checkout the image was built from"},
	{"dockerfile", 'f', "PATH", 0, "the Dockerfile (default: CONTEXT/Dockerfile)"},
	{"context", 0, "DIR", 0, "the build context (default: the --git directory)"},
	{"builder-id", 0, "URI", 0, "runDetails.builder.id (default " HM_PROVENANCE_BUILDER_ID ")"},
	{"build-arg", 0, "NAME=VALUE", HM_OPT_MULTI, "a build argument, as given to the build"},
	{"started-on", 0, "TIME", 0, "when the build started, RFC 3339 (default: now)"},
	{"allow-dirty", 0, NULL, 0, "record uncommitted changes instead of refusing them"},
	{"base-image", 0, "NAME=DIGEST", HM_OPT_MULTI, "the digest of a base image the Dockerfile names without one"},
	{"offline", 0, NULL, 0, "never ask a registry for a base image's digest"},
	{"print", 0, NULL, 0, "print the statement to stdout; do not sign or upload"},
	{"format", 0, "FORMAT", 0, "bundle (default: cosign v3's Sigstore bundle referrer) or legacy (tag .att)"},
	{"passphrase-file", 0, "FILE", 0, "read the key's passphrase from FILE"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_attest_provenance = {
	.name = "attest provenance",
	.run = run_provenance,
	.usage = "--key KEY --git DIR [options] IMAGE",
	.summary = "generate SLSA provenance from git and the Dockerfile, and attach it",
	.description =
	    "Generates SLSA Provenance v1 for IMAGE: the repository URL (credentials\n"
	    "stripped), ref (the tag at HEAD, else the branch, else the commit) and\n"
	    "commit from the git checkout; the Dockerfile path and build arguments; and\n"
	    "every external image the build uses (FROM, COPY --from, RUN --mount\n"
	    "from=, the # syntax= frontend; multi-stage aware, ARGs substituted, FROM\n"
	    "scratch skipped) with its digest: the one the Dockerfile pins\n"
	    "(FROM alpine@sha256:...) as written, else the one --base-image gives,\n"
	    "else resolved through its registry or layout; with --offline that last\n"
	    "is refused, and no registry is asked about base images.\n"
	    "A work tree with uncommitted changes is refused unless --allow-dirty,\n"
	    "which records it. The statement is signed and attached as 'hallmark\n"
	    "attest' does, or printed with --print (with --output json, as the\n"
	    "document's statement).",
	.opts = provenance_opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = 1,
};

static const hm_opt verify_opts[] = {
	{"key", 'k', "KEY", HM_OPT_MULTI, "a public key to accept: FILE, env://VAR or pkcs11:URI (repeatable)"},
	{"type", 't', "TYPE", 0, "only attestations of this predicate type (URI or short name)"},
	HM_CLI_KEYLESS_OPTS,
	{"output", 'o', "FORMAT", 0, "text (default) or json (with the decoded statements)"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_verify_attestation = {
	.name = "verify-attestation",
	.run = run_verify,
	.usage = "(--key KEY | --certificate-identity ID --certificate-oidc-issuer URL)... [--type TYPE] [options] IMAGE...",
	.summary = "verify the attestations of images",
	.description =
	    "Finds the attestations of each IMAGE wherever they are stored (Sigstore\n"
	    "bundles and DSSE layers, as OCI 1.1 referrers through the API or the\n"
	    "referrers tag, under the tag sha256-<hex>.att, in layouts and cosign save\n"
	    "layouts) and accepts one only when its DSSE signature verifies over the\n"
	    "pre-authentication encoding with one of the keys, the payload type is\n"
	    "application/vnd.in-toto+json, the statement (v1 or v0.1, read from the\n"
	    "verified payload only) has a subject with this image's digest, and, with\n"
	    "--type, its predicate type (the signed statement's, never an annotation)\n"
	    "is that one. A bundle of predicate type https://sigstore.dev/cosign/sign/v1\n"
	    "is a signature, not an attestation.\n"
	    "\n"
	    "Keyless, with cosign's flags and meanings as in hallmark verify: a bundle\n"
	    "whose Fulcio certificate chains to the trusted root, has an SCT and a\n"
	    "verified log entry or timestamp, and names the identity and issuer given,\n"
	    "counts like one signed with a key; --key and an identity may be given\n"
	    "together (either suffices).\n"
	    "\n"
	    "Exit status: 0 when every image has at least one valid attestation, 1 when\n"
	    "one has none, 2 on a usage error, 3 on an operational error.",
	.opts = verify_opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = -1,
};
