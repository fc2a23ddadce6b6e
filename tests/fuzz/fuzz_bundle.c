/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes Sigstore bundle parsing, then verification against a fixed key
 * and keyless with the conformance identity and the built-in trusted root
 * (so that a bundle the parser accepts also goes through every check; the
 * conformance bundles among the seeds reach the deepest ones, with now
 * pinned so that the result does not depend on the day). */
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
	static hm_trustroot *root;
	/* tests/conformance/a.txt, what the conformance bundles sign */
	static const char conformance[] = "DO NOT MODIFY ME!\n\nthis is \"a.txt\", a sample input for "
					  "sigstore-conformance's test suite.\n\nDO NOT MODIFY ME!\n";
	static const hm_identity_policy id = {
		.subject = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
			   ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
		.issuer = "https://token.actions.githubusercontent.com",
	};
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
	if (!root && hm_trustroot_builtin(&root) != HM_OK)
		abort();
	if (hm_bundle_parse(&b, data, size) == HM_OK) {
		hm_bundle_verify(&v, &b, &o);
		hm_bundle_verdict_free(&v);
		o.identity = &id;
		o.trustroot = root;
		o.now = 1767225600; /* 2026-01-01 */
		o.artifact = conformance;
		o.artifact_len = sizeof(conformance) - 1;
		hm_bundle_verify(&v, &b, &o);
		hm_bundle_verdict_free(&v);
	}
	hm_bundle_free(&b);
	return 0;
}
