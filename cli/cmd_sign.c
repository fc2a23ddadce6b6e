/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark sign */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "sign/sign.h"

static int check_annotations(const hm_args *a)
{
	const hm_strv *ann = hm_arg_all(a, "annotation");

	for (size_t i = 0; i < ann->n; i++)
		if (ann->v[i][0] == '=' || !strchr(ann->v[i], '='))
			return hm_cli_usage(a, "annotation '%s' is not KEY=VALUE", ann->v[i]);
	return -1;
}

static int write_outputs(const hm_args *a, const hm_signed *sg)
{
	const char *sigf = hm_arg(a, "output-signature"), *payf = hm_arg(a, "output-payload");
	int err = HM_OK;

	if (sigf)
		err = hm_file_write_atomic(sigf, sg->signature.data, sg->signature.len, 0644, 1);
	if (!err && payf)
		err = hm_file_write_atomic(payf, sg->payload.data, sg->payload.len, 0644, 1);
	return err;
}

/* One image's entry for --output json. */
static cJSON *entry_json(const char *arg, const hm_sign_result *r, int upload)
{
	cJSON *e = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(e, "reference", arg);
	if (r->n)
		cJSON_AddStringToObject(e, "digest", r->v[0].digest);
	else
		cJSON_AddNullToObject(e, "digest");
	arr = cJSON_AddArrayToObject(e, "signed");
	for (size_t j = 0; j < r->n; j++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "digest", r->v[j].digest);
		cJSON_AddBoolToObject(d, "added", upload && r->v[j].added);
		cJSON_AddItemToArray(arr, d);
	}
	return e;
}

static int run(hm_args *a)
{
	hm_sign_opts o = {0};
	hm_key *key = NULL;
	int rc = check_annotations(a), err;
	int outputs = hm_arg(a, "output-signature") || hm_arg(a, "output-payload");
	const char *output;
	cJSON *top = NULL, *all = NULL;

	if (rc >= 0)
		return rc;
	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	if (outputs && (a->pos.n > 1 || hm_arg_flag(a, "recursive")))
		return hm_cli_usage(a, "--output-signature and --output-payload take one image, without --recursive");
	if (hm_sign_format_parse(&o.format, hm_arg(a, "format")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (o.format == HM_FORMAT_BUNDLE && hm_arg(a, "output-signature"))
		return hm_cli_usage(a, "--output-signature writes a legacy signature: add --format legacy");
	err = hm_cli_load_private_key(&key, a);
	if (err)
		return hm_cli_fail(err);
	o.key = key;
	o.annotations = hm_arg_all(a, "annotation");
	o.recursive = hm_arg_flag(a, "recursive");
	o.upload = !hm_arg_flag(a, "no-upload");
	if (strcmp(output, "json") == 0 && (top = hm_cli_json_new(a))) {
		cJSON_AddStringToObject(top, "fingerprint", hm_key_fingerprint(key));
		cJSON_AddBoolToObject(top, "uploaded", o.upload);
		all = cJSON_AddArrayToObject(top, "images");
	}
	rc = HM_EXIT_OK;
	/* every image is tried; the status is the worst met */
	for (size_t i = 0; i < a->pos.n; i++) {
		hm_sign_result r = {0};
		hm_store *s = NULL;
		hm_ref ref;
		cJSON *e;

		err = hm_cli_open(&ref, &s, a, a->pos.v[i], 0);
		if (!err) {
			err = hm_sign_image(&r, s, &ref, &o);
			for (size_t j = 0; !err && !all && j < r.n; j++)
				printf("%s %s@%s\n",
				       !o.upload ? "signed (not uploaded)" : r.v[j].added ? "signed" : "already signed",
				       hm_store_name(s), r.v[j].digest);
			if (!err && outputs && r.n)
				err = write_outputs(a, &r.v[0]);
			hm_store_free(s);
			hm_ref_free(&ref);
		}
		if (err)
			err = hm_error_wrap(err, "signing %s", a->pos.v[i]);
		if (all && (e = entry_json(a->pos.v[i], &r, o.upload))) {
			hm_cli_json_set_error(e, err ? hm_error_message() : NULL);
			cJSON_AddItemToArray(all, e);
		}
		hm_sign_result_free(&r);
		if (err && hm_cli_fail(err) > rc)
			rc = hm_exit_code(err);
	}
	hm_key_free(key);
	if (top)
		hm_cli_json_print(top, rc, NULL);
	return rc;
}

static const hm_opt opts[] = {
	{"key", 'k', "KEY", 0, "the private key to sign with: FILE, env://VAR or pkcs11:URI"},
	{"format", 0, "FORMAT", 0, "bundle (default: cosign v3's Sigstore bundle referrer) or legacy (tag .sig)"},
	{"annotation", 'a', "KEY=VALUE", HM_OPT_MULTI, "add KEY=VALUE to what is signed (see below)"},
	{"recursive", 'r', NULL, 0, "also sign every manifest of an index"},
	{"output-signature", 0, "FILE", 0, "write the base64 signature to FILE (legacy format)"},
	{"output-payload", 0, "FILE", 0, "write the signed payload (or statement) to FILE"},
	{"no-upload", 0, NULL, 0, "do not attach the signature to the image"},
	{"passphrase-file", 0, "FILE", 0, "read the key's passphrase from FILE"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_sign = {
	.name = "sign",
	.run = run,
	.usage = "--key KEY [options] IMAGE...",
	.summary = "sign images, storing the signatures as cosign does",
	.description =
	    "Resolves each IMAGE (registry reference or oci:PATH[:tag|@digest]) to its\n"
	    "manifest digest once and signs that digest.\n"
	    "\n"
	    "--format bundle (the default, what cosign v3 writes): an in-toto Statement\n"
	    "v1 of predicate type https://sigstore.dev/cosign/sign/v1 whose subject is\n"
	    "the digest (with the -a annotations), signed into a Sigstore bundle v0.3\n"
	    "(DSSE, publicKey) and stored as an OCI 1.1 referrer of the image: through\n"
	    "the referrers API when the registry serves it, else in the referrers tag\n"
	    "sha256-<hex> (an image index every writer updates).\n"
	    "\n"
	    "--format legacy (what cosign v2 writes, for verifiers that read only tags):\n"
	    "cosign's simple-signing payload (-a annotations in its optional section)\n"
	    "as a layer of the tag sha256-<hex>.sig, media type\n"
	    "application/vnd.dev.cosign.simplesigning.v1+json, signature in the\n"
	    "annotation dev.cosignproject.cosign/signature.\n"
	    "\n"
	    "A signature by the same key over the same payload is not added twice.\n"
	    "Prints one line per signed digest. Every IMAGE is tried even when one\n"
	    "fails; the exit status is then the worst met.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = -1,
};
