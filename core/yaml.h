/* SPDX-License-Identifier: Apache-2.0 */
/* YAML (and JSON, which is YAML) to a cJSON tree, with source positions.
 *
 * Every document of the stream becomes one element of an array.  Plain
 * scalars are typed by the YAML 1.2 core schema (null, ~, true, false,
 * integers in decimal, 0o octal and 0x hex, floats, .inf, .nan); quoted,
 * block and !!str-tagged scalars are strings.  Duplicate mapping keys,
 * non-scalar keys, more than HM_YAML_MAX_DEPTH levels of nesting and inputs
 * over the size limit are refused.  Aliases are expanded, but the whole
 * stream may not grow past HM_YAML_MAX_NODES nodes (no "billion laughs").
 * Merge keys (a plain or !!merge-tagged << whose value is a mapping or a
 * list of mappings, YAML 1.1 as Kubernetes reads it) are expanded into
 * their mapping; a key the mapping, or another merged mapping, sets to a
 * different value is refused, since readers disagree on which wins.  A
 * quoted "<<" is an ordinary key.
 *
 * The hm_yaml owns the tree; every cJSON pointer handed out borrows from
 * it and lives until hm_yaml_free() (or is owned by the caller after
 * hm_yaml_detach()).  Positions are looked up by node pointer, so they stay
 * valid as long as the node is not freed or duplicated. */
#ifndef HM_CORE_YAML_H
#define HM_CORE_YAML_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define HM_YAML_MAX_BYTES (16u << 20) /* 16 MiB */
#define HM_YAML_MAX_DEPTH 128
#define HM_YAML_MAX_NODES 1000000

typedef struct hm_yaml hm_yaml;

/* Parses len bytes; name names the input in errors.  Syntax errors are
 * HM_E_IO "name:line:col: what" (1-based line and column). */
int hm_yaml_parse(hm_yaml **out, const void *data, size_t len, const char *name);

/* The documents, as an array (borrowed; may be modified in place). */
cJSON *hm_yaml_docs(const hm_yaml *y);
size_t hm_yaml_count(const hm_yaml *y);
/* The i-th document (borrowed), NULL past the end. */
cJSON *hm_yaml_doc(const hm_yaml *y, size_t i);
/* The name given to hm_yaml_parse (borrowed). */
const char *hm_yaml_name(const hm_yaml *y);

/* Where node's value starts (1-based).  HM_OK, or HM_E_NOTFOUND for a node
 * that did not come from the source (created later, or expanded from an
 * alias), in which case line and col are set to 0. */
int hm_yaml_pos(const hm_yaml *y, const cJSON *node, int *line, int *col);
/* For a mapping member: where its key starts; otherwise as hm_yaml_pos. */
int hm_yaml_key_pos(const hm_yaml *y, const cJSON *node, int *line, int *col);

/* Hands the document array to the caller (who cJSON_Deletes it); the
 * positions are forgotten.  y stays to be freed. */
cJSON *hm_yaml_detach(hm_yaml *y);
void hm_yaml_free(hm_yaml *y);

#endif
