/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the Dockerfile parser, with and without build arguments. */
#include <stddef.h>
#include <stdint.h>

#include "attest/dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const args[] = {"A=alpine", "V=3.19", "TARGETPLATFORM=linux/amd64", "E="};
	hm_dockerfile df;

	if (hm_dockerfile_parse(&df, (const char *)data, size, size & 1 ? args : NULL,
				size & 1 ? 4 : 0, NULL) == 0)
		hm_dockerfile_free(&df);
	return 0;
}
