/* SPDX-License-Identifier: Apache-2.0 */
/* Key sources: what `--key` may name.  One table of back-ends, looked up by
 * the scheme that starts the reference; a reference without a scheme is a
 * file.  Adding a back-end (a KMS, say) is one row and its two loaders. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/key_impl.h"

/* Longest environment variable name env:// accepts. */
#define ENV_NAME_MAX 128

struct key_source {
	const char *scheme; /* what the reference starts with; NULL: a file */
	const char *label;  /* for messages: "AWS KMS" */
	int (*load_private)(hm_key **out, const char *ref, const char *passphrase_file);
	int (*load_public)(hm_key **out, const char *ref);
};

/* The value of env://NAME, or NULL with the error set. */
static const char *env_value(const char *ref, int *err)
{
	const char *name = ref + strlen("env://"), *v;
	size_t n = strlen(name);

	if (n == 0 || n > ENV_NAME_MAX || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n ||
	    isdigit((unsigned char)name[0])) {
		*err = hm_error_set(HM_E_USAGE,
				    "key '%.160s': env:// needs an environment variable name "
				    "(letters, digits and _, at most %d)",
				    ref, ENV_NAME_MAX);
		return NULL;
	}
	v = getenv(name);
	if (!v || !*v)
		*err = hm_error_set(HM_E_IO, "key '%s': environment variable %s is %s", ref, name,
				    v ? "empty" : "not set");
	return v && *v ? v : NULL;
}

static int env_load_private(hm_key **out, const char *ref, const char *passphrase_file)
{
	int err = HM_OK;
	const char *v = env_value(ref, &err);

	*out = NULL;
	return v ? hm_key_mem_load_private(out, v, strlen(v), ref, passphrase_file) : err;
}

static int env_load_public(hm_key **out, const char *ref)
{
	int err = HM_OK;
	const char *v = env_value(ref, &err);

	*out = NULL;
	return v ? hm_key_load_public_mem(out, v, strlen(v), ref) : err;
}

/* Refused with a message naming the scheme: a KMS key would need that
 * provider's API and credentials, which hallmark does not carry. */
static int unsupported_private(hm_key **out, const char *ref, const char *passphrase_file);
static int unsupported_public(hm_key **out, const char *ref);

static const struct key_source sources[] = {
	{"env://", "environment variable", env_load_private, env_load_public},
	{"pkcs11:", "PKCS#11 token", hm_key_pkcs11_load_private, hm_key_pkcs11_load_public},
	{"awskms://", "AWS KMS", unsupported_private, unsupported_public},
	{"gcpkms://", "Google Cloud KMS", unsupported_private, unsupported_public},
	{"azurekms://", "Azure Key Vault", unsupported_private, unsupported_public},
	{"hashivault://", "HashiCorp Vault", unsupported_private, unsupported_public},
	{"k8s://", "Kubernetes secret", unsupported_private, unsupported_public},
	{"gitlab://", "GitLab variable", unsupported_private, unsupported_public},
	{NULL, "file", hm_key_file_load_private, hm_key_file_load_public},
};

#define SUPPORTED "a key file, env://VAR or a pkcs11: URI"

/* The row for ref; never NULL (the file row is last). */
static const struct key_source *source_of(const char *ref)
{
	const struct key_source *s = sources;

	for (; s->scheme; s++)
		if (strncasecmp(ref, s->scheme, strlen(s->scheme)) == 0)
			break;
	return s;
}

/* Length of an RFC 3986 scheme followed by "://" at the start of ref, or 0. */
static size_t url_scheme_len(const char *ref)
{
	size_t n = 0;

	if (!isalpha((unsigned char)ref[0]))
		return 0;
	while (isalnum((unsigned char)ref[n]) || ref[n] == '+' || ref[n] == '-' || ref[n] == '.')
		n++;
	return strncmp(ref + n, "://", 3) == 0 ? n : 0;
}

static int refuse(const char *ref)
{
	const struct key_source *s = source_of(ref);
	size_t n = url_scheme_len(ref);

	if (s->scheme)
		return hm_error_set(HM_E_USAGE,
				    "key source %s (%s) is not supported: use " SUPPORTED,
				    s->scheme, s->label);
	return hm_error_set(HM_E_USAGE, "key source %.*s:// is not supported: use " SUPPORTED,
			    (int)(n > 32 ? 32 : n), ref);
}

static int unsupported_private(hm_key **out, const char *ref, const char *passphrase_file)
{
	*out = NULL;
	return refuse(ref);
}

static int unsupported_public(hm_key **out, const char *ref)
{
	*out = NULL;
	return refuse(ref);
}

/* Any other scheme:// is not a file either: saying "No such file" about
 * "vault://x" would send the user looking in the wrong place. */
static const struct key_source *lookup(const char *ref)
{
	static const struct key_source unknown = {"", "unknown", unsupported_private,
						  unsupported_public};
	const struct key_source *s = source_of(ref);

	return !s->scheme && url_scheme_len(ref) ? &unknown : s;
}

/* Records how the user named the key: the reference itself, unless the
 * back-end already set a name without its secrets. */
static int name_key(hm_key *k, const char *ref)
{
	if (k->name)
		return HM_OK;
	k->name = strdup(ref);
	return k->name ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

int hm_key_load_private(hm_key **out, const char *ref, const char *passphrase_file)
{
	int err;

	*out = NULL;
	if (!ref || !*ref)
		return hm_error_set(HM_E_USAGE, "no key given");
	err = lookup(ref)->load_private(out, ref, passphrase_file);
	if (!err && (err = name_key(*out, ref))) {
		hm_key_free(*out);
		*out = NULL;
	}
	return err;
}

int hm_key_load_public(hm_key **out, const char *ref)
{
	int err;

	*out = NULL;
	if (!ref || !*ref)
		return hm_error_set(HM_E_USAGE, "no key given");
	err = lookup(ref)->load_public(out, ref);
	if (!err && (err = name_key(*out, ref))) {
		hm_key_free(*out);
		*out = NULL;
	}
	return err;
}
