/* Image references.
 *
 *   registry:  [host[:port]/]path[:tag][@sha256:hex], normalised as docker
 *              does: "alpine" -> docker.io/library/alpine:latest.
 *   layout:    oci:PATH[:tag|@sha256:hex]  (an OCI image layout directory)
 */
#ifndef HM_OCI_REF_H
#define HM_OCI_REF_H

enum hm_ref_kind { HM_REF_REGISTRY, HM_REF_LAYOUT };

typedef struct hm_ref {
	enum hm_ref_kind kind;
	char *registry;   /* "docker.io", "localhost:5000"; NULL for layouts */
	char *repository; /* "library/alpine"; for layouts the PATH */
	char *tag;        /* NULL when the reference has none */
	char *digest;     /* NULL when the reference has none */
} hm_ref;

#define HM_REF_INIT {HM_REF_REGISTRY, NULL, NULL, NULL, NULL}

/* Parses and normalises s.  A registry reference with neither tag nor digest
 * gets tag "latest".  A layout reference with neither keeps both NULL (the
 * layout store then picks its only image, or fails).  Invalid input:
 * HM_E_USAGE "invalid reference 'S': <what is wrong>". */
int hm_ref_parse(hm_ref *out, const char *s);
void hm_ref_free(hm_ref *r);
int hm_ref_copy(hm_ref *out, const hm_ref *in);

/* "registry/repository" (registry refs) or "oci:PATH" (layouts): the
 * identity cosign puts in docker-reference.  Caller frees. */
char *hm_ref_name(const hm_ref *r);
/* The whole reference, normalised, with tag and/or digest.  Caller frees. */
char *hm_ref_string(const hm_ref *r);
/* The reference as docker shortens it ("alpine:3.19", "ghcr.io/x/y@sha256:..."). Caller frees. */
char *hm_ref_familiar(const hm_ref *r);

#endif
