/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the parts of hm_bundle_parse (bundle.c: media type, content,
 * key material; bundle_tlog.c: log entries and timestamps); not a public API.
 *
 * The readers follow protobuf-specs as Go's protojson reads them: a member
 * may be spelled lowerCamelCase or as the proto field name (given twice under
 * either spelling is refused), null means absent, int64 is a decimal string
 * or a number, bytes are base64 in either alphabet, wrapped or not.  Each
 * takes the path of obj ("" for the root) and refuses with
 * "bundle: <path>.<name>: <why>" as HM_E_VERIFY. */
#ifndef HM_SIGSTORE_BUNDLE_JSON_H
#define HM_SIGSTORE_BUNDLE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "core/buf.h"
#include "sigstore/bundle.h"

/* Bytes of a member path named in errors (longer ones are truncated). */
#define BJ_PATH_MAX 160

/* Records "bundle: <path>: <why>" as HM_E_VERIFY and returns it. */
int bj_bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* dst (BJ_PATH_MAX bytes) = parent "." name; parent may be dst itself. */
const char *bj_join(char *dst, const char *parent, const char *name);
/* dst (BJ_PATH_MAX bytes) = parent "[" i "]"; parent may be dst itself. */
const char *bj_index(char *dst, const char *parent, size_t i);

/* The member named camel (or its proto name) of obj; *out NULL when absent
 * or null. */
int bj_get(const cJSON **out, const cJSON *obj, const char *camel, const char *parent);
/* An object member; absent refused when required. */
int bj_get_obj(const cJSON **out, const cJSON *obj, const char *name, const char *parent, int required);
/* An array member of at most max entries; absent gives *n 0. */
int bj_get_array(const cJSON **out, size_t *n, const cJSON *obj, const char *name, const char *parent,
                 size_t max);
/* A string member of at most max bytes, copied; absent gives "" (refused
 * when required). */
int bj_get_text(char **out, const cJSON *obj, const char *name, const char *parent, int required, size_t max);
/* bj_get_text capped at HM_BUNDLE_MAX_STRING. */
int bj_get_str(char **out, const cJSON *obj, const char *name, const char *parent, int required);
/* Decodes base64 s, which may be wrapped over lines, into out. */
int bj_decode_b64(hm_buf *out, const char *s, const char *path);
/* A bytes member of at most max bytes, decoded; absent gives len 0
 * (refused when required, since proto3 does not tell empty from absent). */
int bj_get_bytes(hm_buf *out, const cJSON *obj, const char *name, const char *parent, int required,
                 size_t max);
/* A non-negative int64 member; absent gives 0. */
int bj_get_int64(int64_t *out, const cJSON *obj, const char *name, const char *parent);

/* verificationMaterial.tlogEntries and .timestampVerificationData of vm
 * into b (b->version already known); duplicates are refused. */
int bj_parse_tlog(hm_bundle *b, const cJSON *vm);
int bj_parse_timestamps(hm_bundle *b, const cJSON *vm);

#endif
