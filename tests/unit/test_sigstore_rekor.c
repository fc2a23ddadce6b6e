/* SPDX-License-Identifier: Apache-2.0 */
/* Rekor: SETs, inclusion proofs, checkpoints (v1 ECDSA, v2 Ed25519) and
 * the binding of entry bodies, on real conformance entries and forgeries;
 * RFC 3161 timestamps on a real token. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "sigstore/tsa.h"
#include "tests/unit/sigstore_fixture.h"

static hm_rekor_subject subject(const fx_case *c)
{
	hm_rekor_subject s = {.sig = c->in.sig, .sig_len = c->in.sig_len, .cert_der = c->in.leaf_der,
			      .cert_len = c->in.leaf_len, .digest = c->in.digest, .payload_type = c->in.payload_type,
			      .payload = c->in.payload, .payload_len = c->in.payload_len};
	return s;
}

static void test_merkle_vectors(void **state)
{
	unsigned char l[3][32], n01[32], root[32], want[32], buf[65], path[64];

	for (int i = 0; i < 3; i++)
		hm_rekor_leaf_hash(l[i], &i, 1);
	/* Size 1: the root is the leaf. */
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 0, 1, NULL, 0), HM_OK);
	assert_memory_equal(root, l[0], 32);
	/* Size 3, leaf 2: root = H(1 || H(1||l0||l1) || l2). */
	buf[0] = 1;
	memcpy(buf + 1, l[0], 32);
	memcpy(buf + 33, l[1], 32);
	SHA256(buf, 65, n01);
	memcpy(buf + 1, n01, 32);
	memcpy(buf + 33, l[2], 32);
	SHA256(buf, 65, want);
	assert_int_equal(hm_rekor_root_from_proof(root, l[2], 2, 3, n01, 1), HM_OK);
	assert_memory_equal(root, want, 32);
	/* Leaf 0 of 3: path l1, l2. */
	memcpy(path, l[1], 32);
	memcpy(path + 32, l[2], 32);
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 0, 3, path, 2), HM_OK);
	assert_memory_equal(root, want, 32);
	/* Wrong shapes. */
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 0, 3, path, 1), HM_E_VERIFY);
	assert_int_equal(hm_rekor_root_from_proof(root, l[2], 2, 3, path, 2), HM_E_VERIFY);
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 3, 3, NULL, 0), HM_E_VERIFY);
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 0, 0, NULL, 0), HM_E_VERIFY);
	assert_int_equal(hm_rekor_root_from_proof(root, l[0], 0, 2, path, 65), HM_E_VERIFY);
}

static void test_v1_entry(void **state)
{
	fx_case c;
	hm_tlog_entry e;
	hm_rekor_subject s;
	unsigned char h[32 * 64], body[8192], set[128];
	int64_t t;

	assert_int_equal(fx_load(&c, "happy-path-v0.3"), HM_OK);
	s = subject(&c);
	e = c.tlog[0];
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_OK);
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_OK);
	assert_int_equal(hm_rekor_entry_binds(e.body, e.body_len, &s), HM_OK);
	assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_OK);
	assert_int_equal(t, 1710869186);

	/* SET forgeries: another time, another index, another body, a bad signature. */
	e.integrated_time++;
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_E_VERIFY);
	e = c.tlog[0];
	e.log_index++;
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_E_VERIFY);
	e = c.tlog[0];
	memcpy(set, e.set, e.set_len);
	set[e.set_len - 1] ^= 1;
	e.set = set;
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_E_VERIFY);
	e = c.tlog[0];
	assert_true(e.body_len < sizeof(body));
	memcpy(body, e.body, e.body_len);
	body[10] ^= 1;
	e.body = body;
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_E_VERIFY);
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);

	/* Proof forgeries: a hash, the size, the index, the stated root. */
	e = c.tlog[0];
	memcpy(h, e.hashes, 32 * e.n_hashes);
	h[5] ^= 1;
	e.hashes = h;
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
	e = c.tlog[0];
	e.tree_size++;
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
	e = c.tlog[0];
	e.proof_index--;
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);

	/* Checkpoint forgeries: signature, origin, missing. */
	{
		char cp[1024];
		char *sigpos;

		e = c.tlog[0];
		assert_true(e.checkpoint_len < sizeof(cp));
		memcpy(cp, e.checkpoint, e.checkpoint_len + 1);
		sigpos = strstr(cp, "wNI9aj") + 10;
		*sigpos = *sigpos == 'A' ? 'B' : 'A';
		e.checkpoint = cp;
		assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
		memcpy(cp, c.tlog[0].checkpoint, e.checkpoint_len + 1);
		memcpy(strstr(cp, "wNI9aj"), "xNI9aj", 6); /* key hint */
		assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
		e.checkpoint = NULL;
		assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
	}

	/* Binding forgeries: another digest, another signature, another
	 * certificate, a DSSE subject for a hashedrekord. */
	{
		unsigned char d[32], sig[128];
		hm_rekor_subject f = s;

		memcpy(d, s.digest, 32);
		d[0] ^= 1;
		f.digest = d;
		assert_int_equal(hm_rekor_entry_binds(c.tlog[0].body, c.tlog[0].body_len, &f), HM_E_VERIFY);
		f = s;
		memcpy(sig, s.sig, s.sig_len);
		sig[s.sig_len - 1] ^= 1;
		f.sig = sig;
		assert_int_equal(hm_rekor_entry_binds(c.tlog[0].body, c.tlog[0].body_len, &f), HM_E_VERIFY);
		f = s;
		f.cert_der = NULL;
		assert_int_equal(hm_rekor_entry_binds(c.tlog[0].body, c.tlog[0].body_len, &f), HM_E_USAGE);
	}
	/* A body of another kind is refused whatever it says. */
	{
		static const char other[] = "{\"apiVersion\":\"0.0.1\",\"kind\":\"rekord\",\"spec\":{}}";

		assert_int_equal(hm_rekor_entry_binds(other, sizeof(other) - 1, &s), HM_E_VERIFY);
		e = c.tlog[0];
		e.kind = "dsse";
		assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_E_VERIFY);
	}
	fx_free(&c);
}

static void test_other_cert_refused(void **state)
{
	fx_case a, b;
	hm_rekor_subject s;

	/* The body of one case names another certificate than the other's leaf. */
	assert_int_equal(fx_load(&a, "happy-path-v0.3"), HM_OK);
	assert_int_equal(fx_load(&b, "happy-path-v0.2"), HM_OK);
	s = subject(&a);
	s.cert_der = b.in.leaf_der;
	s.cert_len = b.in.leaf_len;
	assert_int_equal(hm_rekor_entry_binds(a.tlog[0].body, a.tlog[0].body_len, &s), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "certificate"));
	fx_free(&a);
	fx_free(&b);
}

static void test_dsse_and_intoto(void **state)
{
	static const char *const cases[] = {"happy-path-intoto-in-dsse-v3", "intoto-with-custom-trust-root",
					    "rekor2-dsse-happy-path"};

	for (size_t i = 0; i < 3; i++) {
		fx_case c;
		hm_rekor_subject s;
		unsigned char *p;

		assert_int_equal(fx_load(&c, cases[i]), HM_OK);
		s = subject(&c);
		assert_int_equal(hm_rekor_entry_binds(c.tlog[0].body, c.tlog[0].body_len, &s), HM_OK);
		/* Another payload: refused. */
		p = malloc(s.payload_len);
		memcpy(p, s.payload, s.payload_len);
		p[0] ^= 1;
		s.payload = p;
		assert_int_equal(hm_rekor_entry_binds(c.tlog[0].body, c.tlog[0].body_len, &s), HM_E_VERIFY);
		free(p);
		fx_free(&c);
	}
}

static void sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char d[32];

	SHA256(p, n, d);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* An intoto 0.0.1 body as Rekor canonicalizes cosign v2's attestation:
 * content.hash of env, content.payloadHash of payload, publicKey the base64
 * of the PEM of cert (DER). */
static void intoto_v1_body(hm_buf *out, const char *env, const char *payload, const unsigned char *cert,
			   size_t cert_len)
{
	const unsigned char *p = cert;
	X509 *x = d2i_X509(NULL, &p, (long)cert_len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem, h[65], ph[65];
	long n;

	assert_non_null(x);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &pem);
	sha256_hex(h, env, strlen(env));
	sha256_hex(ph, payload, strlen(payload));
	assert_int_equal(hm_buf_addf(out, "{\"apiVersion\":\"0.0.1\",\"kind\":\"intoto\",\"spec\":{\"content\":{\"hash\":"
				       "{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"payloadHash\":{\"algorithm\":\"sha256\","
				       "\"value\":\"%s\"}},\"publicKey\":\"", h, ph), HM_OK);
	assert_int_equal(hm_base64_encode(out, pem, (size_t)n), HM_OK);
	assert_int_equal(hm_buf_addstr(out, "\"}}"), HM_OK);
	BIO_free(bio);
	X509_free(x);
}

static void test_intoto_v1(void **state)
{
	static const char payload[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
	static const char env[] = "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\","
				  "\"signatures\":[{\"keyid\":\"\",\"sig\":\"AAAA\"}]}";
	static const char other_env[] = "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\","
					"\"signatures\":[{\"keyid\":\"\",\"sig\":\"AAAB\"}]}";
	fx_case a, b;
	hm_buf body = HM_BUF_INIT;
	hm_rekor_subject s = {0};
	unsigned char sig[] = {0, 0, 0};

	assert_int_equal(fx_load(&a, "happy-path-v0.3"), HM_OK);
	assert_int_equal(fx_load(&b, "happy-path-v0.2"), HM_OK);
	s.sig = sig;
	s.sig_len = sizeof(sig);
	s.cert_der = a.in.leaf_der;
	s.cert_len = a.in.leaf_len;
	s.payload_type = "application/vnd.in-toto+json";
	s.payload = (const unsigned char *)payload;
	s.payload_len = strlen(payload);
	s.envelope = (const unsigned char *)env;
	s.envelope_len = strlen(env);
	intoto_v1_body(&body, env, payload, a.in.leaf_der, a.in.leaf_len);
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_OK);
	/* The entry of another envelope (another signature): refused. */
	s.envelope = (const unsigned char *)other_env;
	s.envelope_len = strlen(other_env);
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "envelope hash"));
	s.envelope = (const unsigned char *)env;
	s.envelope_len = strlen(env);
	/* No envelope to bind (a bundle's DSSE): refused. */
	s.envelope = NULL;
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_E_VERIFY);
	s.envelope = (const unsigned char *)env;
	/* Another certificate: refused. */
	s.cert_der = b.in.leaf_der;
	s.cert_len = b.in.leaf_len;
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "certificate"));
	s.cert_der = a.in.leaf_der;
	s.cert_len = a.in.leaf_len;
	/* The hash of another payload recorded: refused. */
	hm_buf_reset(&body);
	intoto_v1_body(&body, env, "{}", a.in.leaf_der, a.in.leaf_len);
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "payload hash"));
	/* The body of another certificate: refused. */
	hm_buf_reset(&body);
	intoto_v1_body(&body, env, payload, b.in.leaf_der, b.in.leaf_len);
	assert_int_equal(hm_rekor_entry_binds(body.data, body.len, &s), HM_E_VERIFY);
	hm_buf_release(&body);
	fx_free(&a);
	fx_free(&b);
}

static void test_v2_entry(void **state)
{
	fx_case c;
	hm_tlog_entry e;
	hm_rekor_subject s;
	int64_t t;
	char cp[1024];

	assert_int_equal(fx_load(&c, "rekor2-happy-path"), HM_OK);
	s = subject(&c);
	e = c.tlog[0];
	assert_null(e.set);
	assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_OK);
	assert_int_equal(t, 0); /* Rekor v2 gives no time */
	/* Without a proof, a v2 entry is refused. */
	e.has_proof = 0;
	assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_E_VERIFY);
	/* An Ed25519 checkpoint signature flipped. */
	e = c.tlog[0];
	memcpy(cp, e.checkpoint, e.checkpoint_len + 1);
	cp[e.checkpoint_len - 3] = cp[e.checkpoint_len - 3] == 'A' ? 'B' : 'A';
	e.checkpoint = cp;
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
	/* A log the root does not know. */
	e = c.tlog[0];
	e.log_id_len--;
	assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_E_VERIFY);
	fx_free(&c);
}

static void test_tsa(void **state)
{
	fx_case c;
	hm_trustroot *builtin;
	int64_t t;
	unsigned char sig[128];

	assert_int_equal(fx_load(&c, "rekor2-happy-path"), HM_OK);
	assert_int_equal(c.in.n_tsa, 1);
	assert_int_equal(hm_tsa_verify(&t, c.tsa_der[0], c.tsa_len[0], c.in.sig, c.in.sig_len, c.root), HM_OK);
	assert_int_equal(t, 1749729740); /* 2025-06-12T12:02:20Z */
	/* Over another signature: refused. */
	memcpy(sig, c.in.sig, c.in.sig_len);
	sig[3] ^= 1;
	assert_int_equal(hm_tsa_verify(&t, c.tsa_der[0], c.tsa_len[0], sig, c.in.sig_len, c.root), HM_E_VERIFY);
	/* Under a root without that TSA: refused. */
	assert_int_equal(hm_trustroot_builtin(&builtin), HM_OK);
	assert_int_equal(hm_tsa_verify(&t, c.tsa_der[0], c.tsa_len[0], c.in.sig, c.in.sig_len, builtin), HM_E_VERIFY);
	hm_trustroot_free(builtin);
	/* Outside the TSA's window: refused. */
	c.root->tsas[0].end = 1749729739;
	assert_int_equal(hm_tsa_verify(&t, c.tsa_der[0], c.tsa_len[0], c.in.sig, c.in.sig_len, c.root), HM_E_VERIFY);
	c.root->tsas[0].end = HM_TRUST_FOREVER;
	/* Truncated DER. */
	assert_int_equal(hm_tsa_verify(&t, c.tsa_der[0], c.tsa_len[0] - 1, c.in.sig, c.in.sig_len, c.root), HM_E_VERIFY);
	fx_free(&c);
}

/* One cap on a log entry body (HM_MAX_TLOG_BODY), whether it comes from a
 * bundle or from cosign's legacy layer: one byte over is refused by every
 * check that reads it, before it is read. */
static void test_body_cap(void **state)
{
	fx_case c;
	hm_tlog_entry e;
	hm_rekor_subject s;
	int64_t t;

	(void)state;
	assert_int_equal(fx_load(&c, "happy-path-v0.3"), HM_OK);
	s = subject(&c);
	e = c.tlog[0];
	e.body_len = HM_MAX_TLOG_BODY + 1;
	assert_int_equal(hm_rekor_entry_binds(e.body, e.body_len, &s), HM_E_VERIFY);
	assert_non_null(strstr(hm_error_message(), "2097152"));
	assert_int_equal(hm_rekor_verify_set(&e, c.root), HM_E_VERIFY);
	assert_int_equal(hm_rekor_verify_inclusion(&e, c.root), HM_E_VERIFY);
	assert_int_equal(hm_rekor_verify_entry(&e, c.root, &s, &t), HM_E_VERIFY);
	fx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle_vectors), cmocka_unit_test(test_v1_entry),
		cmocka_unit_test(test_other_cert_refused), cmocka_unit_test(test_dsse_and_intoto),
		cmocka_unit_test(test_v2_entry),       cmocka_unit_test(test_tsa),
		cmocka_unit_test(test_intoto_v1), cmocka_unit_test(test_body_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
