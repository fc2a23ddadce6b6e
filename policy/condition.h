/* SPDX-License-Identifier: Apache-2.0 */
/* `where` conditions over a JSON document (an in-toto statement).
 *
 *   - { path: predicate.runDetails.builder.id, equals: "https://ci.example/b" }
 *   - { any: [ {...}, {...} ] }      - { all: [ {...}, {...} ] }
 *
 * path: dotted member names, each optionally followed by [n] (array index),
 * [*] (every element) or [any] (some element).  Operators: equals, notEquals (any JSON value,
 * compared by type and value), in (a list of values), matches (glob: "*"
 * any run, "?" one character), regex (POSIX ERE, anchored: the whole value
 * must match), exists (true|false), absent (true|false), lessThan,
 * greaterThan (numbers, or RFC 3339 timestamps when the bound is one),
 * maxAge (a duration such as 30d, 12h, 1w2d, 90m, 45s; the value is an
 * RFC 3339 timestamp no older than that, and not in the future).
 *
 * [*] and [any] are quantifiers over the rest of the path: "a[*].b equals
 * x" holds when every element of a has a member b equal to x (an element
 * without b fails it), "a[any].b equals x" when at least one has.  Every
 * element is visited, however long the list (the work is linear in the
 * document).  An empty list, like a missing member, is "nothing found",
 * which fails every operator but absent and exists: false.  notEquals is
 * met when a value was found and it differs. */
#ifndef HM_POLICY_CONDITION_H
#define HM_POLICY_CONDITION_H

#include <time.h>
#include <cjson/cJSON.h>
#include "core/time.h"
#include "core/buf.h"
#include "core/strv.h"
#include "core/yaml.h"

typedef struct hm_cond hm_cond;

/* Compiles spec: one condition (a mapping), or a list of them (all must
 * hold).  y (may be NULL) gives positions for the problems, each appended to
 * diags as "file:line:col: message"; returns HM_E_USAGE when any was found
 * (and *out is NULL), HM_E_NOMEM, or HM_OK.  spec is borrowed. */
int hm_cond_compile(hm_cond **out, const cJSON *spec, const hm_yaml *y, hm_strv *diags);

/* 1 when doc (borrowed) satisfies c at time now, else 0.  Appends to why an
 * explanation naming the values found: for a leaf
 * `path equals "x": found "y"`; for a group, the members that decided. */
int hm_cond_eval(const hm_cond *c, const cJSON *doc, time_t now, hm_buf *why);

/* The condition as written, e.g. `path equals "x"` (borrowed). */
const char *hm_cond_text(const hm_cond *c);

void hm_cond_free(hm_cond *c);

/* "30d", "12h", "1w2d", "90m", "45s" -> seconds (> 0).  HM_E_USAGE otherwise. */
int hm_duration_parse(long long *out, const char *s);

#endif
