/* SPDX-License-Identifier: Apache-2.0 */
/* The policy file (apiVersion hallmark/v1, kind Policy): loading and lint.
 * docs/policy.md is the reference for the format.
 *
 * Loading lints everything and reports every problem, not just the first,
 * each as "file:line:col: message".  A loaded hm_policy owns its keys,
 * patterns and conditions, and is read-only afterwards (evaluation may use
 * it from several threads). */
#ifndef HM_POLICY_POLICY_H
#define HM_POLICY_POLICY_H

#include <stddef.h>
#include "core/strv.h"
#include "crypto/key.h"
#include "policy/condition.h"
#include "policy/pattern.h"
#include "trust/trust.h"

enum hm_mode { HM_MODE_ENFORCE, HM_MODE_WARN, HM_MODE_AUDIT };

struct hm_notation_trust;

/* A named authority: a public key ({file} or {pem}), a keyless identity
 * ({issuer|issuerRegExp, subject|subjectRegExp, trustedRoot, claims}) or a
 * notation trust store ({notation: {trustStore, identities, trustPolicy?}}).
 * auth is what trust/ judges key and keyless signers by: kind HM_AUTH_KEY
 * with auth.key == key, HM_AUTH_KEYLESS with the identity's strings owned by
 * the policy and auth.trustroot one of hm_policy.roots (NULL: the built-in
 * root), or HM_AUTH_NOTATION for a notation entry (matched by
 * verify/notation_evidence.h through notation). */
typedef struct hm_policy_key {
	char *name;
	hm_key *key;                        /* NULL for a keyless or notation entry */
	struct hm_notation_trust *notation; /* a notation entry's trust, else NULL */
	hm_authority auth;
} hm_policy_key;

/* A set of policy keys (indices into hm_policy.keys) and how many of them,
 * counted once each, must have signed. */
typedef struct hm_key_set {
	size_t *idx;
	size_t n;
	size_t threshold; /* default: n (every key listed) */
} hm_key_set;

typedef struct hm_attest_req {
	char *type;     /* predicate type URI (or short name) */
	hm_key_set keys;
	hm_cond *where; /* NULL: no condition */
	int line;       /* where it was written, for explanations */
} hm_attest_req;

/* require.vsa: a Verification Summary Attestation (attest/vsa.h) signed by
 * the keys, PASSED, for the image, from this policy (when policy_digest),
 * this verifier (when verifier_id), at most max_age old (when > 0). */
typedef struct hm_vsa_req {
	hm_key_set keys;
	char *policy_digest; /* "sha256:<hex>" or NULL */
	char *verifier_id;   /* or NULL */
	long long max_age;   /* seconds, 0: any age */
	int line;
} hm_vsa_req;

typedef struct hm_policy_rule {
	char *name;
	hm_pattern *images;
	size_t n_images;
	hm_pattern *exclude;
	size_t n_exclude;
	enum hm_mode mode;
	char *deny;          /* a refusing rule's message, or NULL */
	int on_error_allow;  /* 0: operational errors deny (the default) */
	/* require */
	int digest;          /* references must be pinned by digest */
	char **deny_tags;    /* tag globs refused */
	size_t n_deny_tags;
	int has_signatures;
	hm_key_set sig_keys;
	char **annotations;  /* "key=value", the payload's optional must hold each */
	size_t n_annotations;
	hm_attest_req *attestations;
	size_t n_attestations;
	int has_base_images;
	hm_pattern *base_allow;
	size_t n_base_allow;
	int base_pinned;
	hm_vsa_req *vsa;     /* NULL when not required */
} hm_policy_rule;

typedef struct hm_policy {
	char *path;
	hm_policy_key *keys;
	size_t n_keys;
	hm_trustroot **roots; /* the keyless entries' trusted roots, each file loaded once */
	char **root_paths;
	size_t n_roots;
	hm_policy_rule *rules;
	size_t n_rules;
	int default_allow;   /* images no rule matches: 0 deny (the default) */
	int mutate_digest;   /* mutate: digest — admission responses pin tags */
} hm_policy;

#define HM_MAX_POLICY (4u << 20) /* bytes of a policy file */

/* Reads and lints path (key files are relative to its directory).  Every
 * problem is appended to diags; when there was any, returns HM_E_IO
 * "'path': N problems" with *out NULL.  An unreadable file is HM_E_IO. */
int hm_policy_load(hm_policy **out, const char *path, hm_strv *diags);
/* The same over len bytes in memory; name names it in messages, base_dir
 * (NULL: ".") is where key files are looked up. */
int hm_policy_load_mem(hm_policy **out, const void *data, size_t len, const char *name,
		       const char *base_dir, hm_strv *diags);
void hm_policy_free(hm_policy *p);

const char *hm_mode_name(enum hm_mode m);

/* The first rule matching the normalised name, tag (or NULL) and digest
 * (or NULL): an images pattern matches and no exclude pattern does.
 * Returns its index, or -1. */
int hm_policy_match(const hm_policy *p, const char *name, const char *tag, const char *digest);

#endif
