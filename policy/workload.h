/* Workloads: the images of Kubernetes objects, and AdmissionReview.
 *
 * Objects: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * ReplicationController, Job, CronJob, and List (whose items are any of
 * these); other kinds hold no images and are skipped.  Every container,
 * initContainer and ephemeralContainer is listed, with the JSON pointer of
 * its image field (relative to the object) for patches. */
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

typedef struct hm_workload {
	hm_workload_image *v;
	size_t n, cap;
} hm_workload;

#define HM_WORKLOAD_INIT {NULL, 0, 0}

/* Reads multi-document YAML or JSON (name names it in errors) and appends
 * the images of every object.  A container without an image string is
 * HM_E_IO "name:line:col: ...". */
int hm_workload_from_yaml(hm_workload *out, const void *data, size_t len, const char *name);
void hm_workload_free(hm_workload *w);

/* The images as evaluation inputs (borrowing from w): *out is an array of
 * w->n the caller frees with free(). */
int hm_workload_inputs(hm_eval_input **out, const hm_workload *w);

/* An AdmissionReview (admission.k8s.io/v1) request. */
typedef struct hm_admission {
	char *uid;
	char *operation; /* CREATE, UPDATE, ... (NULL when absent) */
	hm_workload images;
} hm_admission;

/* Parses and checks the review; the images are those of request.object
 * (none for a DELETE).  HM_E_IO "name: ..." for a malformed review. */
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
