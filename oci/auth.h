/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials and the WWW-Authenticate / bearer token protocol.
 *
 * Nothing here talks to the network: the registry client (oci/registry.c)
 * asks this module which credentials to use, how to read a challenge, what
 * URL to ask for a token and how to read the token answer.  Credential
 * strings are secrets: hm_auth_cred_free() wipes them. */
#ifndef HM_OCI_AUTH_H
#define HM_OCI_AUTH_H

#include <stddef.h>
#include "core/buf.h"

#define HM_AUTH_MAX_CONFIG (1u << 20)  /* docker config.json */
#define HM_AUTH_MAX_HELPER (64u << 10) /* credential helper output */
#define HM_AUTH_MAX_TOKEN (1u << 20)   /* token endpoint answer */

typedef struct hm_auth_cred {
	char *username;       /* NULL: anonymous */
	char *password;       /* NULL when only an identity token is known */
	char *identity_token; /* OAuth2 refresh token ("identitytoken"), or NULL */
} hm_auth_cred;

#define HM_AUTH_CRED_INIT {NULL, NULL, NULL}

/* Wipes and frees the strings; the struct may be reused. */
void hm_auth_cred_free(hm_auth_cred *c);

/* The credentials for registry ("host[:port]", "docker.io" for Docker Hub):
 * from auth_file alone when it is not NULL (HM_E_IO when it is missing);
 * otherwise from the first of these files that knows the registry (an
 * entry, or a credential helper that has it), missing files skipped:
 * $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json (else
 * ~/.docker/config.json), $XDG_RUNTIME_DIR/containers/auth.json,
 * $XDG_CONFIG_HOME/containers/auth.json (else
 * ~/.config/containers/auth.json).  None: out is anonymous (all NULL) and
 * HM_OK.  A credential helper named by credHelpers/credsStore is run, for
 * at most timeout_ms (0: 30 s).  HM_E_IO for an unreadable or malformed
 * file, or a helper that fails or is missing. */
int hm_auth_cred_lookup(hm_auth_cred *out, const char *registry, const char *auth_file, long timeout_ms);

/* The part of hm_auth_cred_lookup() that reads the config text: fills out
 * from `auths`, or sets *helper (caller frees; the suffix of
 * docker-credential-<name>) when credHelpers or credsStore applies.  Both
 * empty when the file says nothing about registry.  what names the file in
 * messages. */
int hm_auth_config_parse(hm_auth_cred *out, char **helper, const char *json, size_t len,
			 const char *registry, const char *what);

/* Runs `docker-credential-<helper> get` with server on stdin and reads
 * {"Username","Secret"} back (bounded, with a timeout).  A helper that
 * answers "credentials not found" leaves out anonymous.  timeout_ms: 0 for
 * 30 s.  Username
 * "<token>" makes Secret an identity token, as docker does. */
int hm_auth_helper_get(hm_auth_cred *out, const char *helper, const char *server, long timeout_ms);

/* One challenge from a WWW-Authenticate header. */
typedef struct hm_auth_challenge {
	char scheme[16]; /* lower case: "basic", "bearer", ... */
	char *realm;
	char *service;
	char *scope;
	char *error;
} hm_auth_challenge;

#define HM_AUTH_CHALLENGE_INIT {"", NULL, NULL, NULL, NULL}

/* Parses the first challenge of a WWW-Authenticate value (auth-params with
 * token or quoted-string values, backslash escapes, any order; unknown
 * params ignored).  HM_E_IO "invalid WWW-Authenticate header: why". */
int hm_auth_challenge_parse(hm_auth_challenge *out, const char *header);
void hm_auth_challenge_free(hm_auth_challenge *c);

/* Appends the token URL for a bearer challenge:
 * realm?service=S&scope=repository:<repository>:pull[,push] (URL-encoded;
 * the challenge's own scope is added when it names something else). */
int hm_auth_token_url(hm_buf *out, const hm_auth_challenge *c, const char *repository, int push);

/* Appends the form body of an OAuth2 refresh-token request (POST to realm). */
int hm_auth_token_form(hm_buf *out, const hm_auth_challenge *c, const char *repository, int push,
		       const char *refresh_token);

/* Reads "token" (or "access_token") from a token endpoint answer.  *out is
 * the caller's to free (wipe it: it is a secret). */
int hm_auth_token_parse(char **out, const char *json, size_t len);

/* Appends "Basic <base64(user:password)>". */
int hm_auth_basic(hm_buf *out, const hm_auth_cred *c);

#endif
