/* SPDX-License-Identifier: Apache-2.0 */
/* The Notary Project JWS envelope: flattened JWS JSON serialization
 * (RFC 7515 section 7.2.2) with the protected headers of the signature
 * specification and the unprotected x5c, timestamp and signing agent. */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/time.h"
#include "core/json.h"
#include "notation/internal.h"

#define F "JWS"

/* Go and most JSON readers take the last of duplicate members, cJSON the
 * first: refuse duplicates so that no two readers see different headers. */
static int unique_members(const cJSON *obj, const char *what)
{
	for (const cJSON *a = obj->child; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s has '%s' twice", what,
						    a->string);
	return HM_OK;
}

/* Standard base64 (x5c and the timestamp are base64, not base64url). */
static int b64std(hm_buf *out, const char *s, const char *what)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] == '-' || s[i] == '_')
			return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s is not standard base64", what);
	if (hm_base64_decode(out, s, n) != HM_OK)
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s is not valid base64", what);
	return HM_OK;
}

static int parse_alg(hm_notation_envelope *e, const char *s)
{
	static const char *const names[] = {"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};

	for (size_t i = 0; i < 6; i++)
		if (strcmp(s, names[i]) == 0) {
			e->alg = (enum hm_notation_alg)(HM_NOTATION_PS256 + (int)i);
			return HM_OK;
		}
	return hm_error_set(HM_E_VERIFY, "notation JWS envelope: alg '%s' is not allowed (PS256, PS384, PS512, "
					 "ES256, ES384, ES512)",
			    s);
}

static int time_header(int64_t *out, int *has, const cJSON *v)
{
	if (!cJSON_IsString(v) || hm_time_parse(out, v->valuestring) != HM_OK)
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s is not an RFC 3339 date-time", v->string);
	*has = 1;
	return HM_OK;
}

static int protected_header(hm_notation_envelope *e, const cJSON *ph)
{
	nt_headers h = {.fmt = F};
	int err;

	if (!cJSON_IsObject(ph))
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: protected header is not a JSON object");
	if ((err = unique_members(ph, "the protected header")) != HM_OK)
		return err;
	for (const cJSON *v = ph->child; v; v = v->next) {
		const char *k = v->string;

		if (strcmp(k, "alg") == 0) {
			if (!cJSON_IsString(v))
				return hm_error_set(HM_E_VERIFY, "notation JWS envelope: alg is not a string");
			if ((err = parse_alg(e, v->valuestring)) != HM_OK)
				return err;
		} else if (strcmp(k, "cty") == 0) {
			if (!cJSON_IsString(v))
				return hm_error_set(HM_E_VERIFY, "notation JWS envelope: cty is not a string");
			h.cty = v->valuestring;
		} else if (strcmp(k, "crit") == 0) {
			const cJSON *c;

			if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
				return hm_error_set(HM_E_VERIFY, "notation JWS envelope: crit is not a non-empty array");
			h.has_crit = 1;
			cJSON_ArrayForEach(c, v)
			{
				if (!cJSON_IsString(c) || h.n_crit >= NT_MAX_CRIT)
					return hm_error_set(HM_E_VERIFY,
							    "notation JWS envelope: crit holds a non-string or over %d names",
							    NT_MAX_CRIT);
				h.crit[h.n_crit++] = c->valuestring;
			}
		} else if (strcmp(k, NT_SCHEME) == 0) {
			if (!cJSON_IsString(v))
				return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s is not a string", NT_SCHEME);
			h.scheme = v->valuestring;
		} else if (strcmp(k, NT_SIGNING_TIME) == 0) {
			if ((err = time_header(&h.signing_time, &h.has_signing_time, v)) != HM_OK)
				return err;
		} else if (strcmp(k, NT_AUTHENTIC_TIME) == 0) {
			if ((err = time_header(&h.authentic_time, &h.has_authentic_time, v)) != HM_OK)
				return err;
		} else if (strcmp(k, NT_EXPIRY) == 0) {
			if ((err = time_header(&h.expiry, &h.has_expiry, v)) != HM_OK)
				return err;
		} else if (strcmp(k, NT_PLUGIN) == 0) {
			h.has_plugin = 1;
		} else if (strcmp(k, NT_PLUGIN_MIN) == 0) {
			h.has_plugin_min = 1;
		}
		/* Other members are extended attributes: fine unless critical,
		 * which nt_headers_check refuses as unknown. */
	}
	if (!e->alg)
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: protected header has no alg");
	return nt_headers_check(e, &h);
}

static int unprotected_header(hm_notation_envelope *e, const cJSON *uh)
{
	const cJSON *x5c, *c, *ts;
	const char *agent;
	hm_buf der = HM_BUF_INIT;
	int err;

	if (!cJSON_IsObject(uh))
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: header is not a JSON object");
	if ((err = unique_members(uh, "the header")) != HM_OK)
		return err;
	x5c = cJSON_GetObjectItemCaseSensitive(uh, "x5c");
	if (!cJSON_IsArray(x5c) || cJSON_GetArraySize(x5c) == 0)
		return hm_error_set(HM_E_VERIFY, "notation JWS envelope: header has no x5c certificate chain");
	cJSON_ArrayForEach(c, x5c)
	{
		if (!cJSON_IsString(c))
			return hm_error_set(HM_E_VERIFY, "notation JWS envelope: x5c holds a non-string");
		hm_buf_init(&der, HM_MAX_CERT_DER);
		err = b64std(&der, c->valuestring, "x5c");
		if (!err)
			err = nt_chain_add(e, (const unsigned char *)der.data, der.len, F);
		hm_buf_release(&der);
		if (err)
			return err;
	}
	if ((ts = cJSON_GetObjectItemCaseSensitive(uh, NT_TIMESTAMP))) {
		if (!cJSON_IsString(ts) || !ts->valuestring[0])
			return hm_error_set(HM_E_VERIFY, "notation JWS envelope: %s is not a base64 string", NT_TIMESTAMP);
		if ((err = b64std(&e->timestamp, ts->valuestring, NT_TIMESTAMP)) != HM_OK)
			return err;
	}
	if ((agent = hm_json_str(uh, NT_AGENT)) && !(e->signing_agent = strdup(agent)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

int nt_jws_parse(hm_notation_envelope *e, const unsigned char *data, size_t len)
{
	cJSON *j = nt_json_parse(data, len, "notation JWS envelope", HM_E_VERIFY), *ph = NULL;
	const char *payload, *prot, *sig;
	hm_buf phb = HM_BUF_INIT;
	int err;

	e->format = HM_NOTATION_JWS;
	if (!j)
		return HM_E_VERIFY;
	if (!cJSON_IsObject(j)) {
		err = hm_error_set(HM_E_VERIFY, "notation JWS envelope: not a JSON object");
		goto done;
	}
	if ((err = unique_members(j, "the envelope")) != HM_OK)
		goto done;
	for (const cJSON *m = j->child; m; m = m->next)
		if (strcmp(m->string, "payload") != 0 && strcmp(m->string, "protected") != 0 &&
		    strcmp(m->string, "header") != 0 && strcmp(m->string, "signature") != 0) {
			err = hm_error_set(HM_E_VERIFY, "notation JWS envelope: unexpected member '%s' (only the "
							"flattened JSON serialization is allowed)",
					   m->string);
			goto done;
		}
	payload = hm_json_str(j, "payload");
	prot = hm_json_str(j, "protected");
	sig = hm_json_str(j, "signature");
	if (!payload || !prot || !sig || !payload[0] || !prot[0] || !sig[0]) {
		err = hm_error_set(HM_E_VERIFY, "notation JWS envelope: needs payload, protected and signature strings");
		goto done;
	}
	hm_buf_init(&phb, 64u << 10);
	if ((err = nt_b64url_decode(&phb, prot, strlen(prot), "notation JWS envelope: protected")) != HM_OK ||
	    (err = nt_b64url_decode(&e->payload, payload, strlen(payload), "notation JWS envelope: payload")) != HM_OK ||
	    (err = nt_b64url_decode(&e->signature, sig, strlen(sig), "notation JWS envelope: signature")) != HM_OK)
		goto done;
	if (!(ph = nt_json_parse(phb.data, phb.len, "notation JWS envelope: protected header", HM_E_VERIFY))) {
		err = HM_E_VERIFY;
		goto done;
	}
	if ((err = protected_header(e, ph)) != HM_OK ||
	    (err = unprotected_header(e, cJSON_GetObjectItemCaseSensitive(j, "header"))) != HM_OK)
		goto done;
	/* The JWS Signing Input: ASCII(BASE64URL(protected) '.' BASE64URL(payload)), as carried. */
	if ((err = hm_buf_addstr(&e->signed_bytes, prot)) != HM_OK || (err = hm_buf_addch(&e->signed_bytes, '.')) != HM_OK ||
	    (err = hm_buf_addstr(&e->signed_bytes, payload)) != HM_OK)
		goto done;
done:
	cJSON_Delete(ph);
	cJSON_Delete(j);
	hm_buf_release(&phb);
	return err;
}
