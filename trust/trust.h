/* SPDX-License-Identifier: Apache-2.0 */
/* The authorities a policy (or the command line) names, and the one
 * function that says whether a verified attachment was made by one of them.
 *
 * An authority is a key, a keyless identity (a Fulcio certificate's SAN and
 * OIDC issuer, optional claims, under one trusted root), or -- the slot
 * HM_AUTH_NOTATION, filled by the notation trust store -- an x509 trust
 * store.  A signer is what verification established about an attachment:
 * the key that verified it, or the certificate identity and trusted root
 * it verified under.  hm_trust_match() dispatches on the authority's kind
 * through a table (trust.c): a new kind adds one enum value and one row. */
#ifndef HM_TRUST_TRUST_H
#define HM_TRUST_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "crypto/key.h"
#include "sigstore/fulcio.h"
#include "sigstore/trustroot.h"

enum hm_authority_kind {
	HM_AUTH_NONE = 0,
	HM_AUTH_KEY = 1,      /* a public key */
	HM_AUTH_KEYLESS = 2,  /* a Fulcio certificate identity under a trusted root */
	HM_AUTH_NOTATION = 3, /* reserved: notation trust store (x509 subjects) */
	HM_AUTH_KINDS
};

/* One authority.  Everything is borrowed: whoever builds it (the policy,
 * the CLI) owns the key, the strings of the identity and the root. */
typedef struct hm_authority {
	enum hm_authority_kind kind;
	const char *name;                /* for messages: the policy key's name, the --key value */
	const hm_key *key;               /* HM_AUTH_KEY */
	hm_identity_policy identity;     /* HM_AUTH_KEYLESS */
	const hm_trustroot *trustroot;   /* HM_AUTH_KEYLESS; NULL: the built-in public-good root */
} hm_authority;

/* Who made a verified attachment. */
typedef struct hm_signer {
	enum hm_authority_kind kind;     /* HM_AUTH_NONE when nothing verified */
	const hm_key *key;               /* HM_AUTH_KEY: the key that verified (borrowed) */
	hm_fulcio_identity cert;         /* HM_AUTH_KEYLESS: the leaf's identity (owned) */
	const char *identity;            /* the SAN shown as "identity" (points into cert) */
	const hm_trustroot *trustroot;   /* the root it verified under (borrowed; NULL: built in) */
	int64_t log_index;               /* the first log entry's, -1 when none */
	int64_t time;                    /* the first established time, 0 when none */
} hm_signer;

#define HM_SIGNER_INIT {.kind = HM_AUTH_NONE, .log_index = -1}

/* 1 when s was made by a, 0 when not (a key: the same public key; keyless:
 * the same trusted root and an identity satisfying a's policy with cosign's
 * meaning, sigstore/fulcio.h).  Kinds without a row never match. */
int hm_trust_match(const hm_authority *a, const hm_signer *s);
/* The index of the first of the n authorities that s matches, -1 when none. */
int hm_trust_find(const hm_authority *a, size_t n, const hm_signer *s);

/* Takes the certificate identity of a keyless verdict's cert (moved: *cert
 * is left empty) and sets identity to the SAN that satisfies p (or the
 * first SAN). */
void hm_signer_set_keyless(hm_signer *s, hm_fulcio_identity *cert, const hm_identity_policy *p,
			   const hm_trustroot *root);
void hm_signer_release(hm_signer *s);

/* A keyless signer's certificate as data, for policy conditions and
 * reports: {"subject": the SAN shown as identity, "sans": [every SAN],
 * "issuer": ..., and each claim by cosign's name (hm_fulcio_claim_name),
 * e.g. "sourceRepositoryDigest"}.  NULL when out of memory or s is not
 * keyless.  The caller cJSON_Deletes it. */
cJSON *hm_signer_certificate_json(const hm_signer *s);

/* "key" | "keyless" | "notation" */
const char *hm_authority_kind_name(enum hm_authority_kind k);

#endif
