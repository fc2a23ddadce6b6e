/* hallmark sign-blob, verify-blob: Sigstore bundles for files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/statement.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/digest.h"
#include "sigstore/bundle.h"

/* Blobs are read whole; this is what a bundle may sign. */
#define BLOB_MAX (1024u << 20)

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* The statement of --type/--predicate about the blob, serialised. */
static int build_statement(hm_buf *out, const hm_args *a, const char *file, const char *digest)
{
	const char *uri, *pf = hm_arg(a, "predicate");
	hm_buf pb = HM_BUF_INIT;
	cJSON *pred = NULL, *st = NULL;
	int err = hm_predicate_type_resolve(&uri, hm_arg(a, "type"));

	if (!err && pf && !(err = hm_file_read(&pb, pf, HM_STATEMENT_MAX / 2))) {
		pred = hm_json_parse(pb.data, pb.len, pf);
		if (!pred)
			err = HM_E_IO;
		else if (!cJSON_IsObject(pred))
			err = hm_error_set(HM_E_IO, "%s: the predicate must be a JSON object", pf);
	}
	if (!err)
		err = hm_statement_build(&st, base_name(file), digest, uri, pred);
	if (!err)
		err = hm_json_print(out, st);
	cJSON_Delete(pred);
	cJSON_Delete(st);
	hm_buf_release(&pb);
	return err;
}

static int run_sign(hm_args *a)
{
	const char *file = a->pos.v[0], *out = hm_arg(a, "bundle");
	hm_buf blob = HM_BUF_INIT, st = HM_BUF_INIT, bundle = HM_BUF_INIT;
	const char *uri = NULL;
	char digest[HM_DIGEST_SIZE];
	hm_key *key = NULL;
	int err;

	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	if (!out)
		return hm_cli_usage(a, "--bundle is required");
	if (hm_arg(a, "predicate") && !hm_arg(a, "type"))
		return hm_cli_usage(a, "--predicate needs --type");
	if (hm_arg(a, "type") && hm_predicate_type_resolve(&uri, hm_arg(a, "type")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((err = hm_file_read(&blob, file, BLOB_MAX)) ||
	    (err = hm_cli_load_private_key(&key, a)))
		goto done;
	hm_digest_compute(digest, blob.data, blob.len);
	if (hm_arg(a, "type")) {
		err = build_statement(&st, a, file, digest);
		if (!err)
			err = hm_bundle_write_dsse(&bundle, key, HM_DSSE_INTOTO, st.data, st.len);
	} else {
		err = hm_bundle_write_message(&bundle, key, blob.data, blob.len);
	}
	if (!err)
		err = hm_buf_addch(&bundle, '\n');
	if (!err)
		err = hm_file_write_atomic(out, bundle.data, bundle.len, 0644, 1);
	if (!err)
		printf("signed %s (%s): %s written to %s\n", file, digest,
		       hm_arg(a, "type") ? "DSSE statement bundle" : "message signature bundle", out);
done:
	hm_key_free(key);
	hm_buf_release(&blob);
	hm_buf_release(&st);
	hm_buf_release(&bundle);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static cJSON *verdict_json(const hm_args *a, hm_key *const *keys, const hm_bundle *b,
			   const hm_bundle_verdict *v, const char *reason)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "artifact", a->pos.v[0]);
	hm_cli_json_verdict(j, a, keys, hm_arg(a, "bundle"), "digest", v->digest, reason == NULL,
			    v->key_index, reason);
	if (b->version)
		cJSON_AddStringToObject(j, "bundleVersion", hm_bundle_version_name(b->version));
	if (v->kind)
		cJSON_AddStringToObject(j, "kind",
					v->kind == HM_BUNDLE_KIND_MESSAGE ? "messageSignature" : "dsseStatement");
	if (v->predicate_type)
		cJSON_AddStringToObject(j, "predicateType", v->predicate_type);
	if (v->statement)
		cJSON_AddItemToObject(j, "statement", cJSON_Duplicate(v->statement, 1));
	return j;
}

static int run_verify(hm_args *a)
{
	const char *file = a->pos.v[0], *output, *type = NULL;
	hm_buf blob = HM_BUF_INIT, raw = HM_BUF_INIT;
	hm_bundle_verify_opts o = {0};
	hm_bundle_verdict v = {0};
	hm_bundle b = {0};
	hm_key **keys = NULL;
	size_t nkeys = 0;
	int err, by_digest = strncmp(file, "sha256:", 7) == 0;

	v.key_index = -1;
	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (hm_arg_all(a, "key")->n == 0)
		return hm_cli_usage(a, "--key is required");
	if (!hm_arg(a, "bundle"))
		return hm_cli_usage(a, "--bundle is required");
	if (by_digest && !hm_digest_valid(file))
		return hm_cli_usage(a, "'%s' is not sha256:<64 lowercase hex digits>", file);
	if (hm_arg(a, "type") && hm_predicate_type_resolve(&type, hm_arg(a, "type")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((err = hm_cli_load_public_keys(&keys, &nkeys, a, "key")) ||
	    (err = hm_file_read(&raw, hm_arg(a, "bundle"), HM_BUNDLE_MAX)) ||
	    (!by_digest && (err = hm_file_read(&blob, file, BLOB_MAX))))
		goto done;
	o.keys = keys;
	o.n_keys = nkeys;
	o.artifact = by_digest ? NULL : (blob.data ? blob.data : "");
	o.artifact_len = blob.len;
	o.artifact_digest = by_digest ? file : NULL;
	o.predicate_type = type;
	err = hm_bundle_parse(&b, raw.data, raw.len);
	if (!err)
		err = hm_bundle_verify(&v, &b, &o);
	else if (err == HM_E_VERIFY && !by_digest)
		hm_digest_compute(v.digest, blob.data ? blob.data : "", blob.len);
	else if (err == HM_E_VERIFY)
		snprintf(v.digest, sizeof(v.digest), "%s", file);
	if (err != HM_OK && err != HM_E_VERIFY)
		goto done;
	if (strcmp(output, "json") == 0) {
		hm_cli_print_json(verdict_json(a, keys, &b, &v, err ? hm_error_message() : NULL));
	} else if (!err) {
		printf("verified %s", file);
		if (!by_digest)
			printf(" (%s)", v.digest);
		if (v.kind == HM_BUNDLE_KIND_MESSAGE)
			printf(": message signature, key %s\n", hm_arg_all(a, "key")->v[v.key_index]);
		else
			printf(": statement of type %s, key %s\n", v.predicate_type,
			       hm_arg_all(a, "key")->v[v.key_index]);
	}
done:
	if (err)
		err = hm_cli_fail(err);
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);
	hm_cli_keys_free(keys, nkeys);
	hm_buf_release(&blob);
	hm_buf_release(&raw);
	return err;
}

static const hm_opt sign_opts[] = {
	{"key", 'k', "KEY", 0, "the private key to sign with: FILE, env://VAR or pkcs11:URI"},
	{"bundle", 'b', "FILE", 0, "write the Sigstore bundle to FILE"},
	{"type", 't', "TYPE", 0, "sign an in-toto statement of this predicate type (DSSE)"},
	{"predicate", 0, "FILE", 0, "the statement's predicate, a JSON object (default {})"},
	{"passphrase-file", 0, "FILE", 0, "read the key's passphrase from FILE"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_sign_blob = {
	.name = "sign-blob",
	.run = run_sign,
	.usage = "--key KEY --bundle FILE [options] FILE",
	.summary = "sign a file into a Sigstore bundle",
	.description =
	    "Signs FILE with the key and writes a Sigstore bundle v0.3\n"
	    "(application/vnd.dev.sigstore.bundle.v0.3+json) whose verification\n"
	    "material is the key's hint (base64 of the SHA-256 of its public key),\n"
	    "as cosign sign-blob --new-bundle-format does. Without --type the bundle\n"
	    "holds a message signature over the file; with --type it holds a DSSE\n"
	    "envelope of an in-toto statement about the file (subject: its name and\n"
	    "sha256), of that predicate type (a URI or a short name such as\n"
	    "slsaprovenance, custom). The bundle has no transparency log entry: it\n"
	    "is made offline.",
	.opts = sign_opts,
	.min_args = 1,
	.max_args = 1,
};

static const hm_opt verify_opts[] = {
	{"key", 'k', "KEY", HM_OPT_MULTI, "a public key to accept: FILE, env://VAR or pkcs11:URI (repeatable)"},
	{"bundle", 'b', "FILE", 0, "the Sigstore bundle to verify"},
	{"type", 't', "TYPE", 0, "require an in-toto statement of this predicate type"},
	{"output", 'o', "FORMAT", 0, "text (default) or json"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_verify_blob = {
	.name = "verify-blob",
	.run = run_verify,
	.usage = "--key KEY [--key KEY]... --bundle FILE [options] FILE|sha256:<hex>",
	.summary = "verify a Sigstore bundle of a file with public keys",
	.description =
	    "Reads a Sigstore bundle (v0.1, v0.2 or v0.3) and accepts it when its\n"
	    "signature verifies with one of the keys: a message signature over FILE\n"
	    "(whose messageDigest must be FILE's sha256), or a DSSE envelope of an\n"
	    "in-toto statement that names FILE's sha256 among its subjects (and, with\n"
	    "--type, has that predicate type). Instead of FILE, sha256:<hex> checks\n"
	    "against a digest (ECDSA and RSA keys only for message signatures). A\n"
	    "bundle whose material is a certificate (keyless) is refused, as is one\n"
	    "whose key hint and DSSE keyid disagree. Transparency log entries and\n"
	    "timestamps in the bundle are read but not checked.\n"
	    "\n"
	    "Exit status: 0 verified, 1 refused, 2 usage error, 3 operational error.",
	.opts = verify_opts,
	.min_args = 1,
	.max_args = 1,
};
