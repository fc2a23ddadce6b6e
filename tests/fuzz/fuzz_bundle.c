/* Fuzzes Sigstore bundle parsing, then verification against a fixed key
 * (so that a bundle the parser accepts also goes through every check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "sigstore/bundle.h"

/* The ECDSA P-256 public key the seeds in corpus/fuzz_bundle were signed with. */
static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
			  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEk1vo2dDoV653pwITAsmcGOZCVvvJ\n"
			  "/poBJhmOhKobxRdJpyRWYOeW+XFTD/o6QIUuLUeB39wLQvk/JcOZAe5WBg==\n"
			  "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hm_key *key;
	static const char blob[] = "release artifact\n";
	hm_bundle_verify_opts o = {0};
	hm_bundle_verdict v;
	hm_bundle b;

	if (!key && hm_key_load_public_mem(&key, pub, sizeof(pub) - 1, "fuzz key") != HM_OK)
		abort();
	o.keys = &key;
	o.n_keys = 1;
	o.artifact = blob;
	o.artifact_len = sizeof(blob) - 1;
	if (hm_bundle_parse(&b, data, size) == HM_OK) {
		hm_bundle_verify(&v, &b, &o);
		hm_bundle_verdict_free(&v);
	}
	hm_bundle_free(&b);
	return 0;
}
