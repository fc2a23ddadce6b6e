/* SPDX-License-Identifier: Apache-2.0 */
/* Evaluating images against a policy, to a decision that explains itself.
 *
 * The checks go through a backend (a small table of functions) so that the
 * evaluator can be tested without a registry: hm_policy_backend_store() is
 * the real one (the store, hm_verify_signatures, hm_attest_verify).
 *
 * Each distinct (repository, digest, rule) is verified once per run however
 * many inputs name it, and independent images are evaluated concurrently on
 * up to opts.jobs threads, one backend session (one store) per thread. */
#ifndef HM_POLICY_EVAL_H
#define HM_POLICY_EVAL_H

#include <time.h>
#include <cjson/cJSON.h>
#include "attest/attest.h"
#include "oci/store.h"
#include "policy/policy.h"
#include "verify/verify.h"

/* A backend session is opened per image, used by one thread, and closed. */
typedef struct hm_policy_backend {
	void *ctx;
	/* name: normalised repository ("registry/path"); ref: as parsed. */
	int (*open)(void **session, void *ctx, const hm_ref *ref);
	/* Tag -> manifest digest.  HM_E_NOTFOUND when there is no such tag. */
	int (*resolve)(void *session, const char *tag, char digest[HM_DIGEST_SIZE]);
	/* As hm_verify_signatures(): HM_OK whenever discovery worked. */
	int (*signatures)(void *session, const char *digest, const hm_verify_opts *opts, hm_verify_result *out);
	/* As hm_attest_verify_who(): keys and keyless identities. */
	int (*attestations)(void *session, const char *digest, hm_key *const *keys, size_t nkeys,
			    const hm_authority *ids, size_t n_ids, const char *type, hm_att_results *out);
	void (*close)(void *session);
} hm_policy_backend;

/* The real backend over stores opened with opts (borrowed; must outlive
 * the evaluation). */
void hm_policy_backend_store(hm_policy_backend *out, const hm_store_opts *opts);
/* The same over one store the caller holds (borrowed, never freed): every
 * session is s, and naming another repository is an error. */
void hm_policy_backend_borrow(hm_policy_backend *out, hm_store *s);

/* One image to evaluate and where it came from (all borrowed; every field
 * but image may be NULL). */
typedef struct hm_eval_input {
	const char *image;     /* the reference as written */
	const char *kind;      /* Kubernetes object kind, name, namespace, container */
	const char *name;
	const char *namespace;
	const char *container;
	const char *pointer;   /* JSON pointer of the image field in its object */
} hm_eval_input;

/* One requirement of the rule, and how it went. */
typedef struct hm_check {
	char *what;   /* "digest", "tags", "signatures", "attestation <type>", "baseImages", "deny", "rule", "default" */
	int met;
	char *detail; /* what was found; for a failure, also what would have been accepted */
} hm_check;

/* A cache around the registry work of an evaluation (the webhook's, shared
 * by its reviews).  name is the normalised repository, rule the index of
 * the rule in the policy evaluated.
 *
 * tag_get: 1 with digest filled when the tag's digest is known, 0: the
 * evaluation resolves it and then calls tag_put exactly once (digest NULL
 * when the resolution failed), a negative HM_E_* with the message set: the
 * same resolution, run for another caller, failed so.
 *
 * ver_get: the checks of (name, digest, rule): 1 with *out (n checks, owned
 * by the caller, freed as hm_decision_free frees checks) when known; 0: the
 * evaluation verifies and then calls ver_done exactly once, with err < 0
 * when the verification could not run (the cache keeps no error); a
 * negative HM_E_* with the message set: the same verification, run for
 * another caller, failed so. */
typedef struct hm_eval_cache {
	void *ctx;
	int (*tag_get)(void *ctx, const char *name, const char *tag, char digest[HM_DIGEST_SIZE]);
	void (*tag_put)(void *ctx, const char *name, const char *tag, const char *digest);
	int (*ver_get)(void *ctx, const char *name, const char *digest, int rule, hm_check **out, size_t *n);
	void (*ver_done)(void *ctx, const char *name, const char *digest, int rule, int err, const hm_check *v,
			 size_t n);
} hm_eval_cache;

typedef struct hm_eval_opts {
	unsigned jobs; /* concurrent images; 0: 8 */
	time_t now;    /* for maxAge; 0: the current time */
	int mutate;    /* an admission patch will pin tags: require.digest is met by resolving */
	const hm_eval_cache *cache; /* NULL: none */
	/* The threads the images are checked on besides the caller's (shared
	 * with other evaluations; borrowed); NULL: up to jobs - 1 threads of
	 * this evaluation's own. */
	struct hm_pool *pool;
	/* Answer from the cache or not at all: every lookup that finds
	 * nothing kept answers HM_EVAL_CACHE_MISS (see hm_eval_cache), and
	 * hm_policy_eval then returns HM_EVAL_INCOMPLETE with no decision.
	 * Nothing runs on another thread. */
	int cache_only;
} hm_eval_opts;

#define HM_EVAL_OPTS_INIT {0, 0, 0, NULL, NULL, 0}
/* What tag_get and ver_get answer, with opts.cache_only, for a key that
 * is not kept (nothing led, nothing to put). */
#define HM_EVAL_CACHE_MISS 2
/* hm_policy_eval with opts.cache_only: something was not kept. */
#define HM_EVAL_INCOMPLETE 1

enum hm_verdict { HM_ALLOWED, HM_DENIED };

/* A signature or attestation that counted towards a met requirement (the
 * evidence a verification summary names). */
typedef struct hm_evidence {
	char *source;                /* where it was found (see hm_attached.source) */
	char digest[HM_DIGEST_SIZE]; /* its payload, envelope or bundle blob */
} hm_evidence;

typedef struct hm_image_decision {
	hm_eval_input in;       /* copied strings (owned) */
	char *ref;              /* normalised reference as written, NULL when it did not parse */
	char *digest;           /* the digest decided on (resolved or pinned), or NULL */
	int pinned;             /* the reference as written carried the digest */
	int rule;               /* index of the matching rule, -1: none */
	char *rule_name;        /* NULL when none */
	enum hm_mode mode;
	int allowed;            /* final: mode, on_error and default applied */
	int violated;           /* some requirement failed (even when allowed by mode) */
	int error;              /* an operational error decided (see error_message) */
	char *error_message;
	hm_check *checks;
	size_t n_checks;
	char *name;             /* normalised repository, NULL when the reference did not parse */
	hm_evidence *evidence;  /* what the met requirements rest on, each blob once */
	size_t n_evidence;
} hm_image_decision;

typedef struct hm_decision {
	int allowed;            /* every image allowed */
	hm_image_decision *v;
	size_t n;
	size_t n_verified;      /* distinct (repository, digest, rule) verified */
} hm_decision;

/* Evaluates the n inputs.  Per-image problems (bad reference, registry
 * unreachable) are part of the decision; the return value is HM_OK, or
 * HM_E_NOMEM and the like when the evaluation itself could not run, or
 * HM_EVAL_INCOMPLETE (opts.cache_only). */
int hm_policy_eval(hm_decision *out, const hm_policy *p, const hm_policy_backend *b,
		   const hm_eval_input *in, size_t n, const hm_eval_opts *opts);
void hm_decision_free(hm_decision *d);

/* The decision as a new JSON tree (the caller cJSON_Deletes it), NULL when
 * out of memory:
 *   {"allowed": bool, "images": [{"image", "ref", "digest", "kind", "name",
 *    "namespace", "container", "rule", "mode", "allowed", "violated",
 *    "error", "checks": [{"requirement", "met", "detail"}]}]} */
cJSON *hm_decision_json(const hm_decision *d);

/* One line per failed check of d, "image: rule 'r': what: detail", for
 * admission messages and warnings; warn selects the images allowed only
 * because of their mode (1) or those denied (0).  Appends to out. */
int hm_decision_violations(hm_strv *out, const hm_decision *d, int warn);

#endif
