/* SPDX-License-Identifier: Apache-2.0 */
/* Auditing the tagged versions of a repository: every tag (but cosign's and
 * hallmark's own "sha256-*" tags), what it points to, who signed it, what
 * its provenance says, and whether that agrees with the git tag of the same
 * name.  The library fills a hm_audit_report; cli/cmd_audit.c renders it.
 *
 * Work is done in two parallel passes over a pool of threads (one store per
 * thread, stores are not thread-safe): every tag is resolved to its digest,
 * then every distinct digest is checked once (signatures, attestations,
 * platforms of an index).  What is kept per digest is a compact summary: no
 * manifest, payload or statement survives the check of its digest, so memory
 * grows with the number of tags only by a few small strings each.
 *
 * Strings in the report are owned by the report; hm_audit_report_free()
 * releases everything. */
#ifndef HM_AUDIT_AUDIT_H
#define HM_AUDIT_AUDIT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "core/strv.h"
#include "crypto/key.h"
#include "verify/notation_evidence.h"
#include "oci/store.h"
#include "trust/trust.h"

enum hm_audit_severity { HM_AUDIT_INFO, HM_AUDIT_WARNING, HM_AUDIT_ERROR };

/* Stable finding codes (what JSON consumers match on). */
#define HM_AUDIT_UNSIGNED "unsigned"
#define HM_AUDIT_UNKNOWN_SIGNER "unknown-signer"
#define HM_AUDIT_INVALID_SIGNATURE "invalid-signature"
#define HM_AUDIT_PROVENANCE_MISSING "provenance-missing"
#define HM_AUDIT_COMMIT_MISMATCH "commit-mismatch"
#define HM_AUDIT_DIRTY_TREE "dirty-tree"
#define HM_AUDIT_UNPINNED_BASE "unpinned-base-image"
#define HM_AUDIT_NO_GIT_TAG "no-git-tag"
#define HM_AUDIT_NO_IMAGE "no-image-for-git-tag"
#define HM_AUDIT_SHARED_DIGEST "shared-digest"
#define HM_AUDIT_REFERENCE_MISMATCH "reference-mismatch"
#define HM_AUDIT_POLICY_DENIED "policy-denied"

typedef struct hm_audit_finding {
	const char *code; /* one of the HM_AUDIT_* codes (static) */
	enum hm_audit_severity severity;
	char *message;    /* plain words, owned */
} hm_audit_finding;

typedef struct hm_audit_findings {
	hm_audit_finding *v;
	size_t n, cap;
} hm_audit_findings;

/* One signature of an image, reduced to what the report shows. */
typedef struct hm_audit_sig {
	int valid;
	int key_index;  /* index into opts.keys of the verifying key, or -1 */
	char *identity; /* the payload's docker-reference when it verified, else NULL */
	char *reason;   /* why it was refused, else NULL */
	int unknown_key; /* refused because none of the keys verified it */
	/* who signed, when not a key (key_index < 0), else NULL: a notation
	 * signature's subject DN (verified when valid; what the envelope
	 * claims otherwise), or a valid keyless signature's certificate
	 * identity (SAN), with its OIDC issuer and sourceRepositoryDigest
	 * claim (1.3.6.1.4.1.57264.1.13); issuer is NULL for notation */
	char *signer;
	char *issuer;
	char *source_commit;
} hm_audit_sig;

typedef struct hm_audit_att {
	char *predicate_type; /* may be NULL when the envelope said nothing */
	int valid;
	int key_index;
	char *reason;
} hm_audit_att;

/* What a verified SLSA provenance v1 statement says (NULL: not stated). */
typedef struct hm_audit_provenance {
	int present;      /* 1 when a verified SLSA v1 provenance was read */
	char *builder_id; /* runDetails.builder.id */
	char *source;     /* externalParameters.repository (or the git dependency's) */
	char *ref;        /* externalParameters.ref / source.ref */
	char *commit;     /* the git dependency's digest.gitCommit (or sha1) */
	int dirty;        /* internalParameters.dirty: 1, 0, or -1 when absent */
	hm_strv unpinned; /* base images named without a digest, as written */
} hm_audit_provenance;

/* A policy's decision on one digest; owned by its image, released with
 * hm_audit_decision_release(). */
typedef struct hm_audit_decision {
	int allowed;        /* -1: no policy, 0: denied, 1: allowed */
	char *rule;         /* the rule that decided, NULL when none matched */
	hm_strv violations; /* each failed requirement, "what: detail" */
} hm_audit_decision;

#define HM_AUDIT_DECISION_INIT {-1, NULL, HM_STRV_INIT}

/* One distinct digest. */
typedef struct hm_audit_image {
	char digest[HM_DIGEST_SIZE];
	char *media_type;
	hm_strv platforms;    /* "os/arch[/variant]" of an index's manifests */
	hm_audit_sig *sigs;
	size_t n_sigs, n_valid_sigs;
	hm_audit_att *atts;
	size_t n_atts, n_valid_atts;
	hm_audit_provenance prov;
	hm_audit_decision decision;
	char *error;          /* an operational error while checking it, or NULL */
	size_t first_tag;     /* the first tag (report order) pointing to it; */
	size_t n_tags;        /* how many do (both set by hm_audit_summarize) */
} hm_audit_image;

enum hm_audit_git_state {
	HM_AUDIT_GIT_OFF,        /* no --git */
	HM_AUDIT_GIT_MATCH,      /* provenance commit == git tag commit */
	HM_AUDIT_GIT_MISMATCH,   /* they differ */
	HM_AUDIT_GIT_NO_TAG,     /* no git tag of this name */
	HM_AUDIT_GIT_UNKNOWN,    /* a git tag, but no provenance commit to compare */
};

typedef struct hm_audit_tag {
	char *tag;
	size_t image;          /* index into report.images; meaningful when !error */
	char *git_tag;         /* the paired git tag ("v1.2.3" for "1.2.3"), or NULL */
	char git_commit[41];   /* the commit it peels to ("" when none) */
	enum hm_audit_git_state git;
	hm_audit_findings findings;
	char *error;           /* resolving the tag failed (operational), or NULL */
	size_t next_tag;       /* the next tag pointing to the same image, or
				  n_tags (set by hm_audit_summarize) */
} hm_audit_tag;

typedef struct hm_audit_summary {
	size_t tags, digests, signed_tags, verified_tags, with_provenance;
	size_t git_matched, failed_tags; /* failed: at least one error finding */
	size_t errors, warnings, infos;  /* findings by severity (tags and repository) */
	size_t operational;              /* tags or digests that could not be checked */
} hm_audit_summary;

typedef struct hm_git_tag_entry {
	char *name;
	char commit[41];
} hm_git_tag_entry;

/* The git tags of a repository, each peeled to its commit. */
typedef struct hm_git_tags {
	hm_git_tag_entry *v;
	size_t n;
} hm_git_tags;

typedef struct hm_audit_report {
	char *repository;   /* hm_store_name() of the repository */
	hm_audit_tag *tags; /* sorted by hm_audit_tag_compare */
	size_t n_tags;
	hm_audit_image *images;
	size_t n_images;
	hm_audit_findings findings; /* repository-wide: git tags with no image */
	hm_audit_summary summary;
} hm_audit_report;

/* Progress: phase is "resolving" or "checking"; called with an internal
 * lock held, from whichever thread finished an item, so it needs no locking
 * of its own and must return quickly. */
typedef void (*hm_audit_progress_fn)(void *ctx, const char *phase, size_t done, size_t total);

/* Policy hook: decides for one digest of the repository (image is
 * "name@sha256:..."), on the calling worker's store s (which only that
 * thread uses while the hook runs).  Fills out (given as
 * HM_AUDIT_DECISION_INIT; what it holds is released on error); returns an
 * HM_E_* code for operational errors.  Called concurrently from several
 * threads, each with its own store. */
typedef int (*hm_audit_decide_fn)(void *ctx, hm_store *s, const char *image, hm_audit_decision *out);

typedef struct hm_audit_opts {
	unsigned version;
	hm_key *const *keys;               /* borrowed */
	size_t n_keys;
	const char *const *tag_patterns;   /* globs (fnmatch); none: every tag */
	size_t n_tag_patterns;
	const char *git_dir;               /* NULL: no git comparison */
	unsigned jobs;                     /* 0: 8 */
	const hm_store_opts *store;        /* borrowed, may be NULL */
	hm_audit_progress_fn progress;     /* may be NULL */
	void *progress_ctx;
	hm_audit_decide_fn decide;         /* may be NULL: no policy */
	void *decide_ctx;
	/* Notary Project signatures are verified with these (borrowed; none:
	 * listed refused).  Their named stores are read before the threads
	 * start (hm_notation_trust_make). */
	hm_notation_trust *const *notation;
	size_t n_notation;
	/* keyless identities (HM_AUTH_KEYLESS authorities, borrowed) beside
	 * the keys: a certificate signature counts under one of them */
	const hm_authority *identities;
	size_t n_identities;
} hm_audit_opts;

#define HM_AUDIT_OPTS_VERSION 1
#define HM_AUDIT_OPTS_INIT {.version = HM_AUDIT_OPTS_VERSION}

/* The commit the first valid keyless signature of img names in its
 * certificate (sourceRepositoryDigest), NULL when none does. */
const char *hm_audit_keyless_commit(const hm_audit_image *img);

/* Audits the repository of repo (its tag or digest is ignored).  HM_OK when
 * the audit ran, whatever it found (look at the findings and at
 * summary.operational for tags that could not be checked); an error listing
 * the tags or reading the git repository returns its code, the report then
 * empty. */
int hm_audit_run(hm_audit_report *out, const hm_ref *repo, const hm_audit_opts *opts);
void hm_audit_report_free(hm_audit_report *r);

/* A decide hook for a policy file: ctx is the loaded hm_policy (const,
 * read-only, shared by the threads).  Evaluates the one image with
 * hm_policy_eval() on a backend whose every session is the worker's store s:
 * nothing is opened and no store is shared between threads, so it is safe
 * under the audit's pool (and the worker's connection and token are reused).
 * A registry failure during the checks is part of the decision, as the
 * policy's on_error says. */
int hm_audit_policy_decide(void *ctx, hm_store *s, const char *image, hm_audit_decision *out);

void hm_audit_decision_release(hm_audit_decision *d);

/* --- the pure parts, exposed for the CLI and the tests --- */

struct hm_image_decision;

/* Reduces a policy's decision on one image to what the audit keeps: the
 * verdict, the rule's name and one "what: detail" line per failed check.
 * out is released first. */
int hm_audit_decision_from_policy(hm_audit_decision *out, const struct hm_image_decision *d);

/* 1 when tag is to be audited: not one of the "sha256-<hex>.<suffix>"
 * tags of attached artifacts, and matching one of the patterns (any, when
 * there are none). */
int hm_audit_tag_selected(const char *tag, const char *const *patterns, size_t n);

/* 1 when s looks like a release version: an optional "v", then
 * MAJOR.MINOR[.PATCH], then optionally "-prerelease" and/or "+build". */
int hm_audit_is_release(const char *s);

/* Orders tags as versions: those hm_audit_is_release() accepts first, by
 * semantic-version precedence ("v" ignored, a missing PATCH is 0, numbers
 * compared as numbers, "1.0.0-rc.1" before "1.0.0", build metadata
 * ignored), equal ones by name; then every other tag by name (strcmp). */
int hm_audit_tag_compare(const char *a, const char *b);

/* 1 when a finding of this code is about the tag itself (its git tag), 0
 * when it is about the digest, and so the same for every tag sharing it. */
int hm_audit_finding_per_tag(const char *code);

/* 1 when a registry tag and a git tag name the same version: equal, or
 * equal but for a "v" before a digit ("v1.2.3" and "1.2.3"). */
int hm_audit_tags_pair(const char *registry_tag, const char *git_tag);

/* The git tag paired with registry_tag (an exact name first), or NULL
 * (borrowed from tags). */
const hm_git_tag_entry *hm_audit_git_find(const hm_git_tags *tags, const char *registry_tag);

/* Reads every tag of the git repository at dir (annotated tags peeled to
 * their commit; tags of other objects skipped).  HM_E_USAGE when dir is not
 * a git repository. */
int hm_git_tags_read(hm_git_tags *out, const char *dir);
void hm_git_tags_free(hm_git_tags *t);

/* Reads an SLSA provenance v1 statement (borrowed) into out (freed with
 * hm_audit_provenance_release). */
int hm_audit_provenance_read(hm_audit_provenance *out, const cJSON *statement);
void hm_audit_provenance_release(hm_audit_provenance *p);

/* 1 when a signature's docker-reference names the repository whose
 * identity is expected: both normalised as references are (oci/ref.h:
 * host case, default ports, Docker Hub spellings), a trailing tag or digest
 * ignored. */
int hm_audit_identity_matches(const char *docker_reference, const char *expected);

/* Computes the findings of tag t pointing at img: n_sharing is how many
 * audited tags point at the same digest, repo_identity the docker-reference
 * expected in signatures. */
int hm_audit_tag_findings(hm_audit_tag *t, const hm_audit_image *img, size_t n_sharing,
			  const char *repo_identity);

/* How many attestations of img say they are SLSA provenance (verified or
 * not): none means "nothing attached", whatever other attestations there
 * are. */
size_t hm_audit_provenance_attached(const hm_audit_image *img);

/* Appends a finding (message printf-style). */
int hm_audit_finding_add(hm_audit_findings *f, const char *code, enum hm_audit_severity sev,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void hm_audit_findings_release(hm_audit_findings *f);

/* "info", "warning", "error". */
const char *hm_audit_severity_name(enum hm_audit_severity s);

/* Links the tags of each image (first_tag, n_tags, next_tag) and fills
 * r->summary from the tags, images and findings; a finding about a digest
 * counts once, from the first of its tags. */
void hm_audit_summarize(hm_audit_report *r);

#endif
