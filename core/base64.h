/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HM_CORE_BASE64_H
#define HM_CORE_BASE64_H

#include "core/buf.h"

/* Appends the standard (RFC 4648 section 4) base64 of in, with padding. */
int hm_base64_encode(hm_buf *out, const void *in, size_t len);
/* Appends the decoded bytes of in: standard or URL-safe alphabet, padding
 * optional, CR and LF ignored anywhere (as Go's decoder does).  Returns HM_E_IO "invalid base64 at offset N" for anything else. */
int hm_base64_decode(hm_buf *out, const char *in, size_t len);

#endif
