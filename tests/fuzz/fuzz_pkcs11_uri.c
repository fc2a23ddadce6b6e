/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the PKCS#11 URI parser (RFC 7512, as --key pkcs11:... gives it)
 * and the shown form of what it accepts, which must parse again to the same
 * path attributes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "crypto/pkcs11_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_p11_uri u, again;
	hm_buf shown = HM_BUF_INIT;

	if (hm_p11_uri_parse(&u, (const char *)data, size) != HM_OK)
		return 0;
	if (hm_p11_uri_display(&shown, &u) == HM_OK &&
	    hm_p11_uri_parse(&again, shown.data, shown.len) == HM_OK) {
		if ((u.object == NULL) != (again.object == NULL) ||
		    (u.object && strcmp(u.object, again.object) != 0) || u.id_len != again.id_len ||
		    (u.id_len && memcmp(u.id, again.id, u.id_len) != 0) || again.pin_value ||
		    again.module_path)
			abort();
		hm_p11_uri_free(&again);
	}
	hm_buf_release(&shown);
	hm_p11_uri_free(&u);
	return 0;
}
