/* hallmark key generate | key public */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/error.h"
#include "crypto/key.h"

static int run_generate(hm_args *a)
{
	const char *type_name = hm_arg(a, "type"), *prefix = hm_arg(a, "output-prefix");
	enum hm_key_type type = HM_KEY_ECDSA_P256;
	char *priv = NULL, *pub = NULL;
	hm_key *k = NULL;
	int force = hm_arg_flag(a, "force"), err;

	if (type_name && hm_key_type_parse(&type, type_name))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!prefix)
		prefix = "hallmark";
	if (asprintf(&priv, "%s.key", prefix) < 0 || asprintf(&pub, "%s.pub", prefix) < 0) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = hm_key_generate(&k, type);
	/* The public half first: if it cannot be written, no private key is left behind. */
	if (!err)
		err = hm_key_save_public(k, pub, force);
	if (!err) {
		err = hm_key_save_private(k, priv, hm_arg(a, "passphrase-file"), force);
		if (err)
			remove(pub);
	}
	if (!err)
		fprintf(stderr, "wrote %s (private, encrypted, 0600) and %s (public), %s, fingerprint %s\n",
			priv, pub, hm_key_type_name(type), hm_key_fingerprint(k));
done:
	hm_key_free(k);
	free(priv);
	free(pub);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static int run_public(hm_args *a)
{
	hm_buf pem = HM_BUF_INIT;
	hm_key *k = NULL;
	int err = hm_key_load_private(&k, hm_arg(a, "key"), hm_arg(a, "passphrase-file"));

	if (!err)
		err = hm_key_public_pem(k, &pem);
	if (!err)
		fwrite(pem.data, 1, pem.len, stdout);
	hm_key_free(k);
	hm_buf_release(&pem);
	return err ? hm_cli_fail(err) : HM_EXIT_OK;
}

static const hm_opt generate_opts[] = {
	{"type", 't', "TYPE", 0, "ecdsa-p256 (default), ed25519 or rsa-3072"},
	{"output-prefix", 'o', "NAME", 0, "write NAME.key and NAME.pub (default: hallmark)"},
	{"passphrase-file", 0, "FILE", 0, "read the passphrase from FILE"},
	{"force", 'f', NULL, 0, "replace existing key files"},
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
	    "reads cosign's. The passphrase comes from $HALLMARK_PASSWORD, then\n"
	    "$COSIGN_PASSWORD, then --passphrase-file, then the terminal (asked twice,\n"
	    "not echoed). Existing files are kept unless --force.",
	.opts = generate_opts,
	.min_args = 0,
	.max_args = 0,
};

static const hm_opt public_opts[] = {
	{"key", 'k', "FILE", 0, "the private key (cosign's encrypted format, PKCS#8 or SEC1 PEM)"},
	{"passphrase-file", 0, "FILE", 0, "read the passphrase from FILE"},
	{NULL, 0, NULL, 0, NULL},
};

static int run_public_checked(hm_args *a)
{
	if (!hm_arg(a, "key"))
		return hm_cli_usage(a, "--key is required");
	return run_public(a);
}

const hm_cmd hm_cmd_key_public = {
	.name = "key public",
	.run = run_public_checked,
	.usage = "--key FILE [options]",
	.summary = "print the public key of a private key",
	.description = "Prints the PEM SubjectPublicKeyInfo of the private key in FILE.",
	.opts = public_opts,
	.min_args = 0,
	.max_args = 0,
};
