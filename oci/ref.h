/* SPDX-License-Identifier: Apache-2.0 */
/* Image references.
 *
 *   registry:  [host[:port]/]path[:tag][@sha256:hex], normalised as docker
 *              does: "alpine" -> docker.io/library/alpine:latest.
 *   layout:    oci:PATH[:tag|@sha256:hex]  (an OCI image layout directory)
 *
 * Every spelling of a registry has one normalised form, and image patterns
 * (policy/pattern.c) are normalised by the same functions, so that no
 * spelling of a host escapes a rule that names another (docs/references.md):
 * hosts are lowercased, ":443" is dropped (":80" on loopback hosts, which
 * are reached over plain HTTP), IPv6 addresses take their RFC 5952 form,
 * and index.docker.io, registry-1.docker.io and registry.hub.docker.com are
 * docker.io.  A trailing '.', an IPv4 address in another spelling than
 * a.b.c.d, a port with leading zeros and a port on Docker Hub are refused.
 */
#ifndef HM_OCI_REF_H
#define HM_OCI_REF_H

#include <stddef.h>

enum hm_ref_kind { HM_REF_REGISTRY, HM_REF_LAYOUT };

typedef struct hm_ref {
	enum hm_ref_kind kind;
	char *registry;   /* "docker.io", "localhost:5000"; NULL for layouts */
	char *repository; /* "library/alpine"; for layouts the PATH */
	char *tag;        /* NULL when the reference has none */
	char *digest;     /* NULL when the reference has none */
} hm_ref;

#define HM_REF_INIT {HM_REF_REGISTRY, NULL, NULL, NULL, NULL}

#define HM_REF_WHY_MAX 128 /* size of the why buffers below */

/* Parses and normalises s.  A registry reference with neither tag nor digest
 * gets tag "latest".  A layout reference with neither keeps both NULL (the
 * layout store then picks its only image, or fails).  Invalid input:
 * HM_E_USAGE "invalid reference 'S': <what is wrong>". */
int hm_ref_parse(hm_ref *out, const char *s);
void hm_ref_free(hm_ref *r);
int hm_ref_copy(hm_ref *out, const hm_ref *in);

/* The normalised "registry/repository" of an image name name[0..n) (no
 * tag, no digest): the first component is a registry when it holds '.' or
 * ':' or is "localhost" (hm_ref_domain() then normalises it), otherwise the
 * name is on docker.io, and a one-component Docker Hub name gets
 * "library/".  The path must follow the grammar (lowercase).
 *
 * With glob set, name is an image pattern: '*' and '?' may stand in the
 * host, the port and the path; a first segment "*" or "**" (or the whole
 * pattern "**") stands for any registry and is kept; "docker.io/" + "**"
 * stays all of Docker Hub.
 *
 * Returns HM_OK and *out (caller frees); HM_E_USAGE with why filled and no
 * message recorded (the caller says what was invalid); HM_E_NOMEM. */
int hm_ref_normalise_name(char **out, const char *name, size_t n, int glob, char why[HM_REF_WHY_MAX]);

/* The normalised spelling of the registry domain d[0..n) ("host[:port]"),
 * as described at the top of this file.  Returns as hm_ref_normalise_name. */
int hm_ref_domain(char **out, const char *d, size_t n, int glob, char why[HM_REF_WHY_MAX]);

/* "registry/repository" (registry refs) or "oci:PATH" (layouts): the
 * identity cosign puts in docker-reference.  Caller frees. */
char *hm_ref_name(const hm_ref *r);
/* The whole reference, normalised, with tag and/or digest.  Caller frees. */
char *hm_ref_string(const hm_ref *r);
/* The reference as docker shortens it ("alpine:3.19", "ghcr.io/x/y@sha256:..."). Caller frees. */
char *hm_ref_familiar(const hm_ref *r);

#endif
