/* SPDX-License-Identifier: Apache-2.0 */
/* Discovering the signatures of an image and checking them against keys. */
#ifndef HM_VERIFY_VERIFY_H
#define HM_VERIFY_VERIFY_H

#include <cjson/cJSON.h>
#include "crypto/key.h"
#include "oci/attach.h"
#include "oci/store.h"
#include "trust/trust.h"
#include "verify/notation_evidence.h"

typedef struct hm_sig_result {
	char *source;                  /* where it was found (see hm_attached.source) */
	enum hm_attach_kind kind;      /* simple-signing or sigstore-bundle (or unknown when refused) */
	enum hm_attach_form form;
	char layer[HM_DIGEST_SIZE];    /* payload (or bundle) blob digest */
	int valid;                     /* 1 when accepted */
	int key_index;                 /* index into opts.keys of the verifying key, or -1 */
	int tried_keys;                /* 1 when the signature was checked against the keys: then
					* key_index -1 means no key verified it (an unknown signer) */
	char *reason;                  /* why it was refused (NULL when valid) */
	cJSON *payload;                /* the parsed simple-signing payload, or the bundle's
					* statement, when it verified cryptographically */
	hm_signer signer;              /* who made it, when valid: a key or a keyless identity */
	int identity_index;            /* keyless: index into opts.identities that matched, or -1 */
	int notation_index;            /* a notation signature: index into opts.notation of the
					* trust that verified it, or -1 */
	hm_notation_result *notation;  /* a notation signature whose envelope parsed: what it
					* says (format, signer, scheme, times); owned */
} hm_sig_result;

typedef struct hm_verify_result {
	char digest[HM_DIGEST_SIZE];   /* the image digest checked */
	hm_sig_result *sigs;
	size_t n_sigs;
	size_t n_valid;
} hm_verify_result;

typedef struct hm_verify_opts {
	hm_key *const *keys;
	size_t n_keys;
	const char *const *annotations; /* "key=value" that the payload's optional must hold */
	size_t n_annotations;
	/* Keyless identities (HM_AUTH_KEYLESS authorities, borrowed): a
	 * certificate signature (bundle, or cosign's legacy keyless layer)
	 * counts when it verifies under one of them.  None: refused. */
	const hm_authority *identities;
	size_t n_identities;
	/* Notary Project signatures (kind notation) are verified with these;
	 * none: listed refused.  Annotations are not required of them. */
	hm_notation_trust *const *notation;
	size_t n_notation;
	const char *repository; /* the image's fully qualified repository, for trust policy scopes */
	int64_t now;            /* time of verification (0: the current time) */
} hm_verify_opts;

/* Checks every signature attached to digest: cosign's simple-signing
 * layers and Sigstore bundles whose verified statement is of predicate type
 * https://sigstore.dev/cosign/sign/v1 (one key is one signer whatever the
 * format).  A bundle verified as an attestation of another type is not
 * listed; a refused one is, unless what it claims outside the signature
 * says it is an attestation.  The annotations required are looked up in a
 * simple-signing payload's "optional", in a statement's subject's
 * "annotations" (where cosign v3 puts them).  A Notary Project signature
 * is verified with opts->notation (hm_evidence_notation) and counts as one
 * signature of the trust that verified it (notation_index, key_index -1).
 * HM_OK whenever the discovery
 * worked (even when no signature is valid: look at n_valid); an operational
 * error (registry unreachable, lying registry) returns its code. */
int hm_verify_signatures(hm_verify_result *out, hm_store *s, const char *digest,
			 const hm_verify_opts *opts);
/* The same over what hm_discover found for digest (so that signatures and
 * attestations share one discovery). */
int hm_verify_signatures_in(hm_verify_result *out, hm_store *s, const hm_attached_list *found,
			    const char *digest, const hm_verify_opts *opts);
void hm_verify_result_free(hm_verify_result *r);

#endif
