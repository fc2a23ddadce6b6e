/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HM_CORE_HEX_H
#define HM_CORE_HEX_H

#include <stddef.h>

/* Writes the lowercase hex of the n bytes at in to out (2 * n + 1 bytes,
 * NUL-terminated). */
void hm_hex_encode(char *out, const void *in, size_t n);

#endif
