/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark key generate | key public */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "crypto/key.h"

/* Writes the pair with SIGINT, SIGTERM and SIGHUP held back, so that an
 * interrupt lands before both files exist or after, never between.  The
 * public key is staged first under a temporary name: whatever can run out
 * of space (both writes) happens before anything takes its final name, and
 * what is left (a rename) needs none. */
static int write_pair(const hm_key *k, const hm_buf *priv_pem, const char *priv, const char *pub,
		      int force)
{
	sigset_t block, old;
	char *staged = NULL;
	int err = HM_OK;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (asprintf(&staged, "%s.tmp-pair", pub) < 0) {
		staged = NULL;
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	}
	if (!err)
		err = hm_key_save_public(k, staged, 1);
	if (!err) {
		err = hm_file_write_atomic(priv, priv_pem->data, priv_pem->len, 0600, force);
		if (err)
			unlink(staged);
	}
	if (!err && (force ? rename(staged, pub) : link(staged, pub)) < 0) {
		if (errno == EEXIST)
			err = hm_error_set(HM_E_IO, "'%s' exists (use --force to replace it)", pub);
		else
			err = hm_error_set(HM_E_IO, "writing '%s': %s", pub, strerror(errno));
		unlink(priv); /* half a pair is worse than none */
	}
	if (staged)
		unlink(staged);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(staged);
	return err;
}

static int run_generate(hm_args *a)
{
	const char *type_name = hm_arg(a, "type"), *prefix = hm_arg(a, "output-prefix");
	enum hm_key_type type = HM_KEY_ECDSA_P256;
	char *priv = NULL, *pub = NULL;
	hm_buf pem = HM_BUF_INIT;
	hm_key *k = NULL;
	int force = hm_arg_flag(a, "force"), err;
	const char *output;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (type_name && hm_key_type_parse(&type, type_name))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!prefix)
		prefix = "hallmark";
	if (asprintf(&priv, "%s.key", prefix) < 0 || asprintf(&pub, "%s.pub", prefix) < 0) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	/* Refuse before asking for a passphrase twice for nothing. */
	for (int i = 0; i < 2 && !force; i++)
		if (access(i ? pub : priv, F_OK) == 0) {
			err = hm_error_set(HM_E_IO, "'%s' exists (use --force to replace it)", i ? pub : priv);
			goto done;
		}
	/* Everything that can wait on the user or fail slowly happens before
	 * the first byte is written: Ctrl-C at the prompt leaves nothing. */
	err = hm_key_generate(&k, type);
	if (!err)
		err = hm_key_seal_private(&pem, k, priv, hm_arg(a, "passphrase-file"));
	if (!err)
		err = write_pair(k, &pem, priv, pub, force);
	if (!err && strcmp(output, "json") == 0) {
		cJSON *top = hm_cli_json_new(a);

		if (top) {
			cJSON_AddStringToObject(top, "privateKey", priv);
			cJSON_AddStringToObject(top, "publicKey", pub);
			cJSON_AddStringToObject(top, "type", hm_key_type_name(type));
			cJSON_AddStringToObject(top, "fingerprint", hm_key_fingerprint(k));
		}
		hm_cli_json_print(top, HM_EXIT_OK, NULL);
	} else if (!err) {
		fprintf(stderr, "wrote %s (private, encrypted, 0600) and %s (public), %s, fingerprint %s\n",
			priv, pub, hm_key_type_name(type), hm_key_fingerprint(k));
	}
done:
	hm_buf_release(&pem);
	hm_key_free(k);
	free(priv);
	free(pub);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static int run_public(hm_args *a)
{
	hm_buf pem = HM_BUF_INIT;
	hm_key *k = NULL;
	int err = hm_cli_load_private_key(&k, a), json = hm_cli_json_wanted(a);

	if (!err)
		err = hm_key_public_pem(k, &pem);
	if (!err && json) {
		cJSON *top = hm_cli_json_new(a);

		if (top) {
			cJSON_AddStringToObject(top, "key", hm_arg(a, "key"));
			cJSON_AddStringToObject(top, "type", hm_key_type_name(hm_key_type(k)));
			cJSON_AddStringToObject(top, "fingerprint", hm_key_fingerprint(k));
			cJSON_AddStringToObject(top, "publicKey", hm_buf_cstr(&pem));
		}
		hm_cli_json_print(top, HM_EXIT_OK, NULL);
	} else if (!err) {
		fwrite(pem.data, 1, pem.len, stdout);
	}
	hm_key_free(k);
	hm_buf_release(&pem);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static const hm_opt generate_opts[] = {
	{"type", 't', "TYPE", 0, "ecdsa-p256 (default), ed25519 or rsa-3072"},
	{"output-prefix", 0, "NAME", 0, "write NAME.key and NAME.pub (default: hallmark)"},
	{"passphrase-file", 0, "FILE", 0, "read the passphrase from FILE"},
	{"force", 'f', NULL, 0, "replace existing key files"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_key_generate = {
	.name = "key generate",
	.run = run_generate,
	.usage = "[options]",
	.summary = "generate a key pair (private key encrypted in cosign's format)",
	.description =
	    "Writes NAME.key, the private key encrypted with a passphrase in cosign's\n"
	    "format (ENCRYPTED SIGSTORE PRIVATE KEY: scrypt N=32768 r=8 p=1 and\n"
	    "nacl/secretbox), atomically and with mode 0600, and NAME.pub, the public\n"
	    "key as PEM SubjectPublicKeyInfo. cosign reads these keys, and hallmark\n"
	    "reads cosign's. The passphrase comes from --passphrase-file, then\n"
	    "$HALLMARK_PASSWORD, then $COSIGN_PASSWORD, then the terminal (asked\n"
	    "twice, not echoed). The passphrase is asked before anything is written,\n"
	    "and the two files are written together: an interrupt or a full disk\n"
	    "leaves both or neither. Existing files are kept unless --force.",
	.opts = generate_opts,
	.min_args = 0,
	.max_args = 0,
};

static const hm_opt public_opts[] = {
	{"key", 'k', "KEY", 0, "the private key: FILE, env://VAR or pkcs11:URI"},
	{"passphrase-file", 0, "FILE", 0, "read the passphrase from FILE"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

static int run_public_checked(hm_args *a)
{
	const char *output;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	return run_public(a);
}

const hm_cmd hm_cmd_key_public = {
	.name = "key public",
	.run = run_public_checked,
	.usage = "--key KEY [options]",
	.summary = "print the public key of a private key",
	.description =
	    "Prints the PEM SubjectPublicKeyInfo of the private key KEY: a key file,\n"
	    "env://VAR (the PEM in an environment variable) or a pkcs11: URI (the\n"
	    "public key object of the token's key). See docs/keys.md.",
	.opts = public_opts,
	.min_args = 0,
	.max_args = 0,
};
