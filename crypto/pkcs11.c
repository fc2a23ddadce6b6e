/* SPDX-License-Identifier: Apache-2.0 */
/* The PKCS#11 back-end: keys that stay on a token (a smart card, an HSM,
 * SoftHSM).  The module named by the URI's module-path is loaded with
 * dlopen and driven through its function list (the PKCS#11 header comes
 * from p11-kit; nothing of p11-kit is linked).  The private key never
 * leaves the token: signing is C_Sign over the SHA-256 of the data
 * (CKM_ECDSA, or CKM_RSA_PKCS over the DigestInfo), and the public half is
 * read from the token's public key object into an EVP_PKEY, which is what
 * verification and fingerprints use.
 *
 * Why not an OpenSSL engine or provider: the engine API is deprecated in
 * OpenSSL 3 (and -Werror), and Debian 12 ships no PKCS#11 provider.  Talking
 * to the module directly is about as much code, keeps the PIN in memory we
 * wipe, and lets every failure say which token, key or PIN was wrong. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/key_impl.h"
#include "crypto/pass.h"
#include "crypto/pkcs11_uri.h"

/* Caps on what a token reports, so that a broken module cannot make us
 * allocate without bound. */
#define MAX_SLOTS 256
#define MAX_MATCHES 16
#define MAX_ATTR 2048 /* an attribute value (EC point, RSA modulus) */
#define MAX_SIG 1024  /* RSA-8192 */

/* A loaded module, shared by every key that uses it: C_Finalize must run
 * once, after the last key is freed.  Not thread-safe: keys are loaded by
 * the CLI before any worker thread starts. */
struct module {
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int finalize; /* we initialised it */
	unsigned refs;
	struct module *next;
};
static struct module *modules;

struct token_key {
	struct module *m;
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE priv;
	CK_KEY_TYPE type;
	int logged_in;
};

static const char *rv_text(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "wrong PIN";
	case CKR_PIN_LOCKED:
		return "the PIN is locked";
	case CKR_PIN_LEN_RANGE:
		return "PIN of the wrong length";
	case CKR_PIN_EXPIRED:
		return "the PIN has expired";
	case CKR_TOKEN_NOT_PRESENT:
		return "token not present";
	case CKR_DEVICE_REMOVED:
		return "device removed";
	case CKR_USER_NOT_LOGGED_IN:
		return "not logged in";
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return "the key may not sign";
	case CKR_MECHANISM_INVALID:
		return "mechanism not supported by the token";
	default:
		return "PKCS#11 error";
	}
}

static void module_put(struct module *m)
{
	struct module **pp;

	if (!m || --m->refs > 0)
		return;
	for (pp = &modules; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	if (m->finalize)
		m->f->C_Finalize(NULL);
	dlclose(m->dl);
	free(m->path);
	free(m);
}

static int module_get(struct module **out, const char *path)
{
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	struct module *m;
	const char *why;
	CK_RV rv;

	*out = NULL;
	if (!path)
		return hm_error_set(HM_E_USAGE,
				    "PKCS#11 URI has no module-path (add ?module-path=/path/to/module.so)");
	if (path[0] != '/')
		return hm_error_set(HM_E_USAGE, "PKCS#11 module-path must be absolute");
	for (m = modules; m; m = m->next)
		if (strcmp(m->path, path) == 0) {
			m->refs++;
			*out = m;
			return HM_OK;
		}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl) {
		why = dlerror();
		hm_error_set(HM_E_IO, "loading PKCS#11 module: %.300s", why ? why : path);
		goto fail;
	}
	*(void **)&get_list = dlsym(m->dl, "C_GetFunctionList");
	if (!get_list || get_list(&m->f) != CKR_OK || !m->f) {
		hm_error_set(HM_E_IO, "loading PKCS#11 module '%s': no C_GetFunctionList", path);
		goto fail;
	}
	rv = m->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		hm_error_set(HM_E_IO, "initialising PKCS#11 module '%s': %s (0x%lx)", path,
			     rv_text(rv), (unsigned long)rv);
		goto fail;
	}
	m->finalize = rv == CKR_OK;
	m->refs = 1;
	m->next = modules;
	modules = m;
	*out = m;
	return HM_OK;
fail:
	if (m->dl)
		dlclose(m->dl);
	free(m->path);
	free(m);
	return HM_E_IO;
}

/* Whether a blank-padded token field equals want. */
static int field_is(const unsigned char *field, size_t width, const char *want)
{
	size_t n = width;

	while (n > 0 && field[n - 1] == ' ')
		n--;
	return strlen(want) == n && memcmp(field, want, n) == 0;
}

static int token_matches(const CK_TOKEN_INFO *t, const hm_p11_uri *u)
{
	return (!u->token || field_is(t->label, sizeof(t->label), u->token)) &&
	       (!u->manufacturer || field_is(t->manufacturerID, sizeof(t->manufacturerID), u->manufacturer)) &&
	       (!u->model || field_is(t->model, sizeof(t->model), u->model)) &&
	       (!u->serial || field_is(t->serialNumber, sizeof(t->serialNumber), u->serial));
}

/* The one initialised token the URI selects. */
static int find_slot(CK_SLOT_ID *out, struct module *m, const hm_p11_uri *u, const char *what)
{
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG n = MAX_SLOTS, found = 0;
	CK_TOKEN_INFO info;
	CK_RV rv = m->f->C_GetSlotList(CK_TRUE, slots, &n);

	if (rv != CKR_OK)
		return hm_error_set(HM_E_IO, "listing the slots of PKCS#11 module '%s': %s (0x%lx)",
				    m->path, rv_text(rv), (unsigned long)rv);
	for (CK_ULONG i = 0; i < n; i++) {
		if (u->has_slot_id && slots[i] != u->slot_id)
			continue;
		if (m->f->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
		    !(info.flags & CKF_TOKEN_INITIALIZED) || !token_matches(&info, u))
			continue;
		if (found++ == 0)
			*out = slots[i];
	}
	if (found == 0)
		return hm_error_set(HM_E_IO, "'%s': no initialised token matches in module '%s'", what,
				    m->path);
	if (found > 1)
		return hm_error_set(HM_E_USAGE, "'%s': %lu tokens match (add token= or serial=)", what,
				    (unsigned long)found);
	return HM_OK;
}

/* The PIN: pin-value, pin-source, $HALLMARK_PKCS11_PIN, $COSIGN_PKCS11_PIN,
 * the terminal.  source names where it came from (never the PIN). */
static int read_pin(char **pin, size_t *len, char source[HM_PASS_SOURCE_MAX], const hm_p11_uri *u,
		    const char *what)
{
	const char *env, *name = "HALLMARK_PKCS11_PIN";

	if (u->pin_value) {
		snprintf(source, HM_PASS_SOURCE_MAX, "pin-value");
		return hm_pass_copy(pin, len, u->pin_value);
	}
	if (u->pin_source) {
		const char *path = u->pin_source;

		if (strncmp(path, "file:", 5) == 0)
			path += 5;
		snprintf(source, HM_PASS_SOURCE_MAX, "pin-source '%.256s'", path);
		return hm_pass_read_file(pin, len, path);
	}
	env = getenv(name);
	if (!env)
		env = getenv(name = "COSIGN_PKCS11_PIN");
	if (env) {
		snprintf(source, HM_PASS_SOURCE_MAX, "$%s", name);
		return hm_pass_copy(pin, len, env);
	}
	snprintf(source, HM_PASS_SOURCE_MAX, "the terminal");
	return hm_pass_prompt(pin, len, "PIN", what,
			      "add pin-source=FILE to the URI or set HALLMARK_PKCS11_PIN");
}

static int login(struct token_key *t, const hm_p11_uri *u, const char *what)
{
	char *pin = NULL, source[HM_PASS_SOURCE_MAX];
	size_t len = 0;
	CK_RV rv;
	int err = read_pin(&pin, &len, source, u, what);

	if (err)
		return err;
	rv = t->m->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, len);
	hm_pass_free(pin);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return hm_error_set(HM_E_IO, "logging in to '%s': %s (PIN from %s)", what, rv_text(rv),
				    source);
	t->logged_in = rv == CKR_OK;
	return HM_OK;
}

/* Finds the objects of class cls matching the URI's object= and id= (or,
 * when id is given, that CKA_ID instead). */
static int find_objects(CK_OBJECT_HANDLE *out, CK_ULONG *n, struct token_key *t, CK_OBJECT_CLASS cls,
			const hm_p11_uri *u, const void *id, size_t id_len)
{
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG nt = 0;
	CK_FUNCTION_LIST_PTR f = t->m->f;
	CK_RV rv;

	tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (u->object)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_LABEL, u->object, strlen(u->object)};
	if (id)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	else if (u->has_id)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_ID, u->id, u->id_len};
	*n = 0;
	rv = f->C_FindObjectsInit(t->session, tmpl, nt);
	if (rv == CKR_OK) {
		rv = f->C_FindObjects(t->session, out, MAX_MATCHES, n);
		f->C_FindObjectsFinal(t->session);
	}
	if (rv != CKR_OK)
		return hm_error_set(HM_E_IO, "searching the token: %s (0x%lx)", rv_text(rv),
				    (unsigned long)rv);
	return HM_OK;
}

/* Reads one attribute into buf (cap bytes); *len is its length. */
static int get_attr(struct token_key *t, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, void *buf,
		    size_t cap, size_t *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};

	if (t->m->f->C_GetAttributeValue(t->session, o, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap)
		return -1;
	a.pValue = buf;
	if (t->m->f->C_GetAttributeValue(t->session, o, &a, 1) != CKR_OK)
		return -1;
	*len = a.ulValueLen;
	return 0;
}

/* The EVP_PKEY of a P-256 public key object (CKA_EC_PARAMS, CKA_EC_POINT). */
static EVP_PKEY *ec_public(struct token_key *t, CK_OBJECT_HANDLE o)
{
	unsigned char params[64], point[MAX_ATTR];
	const unsigned char *p;
	size_t plen = 0, qlen = 0;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *os = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *ps = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int nid = NID_undef;

	if (get_attr(t, o, CKA_EC_PARAMS, params, sizeof(params), &plen) ||
	    get_attr(t, o, CKA_EC_POINT, point, sizeof(point), &qlen))
		return NULL;
	p = params;
	if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)plen)) != NULL && p == params + plen)
		nid = OBJ_obj2nid(oid);
	if (nid != NID_X9_62_prime256v1)
		goto done;
	/* PKCS#11 says the point is a DER OCTET STRING; some modules give it raw. */
	p = point;
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)qlen);
	if (os && p == point + qlen) {
		qlen = (size_t)ASN1_STRING_length(os);
		memmove(point, ASN1_STRING_get0_data(os), qlen);
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, qlen) ||
	    !(ps = OSSL_PARAM_BLD_to_param(bld)))
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, ps);
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(ps);
	OSSL_PARAM_BLD_free(bld);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	return pkey;
}

/* The EVP_PKEY of an RSA key object's public half (modulus, exponent):
 * private key objects carry them too. */
static EVP_PKEY *rsa_public(struct token_key *t, CK_OBJECT_HANDLE o)
{
	unsigned char mod[MAX_ATTR], exp[16];
	size_t mlen = 0, elen = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *ps = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (get_attr(t, o, CKA_MODULUS, mod, sizeof(mod), &mlen) ||
	    get_attr(t, o, CKA_PUBLIC_EXPONENT, exp, sizeof(exp), &elen))
		return NULL;
	n = BN_bin2bn(mod, (int)mlen, NULL);
	e = BN_bin2bn(exp, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) || !(ps = OSSL_PARAM_BLD_to_param(bld)))
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, ps);
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(ps);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *public_of(struct token_key *t, CK_OBJECT_HANDLE o, CK_KEY_TYPE type)
{
	EVP_PKEY *pkey = type == CKK_EC ? ec_public(t, o) : type == CKK_RSA ? rsa_public(t, o) : NULL;

	ERR_clear_error();
	return pkey;
}

static void token_key_free(void *p)
{
	struct token_key *t = p;

	if (!t)
		return;
	if (t->m && t->session != CK_INVALID_HANDLE) {
		if (t->logged_in)
			t->m->f->C_Logout(t->session);
		t->m->f->C_CloseSession(t->session);
	}
	module_put(t->m);
	free(t);
}

/* DigestInfo of SHA-256 (RFC 8017 9.2 note 1): what CKM_RSA_PKCS signs. */
static const unsigned char sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

static int token_sign(const hm_key *k, const void *data, size_t len, hm_buf *sig)
{
	struct token_key *t = k->ctx;
	unsigned char in[sizeof(sha256_prefix) + SHA256_DIGEST_LENGTH], out[MAX_SIG], *der = NULL;
	CK_MECHANISM mech = {t->type == CKK_EC ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0};
	CK_ULONG outlen = sizeof(out), inlen = SHA256_DIGEST_LENGTH;
	unsigned char *digest = in;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	size_t mark = sig->len;
	CK_RV rv;
	int n, err = HM_OK;

	if (t->type == CKK_RSA) {
		memcpy(in, sha256_prefix, sizeof(sha256_prefix));
		digest = in + sizeof(sha256_prefix);
		inlen += sizeof(sha256_prefix);
	}
	SHA256(data, len, digest);
	rv = t->m->f->C_SignInit(t->session, &mech, t->priv);
	if (rv == CKR_OK)
		rv = t->m->f->C_Sign(t->session, in, inlen, out, &outlen);
	if (rv != CKR_OK) {
		err = hm_error_set(HM_E_IO, "signing on '%s': %s (0x%lx)", hm_key_name(k), rv_text(rv),
				   (unsigned long)rv);
		goto done;
	}
	if (t->type == CKK_RSA) {
		err = hm_buf_add(sig, out, outlen);
	} else {
		/* PKCS#11 gives r || s; cosign and OpenSSL want the DER ECDSA-Sig-Value. */
		if (outlen != 64 || !(es = ECDSA_SIG_new()) || !(r = BN_bin2bn(out, 32, NULL)) ||
		    !(s = BN_bin2bn(out + 32, 32, NULL)) || !ECDSA_SIG_set0(es, r, s)) {
			BN_free(r);
			BN_free(s);
			err = hm_error_set(HM_E_IO, "signing on '%s': the token gave a %lu-byte ECDSA signature",
					   hm_key_name(k), (unsigned long)outlen);
			goto done;
		}
		n = i2d_ECDSA_SIG(es, &der);
		err = n > 0 ? hm_buf_add(sig, der, (size_t)n) : hm_error_set(HM_E_IO, "encoding the signature failed");
	}
	/* A public key object that is not the private key's half would make
	 * signatures nobody can check: refuse them here, not at verify time. */
	if (!err && hm_key_verify(k, data, len, sig->data + mark, sig->len - mark) != HM_OK)
		err = hm_error_set(HM_E_IO,
				   "signing on '%s': the signature does not verify with the token's public key "
				   "(does the public key object belong to the private key?)",
				   hm_key_name(k));
done:
	if (err)
		sig->len = mark;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return err;
}

static const struct hm_key_signer token_signer = {
	.name = "pkcs11",
	.sign = token_sign,
	.release = token_key_free,
};

/* Loads the key the URI names: with_private finds the private key object
 * (logging in) and signs with it; otherwise only the public half. */
static int load(hm_key **out, const char *ref, int with_private)
{
	CK_OBJECT_HANDLE found[MAX_MATCHES], pub_obj;
	unsigned char id[HM_P11_VALUE_MAX];
	size_t id_len = 0;
	CK_ULONG n = 0;
	CK_SLOT_ID slot = 0;
	CK_KEY_TYPE type = CKK_EC;
	hm_buf what = HM_BUF_INIT;
	struct token_key *t = NULL;
	hm_p11_uri u;
	EVP_PKEY *pkey = NULL;
	size_t tlen;
	CK_RV rv;
	int err;

	*out = NULL;
	err = hm_p11_uri_parse(&u, ref, strlen(ref));
	if (!err)
		err = hm_p11_uri_display(&what, &u);
	if (err)
		goto done;
	t = calloc(1, sizeof(*t));
	if (!t) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	t->session = CK_INVALID_HANDLE;
	err = module_get(&t->m, u.module_path);
	if (!err)
		err = find_slot(&slot, t->m, &u, hm_buf_cstr(&what));
	if (err)
		goto done;
	rv = t->m->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session);
	if (rv != CKR_OK) {
		t->session = CK_INVALID_HANDLE;
		err = hm_error_set(HM_E_IO, "opening a session on '%s': %s (0x%lx)", hm_buf_cstr(&what),
				   rv_text(rv), (unsigned long)rv);
		goto done;
	}
	/* Reading a public key needs no PIN, unless the URI brings one (tokens
	 * may keep even public objects private). */
	if (with_private || u.pin_value || u.pin_source)
		err = login(t, &u, hm_buf_cstr(&what));
	if (err)
		goto done;
	if (with_private) {
		err = find_objects(found, &n, t, CKO_PRIVATE_KEY, &u, NULL, 0);
		if (!err && n == 0)
			err = hm_error_set(HM_E_IO, "'%s': no private key matches on the token",
					   hm_buf_cstr(&what));
		else if (!err && n > 1)
			err = hm_error_set(HM_E_USAGE, "'%s': %lu private keys match (add object= or id=)",
					   hm_buf_cstr(&what), (unsigned long)n);
		if (err)
			goto done;
		t->priv = found[0];
		if (get_attr(t, t->priv, CKA_KEY_TYPE, &type, sizeof(type), &tlen) || tlen != sizeof(type))
			type = (CK_KEY_TYPE)-1;
		/* The public key object of the same CKA_ID, whatever its label. */
		if (get_attr(t, t->priv, CKA_ID, id, sizeof(id), &id_len))
			id_len = 0;
	}
	err = find_objects(found, &n, t, CKO_PUBLIC_KEY, &u, id_len ? id : NULL, id_len);
	if (err)
		goto done;
	if (n > 1) {
		err = hm_error_set(HM_E_USAGE, "'%s': %lu public keys match (add object= or id=)",
				   hm_buf_cstr(&what), (unsigned long)n);
		goto done;
	}
	if (n == 1) {
		pub_obj = found[0];
		if (get_attr(t, pub_obj, CKA_KEY_TYPE, &type, sizeof(type), &tlen) || tlen != sizeof(type))
			type = (CK_KEY_TYPE)-1;
		pkey = public_of(t, pub_obj, type);
	} else if (with_private) {
		pkey = public_of(t, t->priv, type);
	} else {
		err = hm_error_set(HM_E_IO, "'%s': no public key matches on the token", hm_buf_cstr(&what));
		goto done;
	}
	if (type != CKK_EC && type != CKK_RSA) {
		err = hm_error_set(HM_E_IO, "'%s': unsupported key type on the token (ECDSA P-256 or RSA)",
				   hm_buf_cstr(&what));
		goto done;
	}
	if (!pkey) {
		err = hm_error_set(HM_E_IO, "'%s': cannot read the public key (an EC key must be on P-256)",
				   hm_buf_cstr(&what));
		goto done;
	}
	t->type = type;
	err = hm_key_wrap(out, pkey, hm_buf_cstr(&what), NULL, 0);
	if (err)
		goto done;
	(*out)->name = hm_buf_detach(&what, NULL);
	if (!(*out)->name) {
		hm_key_free(*out);
		*out = NULL;
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (with_private) {
		(*out)->signer = &token_signer;
		(*out)->ctx = t;
		t = NULL;
	}
done:
	token_key_free(t);
	hm_p11_uri_free(&u);
	hm_buf_release(&what);
	return err;
}

int hm_key_pkcs11_load_private(hm_key **out, const char *uri, const char *passphrase_file)
{
	(void)passphrase_file; /* a token has a PIN, not a passphrase */
	return load(out, uri, 1);
}

int hm_key_pkcs11_load_public(hm_key **out, const char *uri)
{
	return load(out, uri, 0);
}
