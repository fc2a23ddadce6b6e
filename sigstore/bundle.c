/* SPDX-License-Identifier: Apache-2.0 */
/* Sigstore bundles: parsing the protobuf JSON encoding into hm_bundle.
 *
 * The rules are those of protobuf-specs (sigstore_bundle.proto and the
 * messages it uses) as Go's protojson reads them: a member may be spelled
 * lowerCamelCase or as the proto field name, null means absent, a zero
 * value is the same as an absent one, int64 is a decimal string or a
 * number, bytes are base64 in either alphabet.  On top of the proto's types
 * come the bundle's own rules (one content, one key material, one DSSE
 * signature, what each version requires) and hallmark's caps. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "sigstore/bundle.h"

#define PATH_MAX_LEN 160

/* Records "bundle: <path>: <why>" as HM_E_VERIFY. */
static int bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return hm_error_set(HM_E_VERIFY, "bundle: %s: %s", path, why);
}

/* Appends s to dst (PATH_MAX_LEN bytes), truncating. */
static void path_add(char *dst, const char *s)
{
	size_t have = strlen(dst), add = strlen(s);

	if (add > PATH_MAX_LEN - 1 - have)
		add = PATH_MAX_LEN - 1 - have;
	memcpy(dst + have, s, add);
	dst[have + add] = '\0';
}

/* dst = parent "." name (parent may be dst itself). */
static const char *join(char *dst, const char *parent, const char *name)
{
	char tmp[PATH_MAX_LEN] = "";

	path_add(tmp, parent);
	if (*parent)
		path_add(tmp, ".");
	path_add(tmp, name);
	memcpy(dst, tmp, PATH_MAX_LEN);
	return dst;
}

/* dst = parent "[" i "]" */
static const char *index_path(char *dst, const char *parent, size_t i)
{
	char tmp[PATH_MAX_LEN] = "", num[24];

	path_add(tmp, parent);
	snprintf(num, sizeof(num), "[%zu]", i);
	path_add(tmp, num);
	memcpy(dst, tmp, PATH_MAX_LEN);
	return dst;
}

/* The proto field name of a lowerCamelCase JSON name ("logIndex" -> "log_index"). */
static void snake(char *dst, size_t n, const char *camel)
{
	size_t j = 0;

	for (const char *p = camel; *p && j + 2 < n; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			dst[j++] = '_';
			dst[j++] = (char)(*p - 'A' + 'a');
		} else {
			dst[j++] = *p;
		}
	}
	dst[j] = '\0';
}

/* The member named camel (or its proto name) of obj; *out NULL when absent
 * or null.  A member given twice (under either spelling) is refused. */
static int get(const cJSON **out, const cJSON *obj, const char *camel, const char *parent)
{
	char alt[64], path[PATH_MAX_LEN];
	const cJSON *c;

	*out = NULL;
	snake(alt, sizeof(alt), camel);
	for (c = obj->child; c; c = c->next) {
		if (!c->string || (strcmp(c->string, camel) != 0 && strcmp(c->string, alt) != 0))
			continue;
		if (*out)
			return bad(join(path, parent, camel), "given more than once");
		*out = c;
	}
	if (*out && cJSON_IsNull(*out))
		*out = NULL;
	return HM_OK;
}

static int get_obj(const cJSON **out, const cJSON *obj, const char *name, const char *parent,
		   int required)
{
	char path[PATH_MAX_LEN];
	int err = get(out, obj, name, parent);

	if (err)
		return err;
	if (!*out)
		return required ? bad(join(path, parent, name), "required") : HM_OK;
	if (!cJSON_IsObject(*out))
		return bad(join(path, parent, name), "must be an object");
	return HM_OK;
}

static int get_array(const cJSON **out, size_t *n, const cJSON *obj, const char *name,
		     const char *parent, size_t max)
{
	char path[PATH_MAX_LEN];
	int err = get(out, obj, name, parent);
	int size;

	*n = 0;
	if (err || !*out)
		return err;
	if (!cJSON_IsArray(*out))
		return bad(join(path, parent, name), "must be an array");
	size = cJSON_GetArraySize(*out);
	if (size < 0 || (size_t)size > max)
		return bad(join(path, parent, name), "more than %zu entries", max);
	*n = (size_t)size;
	return HM_OK;
}

/* A string member of at most max bytes, copied; absent gives "" (refused
 * when required). */
static int get_text(char **out, const cJSON *obj, const char *name, const char *parent, int required,
		    size_t max)
{
	char path[PATH_MAX_LEN];
	const cJSON *v;
	int err = get(&v, obj, name, parent);
	size_t len;

	if (err)
		return err;
	if (v && !cJSON_IsString(v))
		return bad(join(path, parent, name), "must be a string");
	len = v ? strlen(v->valuestring) : 0;
	if (required && len == 0)
		return bad(join(path, parent, name), "required");
	if (len > max)
		return bad(join(path, parent, name), "longer than %zu bytes", max);
	free(*out);
	*out = strdup(v ? v->valuestring : "");
	return *out ? HM_OK : hm_error_set(HM_E_NOMEM, "out of memory");
}

static int get_str(char **out, const cJSON *obj, const char *name, const char *parent, int required)
{
	return get_text(out, obj, name, parent, required, HM_BUNDLE_MAX_STRING);
}

/* Decodes base64 that may be wrapped over lines (as Go's decoder allows). */
static int decode_b64(hm_buf *out, const char *s, const char *path)
{
	hm_buf clean = HM_BUF_INIT;
	int err = HM_OK;

	for (const char *p = s; *p && !err; p++)
		if (*p != '\n' && *p != '\r')
			err = hm_buf_addch(&clean, *p);
	if (!err && hm_base64_decode(out, hm_buf_cstr(&clean), clean.len)) {
		char why[128];

		snprintf(why, sizeof(why), "%s", hm_error_message());
		err = bad(path, "%s", why);
	}
	hm_buf_release(&clean);
	return err;
}

/* A bytes member, decoded; absent gives len 0 (refused when required, since
 * proto3 does not tell empty from absent). */
static int get_bytes(hm_buf *out, const cJSON *obj, const char *name, const char *parent,
		     int required, size_t max)
{
	char path[PATH_MAX_LEN];
	const cJSON *v;
	int err = get(&v, obj, name, parent);

	if (err)
		return err;
	join(path, parent, name);
	hm_buf_release(out);
	hm_buf_init(out, 0);
	if (v && !cJSON_IsString(v))
		return bad(path, "must be a base64 string");
	/* base64 of more than max bytes is longer than 4 * (max / 3 + 1) + line breaks */
	if (v && strlen(v->valuestring) > 2 * (size_t)max + 16)
		return bad(path, "larger than %zu bytes", max);
	if (v && (err = decode_b64(out, v->valuestring, path)) != HM_OK)
		return err;
	if (required && out->len == 0)
		return bad(path, "required");
	if (out->len > max)
		return bad(path, "larger than %zu bytes", max);
	return HM_OK;
}

/* An int64 member: a decimal string (as protojson writes it) or an integral
 * number; hallmark's int64 fields are never negative.  Absent gives 0. */
static int get_int64(int64_t *out, const cJSON *obj, const char *name, const char *parent)
{
	char path[PATH_MAX_LEN];
	const cJSON *v;
	int err = get(&v, obj, name, parent);

	*out = 0;
	if (err || !v)
		return err;
	join(path, parent, name);
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		char *end;
		long long n;

		if (*s < '0' || *s > '9')
			return bad(path, "must be a non-negative integer, not '%.32s'", s);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || *end)
			return bad(path, "must be a non-negative integer, not '%.32s'", s);
		*out = n;
		return HM_OK;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d < 0 || d > 9007199254740992.0 || d != (double)(int64_t)d)
			return bad(path, "must be a non-negative integer");
		*out = (int64_t)d;
		return HM_OK;
	}
	return bad(path, "must be an integer (a decimal string)");
}

static const char *const hash_names[] = {
	[HM_HASH_UNSPECIFIED] = "HASH_ALGORITHM_UNSPECIFIED",
	[HM_HASH_SHA2_256] = "SHA2_256",
	[HM_HASH_SHA2_384] = "SHA2_384",
	[HM_HASH_SHA2_512] = "SHA2_512",
	[HM_HASH_SHA3_256] = "SHA3_256",
	[HM_HASH_SHA3_384] = "SHA3_384",
};

static int get_hash_alg(enum hm_hash_alg *out, const cJSON *obj, const char *parent)
{
	char path[PATH_MAX_LEN];
	const cJSON *v;
	int err = get(&v, obj, "algorithm", parent);
	size_t n = sizeof(hash_names) / sizeof(hash_names[0]);

	*out = HM_HASH_UNSPECIFIED;
	if (err || !v)
		return err;
	join(path, parent, "algorithm");
	for (size_t i = 0; i < n; i++) {
		if ((cJSON_IsString(v) && strcmp(v->valuestring, hash_names[i]) == 0) ||
		    (cJSON_IsNumber(v) && v->valuedouble == (double)i)) {
			*out = (enum hm_hash_alg)i;
			return HM_OK;
		}
	}
	return bad(path, "unknown hash algorithm");
}

static int parse_media_type(hm_bundle *b, const cJSON *root)
{
	const size_t plen = strlen(HM_BUNDLE_MEDIA_TYPE_LEGACY);
	int err = get_str(&b->media_type, root, "mediaType", "", 1);
	const char *m = b->media_type;

	if (err)
		return err;
	if (strcmp(m, HM_BUNDLE_MEDIA_TYPE_V03) == 0) {
		b->version = HM_BUNDLE_V03;
		return HM_OK;
	}
	if (strncmp(m, HM_BUNDLE_MEDIA_TYPE_LEGACY, plen) == 0) {
		const char *v = m + plen;

		if (strcmp(v, "0.1") == 0)
			b->version = HM_BUNDLE_V01;
		else if (strcmp(v, "0.2") == 0)
			b->version = HM_BUNDLE_V02;
		else if (strcmp(v, "0.3") == 0)
			b->version = HM_BUNDLE_V03;
		if (b->version)
			return HM_OK;
	}
	return bad("mediaType", "unknown media type '%.80s' (known: bundle v0.1, v0.2, v0.3)", m);
}

static int parse_message_signature(hm_bundle *b, const cJSON *ms)
{
	const char *p = "messageSignature";
	const cJSON *md;
	int err = get_obj(&md, ms, "messageDigest", p, 0);

	if (!err && md) {
		b->has_digest = 1;
		err = get_hash_alg(&b->digest_alg, md, "messageSignature.messageDigest");
		if (!err)
			err = get_bytes(&b->message_digest, md, "digest", "messageSignature.messageDigest", 1,
					HM_BUNDLE_MAX_HASH);
	}
	if (!err)
		err = get_bytes(&b->signature, ms, "signature", p, 1, HM_BUNDLE_MAX_SIG);
	b->content = HM_BUNDLE_MESSAGE_SIGNATURE;
	return err;
}

static int parse_dsse(hm_bundle *b, const cJSON *env)
{
	const char *p = "dsseEnvelope";
	char path[PATH_MAX_LEN];
	const cJSON *sigs, *sig;
	size_t n;
	int err;

	b->content = HM_BUNDLE_DSSE;
	err = get_str(&b->payload_type, env, "payloadType", p, 1);
	if (!err)
		err = get_bytes(&b->payload, env, "payload", p, 1, HM_BUNDLE_MAX_PAYLOAD);
	if (!err)
		err = get_array(&sigs, &n, env, "signatures", p, 1000);
	if (err)
		return err;
	if (n != 1)
		return bad("dsseEnvelope.signatures", "must hold exactly one signature, not %zu", n);
	sig = cJSON_GetArrayItem(sigs, 0);
	index_path(path, "dsseEnvelope.signatures", 0);
	if (!cJSON_IsObject(sig))
		return bad(path, "must be an object");
	err = get_bytes(&b->signature, sig, "sig", path, 1, HM_BUNDLE_MAX_SIG);
	if (!err)
		err = get_str(&b->keyid, sig, "keyid", path, 0);
	return err;
}

static int add_cert(hm_bundle *b, const cJSON *cert, const char *path)
{
	size_t cap = b->n_certs;

	if (!cJSON_IsObject(cert))
		return bad(path, "must be an object");
	if (hm_array_reserve(&b->certs, b->n_certs, &cap, sizeof(*b->certs), 1))
		return HM_E_NOMEM;
	hm_buf_init(&b->certs[b->n_certs], 0);
	b->n_certs++;
	return get_bytes(&b->certs[b->n_certs - 1], cert, "rawBytes", path, 1, HM_BUNDLE_MAX_CERT);
}

static int parse_material_content(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial";
	const cJSON *pk, *chain, *cert, *certs;
	char path[PATH_MAX_LEN], ipath[PATH_MAX_LEN];
	int err, count;
	size_t n;

	if ((err = get_obj(&pk, vm, "publicKey", p, 0)) || (err = get_obj(&chain, vm, "x509CertificateChain", p, 0)) ||
	    (err = get_obj(&cert, vm, "certificate", p, 0)))
		return err;
	count = !!pk + !!chain + !!cert;
	if (count != 1)
		return bad(p, count ? "holds more than one of publicKey, x509CertificateChain, certificate"
				    : "needs one of publicKey, x509CertificateChain, certificate");
	if (pk) {
		b->material = HM_BUNDLE_PUBLIC_KEY;
		return get_str(&b->hint, pk, "hint", "verificationMaterial.publicKey", 0);
	}
	if (cert) {
		if (b->version < HM_BUNDLE_V03)
			return bad("verificationMaterial.certificate", "appears in bundle v0.3 only (this is v%s)",
				   hm_bundle_version_name(b->version));
		b->material = HM_BUNDLE_CERTIFICATE;
		return add_cert(b, cert, "verificationMaterial.certificate");
	}
	if (b->version >= HM_BUNDLE_V03)
		return bad("verificationMaterial.x509CertificateChain",
			   "not allowed in bundle v0.3 (use certificate)");
	b->material = HM_BUNDLE_CERT_CHAIN;
	join(path, p, "x509CertificateChain");
	err = get_array(&certs, &n, chain, "certificates", path, HM_BUNDLE_MAX_CERTS);
	if (err)
		return err;
	join(path, path, "certificates");
	if (n == 0)
		return bad(path, "required");
	for (size_t i = 0; i < n && !err; i++)
		err = add_cert(b, cJSON_GetArrayItem(certs, (int)i), index_path(ipath, path, i));
	return err;
}

static int parse_proof(hm_inclusion_proof *pr, const cJSON *o, const char *path, int need_checkpoint)
{
	char sub[PATH_MAX_LEN], ipath[PATH_MAX_LEN];
	const cJSON *hashes, *cp;
	size_t n, cap = 0;
	int err;

	if ((err = get_int64(&pr->log_index, o, "logIndex", path)) ||
	    (err = get_bytes(&pr->root_hash, o, "rootHash", path, 1, HM_BUNDLE_MAX_HASH)) ||
	    (err = get_int64(&pr->tree_size, o, "treeSize", path)) ||
	    (err = get_array(&hashes, &n, o, "hashes", path, HM_BUNDLE_MAX_PROOF_HASHES)))
		return err;
	if (pr->tree_size <= pr->log_index)
		return bad(path, "logIndex %lld is not below treeSize %lld", (long long)pr->log_index,
			   (long long)pr->tree_size);
	join(sub, path, "hashes");
	for (size_t i = 0; i < n; i++) {
		const cJSON *h = cJSON_GetArrayItem(hashes, (int)i);
		hm_buf *slot;

		index_path(ipath, sub, i);
		if (!cJSON_IsString(h))
			return bad(ipath, "must be a base64 string");
		if (hm_array_reserve(&pr->hashes, pr->n_hashes, &cap, sizeof(*pr->hashes), 8))
			return HM_E_NOMEM;
		slot = &pr->hashes[pr->n_hashes++];
		hm_buf_init(slot, 0);
		if ((err = decode_b64(slot, h->valuestring, ipath)) != HM_OK)
			return err;
		if (slot->len == 0 || slot->len > HM_BUNDLE_MAX_HASH)
			return bad(ipath, "must be a hash of 1 to %d bytes", HM_BUNDLE_MAX_HASH);
	}
	if ((err = get_obj(&cp, o, "checkpoint", path, need_checkpoint)))
		return err;
	if (cp) {
		err = get_text(&pr->checkpoint, cp, "envelope", join(sub, path, "checkpoint"), 1,
			       HM_BUNDLE_MAX_CHECKPOINT);
		if (err)
			return err;
	}
	return HM_OK;
}

static int parse_tlog_entry(hm_bundle_tlog *e, const cJSON *o, const char *path, enum hm_bundle_version v)
{
	char sub[PATH_MAX_LEN];
	const cJSON *id, *kv, *promise, *proof;
	int err;

	if (!cJSON_IsObject(o))
		return bad(path, "must be an object");
	if ((err = get_int64(&e->log_index, o, "logIndex", path)) || (err = get_obj(&id, o, "logId", path, 1)) ||
	    (err = get_bytes(&e->log_id, id, "keyId", join(sub, path, "logId"), 1, HM_BUNDLE_MAX_HASH)) ||
	    (err = get_obj(&kv, o, "kindVersion", path, 1)) ||
	    (err = get_str(&e->kind, kv, "kind", join(sub, path, "kindVersion"), 1)) ||
	    (err = get_str(&e->version, kv, "version", sub, 1)) ||
	    (err = get_int64(&e->integrated_time, o, "integratedTime", path)) ||
	    (err = get_obj(&promise, o, "inclusionPromise", path, 0)) ||
	    (err = get_obj(&proof, o, "inclusionProof", path, 0)) ||
	    (err = get_bytes(&e->canonicalized_body, o, "canonicalizedBody", path, 0, HM_BUNDLE_MAX_BODY)))
		return err;
	if (promise) {
		e->has_promise = 1;
		err = get_bytes(&e->signed_entry_timestamp, promise, "signedEntryTimestamp",
				join(sub, path, "inclusionPromise"), 1, HM_BUNDLE_MAX_SIG);
		if (err)
			return err;
	} else if (v == HM_BUNDLE_V01) {
		return bad(join(sub, path, "inclusionPromise"), "required in bundle v0.1");
	}
	if (proof) {
		e->has_proof = 1;
		return parse_proof(&e->proof, proof, join(sub, path, "inclusionProof"), v >= HM_BUNDLE_V02);
	}
	if (v >= HM_BUNDLE_V02)
		return bad(join(sub, path, "inclusionProof"), "required from bundle v0.2 on");
	return HM_OK;
}

static int same_buf(const hm_buf *a, const hm_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int parse_tlog(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial.tlogEntries";
	char path[PATH_MAX_LEN];
	const cJSON *arr;
	size_t n;
	int err = get_array(&arr, &n, vm, "tlogEntries", "verificationMaterial", HM_BUNDLE_MAX_TLOG);

	if (err || n == 0)
		return err;
	b->tlog = calloc(n, sizeof(*b->tlog));
	if (!b->tlog)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		hm_bundle_tlog *e = &b->tlog[i];

		b->n_tlog = i + 1;
		err = parse_tlog_entry(e, cJSON_GetArrayItem(arr, (int)i), index_path(path, p, i), b->version);
		if (err)
			return err;
		/* One entry counted twice would fake a threshold of two logs. */
		for (size_t j = 0; j < i; j++)
			if (b->tlog[j].log_index == e->log_index && same_buf(&b->tlog[j].log_id, &e->log_id))
				return bad(path, "the same entry as tlogEntries[%zu] (log id and index)", j);
	}
	return HM_OK;
}

static int parse_timestamps(hm_bundle *b, const cJSON *vm)
{
	const char *p = "verificationMaterial.timestampVerificationData";
	char sub[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const cJSON *tvd, *arr;
	size_t n;
	int err = get_obj(&tvd, vm, "timestampVerificationData", "verificationMaterial", 0);

	if (err || !tvd)
		return err;
	err = get_array(&arr, &n, tvd, "rfc3161Timestamps", p, HM_BUNDLE_MAX_TIMESTAMPS);
	if (err || n == 0)
		return err;
	join(sub, p, "rfc3161Timestamps");
	b->timestamps = calloc(n, sizeof(*b->timestamps));
	if (!b->timestamps)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cJSON *ts = cJSON_GetArrayItem(arr, (int)i);

		index_path(path, sub, i);
		b->n_timestamps = i + 1;
		if (!cJSON_IsObject(ts))
			return bad(path, "must be an object");
		err = get_bytes(&b->timestamps[i], ts, "signedTimestamp", path, 1, HM_BUNDLE_MAX_TIMESTAMP);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (same_buf(&b->timestamps[j], &b->timestamps[i]))
				return bad(path, "the same timestamp as rfc3161Timestamps[%zu]", j);
	}
	return HM_OK;
}

int hm_bundle_parse(hm_bundle *out, const void *json, size_t len)
{
	const cJSON *ms, *env, *vm;
	cJSON *root = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (len > HM_BUNDLE_MAX)
		return hm_error_set(HM_E_VERIFY, "bundle: larger than the %u-byte limit", HM_BUNDLE_MAX);
	root = hm_json_parse(json, len, "bundle");
	if (!root)
		return hm_error_wrap(HM_E_VERIFY, "malformed");
	if (!cJSON_IsObject(root)) {
		err = hm_error_set(HM_E_VERIFY, "bundle: not a JSON object");
		goto done;
	}
	if ((err = parse_media_type(out, root)) || (err = get_obj(&ms, root, "messageSignature", "", 0)) ||
	    (err = get_obj(&env, root, "dsseEnvelope", "", 0)))
		goto done;
	if (!ms == !env) {
		err = hm_error_set(HM_E_VERIFY, "bundle: %s", ms ? "holds both messageSignature and dsseEnvelope"
								 : "needs messageSignature or dsseEnvelope");
		goto done;
	}
	if ((err = ms ? parse_message_signature(out, ms) : parse_dsse(out, env)) ||
	    (err = get_obj(&vm, root, "verificationMaterial", "", 1)) || (err = parse_material_content(out, vm)) ||
	    (err = parse_tlog(out, vm)) || (err = parse_timestamps(out, vm)))
		goto done;
	if (!out->keyid)
		out->keyid = strdup("");
	if (!out->hint)
		out->hint = strdup("");
	if (!out->keyid || !out->hint)
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	cJSON_Delete(root);
	return err;
}

const char *hm_bundle_version_name(enum hm_bundle_version v)
{
	switch (v) {
	case HM_BUNDLE_V01:
		return "0.1";
	case HM_BUNDLE_V02:
		return "0.2";
	case HM_BUNDLE_V03:
		return "0.3";
	}
	return "?";
}

static void free_bufs(hm_buf *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hm_buf_release(&v[i]);
	free(v);
}

void hm_bundle_free(hm_bundle *b)
{
	if (!b)
		return;
	free(b->media_type);
	hm_buf_release(&b->message_digest);
	hm_buf_release(&b->signature);
	free(b->payload_type);
	hm_buf_release(&b->payload);
	free(b->keyid);
	free(b->hint);
	free_bufs(b->certs, b->n_certs);
	for (size_t i = 0; i < b->n_tlog; i++) {
		hm_bundle_tlog *e = &b->tlog[i];

		hm_buf_release(&e->log_id);
		free(e->kind);
		free(e->version);
		hm_buf_release(&e->signed_entry_timestamp);
		hm_buf_release(&e->proof.root_hash);
		free_bufs(e->proof.hashes, e->proof.n_hashes);
		free(e->proof.checkpoint);
		hm_buf_release(&e->canonicalized_body);
	}
	free(b->tlog);
	free_bufs(b->timestamps, b->n_timestamps);
	memset(b, 0, sizeof(*b));
}
