/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers over cJSON.  Parsed trees are owned by the caller
 * (cJSON_Delete); getters borrow from the tree they are given. */
#ifndef HM_CORE_JSON_H
#define HM_CORE_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "core/buf.h"

/* Parses len bytes holding exactly one JSON value (white space around it
 * allowed).  Refuses, with HM_E_IO "<what>: ...", invalid JSON, data after
 * the value, and an object that names a member twice anywhere in the tree
 * (readers disagree on which one counts).  Returns NULL on failure (and
 * records the message). */
cJSON *hm_json_parse(const void *data, size_t len, const char *what);
/* A member that is a string, else NULL. */
const char *hm_json_str(const cJSON *obj, const char *key);
/* Appends the compact serialisation of j. */
int hm_json_print(hm_buf *out, const cJSON *j);

/* Appends s as a JSON string literal escaped as Go's encoding/json does
 * (<, >, & as \u003c \u003e \u0026; U+2028/2029 escaped), so that payloads
 * built here are byte-for-byte what cosign builds. */
int hm_json_go_string(hm_buf *out, const char *s);

#endif
