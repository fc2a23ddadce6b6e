/* SPDX-License-Identifier: Apache-2.0 */
/* The keyless flags shared by verify, verify-attestation and verify-blob
 * (cosign's names and meanings), and the rendering of a keyless signer. */
#ifndef HM_CLI_KEYLESS_H
#define HM_CLI_KEYLESS_H

#include <cjson/cJSON.h>
#include "cli/cli.h"
#include "trust/trust.h"

/* The option entries, to put in a command's hm_opt table. */
#define HM_CLI_KEYLESS_OPTS                                                                                         \
	{"certificate-identity", 0, "ID", 0, "keyless: a SAN of the certificate must equal ID"},                   \
	    {"certificate-identity-regexp", 0, "RE", 0, "keyless: a SAN must match RE (unanchored)"},              \
	    {"certificate-oidc-issuer", 0, "URL", 0, "keyless: the OIDC issuer must equal URL"},                   \
	    {"certificate-oidc-issuer-regexp", 0, "RE", 0, "keyless: the issuer must match RE (unanchored)"},      \
	    {"certificate-github-workflow-trigger", 0, "S", 0, "keyless: claim 1.3.6.1.4.1.57264.1.2 must equal S"}, \
	    {"certificate-github-workflow-sha", 0, "S", 0, "keyless: claim 1.3.6.1.4.1.57264.1.3 must equal S"},   \
	    {"certificate-github-workflow-name", 0, "S", 0, "keyless: claim 1.3.6.1.4.1.57264.1.4 must equal S"},  \
	    {"certificate-github-workflow-repository", 0, "S", 0,                                                   \
	     "keyless: claim 1.3.6.1.4.1.57264.1.5 must equal S"},                                                  \
	    {"certificate-github-workflow-ref", 0, "S", 0, "keyless: claim 1.3.6.1.4.1.57264.1.6 must equal S"},   \
	{                                                                                                           \
		"trusted-root", 0, "FILE", 0, "the Sigstore trusted root (default $HALLMARK_TRUSTED_ROOT, else built in)" \
	}

/* The keyless identity of the command line. */
typedef struct hm_cli_keyless {
	int given;              /* 1 when any identity flag was given */
	hm_authority auth;      /* HM_AUTH_KEYLESS; strings borrowed from the arguments */
	hm_trustroot *root;     /* --trusted-root / $HALLMARK_TRUSTED_ROOT, NULL: built in */
} hm_cli_keyless;

/* Reads and checks the flags (cosign's rules: an identity and an issuer,
 * each given one way, regexps that compile) and loads the trusted root.
 * mix: whether --key may be given beside an identity (verify and
 * verify-attestation: a signature counts if it verifies with a key OR
 * matches the identity); otherwise they exclude each other (verify-blob).
 * Either keys or an identity are required.  Returns -1 when fine, else an
 * exit code (the error printed).  Release with hm_cli_keyless_release. */
int hm_cli_keyless_load(hm_cli_keyless *k, const hm_args *a, int mix);
void hm_cli_keyless_release(hm_cli_keyless *k);
/* 1 when any keyless flag (or --trusted-root) was given: for commands where
 * neither keys nor an identity are required (audit). */
int hm_cli_keyless_given(const hm_args *a);

/* Adds "keyless": true, "identity", "issuer", "claims" {name: value} to e
 * for a keyless signer, and "logIndex", "signedAt" when known (any signer). */
void hm_cli_json_signer(cJSON *e, const hm_signer *s);
/* Prints ", identity ID, issuer URL, log index N, signed at T" (the parts known). */
void hm_cli_print_signer(const hm_signer *s);

#endif
