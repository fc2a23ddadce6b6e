/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark sign-blob: Sigstore bundles for files (verify-blob is in
 * cmd_verify_blob.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/statement.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "crypto/digest.h"
#include "sigstore/bundle.h"

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
	const char *uri = NULL, *output;
	char digest[HM_DIGEST_SIZE];
	hm_key *key = NULL;
	int err;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	if (!out)
		return hm_cli_usage(a, "--bundle is required");
	if (hm_arg(a, "predicate") && !hm_arg(a, "type"))
		return hm_cli_usage(a, "--predicate needs --type");
	if (hm_arg(a, "type") && hm_predicate_type_resolve(&uri, hm_arg(a, "type")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((err = hm_file_read(&blob, file, HM_CLI_BLOB_MAX)) ||
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
	if (!err && strcmp(output, "json") == 0) {
		cJSON *top = hm_cli_json_new(a);

		if (top) {
			cJSON_AddStringToObject(top, "artifact", file);
			cJSON_AddStringToObject(top, "digest", digest);
			cJSON_AddStringToObject(top, "bundle", out);
			cJSON_AddStringToObject(top, "kind", uri ? "dsseStatement" : "messageSignature");
			if (uri)
				cJSON_AddStringToObject(top, "predicateType", uri);
			cJSON_AddStringToObject(top, "fingerprint", hm_key_fingerprint(key));
		}
		hm_cli_json_print(top, HM_EXIT_OK, NULL);
	} else if (!err) {
		printf("signed %s (%s): %s written to %s\n", file, digest,
		       hm_arg(a, "type") ? "DSSE statement bundle" : "message signature bundle", out);
	}
done:
	hm_key_free(key);
	hm_buf_release(&blob);
	hm_buf_release(&st);
	hm_buf_release(&bundle);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static const hm_opt sign_opts[] = {
	{"key", 'k', "KEY", 0, "the private key to sign with: FILE, env://VAR or pkcs11:URI"},
	{"bundle", 'b', "FILE", 0, "write the Sigstore bundle to FILE"},
	{"type", 't', "TYPE", 0, "sign an in-toto statement of this predicate type (DSSE)"},
	{"predicate", 0, "FILE", 0, "the statement's predicate, a JSON object (default {})"},
	{"passphrase-file", 0, "FILE", 0, "read the key's passphrase from FILE"},
	HM_CLI_OUTPUT_OPT,
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
