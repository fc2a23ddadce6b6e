/* SPDX-License-Identifier: Apache-2.0 */
/* notation/: JWS and COSE envelopes from an independent signer
 * (tests/interop/notationfmt.py) and from the Notary Project's own test
 * data (tests/notation/), forgeries of each check, trust policy, levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/pem.h>

#include "core/error.h"
#include "core/file.h"
#include "notation/notation.h"
#include "tests/unit/testdir.h"

static char pki[64];
static hm_notation_store *store;
static int64_t now;
#define DIGEST "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REPO "registry.example.com/team/app"

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

static int run(hm_buf *out, const char *cmd)
{
	char chunk[4096];
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(hm_buf_add(out, chunk, n), HM_OK);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	char cmd[512];
	hm_buf out = HM_BUF_INIT;

	(void)state;
	snprintf(pki, sizeof(pki), "%s", "/tmp/hm-notation-XXXXXX");
	if (!mkdtemp(pki))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s tests/interop/notationfmt.py pki %s 2>&1", python(), pki);
	if (run(&out, cmd) != 0) {
		fprintf(stderr, "%s\n", hm_buf_cstr(&out));
		return -1;
	}
	hm_buf_release(&out);
	snprintf(cmd, sizeof(cmd), "%s/store", pki);
	now = (int64_t)time(NULL);
	return hm_notation_store_open(&store, cmd) == HM_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	hm_notation_store_free(store);
	return hm_testdir_remove(pki);
}

/* Signs with notationfmt.py: format, leaf stem, chain stems, extra options. */
static void sign(hm_buf *env, const char *format, const char *leaf, const char *chain, const char *extra)
{
	char cmd[2048], list[512] = "";
	const char *p = chain;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s/%.*s.crt", list[0] ? "," : "", pki,
			 (int)n, p);
		p += n + (c ? 1 : 0);
	}
	hm_buf_init(env, 0);
	snprintf(cmd, sizeof(cmd), "%s tests/interop/notationfmt.py sign --format %s --key %s/%s.key --chain %s "
				   "--digest " DIGEST " --size 1234 %s",
		 python(), format, pki, leaf, list, extra ? extra : "");
	assert_int_equal(run(env, cmd), 0);
	assert_true(env->len > 0);
}

#define POLICY_FMT                                                                                                  \
	"{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"" REPO "\"],"             \
	"\"signatureVerification\":{\"level\":\"%s\"%s},\"trustStores\":[%s],\"trustedIdentities\":[%s]}]}"

static hm_notation_policy *policy(const char *level, const char *extra, const char *stores, const char *ids)
{
	char json[2048];
	hm_notation_policy *p = NULL;

	snprintf(json, sizeof(json), POLICY_FMT, level, extra, stores, ids);
	if (hm_notation_policy_parse(&p, json, strlen(json), "policy") != HM_OK)
		fail_msg("policy: %s", hm_error_message());
	return p;
}

static const char *const default_stores = "\"ca:test\"";
static const char *const tsa_stores = "\"ca:test\",\"tsa:test\"";
static const char *const default_ids = "\"x509.subject: C=US, ST=WA, O=acme\"";

static int verify_with(hm_notation_result *r, const hm_buf *env, const char *format, hm_notation_policy *p,
		       hm_notation_store *st, const char *digest, int64_t size, const char *mt, int64_t at)
{
	hm_descriptor d = {.media_type = (char *)mt, .digest = (char *)digest, .size = size};
	hm_notation_verify_opts o = HM_NOTATION_VERIFY_OPTS_INIT;

	o.repository = REPO;
	o.policy = p;
	o.store = st;
	o.now = at;
	return hm_notation_verify(r, env->data, env->len,
				  strcmp(format, "jws") == 0 ? HM_NOTATION_MT_JWS : HM_NOTATION_MT_COSE, &d, &o);
}

/* Verifies env under a strict policy with the default stores and identity. */
static int verify_strict(hm_notation_result *r, const hm_buf *env, const char *format, const char *stores)
{
	hm_notation_policy *p = policy("strict", "", stores, default_ids);
	int err = verify_with(r, env, format, p, store, DIGEST, 1234, MT_MANIFEST, now);

	hm_notation_policy_free(p);
	return err;
}

static const char *const formats[] = {"jws", "cose"};

static void test_sign_verify(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		struct {
			const char *leaf, *opts;
			int tsa;
			enum hm_notation_alg alg;
		} cases[] = {
			{"leaf", "", 1, HM_NOTATION_PS384},
			{"leaf-ec", "", 0, HM_NOTATION_ES256},
			{"leaf-ec384", "", 1, HM_NOTATION_ES384},
			{"leaf-rsa2048", "--annotation a=b --expiry 9999999999", 0, HM_NOTATION_PS256},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char chain[128], opts[256];
			hm_buf env;
			hm_notation_result r;

			snprintf(chain, sizeof(chain), "%s,inter,root", cases[i].leaf);
			snprintf(opts, sizeof(opts), "%s%s%s", cases[i].opts, cases[i].tsa ? " --tsa " : "",
				 cases[i].tsa ? pki : "");
			sign(&env, formats[f], cases[i].leaf, chain, opts);
			if (verify_strict(&r, &env, formats[f], cases[i].tsa ? tsa_stores : default_stores) != HM_OK)
				fail_msg("%s %s: %s", formats[f], cases[i].leaf, hm_error_message());
			assert_int_equal(r.outcome, HM_NOTATION_VERIFIED);
			assert_int_equal(r.alg, cases[i].alg);
			assert_int_equal(r.scheme, HM_NOTATION_X509);
			assert_int_equal(r.format, f == 0 ? HM_NOTATION_JWS : HM_NOTATION_COSE);
			assert_true(r.signer_trusted);
			assert_string_equal(r.trust_store, "ca:test");
			assert_int_equal(r.n_chain, 3);
			assert_non_null(strstr(r.subject, "O=acme"));
			assert_non_null(strstr(r.chain_subjects[2], "CN=Test Root"));
			assert_int_equal(strlen(r.chain_sha256[0]), 64);
			assert_string_equal(r.signing_agent, "notationfmt/1");
			assert_true(r.signing_time > 0);
			if (cases[i].tsa)
				assert_true(r.timestamp_time > 0 && r.timestamp_lower < r.timestamp_upper);
			else
				assert_int_equal(r.timestamp_time, 0);
			assert_false(r.checks[HM_NOTATION_REVOCATION].ran);
			assert_non_null(strstr(r.checks[HM_NOTATION_REVOCATION].message, "skipped"));
			hm_notation_result_free(&r);
			hm_buf_release(&env);
		}
	}
}

/* Each forgery must be refused, with a message containing want. */
static void refused(const char *format, const char *leaf, const char *chain, const char *opts, const char *want)
{
	hm_buf env;
	hm_notation_result r;
	int err;

	sign(&env, format, leaf, chain, opts);
	err = verify_strict(&r, &env, format, default_stores);
	if (err != HM_E_VERIFY || !strstr(hm_error_message(), want))
		fail_msg("%s %s %s: want refusal '%s', got %d '%s'", format, leaf, opts ? opts : "", want, err,
			 hm_error_message());
	assert_int_equal(r.outcome, HM_NOTATION_REFUSED);
	assert_string_equal(r.reason, hm_error_message());
	hm_notation_result_free(&r);
	hm_buf_release(&env);
}

static void test_forgeries(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		const char *F = formats[f];

		refused(F, "leaf", "leaf,inter,root", "--tamper payload", "does not verify");
		refused(F, "leaf", "leaf,inter,root", "--tamper signature", "does not verify");
		refused(F, "leaf", "leaf,inter,root", "--alg PS256", "does not match the signing key");
		refused(F, "leaf-ec", "leaf-ec,inter,root", "--alg ES384", "does not match the signing key");
		refused(F, "leaf", "leaf,inter,root", "--crit com.example.unknown", "unknown critical header");
		refused(F, "leaf", "leaf,inter,root", "--plugin com.example.plugin", "plugins are not supported");
		refused(F, "other-leaf", "other-leaf,other-root", NULL, "does not lead to a certificate");
		refused(F, "leaf-expired", "leaf-expired,inter,root", NULL, "is not valid at");
		refused(F, "leaf-rsa1024", "leaf-rsa1024,inter,root", NULL, "RSA-1024");
		refused(F, "leaf-sha1", "leaf-sha1,inter,root", NULL, "SHA-1");
		refused(F, "leaf-noncritku", "leaf-noncritku,inter,root", NULL, "keyUsage must be present and critical");
		refused(F, "leaf", "leaf,root", NULL, "is not issued by the next certificate");
		refused(F, "leaf", "leaf,inter", NULL, "self-signed root");
		refused(F, "leaf", "leaf,inter,root", "--expiry 1000", "expired");
		refused(F, "leaf", "leaf,inter,root", "--scheme notary.x509.signingAuthority", "trust store");
	}
}

static void test_target_mismatch(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		hm_buf env;
		hm_notation_result r;
		hm_notation_policy *p = policy("strict", "", default_stores, default_ids);
		const char *other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

		sign(&env, formats[f], "leaf", "leaf,inter,root", NULL);
		assert_int_equal(verify_with(&r, &env, formats[f], p, store, other, 1234, MT_MANIFEST, now), HM_E_VERIFY);
		assert_non_null(strstr(hm_error_message(), "is not the image's"));
		hm_notation_result_free(&r);
		assert_int_equal(verify_with(&r, &env, formats[f], p, store, DIGEST, 1235, MT_MANIFEST, now), HM_E_VERIFY);
		assert_non_null(strstr(hm_error_message(), "signed size 1234"));
		hm_notation_result_free(&r);
		assert_int_equal(verify_with(&r, &env, formats[f], p, store, DIGEST, 1234,
					     "application/vnd.oci.image.index.v1+json", now),
				 HM_E_VERIFY);
		assert_non_null(strstr(hm_error_message(), "media type"));
		hm_notation_result_free(&r);
		/* Integrity is enforced even at audit. */
		hm_notation_policy_free(p);
		p = policy("audit", "", default_stores, default_ids);
		assert_int_equal(verify_with(&r, &env, formats[f], p, store, other, 1234, MT_MANIFEST, now), HM_E_VERIFY);
		hm_notation_result_free(&r);
		hm_notation_policy_free(p);
		hm_buf_release(&env);
	}
}

static void test_identity_and_levels(void **state)
{
	hm_buf env;
	hm_notation_result r;
	hm_notation_policy *p;

	(void)state;
	sign(&env, "jws", "leaf", "leaf,inter,root", "--expiry 1000");
	/* Identity not trusted: refused at strict and permissive, logged at audit. */
	p = policy("strict", "", default_stores, "\"x509.subject: C=US, ST=WA, O=other\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "is not among the trustedIdentities"));
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	p = policy("audit", "", default_stores, "\"x509.subject: C=US, ST=WA, O=other\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_OK);
	assert_int_equal(r.outcome, HM_NOTATION_VERIFIED);
	assert_false(r.signer_trusted);
	assert_int_equal(r.checks[HM_NOTATION_AUTHENTICITY].action, HM_NOTATION_ACT_LOG);
	assert_false(r.checks[HM_NOTATION_AUTHENTICITY].passed);
	assert_false(r.checks[HM_NOTATION_EXPIRY].passed);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	/* Expired signature: refused at strict, logged at permissive, enforced again by override. */
	p = policy("permissive", "", default_stores, "\"*\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_OK);
	assert_true(r.signer_trusted);
	assert_true(r.checks[HM_NOTATION_EXPIRY].ran);
	assert_false(r.checks[HM_NOTATION_EXPIRY].passed);
	assert_non_null(strstr(r.checks[HM_NOTATION_EXPIRY].message, "expired"));
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	p = policy("permissive", ",\"override\":{\"expiry\":\"enforce\"}", default_stores, "\"*\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_E_VERIFY);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	/* Strict with expiry logged by override passes. */
	p = policy("strict", ",\"override\":{\"expiry\":\"log\",\"revocation\":\"skip\"}", default_stores, "\"*\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_OK);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	hm_buf_release(&env);
}

static void test_timestamp_rules(void **state)
{
	hm_buf env;
	hm_notation_result r;
	hm_notation_policy *p;
	int64_t later = now + 400 * 86400; /* the leaf has expired by then */

	(void)state;
	/* verifyTimestamp always (default) with a tsa store: a timestamp is required. */
	sign(&env, "cose", "leaf", "leaf,inter,root", NULL);
	p = policy("strict", "", tsa_stores, "\"*\"");
	assert_int_equal(verify_with(&r, &env, "cose", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "has none"));
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	/* afterCertExpiry: not needed while the chain is valid, needed after. */
	p = policy("strict", ",\"verifyTimestamp\":\"afterCertExpiry\"", tsa_stores, "\"*\"");
	assert_int_equal(verify_with(&r, &env, "cose", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_OK);
	hm_notation_result_free(&r);
	assert_int_equal(verify_with(&r, &env, "cose", p, store, DIGEST, 1234, MT_MANIFEST, later), HM_E_VERIFY);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	hm_buf_release(&env);
	/* Timestamped: still valid after the leaf expired; not with a wrong TSA store. */
	{
		char opts[128];

		snprintf(opts, sizeof(opts), "--tsa %s", pki);
		sign(&env, "jws", "leaf", "leaf,inter,root", opts);
	}
	p = policy("strict", "", tsa_stores, "\"*\"");
	if (verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, later) != HM_OK)
		fail_msg("%s", hm_error_message());
	assert_true(r.timestamp_time >= now - 60 && r.timestamp_time <= now + 60);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	p = policy("strict", "", "\"ca:test\",\"tsa:other\"", "\"*\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, later), HM_E_IO);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	/* Without a tsa store the timestamp is not used: expired at 'later'. */
	p = policy("strict", "", "\"ca:test\"", "\"*\"");
	assert_int_equal(verify_with(&r, &env, "jws", p, store, DIGEST, 1234, MT_MANIFEST, later), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "is not valid at"));
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	hm_buf_release(&env);
}

static void test_timestamp_wrong_tsa(void **state)
{
	char opts[128], dir[256];
	hm_buf env;
	hm_notation_result r;
	hm_notation_policy *p = policy("strict", "", "\"ca:test\",\"tsa:wrong\"", "\"*\"");
	FILE *f;

	(void)state;
	/* A tsa store holding another root: the token does not verify. */
	snprintf(dir, sizeof(dir), "%s/store/x509/tsa/wrong", pki);
	assert_int_equal(hm_mkdir_p(dir, 0755), HM_OK);
	snprintf(dir, sizeof(dir), "cp %s/root.crt %s/store/x509/tsa/wrong/", pki, pki);
	assert_int_equal(system(dir), 0);
	snprintf(opts, sizeof(opts), "--tsa %s", pki);
	sign(&env, "cose", "leaf", "leaf,inter,root", opts);
	assert_int_equal(verify_with(&r, &env, "cose", p, store, DIGEST, 1234, MT_MANIFEST, now), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "notation timestamp"));
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	hm_buf_release(&env);
	(void)f;
}

static void test_signing_authority(void **state)
{
	char opts[128];
	hm_buf env;
	hm_notation_result r;
	hm_notation_policy *p = policy("strict", "", "\"signingAuthority:test\"", default_ids);

	(void)state;
	for (int f = 0; f < 2; f++) {
		snprintf(opts, sizeof(opts), "--scheme notary.x509.signingAuthority --authentic-time %lld",
			 (long long)now);
		sign(&env, formats[f], "leaf", "leaf,inter,root", opts);
		if (verify_with(&r, &env, formats[f], p, store, DIGEST, 1234, MT_MANIFEST, now + 400 * 86400) != HM_OK)
			fail_msg("%s", hm_error_message());
		assert_int_equal(r.scheme, HM_NOTATION_X509_SIGNING_AUTHORITY);
		assert_int_equal(r.authentic_signing_time, now);
		hm_notation_result_free(&r);
		hm_buf_release(&env);
		/* An authentic signing time outside the chain's validity. */
		sign(&env, formats[f], "leaf", "leaf,inter,root",
		     "--scheme notary.x509.signingAuthority --authentic-time 1000000000");
		assert_int_equal(verify_with(&r, &env, formats[f], p, store, DIGEST, 1234, MT_MANIFEST, now), HM_E_VERIFY);
		assert_non_null(strstr(hm_error_message(), "authentic signing time"));
		hm_notation_result_free(&r);
		hm_buf_release(&env);
	}
	hm_notation_policy_free(p);
}

/* ---- The Notary Project's own signatures ----------------------------- */

static void real(const char *file, const char *mt, const char *stores, const char *digest, int64_t size,
		 const char *media_type, int64_t at, int want)
{
	char path[256];
	hm_buf env = HM_BUF_INIT;
	hm_notation_store *st = NULL;
	hm_notation_policy *p = policy("strict", "", stores, "\"*\"");
	hm_notation_result r;
	int err;

	snprintf(path, sizeof(path), "tests/notation/notation-go/%s", file);
	assert_int_equal(hm_file_read(&env, path, 0), HM_OK);
	assert_int_equal(hm_notation_store_open(&st, "tests/notation/notation-go/store"), HM_OK);
	err = verify_with(&r, &env, mt, p, st, digest, size, media_type, at);
	if (err != want)
		fail_msg("%s: want %d, got %d: %s", file, want, err, hm_error_message());
	if (want == HM_OK) {
		assert_int_equal(r.outcome, HM_NOTATION_VERIFIED);
		assert_non_null(strstr(r.subject, "O=Notary"));
	}
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);
	hm_notation_store_free(st);
	hm_buf_release(&env);
}

#define TS_DIGEST "sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda"
#define TS_MT "application/vnd.docker.distribution.manifest.v2+json"
#define LAYOUT_DIGEST "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"

static void test_notation_go_data(void **state)
{
	const char *ts = "\"ca:valid-trust-store\",\"tsa:test-timestamp\"";
	const char *ex = "\"ca:expired-leaf\",\"tsa:test-timestamp\"";
	int64_t t2025 = 1750000000, t2040 = 2200000000;

	(void)state;
	real("jwsWithTimestamp.sig", "jws", ts, TS_DIGEST, 528, TS_MT, t2025, HM_OK);
	real("coseWithTimestamp.sig", "cose", ts, TS_DIGEST, 528, TS_MT, t2025, HM_OK);
	real("jwsWithTimestamp.sig", "jws", ts, TS_DIGEST, 529, TS_MT, t2025, HM_E_VERIFY);
	/* The leaf expired in 2024 minutes after signing: only the timestamp saves it. */
	real("jwsExpiredWithTimestamp.sig", "jws", ex, TS_DIGEST, 528, TS_MT, t2025, HM_OK);
	real("coseExpiredWithTimestamp.sig", "cose", ex, TS_DIGEST, 528, TS_MT, t2025, HM_OK);
	real("jwsExpiredWithTimestamp.sig", "jws", "\"ca:expired-leaf\"", TS_DIGEST, 528, TS_MT, t2025, HM_E_VERIFY);
	real("withoutTimestamp.sig", "jws", "\"ca:valid-trust-store\"", TS_DIGEST, 528, TS_MT, t2025, HM_OK);
	real("withoutTimestamp.sig", "jws", "\"ca:valid-trust-store\"", TS_DIGEST, 528, TS_MT, t2040, HM_E_VERIFY);
	real("withoutTimestamp.sig", "jws", "\"ca:internal-testdata\"", TS_DIGEST, 528, TS_MT, t2025, HM_E_VERIFY);
	real("jws_signature.sig", "jws", "\"ca:internal-testdata\"", LAYOUT_DIGEST, 481, MT_MANIFEST, t2025, HM_OK);
	real("cose_signature.sig", "cose", "\"ca:internal-testdata\"", LAYOUT_DIGEST, 481, MT_MANIFEST, t2025, HM_OK);
}

/* ---- Envelope syntax --------------------------------------------------- */

static void test_envelope_syntax(void **state)
{
	hm_notation_envelope e;
	hm_buf env;
	char *s;

	(void)state;
	sign(&env, "jws", "leaf", "leaf,inter,root", NULL);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_JWS), HM_OK);
	assert_int_equal(e.alg, HM_NOTATION_PS384);
	hm_notation_envelope_free(&e);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, "application/json"), HM_E_VERIFY);
	hm_notation_envelope_free(&e);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_COSE), HM_E_VERIFY);
	hm_notation_envelope_free(&e);
	/* base64url strictly: padding or the standard alphabet in "signature" are refused. */
	s = strstr(env.data, "\"signature\": \"");
	assert_non_null(s);
	s += strlen("\"signature\": \"");
	s[0] = '+';
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_JWS), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "base64url"));
	hm_notation_envelope_free(&e);
	/* A second "payload" member is refused. */
	env.data[env.len - 1] = ',';
	assert_int_equal(hm_buf_addstr(&env, "\"payload\":\"e30\"}"), HM_OK);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_JWS), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "twice"));
	hm_notation_envelope_free(&e);
	hm_buf_release(&env);

	sign(&env, "cose", "leaf-ec", "leaf-ec,inter,root", NULL);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_COSE), HM_OK);
	assert_int_equal(e.alg, HM_NOTATION_ES256);
	assert_int_equal(sk_X509_num(e.chain), 3);
	hm_notation_envelope_free(&e);
	/* Untagged, truncated, trailing bytes. */
	assert_int_equal(hm_notation_envelope_parse(&e, env.data + 1, env.len - 1, HM_NOTATION_MT_COSE), HM_E_VERIFY);
	hm_notation_envelope_free(&e);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len - 1, HM_NOTATION_MT_COSE), HM_E_VERIFY);
	hm_notation_envelope_free(&e);
	assert_int_equal(hm_buf_addch(&env, 0), HM_OK);
	assert_int_equal(hm_notation_envelope_parse(&e, env.data, env.len, HM_NOTATION_MT_COSE), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "bytes after"));
	hm_notation_envelope_free(&e);
	hm_buf_release(&env);
	{
		/* Deep nesting in an ignored unprotected header value. */
		unsigned char deep[64] = {0xd2, 0x84, 0x41, 0xa0, 0xa1, 0x18, 0x63};
		size_t n = 7;

		while (n < sizeof(deep) - 1)
			deep[n++] = 0x81;
		deep[n++] = 0x00;
		assert_int_equal(hm_notation_envelope_parse(&e, deep, n, HM_NOTATION_MT_COSE), HM_E_VERIFY);
		hm_notation_envelope_free(&e);
	}
}

/* ---- Trust policy ------------------------------------------------------ */

static void bad_policy(const char *json, const char *want)
{
	hm_notation_policy *p = NULL;

	if (hm_notation_policy_parse(&p, json, strlen(json), "tp.json") != HM_E_USAGE || !strstr(hm_error_message(), want))
		fail_msg("want '%s', got '%s'", want, hm_error_message());
	assert_null(p);
}

#define ST(scopes, sv, stores, ids)                                                                                   \
	"{\"name\":\"x\",\"registryScopes\":[" scopes "],\"signatureVerification\":" sv ",\"trustStores\":[" stores   \
	"],\"trustedIdentities\":[" ids "]}"
#define DOC(...) "{\"version\":\"1.0\",\"trustPolicies\":[" __VA_ARGS__ "]}"

static void test_trust_policy(void **state)
{
	const char *ok = "{\"version\":\"1.0\",\"trustPolicies\":["
			 "{\"name\":\"a\",\"registryScopes\":[\"r.io/a\",\"r.io/b\"],\"signatureVerification\":{"
			 "\"level\":\"strict\"},\"trustStores\":[\"ca:x\"],\"trustedIdentities\":[\"*\"]},"
			 "{\"name\":\"skip\",\"registryScopes\":[\"r.io/unsigned\"],\"signatureVerification\":{"
			 "\"level\":\"skip\"}},"
			 "{\"name\":\"g\",\"registryScopes\":[\"*\"],\"signatureVerification\":{\"level\":\"audit\"},"
			 "\"trustStores\":[\"ca:x\",\"tsa:t\"],\"trustedIdentities\":[\"x509.subject: C=US, S=WA, O=a\\\\, "
			 "b\",\"x509.subject: C=US, ST=WA, O=c\"]}]}";
	hm_notation_policy *p;
	const hm_notation_trust_policy *t;
	hm_notation_result r;
	hm_descriptor d = {.media_type = MT_MANIFEST, .digest = DIGEST, .size = 1};
	hm_notation_verify_opts o = HM_NOTATION_VERIFY_OPTS_INIT;

	(void)state;
	if (hm_notation_policy_parse(&p, ok, strlen(ok), "tp.json") != HM_OK)
		fail_msg("%s", hm_error_message());
	assert_int_equal(hm_notation_policy_count(p), 3);
	assert_int_equal(hm_notation_policy_select(&t, p, "r.io/b"), HM_OK);
	assert_string_equal(t->name, "a");
	assert_int_equal(hm_notation_policy_select(&t, p, "r.io/bb"), HM_OK);
	assert_string_equal(t->name, "g");
	assert_int_equal(t->actions[HM_NOTATION_INTEGRITY], HM_NOTATION_ACT_ENFORCE);
	assert_int_equal(t->actions[HM_NOTATION_AUTHENTICITY], HM_NOTATION_ACT_LOG);
	/* skip: nothing checked, the envelope is not even read. */
	o.policy = p;
	o.repository = "r.io/unsigned";
	assert_int_equal(hm_notation_verify(&r, "x", 1, HM_NOTATION_MT_JWS, &d, &o), HM_OK);
	assert_int_equal(r.outcome, HM_NOTATION_SKIPPED);
	hm_notation_result_free(&r);
	hm_notation_policy_free(p);

	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"*\"")) "x", "data after the JSON value");
	bad_policy("{\"version\":\"2.0\",\"trustPolicies\":[]}", "version");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"lenient\"}", "\"ca:x\"", "\"*\"")), "level 'lenient'");
	bad_policy(DOC(ST("\"*\"", "{\"level\":\"skip\"}", "", "")), "global scope");
	bad_policy(DOC(ST("\"*\",\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"*\"")), "only scope");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"*\"") ","
		       ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"*\"")),
		   "used twice");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:../x\"", "\"*\"")), "is not ca:NAME");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"*\",\"x509.subject: C=US, ST=WA, O=a\"")),
		   "must be alone");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"", "\"x509.subject: C=US, O=a\"")),
		   "C, ST (or S) and O");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "\"ca:x\"",
			  "\"x509.subject: C=US, ST=WA, O=a\",\"x509.subject: C=US, ST=WA, O=a, OU=b\"")),
		   "overlaps");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\",\"override\":{\"integrity\":\"log\"}}", "\"ca:x\"", "\"*\"")),
		   "cannot be overridden");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\",\"override\":{\"expiry\":\"skip\"}}", "\"ca:x\"", "\"*\"")),
		   "enforce or log");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\",\"verifyTimestamp\":\"never\"}", "\"ca:x\"", "\"*\"")),
		   "verifyTimestamp");
	bad_policy(DOC(ST("\"r.io/a\"", "{\"level\":\"strict\"}", "", "\"*\"")), "needs trustStores");
}

static void test_identity_match(void **state)
{
	char path[256];
	hm_buf pem = HM_BUF_INIT;
	BIO *b;
	X509 *x;

	(void)state;
	snprintf(path, sizeof(path), "%s/leaf.crt", pki);
	assert_int_equal(hm_file_read(&pem, path, 0), HM_OK);
	b = BIO_new_mem_buf(pem.data, (int)pem.len);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(x);
	assert_true(hm_notation_identity_match("*", x));
	assert_true(hm_notation_identity_match("x509.subject: C=US, ST=WA, O=acme", x));
	assert_true(hm_notation_identity_match("x509.subject: CN=Signer, O=acme, S=WA, C=US, L=Seattle", x));
	assert_false(hm_notation_identity_match("x509.subject: C=US, ST=WA, O=acme, OU=x", x));
	assert_false(hm_notation_identity_match("x509.subject: C=US, ST=WA, O=acm", x));
	assert_false(hm_notation_identity_match("x509.subject: C=US, ST=WA, O=acme, CN=signer", x));
	assert_false(hm_notation_identity_match("C=US, ST=WA, O=acme", x));
	X509_free(x);
	BIO_free(b);
	hm_buf_release(&pem);
}

static void test_store(void **state)
{
	char dir[256];
	hm_notation_store *st;
	STACK_OF(X509) *certs;

	(void)state;
	assert_int_equal(hm_notation_store_open(&st, "/nonexistent-dir"), HM_E_IO);
	snprintf(dir, sizeof(dir), "%s/store", pki);
	assert_int_equal(hm_notation_store_open(&st, dir), HM_OK);
	assert_int_equal(hm_notation_store_certs(&certs, st, "ca:test"), HM_OK);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(hm_notation_store_certs(&certs, st, "ca:missing"), HM_E_IO);
	assert_int_equal(hm_notation_store_certs(&certs, st, "ca:.."), HM_E_USAGE);
	/* A symlinked named store is refused. */
	snprintf(dir, sizeof(dir), "%s/store/x509/ca/test", pki);
	{
		char link[256];

		snprintf(link, sizeof(link), "%s/store/x509/ca/linked", pki);
		assert_int_equal(symlink(dir, link), 0);
	}
	assert_int_equal(hm_notation_store_certs(&certs, st, "ca:linked"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "symlink"));
	hm_notation_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_target_mismatch),
		cmocka_unit_test(test_identity_and_levels),
		cmocka_unit_test(test_timestamp_rules),
		cmocka_unit_test(test_timestamp_wrong_tsa),
		cmocka_unit_test(test_signing_authority),
		cmocka_unit_test(test_notation_go_data),
		cmocka_unit_test(test_envelope_syntax),
		cmocka_unit_test(test_trust_policy),
		cmocka_unit_test(test_identity_match),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
