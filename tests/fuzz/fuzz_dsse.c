/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes DSSE envelope parsing and verification against a fixed key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "crypto/dsse.h"

/* The public key the seeds in corpus/fuzz_dsse were signed with. */
static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
			  "MCowBQYDK2VwAyEAba4OMRpXXyMBBxN1OfOs2fYxoDEfWrGrNI+Ih+NbjhM=\n"
			  "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hm_key *key;
	hm_dsse_result r;

	if (!key && hm_key_load_public_mem(&key, pub, sizeof(pub) - 1, "fuzz key") != HM_OK)
		abort();
	if (hm_dsse_verify(&r, data, size, &key, 1) == HM_OK)
		hm_dsse_result_free(&r);
	return 0;
}
