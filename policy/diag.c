/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/error.h"
#include "policy/diag.h"

int hm_diag_add(hm_strv *out, const hm_yaml *y, const cJSON *node, int at_key, const char *fmt, ...)
{
	hm_buf b = HM_BUF_INIT;
	char msg[1024];
	int line = 0, col = 0, err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at_key)
		hm_yaml_key_pos(y, node, &line, &col);
	else
		hm_yaml_pos(y, node, &line, &col);
	if (line)
		err = hm_buf_addf(&b, "%s:%d:%d: %s", hm_yaml_name(y), line, col, msg);
	else
		err = hm_buf_addf(&b, "%s: %s", hm_yaml_name(y), msg);
	if (err < 0) {
		hm_buf_release(&b);
		return err;
	}
	return hm_strv_push_owned(out, hm_buf_detach(&b, NULL));
}
