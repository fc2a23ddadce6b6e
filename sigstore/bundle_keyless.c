/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: the keyless path of hm_bundle_verify, and the
 * transparency log entries and timestamps of key bundles.  Both hand the
 * bundle's decoded pieces to sigstore/keyless.h; this file only maps them
 * (borrowing from the hm_bundle) and chooses the trusted root. */
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/error.h"
#include "sigstore/bundle_priv.h"

/* What hm_keyless_input points to, borrowed from the bundle except the
 * concatenated proof hashes and a trusted root loaded here. */
typedef struct pieces {
	hm_keyless_input in;
	hm_tlog_entry tlog[HM_MAX_TLOG_ENTRIES];
	hm_buf hashes[HM_MAX_TLOG_ENTRIES];
	const unsigned char *tsa_der[HM_MAX_TIMESTAMPS];
	size_t tsa_len[HM_MAX_TIMESTAMPS];
	const unsigned char *chain_der[HM_MAX_CHAIN_CERTS];
	size_t chain_len[HM_MAX_CHAIN_CERTS];
	hm_trustroot *own_root;
	const hm_trustroot *root;
} pieces;

static void pieces_release(pieces *p)
{
	for (size_t i = 0; i < HM_MAX_TLOG_ENTRIES; i++)
		hm_buf_release(&p->hashes[i]);
	hm_trustroot_free(p->own_root);
}

static int map_tlog(pieces *p, const hm_bundle *b)
{
	int err;

	if (b->n_tlog > HM_MAX_TLOG_ENTRIES || b->n_timestamps > HM_MAX_TIMESTAMPS)
		return hm_error_set(HM_E_VERIFY, "bundle: too many log entries or timestamps");
	for (size_t i = 0; i < b->n_tlog; i++) {
		const hm_bundle_tlog *t = &b->tlog[i];
		hm_tlog_entry *e = &p->tlog[i];

		e->log_id = (const unsigned char *)t->log_id.data;
		e->log_id_len = t->log_id.len;
		e->log_index = t->log_index;
		e->kind = t->kind;
		e->version = t->version;
		e->integrated_time = t->integrated_time;
		if (t->has_promise) {
			e->set = (const unsigned char *)t->signed_entry_timestamp.data;
			e->set_len = t->signed_entry_timestamp.len;
		}
		if (t->canonicalized_body.len) {
			e->body = (const unsigned char *)t->canonicalized_body.data;
			e->body_len = t->canonicalized_body.len;
		}
		if (!t->has_proof)
			continue;
		e->has_proof = 1;
		e->proof_index = t->proof.log_index;
		e->tree_size = t->proof.tree_size;
		e->root_hash = (const unsigned char *)t->proof.root_hash.data;
		e->root_hash_len = t->proof.root_hash.len;
		for (size_t j = 0; j < t->proof.n_hashes; j++) {
			if (t->proof.hashes[j].len != 32)
				return hm_error_set(HM_E_VERIFY,
						    "bundle: verificationMaterial.tlogEntries[%zu].inclusionProof."
						    "hashes[%zu]: not a SHA-256 hash (%zu bytes)",
						    i, j, t->proof.hashes[j].len);
			if ((err = hm_buf_add(&p->hashes[i], t->proof.hashes[j].data, 32)) != HM_OK)
				return err;
		}
		e->hashes = (const unsigned char *)p->hashes[i].data;
		e->n_hashes = t->proof.n_hashes;
		e->checkpoint = t->proof.checkpoint;
		e->checkpoint_len = t->proof.checkpoint ? strlen(t->proof.checkpoint) : 0;
	}
	for (size_t i = 0; i < b->n_timestamps; i++) {
		p->tsa_der[i] = (const unsigned char *)b->timestamps[i].data;
		p->tsa_len[i] = b->timestamps[i].len;
	}
	p->in.tlog = p->tlog;
	p->in.n_tlog = b->n_tlog;
	p->in.tsa_der = p->tsa_der;
	p->in.tsa_len = p->tsa_len;
	p->in.n_tsa = b->n_timestamps;
	return HM_OK;
}

/* Everything but the certificate or key. */
static int map_common(pieces *p, const hm_bundle *b, const hm_bundle_verify_opts *o, const hm_bundle_verdict *v,
		      const unsigned char digest[32])
{
	int err;

	memset(p, 0, sizeof(*p));
	p->in.sig = (const unsigned char *)b->signature.data;
	p->in.sig_len = b->signature.len;
	p->in.now = o->now;
	/* From v0.2 on a bundle must prove inclusion, not only promise it. */
	p->in.require_inclusion_proof = b->version >= HM_BUNDLE_V02;
	if (b->content == HM_BUNDLE_MESSAGE_SIGNATURE) {
		if ((err = hm_bundle_check_message_digest(b, v, digest)) != HM_OK)
			return err;
		p->in.digest = digest;
	} else {
		if ((err = hm_bundle_check_payload_type(b)) != HM_OK)
			return err;
		p->in.payload_type = b->payload_type;
		p->in.payload = (const unsigned char *)b->payload.data;
		p->in.payload_len = b->payload.len;
	}
	if ((err = map_tlog(p, b)) != HM_OK)
		return err;
	p->root = o->trustroot;
	if (!p->root) {
		if ((err = hm_trustroot_builtin(&p->own_root)) != HM_OK)
			return err;
		p->root = p->own_root;
	}
	return HM_OK;
}

static void take_times(hm_bundle_verdict *out, const hm_keyless_result *r)
{
	out->log_index = r->log_index;
	out->n_times = r->n_times < HM_BUNDLE_MAX_TIMES ? r->n_times : HM_BUNDLE_MAX_TIMES;
	memcpy(out->times, r->times, out->n_times * sizeof(out->times[0]));
}

int hm_bundle_verify_keyless(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			     const unsigned char digest[32])
{
	pieces p;
	hm_keyless_result r;
	int err;

	if ((err = map_common(&p, b, o, out, digest)) != HM_OK)
		goto done;
	if (b->n_certs == 0 || (b->material == HM_BUNDLE_CERTIFICATE && b->n_certs != 1)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: no signing certificate");
		goto done;
	}
	p.in.leaf_der = (const unsigned char *)b->certs[0].data;
	p.in.leaf_len = b->certs[0].len;
	for (size_t i = 1; i < b->n_certs && i < HM_MAX_CHAIN_CERTS; i++) {
		p.chain_der[i - 1] = (const unsigned char *)b->certs[i].data;
		p.chain_len[i - 1] = b->certs[i].len;
	}
	p.in.chain_der = p.chain_der;
	p.in.chain_len = p.chain_len;
	p.in.n_chain = b->n_certs - 1;
	if ((err = hm_keyless_verify(&r, &p.in, p.root, o->identity)) != HM_OK)
		goto done;
	out->keyless = 1;
	out->cert = r.id;
	memset(&r.id, 0, sizeof(r.id));
	out->identity = hm_fulcio_identity_san(&out->cert, o->identity);
	take_times(out, &r);
	hm_keyless_result_release(&r);
	/* Only now, with the signature verified, is the payload read. */
	if (b->content == HM_BUNDLE_DSSE)
		err = hm_bundle_check_statement(out, b, o);
done:
	pieces_release(&p);
	return err;
}

/* k's DER SubjectPublicKeyInfo, what a log entry records of a managed key. */
static int key_spki(hm_buf *out, const hm_key *k)
{
	hm_buf pem = HM_BUF_INIT;
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	int n = 0, err = hm_key_public_pem(k, &pem);

	if (err)
		return err;
	if ((bio = BIO_new_mem_buf(pem.data, (int)pem.len)) && (pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)))
		n = i2d_PUBKEY(pk, &der);
	err = n > 0 ? hm_buf_add(out, der, (size_t)n) : hm_error_set(HM_E_NOMEM, "encoding the public key");
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	hm_buf_release(&pem);
	return err;
}

int hm_bundle_verify_key_log(hm_bundle_verdict *out, const hm_bundle *b, const hm_bundle_verify_opts *o,
			     const hm_key *k, const unsigned char digest[32])
{
	pieces p;
	hm_keyless_result r;
	hm_buf spki = HM_BUF_INIT;
	int err;

	/* An offline key bundle (what hallmark's sign-blob writes) has neither:
	 * the key alone vouches for it. */
	if (b->n_tlog == 0 && b->n_timestamps == 0)
		return HM_OK;
	memset(&p, 0, sizeof(p));
	if ((err = map_common(&p, b, o, out, digest)) != HM_OK || (err = key_spki(&spki, k)) != HM_OK)
		goto done;
	p.in.key_der = (const unsigned char *)spki.data;
	p.in.key_len = spki.len;
	if ((err = hm_keyless_verify_log(&r, &p.in, p.root)) != HM_OK)
		goto done;
	take_times(out, &r);
	hm_keyless_result_release(&r);
done:
	hm_buf_release(&spki);
	pieces_release(&p);
	return err;
}
