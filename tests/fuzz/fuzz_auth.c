/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the parsers of oci/auth.c and oci/http.c.  The first byte
 * picks the parser; the rest is its input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "oci/auth.h"
#include "oci/http.h"
#include "oci/store_impl.h"

int hm_layout_open(hm_store **out, const hm_ref *ref, int create) __attribute__((weak));
int hm_layout_open(hm_store **out, const hm_ref *ref, int create)
{
	(void)ref;
	(void)create;
	*out = NULL;
	return HM_E_IO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *out = NULL, *helper = NULL;
	hm_auth_challenge c = HM_AUTH_CHALLENGE_INIT;
	hm_auth_cred cred = HM_AUTH_CRED_INIT;
	hm_buf b = HM_BUF_INIT;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (hm_auth_challenge_parse(&c, s) == HM_OK) {
			hm_auth_token_url(&b, &c, "team/app", 1);
			hm_auth_challenge_free(&c);
		}
		break;
	case 1:
		hm_auth_config_parse(&cred, &helper, s, size - 1, "reg.example:5000", "fuzz");
		hm_auth_cred_free(&cred);
		free(helper);
		hm_auth_config_parse(&cred, &helper, s, size - 1, "docker.io", "fuzz");
		hm_auth_cred_free(&cred);
		free(helper);
		break;
	case 2:
		hm_http_link_next(&out, s);
		free(out);
		break;
	case 3:
		hm_auth_token_parse(&out, s, size - 1);
		free(out);
		break;
	default:
		hm_http_is_loopback(s);
		break;
	}
	hm_buf_release(&b);
	free(s);
	return 0;
}
