/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark verify-blob: a Sigstore bundle of a file, verified with public
 * keys or keyless (a Fulcio certificate of an expected identity, against a
 * trusted root).  All checks are hm_bundle_verify's; this file turns flags
 * into its options and renders its verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/statement.h"
#include "cli/cli.h"
#include "cli/keyless.h"
#include "core/error.h"
#include "core/time.h"
#include "core/file.h"
#include "crypto/digest.h"
#include "sigstore/bundle.h"

static cJSON *verdict_json(const hm_args *a, hm_key *const *keys, const hm_bundle *b,
			   const hm_bundle_verdict *v, const char *reason)
{
	cJSON *j = hm_cli_json_new(a), *times, *claims;
	char when[32];

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "artifact", a->pos.v[0]);
	cJSON_AddStringToObject(j, "bundle", hm_arg(a, "bundle"));
	cJSON_AddStringToObject(j, "digest", v->digest);
	cJSON_AddBoolToObject(j, "verified", reason == NULL);
	if (v->key_index >= 0) {
		cJSON_AddStringToObject(j, "key", hm_arg_all(a, "key")->v[v->key_index]);
		cJSON_AddStringToObject(j, "fingerprint", hm_key_fingerprint(keys[v->key_index]));
	}
	if (b->version)
		cJSON_AddStringToObject(j, "bundleVersion", hm_bundle_version_name(b->version));
	if (v->kind)
		cJSON_AddStringToObject(j, "kind",
					v->kind == HM_BUNDLE_KIND_MESSAGE ? "messageSignature" : "dsseStatement");
	if (v->predicate_type)
		cJSON_AddStringToObject(j, "predicateType", v->predicate_type);
	if (v->statement)
		cJSON_AddItemToObject(j, "statement", cJSON_Duplicate(v->statement, 1));
	if (v->keyless) {
		cJSON_AddBoolToObject(j, "keyless", 1);
		if (v->identity)
			cJSON_AddStringToObject(j, "identity", v->identity);
		if (v->cert.issuer)
			cJSON_AddStringToObject(j, "issuer", v->cert.issuer);
		claims = cJSON_AddObjectToObject(j, "claims");
		for (int arc = 1; arc <= HM_FULCIO_MAX_ARC; arc++)
			if (v->cert.claims[arc] && hm_fulcio_claim_name(arc))
				cJSON_AddStringToObject(claims, hm_fulcio_claim_name(arc), v->cert.claims[arc]);
	}
	if (v->log_index >= 0)
		cJSON_AddNumberToObject(j, "logIndex", (double)v->log_index);
	if (v->n_times) {
		times = cJSON_AddArrayToObject(j, "times");
		for (size_t i = 0; i < v->n_times; i++) {
			hm_time_format(when, v->times[i]);
			cJSON_AddItemToArray(times, cJSON_CreateString(when));
		}
	}
	return j;
}

static void print_text(const hm_args *a, const char *file, int by_digest, const hm_bundle_verdict *v)
{
	char when[32];

	printf("verified %s", file);
	if (!by_digest)
		printf(" (%s)", v->digest);
	if (v->kind == HM_BUNDLE_KIND_MESSAGE)
		printf(": message signature");
	else
		printf(": statement of type %s", v->predicate_type);
	if (v->keyless)
		printf(", identity %s, issuer %s", v->identity ? v->identity : "?",
		       v->cert.issuer ? v->cert.issuer : "?");
	else
		printf(", key %s", hm_arg_all(a, "key")->v[v->key_index]);
	if (v->log_index >= 0)
		printf(", log index %lld", (long long)v->log_index);
	for (size_t i = 0; i < v->n_times; i++) {
		hm_time_format(when, v->times[i]);
		printf("%s%s", i ? ", " : ", signed at ", when);
	}
	printf("\n");
}

static int run_verify(hm_args *a)
{
	const char *file = a->pos.v[0], *output, *type = NULL;
	hm_buf blob = HM_BUF_INIT, raw = HM_BUF_INIT;
	hm_bundle_verify_opts o = {0};
	hm_bundle_verdict v = {0};
	hm_cli_keyless kl;
	hm_bundle b = {0};
	hm_key **keys = NULL;
	size_t nkeys = 0;
	int err, by_digest;

	v.key_index = -1;
	v.log_index = -1;
	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!hm_arg(a, "bundle"))
		return hm_cli_usage(a, "--bundle is required");
	/* As the Sigstore conformance protocol says: sha256:<hex> that is not
	 * a file on disk is a digest; anything else is a path. */
	by_digest = strncmp(file, "sha256:", 7) == 0 && access(file, F_OK) != 0;
	if (by_digest && !hm_digest_valid(file))
		return hm_cli_usage(a, "'%s' is not sha256:<64 lowercase hex digits>", file);
	if (hm_arg(a, "type") && hm_predicate_type_resolve(&type, hm_arg(a, "type")))
		return hm_cli_usage(a, "%s", hm_error_message());
	if ((err = hm_cli_keyless_load(&kl, a, 0)) >= 0)
		return err;
	if ((err = hm_cli_load_public_keys(&keys, &nkeys, a, "key")) ||
	    (err = hm_file_read(&raw, hm_arg(a, "bundle"), HM_BUNDLE_MAX)) ||
	    (!by_digest && (err = hm_file_read(&blob, file, HM_CLI_BLOB_MAX))))
		goto done;
	o.keys = keys;
	o.n_keys = nkeys;
	o.artifact = by_digest ? NULL : (blob.data ? blob.data : "");
	o.artifact_len = blob.len;
	o.artifact_digest = by_digest ? file : NULL;
	o.predicate_type = type;
	o.identity = kl.given ? &kl.auth.identity : NULL;
	o.trustroot = kl.root;
	err = hm_bundle_parse(&b, raw.data, raw.len);
	if (!err)
		err = hm_bundle_verify(&v, &b, &o);
	else if (err == HM_E_VERIFY && !by_digest)
		hm_digest_compute(v.digest, blob.data ? blob.data : "", blob.len);
	else if (err == HM_E_VERIFY)
		snprintf(v.digest, sizeof(v.digest), "%s", file);
	if (err != HM_OK && err != HM_E_VERIFY)
		goto done;
	if (strcmp(output, "json") == 0)
		hm_cli_json_print(verdict_json(a, keys, &b, &v, err ? hm_error_message() : NULL),
				  hm_exit_code(err), err ? hm_error_message() : NULL);
	else if (!err)
		print_text(a, file, by_digest, &v);
done:
	if (err)
		err = hm_cli_fail(err);
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);
	hm_cli_keyless_release(&kl);
	hm_cli_keys_free(keys, nkeys);
	hm_buf_release(&blob);
	hm_buf_release(&raw);
	return err;
}

static const hm_opt verify_opts[] = {
	{"key", 'k', "KEY", HM_OPT_MULTI, "a public key to accept: FILE, env://VAR or pkcs11:URI (repeatable)"},
	{"bundle", 'b', "FILE", 0, "the Sigstore bundle to verify"},
	HM_CLI_KEYLESS_OPTS,
	{"type", 't', "TYPE", 0, "require an in-toto statement of this predicate type"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_verify_blob = {
	.name = "verify-blob",
	.run = run_verify,
	.usage = "--bundle FILE (--key KEY... | --certificate-identity ID --certificate-oidc-issuer URL)\n"
		 "       [options] FILE|sha256:<hex>",
	.summary = "verify a Sigstore bundle of a file, with public keys or keyless",
	.description =
	    "Reads a Sigstore bundle (v0.1, v0.2 or v0.3) of FILE: a message signature\n"
	    "over FILE (whose messageDigest must be FILE's sha256), or a DSSE envelope\n"
	    "of an in-toto statement that names FILE's sha256 among its subjects (and,\n"
	    "with --type, has that predicate type). Instead of FILE, sha256:<hex> (not\n"
	    "a file on disk) checks against a digest.\n"
	    "\n"
	    "With --key, the bundle's material must be a public key and its signature\n"
	    "must verify with one of the keys; its transparency log entries and RFC 3161\n"
	    "timestamps, if it has any, must all verify against the trusted root (a key\n"
	    "bundle with neither, as sign-blob writes, is accepted offline).\n"
	    "\n"
	    "Keyless, the material must be a Fulcio certificate (a bare public key is\n"
	    "refused) and every check of the Sigstore client specification must hold:\n"
	    "log entries (signed entry timestamp, inclusion proof and checkpoint) and\n"
	    "timestamps verify and bind the signature; the certificate chains to a\n"
	    "Fulcio CA of the trusted root at those times and carries a valid SCT; the\n"
	    "signature verifies with its key; a SAN is the identity and the OIDC issuer\n"
	    "is the issuer (cosign's meaning: a regexp is unanchored unless written\n"
	    "^...$), and each --certificate-github-workflow-* claim is equal.\n"
	    "\n"
	    "Exit status: 0 verified, 1 refused, 2 usage error, 3 operational error\n"
	    "(unreadable key, bundle, file or trusted root).",
	.opts = verify_opts,
	.min_args = 1,
	.max_args = 1,
};
