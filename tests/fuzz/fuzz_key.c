/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes key loading from memory: private keys (every PEM type, cosign's
 * encrypted JSON with a fixed passphrase) and public keys.  Seeds keep the
 * scrypt parameters tiny (N=1024 r=1 p=1) so that each run is fast; the
 * loader's own caps bound what mutated parameters can cost. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_key *k = NULL;

	if (hm_key_load_private_mem(&k, data, size, "fuzz.key", "fuzz", 4) == HM_OK)
		hm_key_free(k);
	if (hm_key_load_public_mem(&k, data, size, "fuzz.pub") == HM_OK)
		hm_key_free(k);
	return 0;
}
