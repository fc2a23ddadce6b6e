/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "core/array.h"
#include "core/base64.h"
#include "core/error.h"
#include "core/time.h"
#include "core/file.h"
#include "core/json.h"
#include "sigstore/trustroot.h"

/* Generated at build time from sigstore/data/trusted_root.json (Makefile). */
extern const unsigned char hm_trustroot_builtin_data[];
extern const unsigned long hm_trustroot_builtin_len;

int hm_trust_valid_at(int64_t start, int64_t end, int64_t t)
{
	return start <= t && t <= end;
}

int hm_trust_log_key_hint(unsigned char hint[4], EVP_PKEY *key, const char *origin)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		unsigned char raw[32];
		size_t rawlen = sizeof(raw);
		size_t olen = strlen(origin);
		unsigned char *msg;

		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1 || rawlen != 32)
			return hm_error_set(HM_E_IO, "reading an Ed25519 log key");
		if (!(msg = malloc(olen + 2 + rawlen)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		memcpy(msg, origin, olen);
		memcpy(msg + olen, "\n\x01", 2);
		memcpy(msg + olen + 2, raw, rawlen);
		SHA256(msg, olen + 2 + rawlen, md);
		free(msg);
	} else {
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(key, &der);

		if (n <= 0)
			return hm_error_set(HM_E_IO, "encoding a log key");
		SHA256(der, (size_t)n, md);
		OPENSSL_free(der);
	}
	memcpy(hint, md, 4);
	return HM_OK;
}

/* validFor {start, end}: start required (a root without it is malformed;
 * treating it as unbounded would widen trust), end optional. */
static int parse_window(int64_t *start, int64_t *end, const cJSON *obj, const char *what)
{
	const cJSON *vf = cJSON_GetObjectItemCaseSensitive(obj, "validFor");
	const char *s = hm_json_str(vf, "start"), *e = hm_json_str(vf, "end");

	*start = HM_TRUST_FOREVER;
	*end = HM_TRUST_FOREVER;
	if (vf && !cJSON_IsObject(vf))
		return hm_error_set(HM_E_IO, "%s: validFor is not an object", what);
	if (s && hm_time_parse(start, s) != HM_OK)
		return hm_error_wrap(HM_E_IO, "%s: validFor.start", what);
	if (e && hm_time_parse(end, e) != HM_OK)
		return hm_error_wrap(HM_E_IO, "%s: validFor.end", what);
	if (!s)
		return hm_error_set(HM_E_IO, "%s: validFor.start is required", what);
	return HM_OK;
}

static char *dupstr(const char *s)
{
	return strdup(s ? s : "");
}

static void ca_release(hm_trust_ca *ca)
{
	for (size_t i = 0; i < ca->n_certs; i++)
		X509_free(ca->certs[i]);
	free(ca->certs);
	free(ca->uri);
	free(ca->organization);
	free(ca->common_name);
}

static void log_release(hm_trust_log *l)
{
	EVP_PKEY_free(l->key);
	free(l->base_url);
	free(l->origin);
	free(l->key_details);
}

void hm_trustroot_free(hm_trustroot *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_cas; i++)
		ca_release(&r->cas[i]);
	for (size_t i = 0; i < r->n_tsas; i++)
		ca_release(&r->tsas[i]);
	for (size_t i = 0; i < r->n_tlogs; i++)
		log_release(&r->tlogs[i]);
	for (size_t i = 0; i < r->n_ctlogs; i++)
		log_release(&r->ctlogs[i]);
	free(r->cas);
	free(r->tsas);
	free(r->tlogs);
	free(r->ctlogs);
	free(r);
}

static int decode_b64(hm_buf *out, const cJSON *obj, const char *key, const char *what)
{
	const char *s = hm_json_str(obj, key);

	if (!s)
		return hm_error_set(HM_E_IO, "%s: missing %s", what, key);
	if (hm_base64_decode(out, s, strlen(s)) != HM_OK)
		return hm_error_wrap(HM_E_IO, "%s: %s", what, key);
	return HM_OK;
}

/* One certificateAuthorities / timestampAuthorities entry.  Returns 1 when
 * parsed, 0 when skipped (a certificate OpenSSL refuses), negative on error. */
static int parse_ca(hm_trust_ca *ca, const cJSON *j, const char *what)
{
	const cJSON *chain = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "certChain"),
							      "certificates");
	const cJSON *subj = cJSON_GetObjectItemCaseSensitive(j, "subject");
	const cJSON *c;
	hm_buf der = HM_BUF_INIT;
	int err;

	memset(ca, 0, sizeof(*ca));
	if (!cJSON_IsObject(j) || !cJSON_IsArray(chain))
		return hm_error_set(HM_E_IO, "%s: missing certChain.certificates", what);
	if (cJSON_GetArraySize(chain) < 1 || cJSON_GetArraySize(chain) > HM_TRUSTROOT_MAX_CHAIN)
		return hm_error_set(HM_E_IO, "%s: certChain has %d certificates (1 to %d allowed)", what,
				    cJSON_GetArraySize(chain), HM_TRUSTROOT_MAX_CHAIN);
	if ((err = parse_window(&ca->start, &ca->end, j, what)) != HM_OK)
		return err;
	ca->certs = calloc((size_t)cJSON_GetArraySize(chain), sizeof(*ca->certs));
	ca->uri = dupstr(hm_json_str(j, "uri"));
	ca->organization = dupstr(hm_json_str(subj, "organization"));
	ca->common_name = dupstr(hm_json_str(subj, "commonName"));
	if (!ca->certs || !ca->uri || !ca->organization || !ca->common_name) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(c, chain) {
		const unsigned char *p;
		X509 *x;

		hm_buf_reset(&der);
		if ((err = decode_b64(&der, c, "rawBytes", what)) != HM_OK)
			goto fail;
		p = (const unsigned char *)der.data;
		x = d2i_X509(NULL, &p, (long)der.len);
		if (!x || p != (const unsigned char *)der.data + der.len) {
			X509_free(x);
			err = 0; /* skipped */
			goto fail;
		}
		ca->certs[ca->n_certs++] = x;
	}
	hm_buf_release(&der);
	return 1;
fail:
	hm_buf_release(&der);
	ca_release(ca);
	memset(ca, 0, sizeof(*ca));
	return err;
}

static char *host_of(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	return strndup(p, (size_t)(e - p));
}

static EVP_PKEY *load_key(const hm_buf *der, const char *details)
{
	const unsigned char *p = (const unsigned char *)der->data;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)der->len);

	if (k && p == (const unsigned char *)der->data + der->len)
		return k;
	EVP_PKEY_free(k);
	if (details && strncmp(details, "PKCS1_RSA", 9) == 0) {
		p = (const unsigned char *)der->data;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der->len);
		if (k && p == (const unsigned char *)der->data + der->len)
			return k;
		EVP_PKEY_free(k);
	}
	return NULL;
}

/* One tlogs / ctlogs entry: 1 parsed, 0 skipped (unusable key), <0 error. */
static int parse_log(hm_trust_log *l, const cJSON *j, const char *what)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(j, "publicKey");
	const cJSON *lid = cJSON_GetObjectItemCaseSensitive(j, "logId");
	const cJSON *ckid = cJSON_GetObjectItemCaseSensitive(j, "checkpointKeyId");
	hm_buf der = HM_BUF_INIT, id = HM_BUF_INIT;
	int err;

	memset(l, 0, sizeof(*l));
	if (!cJSON_IsObject(j) || !cJSON_IsObject(pk) || !cJSON_IsObject(lid))
		return hm_error_set(HM_E_IO, "%s: missing publicKey or logId", what);
	if ((err = parse_window(&l->start, &l->end, pk, what)) != HM_OK)
		return err;
	if ((err = decode_b64(&id, lid, "keyId", what)) != HM_OK)
		goto done;
	if (id.len == 0 || id.len > sizeof(l->log_id)) {
		err = hm_error_set(HM_E_IO, "%s: logId.keyId has %zu bytes", what, id.len);
		goto done;
	}
	memcpy(l->log_id, id.data, id.len);
	l->log_id_len = id.len;
	l->base_url = dupstr(hm_json_str(j, "baseUrl"));
	l->key_details = dupstr(hm_json_str(pk, "keyDetails"));
	l->origin = l->base_url ? host_of(l->base_url) : NULL;
	if (!l->base_url || !l->key_details || !l->origin) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (!hm_json_str(pk, "rawBytes") || decode_b64(&der, pk, "rawBytes", what) != HM_OK ||
	    !(l->key = load_key(&der, l->key_details))) {
		err = 0; /* a log whose key cannot be used is skipped */
		goto done;
	}
	if ((err = hm_trust_log_key_hint(l->key_hint, l->key, l->origin)) != HM_OK)
		goto done;
	if (cJSON_IsObject(ckid)) {
		/* v0.2: the checkpoint key id, when given, is what checkpoints carry. */
		hm_buf_reset(&id);
		if ((err = decode_b64(&id, ckid, "keyId", what)) != HM_OK)
			goto done;
		if (id.len < 4) {
			err = hm_error_set(HM_E_IO, "%s: checkpointKeyId shorter than 4 bytes", what);
			goto done;
		}
		memcpy(l->key_hint, id.data, 4);
	}
	err = 1;
done:
	hm_buf_release(&der);
	hm_buf_release(&id);
	if (err != 1) {
		log_release(l);
		memset(l, 0, sizeof(*l));
	}
	return err;
}

typedef int (*parse_fn)(void *elem, const cJSON *j, const char *what);

static int parse_list(void **arr, size_t *n, size_t elem, const cJSON *root, const char *key,
		      parse_fn fn, const char *what)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key), *j;
	char where[128];
	size_t cap = 0;
	int i = 0, err;

	if (!list)
		return HM_OK;
	if (!cJSON_IsArray(list))
		return hm_error_set(HM_E_IO, "%s: %s is not an array", what, key);
	if (cJSON_GetArraySize(list) > HM_TRUSTROOT_MAX_ENTRIES)
		return hm_error_set(HM_E_IO, "%s: more than %d %s", what, HM_TRUSTROOT_MAX_ENTRIES, key);
	cJSON_ArrayForEach(j, list) {
		snprintf(where, sizeof(where), "%s: %s[%d]", what, key, i++);
		if (hm_array_reserve(arr, *n, &cap, elem, 4) != HM_OK)
			return hm_error_set(HM_E_NOMEM, "out of memory");
		err = fn((char *)*arr + *n * elem, j, where);
		if (err < 0)
			return err;
		if (err == 1)
			(*n)++;
	}
	return HM_OK;
}

static int parse_ca_fn(void *e, const cJSON *j, const char *what) { return parse_ca(e, j, what); }
static int parse_log_fn(void *e, const cJSON *j, const char *what) { return parse_log(e, j, what); }

static int media_type_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.dev.sigstore.trustedroot.v0.1+json",
		"application/vnd.dev.sigstore.trustedroot.v0.2+json",
		"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"application/vnd.dev.sigstore.trustedroot+json;version=0.2",
	};

	for (size_t i = 0; mt && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return 1;
	return 0;
}

int hm_trustroot_from_json(hm_trustroot **out, const cJSON *root, const char *what)
{
	hm_trustroot *r;
	const char *mt = hm_json_str(root, "mediaType");
	int err;

	*out = NULL;
	if (!cJSON_IsObject(root))
		return hm_error_set(HM_E_IO, "%s: not a JSON object", what);
	if (!media_type_ok(mt))
		return hm_error_set(HM_E_IO, "%s: unsupported trusted root media type '%.100s'", what,
				    mt ? mt : "(none)");
	if (!(r = calloc(1, sizeof(*r))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if ((err = parse_list((void **)&r->cas, &r->n_cas, sizeof(hm_trust_ca), root,
			      "certificateAuthorities", parse_ca_fn, what)) != HM_OK ||
	    (err = parse_list((void **)&r->tsas, &r->n_tsas, sizeof(hm_trust_ca), root,
			      "timestampAuthorities", parse_ca_fn, what)) != HM_OK ||
	    (err = parse_list((void **)&r->tlogs, &r->n_tlogs, sizeof(hm_trust_log), root, "tlogs",
			      parse_log_fn, what)) != HM_OK ||
	    (err = parse_list((void **)&r->ctlogs, &r->n_ctlogs, sizeof(hm_trust_log), root, "ctlogs",
			      parse_log_fn, what)) != HM_OK) {
		hm_trustroot_free(r);
		return err;
	}
	*out = r;
	return HM_OK;
}

int hm_trustroot_parse(hm_trustroot **out, const void *json, size_t len, const char *what)
{
	cJSON *j;
	int err;

	*out = NULL;
	if (len > HM_TRUSTROOT_MAX_BYTES)
		return hm_error_set(HM_E_IO, "%s: trusted root exceeds the %u-byte limit", what,
				    HM_TRUSTROOT_MAX_BYTES);
	if (!(j = hm_json_parse(json, len, what)))
		return HM_E_IO;
	err = hm_trustroot_from_json(out, j, what);
	cJSON_Delete(j);
	return err;
}

int hm_trustroot_load(hm_trustroot **out, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	int err;

	*out = NULL;
	if ((err = hm_file_read(&b, path, HM_TRUSTROOT_MAX_BYTES)) == HM_OK)
		err = hm_trustroot_parse(out, b.data, b.len, path);
	hm_buf_release(&b);
	return err == HM_E_NOMEM ? err : (err ? HM_E_IO : HM_OK);
}

const unsigned char *hm_trustroot_builtin_bytes(size_t *len)
{
	*len = (size_t)hm_trustroot_builtin_len;
	return hm_trustroot_builtin_data;
}

int hm_trustroot_builtin(hm_trustroot **out)
{
	return hm_trustroot_parse(out, hm_trustroot_builtin_data, (size_t)hm_trustroot_builtin_len,
				  "built-in Sigstore trusted root");
}

static const hm_trust_log *by_id(const hm_trust_log *logs, size_t n, const unsigned char *id,
				 size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (logs[i].log_id_len == len && memcmp(logs[i].log_id, id, len) == 0)
			return &logs[i];
	return NULL;
}

const hm_trust_log *hm_trustroot_tlog_by_id(const hm_trustroot *r, const unsigned char *id, size_t len)
{
	return by_id(r->tlogs, r->n_tlogs, id, len);
}

const hm_trust_log *hm_trustroot_ctlog_by_id(const hm_trustroot *r, const unsigned char *id, size_t len)
{
	return by_id(r->ctlogs, r->n_ctlogs, id, len);
}

const hm_trust_log *hm_trustroot_tlog_by_hint(const hm_trustroot *r, const char *origin,
					      const unsigned char hint[4])
{
	for (size_t i = 0; i < r->n_tlogs; i++)
		if (strcmp(r->tlogs[i].origin, origin) == 0 && memcmp(r->tlogs[i].key_hint, hint, 4) == 0)
			return &r->tlogs[i];
	return NULL;
}
