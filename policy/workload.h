/* SPDX-License-Identifier: Apache-2.0 */
/* Workloads: the images of Kubernetes objects, and AdmissionReview.
 *
 * Objects: Pod, PodTemplate, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController, Job, CronJob, and List (whose items
 * are any kind).  Every container, initContainer and ephemeralContainer,
 * and every image volume (volumes[].image.reference), is listed with the
 * JSON pointer of its image field (relative to the object) for patches.
 *
 * Objects of other kinds are searched for pod specs (any mapping holding
 * one of the container lists, wherever it is: Argo Rollouts, PodTemplate
 * wrappers, operators' CRDs): their images are listed, and the object is
 * also recorded as refused with unknown_kind set, since the search cannot
 * know every place such a kind keeps images; the caller lets it through
 * only when told to (--allow-unknown-kinds).  Kinds without any container
 * list are skipped.
 *
 * Kubernetes pulls from registries: an image naming an OCI layout
 * ("oci:PATH") is not listed but recorded as refused. */
#ifndef HM_POLICY_WORKLOAD_H
#define HM_POLICY_WORKLOAD_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "policy/eval.h"

typedef struct hm_workload_image {
	char *image;
	char *kind, *name, *namespace, *container;
	char *pointer; /* "/spec/template/spec/containers/0/image" */
	size_t doc;    /* document index in the input */
	int line, col; /* of the image in the input, 0 when unknown */
} hm_workload_image;

/* An object or image refused without being checked. */
typedef struct hm_workload_refusal {
	char *kind, *name, *namespace;
	char *image;      /* the refused image, or NULL for a whole object */
	char *pointer;    /* JSON pointer of the image (or of the object in a List), or NULL */
	char *reason;
	int unknown_kind; /* an object of a kind hallmark does not know */
} hm_workload_refusal;

typedef struct hm_workload {
	hm_workload_image *v;
	size_t n, cap;
	hm_workload_refusal *refused;
	size_t n_refused, cap_refused;
} hm_workload;

#define HM_WORKLOAD_INIT {NULL, 0, 0, NULL, 0, 0}

/* Reads multi-document YAML or JSON (name names it in errors) and appends
 * the images of every object.  A container without an image string is
 * HM_E_IO "name:line:col: ...". */
int hm_workload_from_yaml(hm_workload *out, const void *data, size_t len, const char *name);
void hm_workload_free(hm_workload *w);

/* The images as evaluation inputs (borrowing from w): *out is an array of
 * w->n the caller frees with free(). */
int hm_workload_inputs(hm_eval_input **out, const hm_workload *w);

/* Appends to d (made from w's images) a denied entry for each refusal of w
 * (those with unknown_kind only when allow_unknown_kinds is 0): rule none,
 * one failed check "object" (or "image") with the reason; d->allowed
 * becomes 0 when any was added.  HM_E_NOMEM, else HM_OK. */
int hm_workload_deny_refused(hm_decision *d, const hm_workload *w, int allow_unknown_kinds);

/* Appends the images of one object (a tree without positions; name names
 * it in messages). */
int hm_workload_add_object(hm_workload *out, const cJSON *obj, const char *name);

/* An AdmissionReview (admission.k8s.io/v1) request. */
typedef struct hm_admission {
	char *uid;
	char *operation; /* CREATE, UPDATE, ... (NULL when absent) */
	char *kind;      /* request.kind.kind, request.namespace, request.name (each NULL when absent) */
	char *namespace;
	char *name;
	hm_workload images;
	/* an UPDATE whose object names the same images at the same places as
	 * its oldObject */
	int images_unchanged;
} hm_admission;

/* Parses and checks the review straight from the JSON text, building trees
 * only for what the decision reads (request.object without its status and
 * with only metadata.name, generateName and namespace; the same of
 * request.oldObject for an UPDATE); every other value is only checked to
 * be well-formed JSON.  The images are those of request.object (none for a
 * DELETE).  HM_E_IO "name: ..." for a malformed review. */
int hm_admission_parse(hm_admission *out, const void *data, size_t len, const char *name);
void hm_admission_free(hm_admission *a);

/* The AdmissionReview response for d (made from a's images, in order): same
 * uid, allowed, status.message listing every violation when denied,
 * warnings for violations allowed by warn/audit mode or on_error, and, when
 * mutate is set and the request is allowed, a base64 JSONPatch that pins
 * each tag to the digest it was verified at.  New tree (the caller
 * cJSON_Deletes it), NULL when out of memory. */
cJSON *hm_admission_response(const hm_admission *a, const hm_decision *d, int mutate);

#endif
