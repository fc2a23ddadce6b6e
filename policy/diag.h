/* SPDX-License-Identifier: Apache-2.0 */
/* Lint diagnostics: every problem found in a YAML input, each as
 * "file:line:col: message", collected rather than stopping at the first. */
#ifndef HM_POLICY_DIAG_H
#define HM_POLICY_DIAG_H

#include <cjson/cJSON.h>
#include "core/strv.h"
#include "core/yaml.h"

/* Appends "name:line:col: message" for node (its key's position when at_key
 * and node is a mapping member) to out; a node without a position gets
 * "name: message".  Returns HM_OK or HM_E_NOMEM. */
int hm_diag_add(hm_strv *out, const hm_yaml *y, const cJSON *node, int at_key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
