/* libFuzzer: hm_ref_parse and the string forms of what it accepts.  A
 * reference that parses must print to a string that parses back to the
 * same string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_ref r = HM_REF_INIT, again = HM_REF_INIT, copy = HM_REF_INIT;
	char *s = malloc(size + 1), *str = NULL, *str2 = NULL, *name = NULL, *fam = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hm_ref_parse(&r, s) == 0) {
		str = hm_ref_string(&r);
		name = hm_ref_name(&r);
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
