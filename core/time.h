/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 3339 date-times, the one way hallmark reads and writes them (policy
 * conditions, trusted roots, notation envelopes, provenance, output). */
#ifndef HM_CORE_TIME_H
#define HM_CORE_TIME_H

#include <stdint.h>

/* Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" ('t' and 'z' in
 * either case) to Unix seconds, the fraction dropped.  The date must exist
 * (no 30 February) and the year be 0001 to 9999.  HM_OK, or HM_E_USAGE
 * "invalid RFC 3339 time '<s>'" (callers re-code it where the text came
 * from outside). */
int hm_time_parse(int64_t *out, const char *s);

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (the number itself when out of
 * range). */
void hm_time_format(char out[32], int64_t t);

#endif
