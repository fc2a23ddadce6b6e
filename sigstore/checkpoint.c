/* SPDX-License-Identifier: Apache-2.0 */
/* Merkle inclusion proofs (RFC 6962 / RFC 9162) and signed checkpoints
 * (C2SP signed-note, tlog-checkpoint). */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/error.h"
#include "sigstore/rekor.h"

void hm_rekor_leaf_hash(unsigned char out[32], const void *body, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 32;

	/* Only allocation can fail here; a zero hash then matches nothing. */
	memset(out, 0, 32);
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, "\0", 1) &&
	    EVP_DigestUpdate(c, body, len))
		EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

static void node_hash(unsigned char out[32], const unsigned char *l, const unsigned char *r)
{
	unsigned char buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	SHA256(buf, sizeof(buf), out);
}

int hm_rekor_root_from_proof(unsigned char root[32], const unsigned char leaf[32], uint64_t index,
			     uint64_t size, const unsigned char *hashes, size_t n)
{
	uint64_t fn = index, sn;
	unsigned char r[32];

	if (size == 0 || index >= size)
		return hm_error_set(HM_E_VERIFY, "inclusion proof: index %llu is outside a tree of size %llu",
				    (unsigned long long)index, (unsigned long long)size);
	if (n > HM_MAX_PROOF_HASHES)
		return hm_error_set(HM_E_VERIFY, "inclusion proof has %zu hashes (at most %d)", n,
				    HM_MAX_PROOF_HASHES);
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = hashes + 32 * i;

		if (sn == 0)
			return hm_error_set(HM_E_VERIFY, "inclusion proof has more hashes than the tree needs");
		if ((fn & 1) || fn == sn) {
			node_hash(r, p, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(r, r, p);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return hm_error_set(HM_E_VERIFY, "inclusion proof has fewer hashes than the tree needs");
	memcpy(root, r, 32);
	return HM_OK;
}

static int parse_u64(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The note text: origin, size, base64 root, optional extension lines. */
static int parse_text(hm_checkpoint *out, const char *t, size_t len)
{
	const char *line[3];
	size_t llen[3], at = 0;
	hm_buf root = HM_BUF_INIT;
	int err = HM_OK;

	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(t + at, '\n', len - at);

		if (!nl)
			return hm_error_set(HM_E_VERIFY, "checkpoint: missing %s line",
					    i == 0 ? "origin" : i == 1 ? "tree size" : "root hash");
		line[i] = t + at;
		llen[i] = (size_t)(nl - line[i]);
		at += llen[i] + 1;
	}
	if (llen[0] == 0 || llen[0] >= sizeof(out->origin) || memchr(line[0], 0, llen[0]))
		return hm_error_set(HM_E_VERIFY, "checkpoint: missing or overlong origin");
	memcpy(out->origin, line[0], llen[0]);
	out->origin[llen[0]] = 0;
	if (parse_u64(&out->size, line[1], llen[1]) != 0)
		return hm_error_set(HM_E_VERIFY, "checkpoint: invalid tree size");
	if (llen[2] == 0 || hm_base64_decode(&root, line[2], llen[2]) != HM_OK || root.len != 32)
		err = hm_error_set(HM_E_VERIFY, "checkpoint: invalid root hash");
	else
		memcpy(out->root, root.data, 32);
	hm_buf_release(&root);
	return err;
}

static int verify_sig(const hm_trust_log *log, const char *msg, size_t len, const unsigned char *sig,
		      size_t siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ed = EVP_PKEY_get_base_id(log->key) == EVP_PKEY_ED25519, ok;

	ok = c && EVP_DigestVerifyInit(c, NULL, ed ? NULL : EVP_sha256(), NULL, log->key) == 1 &&
	     EVP_DigestVerify(c, sig, siglen, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

int hm_checkpoint_verify(hm_checkpoint *out, const char *note, size_t len, const hm_trust_log *log)
{
	static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */
	const char *sep, *p, *end = note + len;
	size_t textlen, nameLen = strlen(log->origin);
	hm_buf sig = HM_BUF_INIT;
	int err, nsigs = 0, verified = 0;

	memset(out, 0, sizeof(*out));
	if (len > HM_MAX_CHECKPOINT)
		return hm_error_set(HM_E_VERIFY, "checkpoint exceeds %u bytes", HM_MAX_CHECKPOINT);
	if (len == 0 || memchr(note, 0, len))
		return hm_error_set(HM_E_VERIFY, "checkpoint: empty or contains NUL");
	if (!(sep = memmem(note, len, "\n\n", 2)))
		return hm_error_set(HM_E_VERIFY, "checkpoint: no signature block");
	textlen = (size_t)(sep - note) + 1;
	if ((err = parse_text(out, note, textlen)) != HM_OK)
		return err;
	if (note[len - 1] != '\n')
		return hm_error_set(HM_E_VERIFY, "checkpoint: signature block does not end with a newline");
	for (p = sep + 2; p < end && !err; nsigs++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *name, *sp;

		if (nsigs >= HM_REKOR_MAX_NOTE_SIGS) {
			err = hm_error_set(HM_E_VERIFY, "checkpoint has more than %d signatures", HM_REKOR_MAX_NOTE_SIGS);
			break;
		}
		if ((size_t)(nl - p) < sizeof(dash) - 1 || memcmp(p, dash, sizeof(dash) - 1) != 0) {
			err = hm_error_set(HM_E_VERIFY, "checkpoint: malformed signature line");
			break;
		}
		name = p + sizeof(dash) - 1;
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp || sp == name) {
			err = hm_error_set(HM_E_VERIFY, "checkpoint: malformed signature line");
			break;
		}
		hm_buf_reset(&sig);
		if (hm_base64_decode(&sig, sp + 1, (size_t)(nl - sp - 1)) != HM_OK || sig.len < 5) {
			err = hm_error_set(HM_E_VERIFY, "checkpoint: malformed signature");
			break;
		}
		if (!verified && (size_t)(sp - name) == nameLen && memcmp(name, log->origin, nameLen) == 0 &&
		    memcmp(sig.data, log->key_hint, 4) == 0 &&
		    verify_sig(log, note, textlen, (unsigned char *)sig.data + 4, sig.len - 4))
			verified = 1;
		p = nl + 1;
	}
	hm_buf_release(&sig);
	if (!err && !verified)
		err = hm_error_set(HM_E_VERIFY, "checkpoint carries no valid signature by log '%s'", log->origin);
	return err;
}

int hm_rekor_verify_inclusion(const hm_tlog_entry *e, const hm_trustroot *tr)
{
	const hm_trust_log *log = hm_trustroot_tlog_by_id(tr, e->log_id, e->log_id_len);
	unsigned char leaf[32], root[32];
	hm_checkpoint cp;
	size_t olen;
	int err;

	if (!e->has_proof)
		return hm_error_set(HM_E_VERIFY, "transparency log entry has no inclusion proof");
	if (!log)
		return hm_error_set(HM_E_VERIFY, "transparency log entry is from a log not in the trusted root");
	if (e->proof_index < 0 || e->tree_size < 0 || e->root_hash_len != 32)
		return hm_error_set(HM_E_VERIFY, "inclusion proof: invalid index, size or root hash");
	if (e->body_len > HM_MAX_TLOG_BODY)
		return hm_error_set(HM_E_VERIFY, "log entry body exceeds %u bytes", HM_MAX_TLOG_BODY);
	hm_rekor_leaf_hash(leaf, e->body, e->body_len);
	if ((err = hm_rekor_root_from_proof(root, leaf, (uint64_t)e->proof_index, (uint64_t)e->tree_size,
					    e->hashes, e->n_hashes)) != HM_OK)
		return err;
	if (memcmp(root, e->root_hash, 32) != 0)
		return hm_error_set(HM_E_VERIFY, "inclusion proof does not lead to the stated root hash");
	if (!e->checkpoint)
		return hm_error_set(HM_E_VERIFY, "inclusion proof has no checkpoint");
	if ((err = hm_checkpoint_verify(&cp, e->checkpoint, e->checkpoint_len, log)) != HM_OK)
		return err;
	olen = strlen(log->origin);
	if (strcmp(cp.origin, log->origin) != 0 &&
	    !(strncmp(cp.origin, log->origin, olen) == 0 && strncmp(cp.origin + olen, " - ", 3) == 0))
		return hm_error_set(HM_E_VERIFY, "checkpoint origin '%s' is not log '%s'", cp.origin, log->origin);
	if (cp.size != (uint64_t)e->tree_size || memcmp(cp.root, root, 32) != 0)
		return hm_error_set(HM_E_VERIFY, "checkpoint tree size or root hash differs from the inclusion proof");
	return HM_OK;
}
