/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only reader of the vendored sigstore-conformance cases
 * (tests/conformance/bundle-verify/NAME/): just enough of a bundle, read
 * with cJSON, to hand the pieces to sigstore/keyless.h.  The real bundle
 * parser is sigstore/bundle.c; this is not it. */
#ifndef HM_TESTS_SIGSTORE_FIXTURE_H
#define HM_TESTS_SIGSTORE_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "sigstore/keyless.h"

#define FX_DIR "tests/conformance/bundle-verify/"
#define FX_IDENTITY "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define FX_ISSUER "https://token.actions.githubusercontent.com"
#define FX_MAX 32

typedef struct fx_case {
	cJSON *bundle;
	hm_trustroot *root;
	hm_buf leaf, sig, payload, artifact;
	hm_buf chain[8];
	size_t chain_len[8];
	const unsigned char *chain_der[8];
	unsigned char digest[32];
	char *payload_type;
	hm_buf tsa[FX_MAX];
	const unsigned char *tsa_der[FX_MAX];
	size_t tsa_len[FX_MAX];
	hm_tlog_entry tlog[FX_MAX];
	hm_buf logid[FX_MAX], set[FX_MAX], body[FX_MAX], roothash[FX_MAX], hashes[FX_MAX];
	hm_keyless_input in;
	char identity[512], issuer[256];
} fx_case;

static inline int fx_b64(hm_buf *out, const char *s)
{
	return s ? hm_base64_decode(out, s, strlen(s)) : HM_E_IO;
}

static inline int64_t fx_int(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	return 0;
}

static inline const cJSON *fx_get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static inline void fx_read_line(char *out, size_t n, const char *path, const char *dflt)
{
	hm_buf b = HM_BUF_INIT;

	snprintf(out, n, "%s", dflt);
	if (hm_file_read(&b, path, 4096) == HM_OK) {
		snprintf(out, n, "%s", hm_buf_cstr(&b));
		out[strcspn(out, "\n")] = 0;
	}
	hm_buf_release(&b);
}

static inline int fx_tlog(fx_case *c, size_t i, const cJSON *e)
{
	hm_tlog_entry *t = &c->tlog[i];
	const cJSON *kv = fx_get(e, "kindVersion"), *ip = fx_get(e, "inclusionProof"), *h;

	memset(t, 0, sizeof(*t));
	if (fx_b64(&c->logid[i], hm_json_str(fx_get(e, "logId"), "keyId")) != HM_OK ||
	    fx_b64(&c->body[i], hm_json_str(e, "canonicalizedBody")) != HM_OK)
		return HM_E_IO;
	t->log_id = (unsigned char *)c->logid[i].data;
	t->log_id_len = c->logid[i].len;
	t->log_index = fx_int(e, "logIndex");
	t->kind = hm_json_str(kv, "kind");
	t->version = hm_json_str(kv, "version");
	t->integrated_time = fx_int(e, "integratedTime");
	t->body = (unsigned char *)c->body[i].data;
	t->body_len = c->body[i].len;
	if (fx_get(e, "inclusionPromise")) {
		if (fx_b64(&c->set[i], hm_json_str(fx_get(e, "inclusionPromise"), "signedEntryTimestamp")) != HM_OK)
			return HM_E_IO;
		t->set = (unsigned char *)c->set[i].data;
		t->set_len = c->set[i].len;
	}
	if (ip) {
		t->has_proof = 1;
		t->proof_index = fx_int(ip, "logIndex");
		t->tree_size = fx_int(ip, "treeSize");
		if (fx_b64(&c->roothash[i], hm_json_str(ip, "rootHash")) != HM_OK)
			return HM_E_IO;
		t->root_hash = (unsigned char *)c->roothash[i].data;
		t->root_hash_len = c->roothash[i].len;
		cJSON_ArrayForEach(h, fx_get(ip, "hashes")) {
			size_t before = c->hashes[i].len;

			if (!cJSON_IsString(h) || fx_b64(&c->hashes[i], h->valuestring) != HM_OK ||
			    c->hashes[i].len != before + 32)
				return HM_E_IO;
			t->n_hashes++;
		}
		t->hashes = (unsigned char *)c->hashes[i].data;
		t->checkpoint = hm_json_str(fx_get(ip, "checkpoint"), "envelope");
		t->checkpoint_len = t->checkpoint ? strlen(t->checkpoint) : 0;
	}
	return HM_OK;
}

/* Loads case name; HM_OK, or an error when the bundle is not even readable
 * (which a _fail case may be). */
static inline int fx_load(fx_case *c, const char *name)
{
	char path[512];
	hm_buf b = HM_BUF_INIT;
	const cJSON *vm, *ms, *env, *e, *certs, *ts;
	size_t n = 0;
	int err;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), FX_DIR "%s/trusted_root.json", name);
	if (access(path, R_OK) == 0) {
		if ((err = hm_file_read(&b, path, 0)) != HM_OK ||
		    (err = hm_trustroot_parse(&c->root, b.data, b.len, path)) != HM_OK)
			goto done;
	} else if ((err = hm_trustroot_builtin(&c->root)) != HM_OK) {
		goto done;
	}
	hm_buf_reset(&b);
	snprintf(path, sizeof(path), FX_DIR "%s/identity", name);
	fx_read_line(c->identity, sizeof(c->identity), path, FX_IDENTITY);
	snprintf(path, sizeof(path), FX_DIR "%s/issuer", name);
	fx_read_line(c->issuer, sizeof(c->issuer), path, FX_ISSUER);
	snprintf(path, sizeof(path), FX_DIR "%s/artifact", name);
	if (hm_file_read(&c->artifact, path, 0) != HM_OK &&
	    (err = hm_file_read(&c->artifact, FX_DIR "../a.txt", 0)) != HM_OK)
		goto done;
	snprintf(path, sizeof(path), FX_DIR "%s/bundle.sigstore.json", name);
	if ((err = hm_file_read(&b, path, 0)) != HM_OK)
		goto done;
	err = HM_E_IO;
	if (!(c->bundle = hm_json_parse(b.data, b.len, path)))
		goto done;
	vm = fx_get(c->bundle, "verificationMaterial");
	if (fx_get(vm, "certificate")) {
		if (fx_b64(&c->leaf, hm_json_str(fx_get(vm, "certificate"), "rawBytes")) != HM_OK)
			goto done;
	} else if ((certs = fx_get(fx_get(vm, "x509CertificateChain"), "certificates")) && cJSON_GetArraySize(certs) > 0) {
		if (fx_b64(&c->leaf, hm_json_str(cJSON_GetArrayItem(certs, 0), "rawBytes")) != HM_OK)
			goto done;
		for (int i = 1; i < cJSON_GetArraySize(certs) && i <= 8; i++) {
			if (fx_b64(&c->chain[i - 1], hm_json_str(cJSON_GetArrayItem(certs, i), "rawBytes")) != HM_OK)
				goto done;
			c->chain_der[i - 1] = (unsigned char *)c->chain[i - 1].data;
			c->chain_len[i - 1] = c->chain[i - 1].len;
			c->in.n_chain++;
		}
	} else {
		goto done;
	}
	if ((ms = fx_get(c->bundle, "messageSignature"))) {
		if (fx_b64(&c->sig, hm_json_str(ms, "signature")) != HM_OK)
			goto done;
		/* The verifier hashes the artifact itself, as a client would. */
		SHA256((unsigned char *)c->artifact.data, c->artifact.len, c->digest);
		c->in.digest = c->digest;
		/* messageDigest is a hint; one that differs is refused (bundle layer). */
		hm_buf_reset(&b);
		if (fx_b64(&b, hm_json_str(fx_get(ms, "messageDigest"), "digest")) != HM_OK || b.len != 32 ||
		    memcmp(b.data, c->digest, 32) != 0)
			goto done;
	} else if ((env = fx_get(c->bundle, "dsseEnvelope"))) {
		if (fx_b64(&c->payload, hm_json_str(env, "payload")) != HM_OK ||
		    fx_b64(&c->sig, hm_json_str(cJSON_GetArrayItem(fx_get(env, "signatures"), 0), "sig")) != HM_OK ||
		    !hm_json_str(env, "payloadType") || cJSON_GetArraySize(fx_get(env, "signatures")) != 1)
			goto done;
		c->payload_type = strdup(hm_json_str(env, "payloadType"));
		c->in.payload_type = c->payload_type;
		c->in.payload = (unsigned char *)c->payload.data;
		c->in.payload_len = c->payload.len;
	} else {
		goto done;
	}
	cJSON_ArrayForEach(e, fx_get(vm, "tlogEntries")) {
		if (n >= FX_MAX || fx_tlog(c, n, e) != HM_OK)
			goto done;
		n++;
	}
	c->in.n_tlog = n;
	n = 0;
	cJSON_ArrayForEach(ts, fx_get(fx_get(vm, "timestampVerificationData"), "rfc3161Timestamps")) {
		if (n >= FX_MAX || fx_b64(&c->tsa[n], hm_json_str(ts, "signedTimestamp")) != HM_OK)
			goto done;
		c->tsa_der[n] = (unsigned char *)c->tsa[n].data;
		c->tsa_len[n] = c->tsa[n].len;
		n++;
	}
	c->in.n_tsa = n;
	/* Bundles v0.2 and later must carry inclusion proofs. */
	{
		const char *mt = hm_json_str(c->bundle, "mediaType");

		c->in.require_inclusion_proof = mt && !strstr(mt, "version=0.1") && !strstr(mt, "v0.1+json");
	}
	c->in.leaf_der = (unsigned char *)c->leaf.data;
	c->in.leaf_len = c->leaf.len;
	c->in.chain_der = c->chain_der;
	c->in.chain_len = c->chain_len;
	c->in.sig = (unsigned char *)c->sig.data;
	c->in.sig_len = c->sig.len;
	c->in.tlog = c->tlog;
	c->in.tsa_der = c->tsa_der;
	c->in.tsa_len = c->tsa_len;
	err = HM_OK;
done:
	hm_buf_release(&b);
	return err;
}

static inline void fx_free(fx_case *c)
{
	cJSON_Delete(c->bundle);
	hm_trustroot_free(c->root);
	hm_buf_release(&c->leaf);
	hm_buf_release(&c->sig);
	hm_buf_release(&c->payload);
	hm_buf_release(&c->artifact);
	for (int i = 0; i < 8; i++)
		hm_buf_release(&c->chain[i]);
	for (int i = 0; i < FX_MAX; i++) {
		hm_buf_release(&c->tsa[i]);
		hm_buf_release(&c->logid[i]);
		hm_buf_release(&c->set[i]);
		hm_buf_release(&c->body[i]);
		hm_buf_release(&c->roothash[i]);
		hm_buf_release(&c->hashes[i]);
	}
	free(c->payload_type);
	memset(c, 0, sizeof(*c));
}

static inline int fx_verify(fx_case *c, hm_keyless_result *r)
{
	hm_identity_policy p = {.subject = c->identity, .issuer = c->issuer};

	return hm_keyless_verify(r, &c->in, c->root, &p);
}

#endif
