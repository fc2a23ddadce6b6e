/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: parsing every version and field the struct carries,
 * the version rules and caps, protojson's spellings, and verification with
 * keys including the forgeries that must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/statement.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "crypto/digest.h"
#include "sigstore/bundle.h"

#define V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define V02 "application/vnd.dev.sigstore.bundle+json;version=0.2"
#define V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MSG "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AAEC\"},\"signature\":\"MEUC\"}"
#define PK "\"publicKey\":{\"hint\":\"aGludA==\"}"
#define CHAIN "\"x509CertificateChain\":{\"certificates\":[{\"rawBytes\":\"MIIB\"},{\"rawBytes\":\"MIIC\"}]}"
#define PROOF "\"inclusionProof\":{\"logIndex\":\"5\",\"rootHash\":\"cm9vdA==\",\"treeSize\":\"9\",\"hashes\":[\"aDE=\",\"aDI=\"],\"checkpoint\":{\"envelope\":\"rekor.sigstore.dev - 1\\n9\\ncm9vdA==\\n\"}}"
#define PROMISE "\"inclusionPromise\":{\"signedEntryTimestamp\":\"c2V0\"}"
#define ENTRY(idx, extra) \
	"{\"logIndex\":\"" idx "\",\"logId\":{\"keyId\":\"bG9n\"},\"kindVersion\":{\"kind\":\"hashedrekord\",\"version\":\"0.0.1\"},\"integratedTime\":\"1700000000\"," extra ",\"canonicalizedBody\":\"Ym9keQ==\"}"

static hm_key *k1, *k2;

static int setup(void **state)
{
	return hm_key_generate(&k1, HM_KEY_ECDSA_P256) || hm_key_generate(&k2, HM_KEY_ECDSA_P256);
}

static int teardown(void **state)
{
	hm_key_free(k1);
	hm_key_free(k2);
	return 0;
}

static int parse(hm_bundle *b, const char *json)
{
	return hm_bundle_parse(b, json, strlen(json));
}

/* Parsing must fail with a message containing want. */
static void refused(const char *json, const char *want)
{
	hm_bundle b;
	int err = parse(&b, json);

	hm_bundle_free(&b);
	if (err != HM_E_VERIFY || !strstr(hm_error_message(), want))
		fail_msg("want '%s', got %d '%s' for %s", want, err, hm_error_message(), json);
}

static void test_v03_message(void **state)
{
	hm_bundle b;

	assert_int_equal(parse(&b, "{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "}," MSG "}"), HM_OK);
	assert_int_equal(b.version, HM_BUNDLE_V03);
	assert_int_equal(b.content, HM_BUNDLE_MESSAGE_SIGNATURE);
	assert_int_equal(b.material, HM_BUNDLE_PUBLIC_KEY);
	assert_string_equal(b.hint, "aGludA=="); /* a string, not bytes */
	assert_true(b.has_digest);
	assert_int_equal(b.digest_alg, HM_HASH_SHA2_256);
	assert_int_equal(b.message_digest.len, 3);
	assert_memory_equal(b.message_digest.data, "\0\1\2", 3);
	assert_int_equal(b.signature.len, 3);
	assert_int_equal(b.n_tlog, 0);
	assert_int_equal(b.n_timestamps, 0);
	assert_string_equal(b.keyid, "");
	hm_bundle_free(&b);
}

static void test_v01_chain_promise(void **state)
{
	hm_bundle b;

	assert_int_equal(parse(&b, "{\"mediaType\":\"" V01 "\",\"verificationMaterial\":{" CHAIN
				   ",\"tlogEntries\":[" ENTRY("7", PROMISE) "]}," MSG "}"),
			 HM_OK);
	assert_int_equal(b.version, HM_BUNDLE_V01);
	assert_int_equal(b.material, HM_BUNDLE_CERT_CHAIN);
	assert_int_equal(b.n_certs, 2);
	assert_int_equal(b.n_tlog, 1);
	assert_int_equal(b.tlog[0].log_index, 7);
	assert_int_equal(b.tlog[0].integrated_time, 1700000000);
	assert_string_equal(b.tlog[0].kind, "hashedrekord");
	assert_string_equal(b.tlog[0].version, "0.0.1");
	assert_memory_equal(b.tlog[0].log_id.data, "log", 3);
	assert_true(b.tlog[0].has_promise);
	assert_memory_equal(b.tlog[0].signed_entry_timestamp.data, "set", 3);
	assert_false(b.tlog[0].has_proof);
	assert_memory_equal(b.tlog[0].canonicalized_body.data, "body", 4);
	hm_bundle_free(&b);
	/* v0.1 needs the promise */
	refused("{\"mediaType\":\"" V01 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY("7", PROOF) "]}," MSG "}",
		"verificationMaterial.tlogEntries[0].inclusionPromise: required in bundle v0.1");
}

static void test_v02_proof_timestamps(void **state)
{
	hm_bundle b;

	assert_int_equal(parse(&b, "{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK
				   ",\"tlogEntries\":[" ENTRY("7", PROOF) "," ENTRY("8", PROOF "," PROMISE)
				   "],\"timestampVerificationData\":{\"rfc3161Timestamps\":[{\"signedTimestamp\":\"dHMx\"},"
				   "{\"signedTimestamp\":\"dHMy\"}]}}," MSG "}"),
			 HM_OK);
	assert_int_equal(b.n_tlog, 2);
	assert_true(b.tlog[0].has_proof);
	assert_false(b.tlog[0].has_promise);
	assert_true(b.tlog[1].has_promise);
	assert_int_equal(b.tlog[0].proof.log_index, 5);
	assert_int_equal(b.tlog[0].proof.tree_size, 9);
	assert_memory_equal(b.tlog[0].proof.root_hash.data, "root", 4);
	assert_int_equal(b.tlog[0].proof.n_hashes, 2);
	assert_memory_equal(b.tlog[0].proof.hashes[1].data, "h2", 2);
	assert_string_equal(b.tlog[0].proof.checkpoint, "rekor.sigstore.dev - 1\n9\ncm9vdA==\n");
	assert_int_equal(b.n_timestamps, 2);
	assert_memory_equal(b.timestamps[1].data, "ts2", 3);
	hm_bundle_free(&b);
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY("7", PROMISE) "]}," MSG "}",
		"tlogEntries[0].inclusionProof: required from bundle v0.2 on");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY(
		    "7", "\"inclusionProof\":{\"rootHash\":\"cm9vdA==\",\"treeSize\":\"1\"}") "]}," MSG "}",
		"tlogEntries[0].inclusionProof.checkpoint: required");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MIIB\"}}," MSG "}",
		"verificationMaterial.certificate: appears in bundle v0.3 only");
}

static void test_v03_certificate(void **state)
{
	hm_bundle b;

	assert_int_equal(parse(&b, "{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.3\","
				   "\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MIIB\"}}," MSG "}"),
			 HM_OK);
	assert_int_equal(b.version, HM_BUNDLE_V03);
	assert_int_equal(b.material, HM_BUNDLE_CERTIFICATE);
	assert_int_equal(b.n_certs, 1);
	hm_bundle_free(&b);
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" CHAIN "}," MSG "}",
		"x509CertificateChain: not allowed in bundle v0.3");
}

/* protojson's spellings: proto names, int64 numbers, enum numbers, null,
 * URL-safe, unpadded and line-wrapped base64. */
static void test_protojson_forms(void **state)
{
	hm_bundle b;

	assert_int_equal(
	    parse(&b, "{\"media_type\":\"" V02 "\",\"verification_material\":{\"public_key\":{},\"tlog_entries\":[{"
		      "\"log_index\":12,\"log_id\":{\"key_id\":\"_-8\"},\"kind_version\":{\"kind\":\"dsse\",\"version\":\"0.0.1\"},"
		      "\"inclusion_proof\":{\"root_hash\":\"cm9v\\ndA\",\"tree_size\":13,\"checkpoint\":{\"envelope\":\"c\"}}}],"
		      "\"timestamp_verification_data\":null},\"message_signature\":{\"message_digest\":{\"algorithm\":1,"
		      "\"digest\":\"AAEC\"},\"signature\":\"MEUC\"},\"futureField\":{\"x\":1}}"),
	    HM_OK);
	assert_int_equal(b.tlog[0].log_index, 12);
	assert_int_equal(b.tlog[0].log_id.len, 2);
	assert_memory_equal(b.tlog[0].log_id.data, "\xff\xef", 2);
	assert_memory_equal(b.tlog[0].proof.root_hash.data, "root", 4);
	assert_int_equal(b.tlog[0].proof.tree_size, 13);
	assert_int_equal(b.tlog[0].integrated_time, 0);
	assert_int_equal(b.digest_alg, HM_HASH_SHA2_256);
	assert_string_equal(b.hint, "");
	hm_bundle_free(&b);
}

static void test_refusals(void **state)
{
	refused("[]", "bundle: not a JSON object");
	refused("{", "invalid JSON");
	refused("{\"verificationMaterial\":{" PK "}," MSG "}", "mediaType: required");
	refused("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.4\",\"verificationMaterial\":{" PK "}," MSG "}",
		"mediaType: unknown media type");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "}}", "needs messageSignature or dsseEnvelope");
	refused("{\"mediaType\":\"" V03 "\"," MSG "}", "verificationMaterial: required");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{}," MSG "}", "verificationMaterial: needs one of");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK ",\"certificate\":{\"rawBytes\":\"MIIB\"}}," MSG "}",
		"verificationMaterial: holds more than one");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "}," MSG ",\"dsseEnvelope\":{}}",
		"holds both messageSignature and dsseEnvelope");
	refused("{\"mediaType\":\"" V03 "\",\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "}," MSG "}",
		"member 'mediaType' is given twice");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "}," MSG "} {}",
		"data after the JSON value");
	refused("{\"mediaType\":\"" V03 "\",\"media_type\":\"" V03 "\",\"verificationMaterial\":{" PK "}," MSG "}",
		"mediaType: given more than once");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"messageSignature\":{\"signature\":\"M*EUC\"}}",
		"messageSignature.signature: invalid base64");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"messageSignature\":{\"signature\":[]}}",
		"messageSignature.signature: must be a base64 string");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"messageSignature\":{"
		"\"messageDigest\":{\"algorithm\":\"MD5\",\"digest\":\"AA==\"},\"signature\":\"MEUC\"}}",
		"messageSignature.messageDigest.algorithm: unknown hash algorithm");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"dsseEnvelope\":{\"payload\":\"e30=\","
		"\"payloadType\":\"t\",\"signatures\":[]}}",
		"dsseEnvelope.signatures: must hold exactly one signature, not 0");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"dsseEnvelope\":{\"payload\":\"e30=\","
		"\"signatures\":[{\"sig\":\"MEUC\"}]}}",
		"dsseEnvelope.payloadType: required");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY("-1", PROOF) "]}," MSG "}",
		"tlogEntries[0].logIndex: must be a non-negative integer");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY("1.5", PROOF) "]}," MSG "}",
		"tlogEntries[0].logIndex: must be a non-negative integer");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[{\"logIndex\":\"1\"," PROOF "}]}," MSG "}",
		"tlogEntries[0].logId: required");
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY(
		    "7", "\"inclusionProof\":{\"logIndex\":\"9\",\"rootHash\":\"cm9vdA==\",\"treeSize\":\"9\",\"checkpoint\":{\"envelope\":\"c\"}}") "]}," MSG "}",
		"inclusionProof: logIndex 9 is not below treeSize 9");
	/* one entry twice would count as two logs */
	refused("{\"mediaType\":\"" V02 "\",\"verificationMaterial\":{" PK ",\"tlogEntries\":[" ENTRY("7", PROOF) "," ENTRY("7", PROOF) "]}," MSG "}",
		"tlogEntries[1]: the same entry as tlogEntries[0]");
	refused("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK ",\"timestampVerificationData\":{\"rfc3161Timestamps\":["
		"{\"signedTimestamp\":\"dHMx\"},{\"signedTimestamp\":\"dHMx\"}]}}," MSG "}",
		"rfc3161Timestamps[1]: the same timestamp as rfc3161Timestamps[0]");
}

/* head, then n copies of item (an "@" in it replaced by the copy's index,
 * comma-separated), then tail. */
static char *many(const char *head, const char *item, int n, const char *tail)
{
	hm_buf b = HM_BUF_INIT;

	hm_buf_addstr(&b, head);
	for (int i = 0; i < n; i++) {
		if (i)
			hm_buf_addch(&b, ',');
		for (const char *p = item; *p; p++)
			if (*p == '@')
				hm_buf_addf(&b, "%d", i);
			else
				hm_buf_addch(&b, *p);
	}
	hm_buf_addstr(&b, tail);
	return hm_buf_detach(&b, NULL);
}

static void test_caps(void **state)
{
	const char *entry = "{\"logIndex\":\"@\",\"logId\":{\"keyId\":\"bG9n\"},\"kindVersion\":{\"kind\":\"k\",\"version\":\"v\"},"
			    "\"inclusionProof\":{\"rootHash\":\"cm9vdA==\",\"treeSize\":\"99\",\"checkpoint\":{\"envelope\":\"c\"}}}";
	const char *head = "{\"mediaType\":\"" V02 "\"," MSG ",\"verificationMaterial\":{" PK ",\"tlogEntries\":[";
	char *s;
	hm_bundle b;

	s = many(head, entry, HM_BUNDLE_MAX_TLOG, "]}}");
	assert_int_equal(parse(&b, s), HM_OK);
	assert_int_equal(b.n_tlog, HM_BUNDLE_MAX_TLOG);
	hm_bundle_free(&b);
	free(s);
	s = many(head, entry, HM_BUNDLE_MAX_TLOG + 1, "]}}");
	refused(s, "tlogEntries: more than 32 entries");
	free(s);
	s = many("{\"mediaType\":\"" V03 "\"," MSG ",\"verificationMaterial\":{" PK
		 ",\"timestampVerificationData\":{\"rfc3161Timestamps\":[",
		 "{\"signedTimestamp\":\"dHMx@\"}", HM_BUNDLE_MAX_TIMESTAMPS + 1, "]}}}");
	refused(s, "rfc3161Timestamps: more than 32 entries");
	free(s);
	s = many("{\"mediaType\":\"" V02 "\"," MSG ",\"verificationMaterial\":{" PK ",\"tlogEntries\":[{\"logId\":{\"keyId\":\"bG9n\"},"
		 "\"kindVersion\":{\"kind\":\"k\",\"version\":\"v\"},\"inclusionProof\":{\"rootHash\":\"cm9vdA==\",\"treeSize\":\"9\","
		 "\"checkpoint\":{\"envelope\":\"c\"},\"hashes\":[",
		 "\"aDE=\"", HM_BUNDLE_MAX_PROOF_HASHES + 1, "]}}]}}");
	refused(s, "inclusionProof.hashes: more than 64 entries");
	free(s);
	/* a digest longer than any hash */
	s = many("{\"mediaType\":\"" V03 "\",\"verificationMaterial\":{" PK "},\"messageSignature\":{\"signature\":\"MEUC\","
		 "\"messageDigest\":{\"digest\":\"", "AAAA", 30, "\"}}}");
	refused(s, "messageSignature.messageDigest.digest: larger than 64 bytes");
	free(s);
}

/* A DSSE bundle by k of a statement about subject_digest, of type ptype. */
static void dsse_bundle(hm_buf *out, hm_key *k, const char *subject_digest, const char *ptype)
{
	hm_buf st = HM_BUF_INIT;
	cJSON *j;

	assert_int_equal(hm_statement_build(&j, "file", subject_digest, ptype, NULL), HM_OK);
	assert_int_equal(hm_json_print(&st, j), HM_OK);
	cJSON_Delete(j);
	assert_int_equal(hm_bundle_write_dsse(out, k, HM_DSSE_INTOTO, st.data, st.len), HM_OK);
	hm_buf_release(&st);
}

static int verify(hm_bundle_verdict *v, const hm_buf *json, hm_key *k, const char *data, const char *digest,
		  const char *ptype)
{
	hm_bundle b;
	hm_bundle_verify_opts o = {.keys = &k, .n_keys = 1, .artifact = data, .artifact_len = data ? strlen(data) : 0,
				   .artifact_digest = digest, .predicate_type = ptype};
	int err = hm_bundle_parse(&b, json->data, json->len);

	if (!err)
		err = hm_bundle_verify(v, &b, &o);
	hm_bundle_free(&b);
	return err;
}

static void test_verify_message(void **state)
{
	hm_buf j = HM_BUF_INIT;
	hm_bundle_verdict v;
	char d[HM_DIGEST_SIZE], other[HM_DIGEST_SIZE];

	hm_digest_compute(d, "data", 4);
	hm_digest_compute(other, "dat4", 4);
	assert_int_equal(hm_bundle_write_message(&j, k1, "data", 4), HM_OK);
	assert_int_equal(verify(&v, &j, k1, "data", NULL, NULL), HM_OK);
	assert_int_equal(v.kind, HM_BUNDLE_KIND_MESSAGE);
	assert_int_equal(v.key_index, 0);
	assert_string_equal(v.digest, d);
	assert_true(hm_bundle_verdict_is_signature(&v));
	assert_null(v.reason);
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k1, NULL, d, NULL), HM_OK);
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k2, "data", NULL, NULL), HM_E_VERIFY);
	assert_int_equal(v.key_index, -1);
	assert_non_null(strstr(v.reason, "does not verify"));
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k1, "dat4", NULL, NULL), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "messageDigest is not the artifact's digest"));
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k1, NULL, other, NULL), HM_E_VERIFY);
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k1, "data", NULL, HM_PREDICATE_SLSA_V1), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "not an attestation"));
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &j, k1, NULL, "sha256:nothex", NULL), HM_E_USAGE);
	hm_bundle_verdict_free(&v);
	hm_buf_release(&j);
}

static void test_verify_dsse(void **state)
{
	hm_buf sig = HM_BUF_INIT, slsa = HM_BUF_INIT;
	hm_bundle_verdict v;
	char d[HM_DIGEST_SIZE];

	hm_digest_compute(d, "data", 4);
	dsse_bundle(&sig, k1, d, HM_PREDICATE_COSIGN_SIGN);
	dsse_bundle(&slsa, k1, d, HM_PREDICATE_SLSA_V1);
	assert_int_equal(verify(&v, &sig, k1, "data", NULL, NULL), HM_OK);
	assert_int_equal(v.kind, HM_BUNDLE_KIND_STATEMENT);
	assert_string_equal(v.predicate_type, HM_PREDICATE_COSIGN_SIGN);
	assert_non_null(v.statement);
	assert_true(hm_bundle_verdict_is_signature(&v));
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &slsa, k1, NULL, d, HM_PREDICATE_SLSA_V1), HM_OK);
	assert_false(hm_bundle_verdict_is_signature(&v));
	hm_bundle_verdict_free(&v);
	/* a signature is no provenance, and provenance no signature */
	assert_int_equal(verify(&v, &sig, k1, "data", NULL, HM_PREDICATE_SLSA_V1), HM_E_VERIFY);
	assert_null(v.statement);
	assert_int_equal(v.key_index, -1);
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &slsa, k1, "data", NULL, HM_PREDICATE_COSIGN_SIGN), HM_E_VERIFY);
	hm_bundle_verdict_free(&v);
	/* another artifact, another key */
	assert_int_equal(verify(&v, &sig, k1, "dat4", NULL, NULL), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "subjects do not include"));
	hm_bundle_verdict_free(&v);
	assert_int_equal(verify(&v, &sig, k2, "data", NULL, NULL), HM_E_VERIFY);
	hm_bundle_verdict_free(&v);
	hm_buf_release(&sig);
	hm_buf_release(&slsa);
}

#define FIXTURES "tests/fixtures/bundles/"

static void load(hm_bundle *b, const char *name)
{
	hm_buf j = HM_BUF_INIT;

	assert_int_equal(hm_file_read(&j, name, 0), HM_OK);
	if (hm_bundle_parse(b, j.data, j.len) != HM_OK)
		fail_msg("%s: %s", name, hm_error_message());
	hm_buf_release(&j);
}

/* Public bundles from sigstore-js (tests/fixtures/bundles/README.md). */
static void test_public_bundles(void **state)
{
	static const char hello[] = "hello, world!";
	hm_bundle_verify_opts o = {.artifact = hello, .artifact_len = sizeof(hello) - 1};
	hm_bundle_verdict v;
	hm_key *pk;
	hm_bundle b;

	assert_int_equal(hm_key_load_public(&pk, FIXTURES "key.pub"), HM_OK);
	o.keys = &pk;
	o.n_keys = 1;
	load(&b, FIXTURES "v01-message-key.json");
	assert_int_equal(b.version, HM_BUNDLE_V01);
	assert_int_equal(b.material, HM_BUNDLE_PUBLIC_KEY);
	assert_int_equal(b.n_tlog, 1);
	assert_true(b.tlog[0].has_promise);
	/* Its log entry and timestamp come from sigstore-js's test instance,
	 * not the public-good one: a key bundle's log is checked too. */
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "key bundle: "));
	assert_int_equal(v.key_index, -1);
	hm_bundle_verdict_free(&v);
	{
		size_t nt = b.n_tlog, ns = b.n_timestamps;

		/* The same signature offline (no log, no timestamp) verifies. */
		b.n_tlog = b.n_timestamps = 0;
		assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_OK);
		assert_int_equal(v.log_index, -1);
		assert_int_equal(v.n_times, 0);
		hm_bundle_verdict_free(&v);
		o.artifact_len--;
		assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
		hm_bundle_verdict_free(&v);
		o.artifact_len++;
		b.n_tlog = nt;
		b.n_timestamps = ns;
	}
	hm_bundle_free(&b);

	load(&b, FIXTURES "v01-message-cert.json");
	assert_int_equal(b.material, HM_BUNDLE_CERT_CHAIN);
	assert_int_equal(b.n_certs, 1);
	assert_int_equal(b.certs[0].data[0], 0x30); /* DER SEQUENCE */
	assert_int_equal(b.tlog[0].log_index, 6757503);
	assert_int_equal(b.tlog[0].log_id.len, 32);
	assert_int_equal(b.n_timestamps, 1);
	assert_int_equal(hm_bundle_verify(&v, &b, &o), HM_E_VERIFY);
	assert_non_null(strstr(v.reason, "bundle carries a certificate; keyless verification needs"));
	hm_bundle_verdict_free(&v);
	hm_bundle_free(&b);

	load(&b, FIXTURES "v01-dsse-cert-intoto.json");
	assert_int_equal(b.content, HM_BUNDLE_DSSE);
	assert_string_equal(b.tlog[0].kind, "intoto");
	hm_bundle_free(&b);

	load(&b, FIXTURES "v03-message-cert-rekor2.json");
	assert_int_equal(b.version, HM_BUNDLE_V03);
	assert_int_equal(b.material, HM_BUNDLE_CERTIFICATE);
	assert_string_equal(b.tlog[0].kind, "hashedrekord");
	assert_string_equal(b.tlog[0].version, "0.0.2");
	assert_int_equal(b.tlog[0].integrated_time, 0);
	assert_false(b.tlog[0].has_promise);
	assert_true(b.tlog[0].has_proof);
	assert_int_equal(b.tlog[0].proof.tree_size, 547662);
	assert_int_equal(b.tlog[0].proof.n_hashes, 10);
	assert_int_equal(b.tlog[0].proof.root_hash.len, 32);
	assert_true(strncmp(b.tlog[0].proof.checkpoint, "log2025-1.rekor.sigstore.dev\n547662\n", 36) == 0);
	assert_int_equal(b.n_timestamps, 1);
	hm_bundle_free(&b);

	load(&b, FIXTURES "v03-dsse-cert-rekor2.json");
	assert_string_equal(b.tlog[0].kind, "dsse");
	assert_string_equal(b.payload_type, "text/plain");
	hm_bundle_free(&b);

	load(&b, FIXTURES "v03-legacy-message-cert.json");
	assert_int_equal(b.version, HM_BUNDLE_V03);
	assert_int_equal(b.n_tlog, 0);
	hm_bundle_free(&b);
	hm_key_free(pk);
}

static void test_hint(void **state)
{
	hm_buf h = HM_BUF_INIT;

	assert_int_equal(hm_bundle_key_hint(&h, k1), HM_OK);
	assert_int_equal(h.len, 44); /* base64 of 32 bytes */
	hm_buf_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v03_message),
		cmocka_unit_test(test_v01_chain_promise),
		cmocka_unit_test(test_v02_proof_timestamps),
		cmocka_unit_test(test_v03_certificate),
		cmocka_unit_test(test_protojson_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_verify_message),
		cmocka_unit_test(test_verify_dsse),
		cmocka_unit_test(test_public_bundles),
		cmocka_unit_test(test_hint),
	};

	return cmocka_run_group_tests_name("bundle", tests, setup, teardown);
}
