/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: hm_ref_parse and the string forms of what it accepts.  A
 * reference that parses must print to a string that parses back to the
 * same string, and its name read as an image pattern must normalise to
 * itself (references and patterns share one normalisation).  A name that
 * normalises as a pattern normalises again to the same string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/ref.h"

/* Normalising is idempotent, for references and for patterns. */
static void same_twice(const char *s, size_t size)
{
	char why[HM_REF_WHY_MAX];

	for (int glob = 0; glob <= 1; glob++) {
		char *once = NULL, *twice = NULL;

		if (hm_ref_normalise_name(&once, s, size, glob, why) == 0 &&
		    (hm_ref_normalise_name(&twice, once, strlen(once), glob, why) != 0 || strcmp(once, twice) != 0))
			abort();
		free(once);
		free(twice);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_ref r = HM_REF_INIT, again = HM_REF_INIT, copy = HM_REF_INIT;
	char *s = malloc(size + 1), *str = NULL, *str2 = NULL, *name = NULL, *fam = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	same_twice(s, size);
	if (hm_ref_parse(&r, s) == 0) {
		str = hm_ref_string(&r);
		name = hm_ref_name(&r);
		if (name && r.kind == HM_REF_REGISTRY) {
			char *as_pattern = NULL, why[HM_REF_WHY_MAX];

			if (hm_ref_normalise_name(&as_pattern, name, strlen(name), 1, why) == 0 &&
			    strcmp(as_pattern, name) != 0)
				abort();
			free(as_pattern);
		}
		fam = hm_ref_familiar(&r);
		if (hm_ref_copy(&copy, &r) == 0)
			str2 = hm_ref_string(&copy);
		if (str && str2 && strcmp(str, str2) != 0)
			abort();
		free(str2);
		str2 = NULL;
		if (str && hm_ref_parse(&again, str) == 0) {
			str2 = hm_ref_string(&again);
			if (str2 && strcmp(str, str2) != 0)
				abort();
		} else if (str) {
			abort(); /* a normalised reference must parse */
		}
	}
	free(str);
	free(str2);
	free(name);
	free(fam);
	hm_ref_free(&r);
	hm_ref_free(&again);
	hm_ref_free(&copy);
	free(s);
	return 0;
}
