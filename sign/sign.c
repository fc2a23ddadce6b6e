/* SPDX-License-Identifier: Apache-2.0 */
/* Signing images: resolve once, sign the digest, attach as cosign does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/attach.h"
#include "sigstore/bundle.h"
#include "sign/sign.h"

char *hm_sign_identity(const hm_ref *ref)
{
	char *s = NULL;

	if (ref->kind == HM_REF_LAYOUT)
		return hm_ref_name(ref);
	if (asprintf(&s, "%s/%s", strcmp(ref->registry, "docker.io") == 0 ? "index.docker.io" : ref->registry,
		     ref->repository) < 0)
		return NULL;
	return s;
}

/* Whether an attached layer with this payload already carries a signature
 * by key: then signing again would only add noise (ECDSA signatures differ
 * at every run), so it is not added. */
static int already_signed(hm_store *s, const char *digest, const hm_buf *payload, const hm_key *key,
			  int *found)
{
	hm_attached_list l;
	char pd[HM_DIGEST_SIZE];
	int err = hm_attached_find(&l, s, digest, "sig", HM_MT_SIMPLESIGNING);

	*found = 0;
	if (err)
		return err;
	hm_digest_compute(pd, payload->data, payload->len);
	for (size_t i = 0; i < l.n && !*found; i++) {
		const char *b64 = hm_json_str(l.v[i].annotations, HM_ANN_SIGNATURE);
		hm_buf sig = HM_BUF_INIT;

		if (strcmp(l.v[i].desc.digest, pd) == 0 && b64 &&
		    hm_base64_decode(&sig, b64, strlen(b64)) == HM_OK &&
		    hm_key_verify(key, payload->data, payload->len, sig.data, sig.len) == HM_OK)
			*found = 1;
		hm_buf_release(&sig);
	}
	hm_attached_list_free(&l);
	hm_error_clear();
	return HM_OK;
}

static int sign_one(hm_signed *out, hm_store *s, const hm_ref *ref, const char *digest,
		    const hm_sign_opts *o)
{
	hm_buf raw = HM_BUF_INIT;
	cJSON *ann = NULL;
	int err, found = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->identity = hm_sign_identity(ref);
	if (!out->identity)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (o->format == HM_FORMAT_BUNDLE) {
		err = hm_sign_statement(&out->payload, digest, o->annotations);
		if (!err && o->upload)
			err = hm_bundle_attach(&out->added, s, digest, o->key, out->payload.data, out->payload.len,
					       HM_PREDICATE_COSIGN_SIGN);
		if (err)
			err = hm_error_wrap(err, "attaching the signature bundle of %s", digest);
		goto done;
	}
	err = hm_payload_build(&out->payload, out->identity, digest, o->annotations);
	if (!err)
		err = hm_key_sign(o->key, out->payload.data, out->payload.len, &raw);
	if (!err)
		err = hm_base64_encode(&out->signature, raw.data, raw.len);
	if (err || !o->upload)
		goto done;
	err = already_signed(s, digest, &out->payload, o->key, &found);
	if (err || found)
		goto done;
	ann = cJSON_CreateObject();
	if (!ann || !cJSON_AddStringToObject(ann, HM_ANN_SIGNATURE, out->signature.data)) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	err = hm_attach_layer(s, digest, "sig", HM_MT_SIMPLESIGNING, out->payload.data, out->payload.len,
			      ann, &out->added);
	if (err)
		err = hm_error_wrap(err, "attaching the signature of %s", digest);
done:
	cJSON_Delete(ann);
	hm_buf_release(&raw);
	return err;
}

int hm_sign_format_parse(enum hm_sign_format *out, const char *name)
{
	if (!name || strcmp(name, "bundle") == 0)
		*out = HM_FORMAT_BUNDLE;
	else if (strcmp(name, "legacy") == 0)
		*out = HM_FORMAT_LEGACY;
	else
		return hm_error_set(HM_E_USAGE, "--format must be bundle or legacy, not '%s'", name);
	return HM_OK;
}

static int push_digest(hm_strv *v, const char *d)
{
	return hm_strv_contains(v, d) ? HM_OK : hm_strv_push(v, d);
}

int hm_sign_image(hm_sign_result *out, hm_store *s, const hm_ref *ref, const hm_sign_opts *o)
{
	hm_buf body = HM_BUF_INIT;
	hm_strv digests = HM_STRV_INIT;
	cJSON *idx = NULL;
	hm_desc d;
	int err;

	memset(out, 0, sizeof(*out));
	err = hm_store_get_manifest(s, ref->digest ? ref->digest : ref->tag, &body, &d);
	if (err)
		goto done;
	err = push_digest(&digests, d.digest);
	if (!err && o->recursive &&
	    (strcmp(d.media_type, HM_MT_OCI_INDEX) == 0 || strcmp(d.media_type, HM_MT_DOCKER_LIST) == 0)) {
		const cJSON *m;

		idx = hm_json_parse(body.data, body.len, d.digest);
		if (!idx) {
			err = HM_E_IO;
			goto done;
		}
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx, "manifests")) {
			const char *md = hm_json_str(m, "digest");

			if (!hm_digest_valid(md)) {
				err = hm_error_set(HM_E_IO, "index %s lists a manifest with an invalid digest", d.digest);
				goto done;
			}
			err = push_digest(&digests, md);
			if (err)
				goto done;
		}
	}
	if (err)
		goto done;
	out->v = calloc(digests.n, sizeof(*out->v));
	if (!out->v) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < digests.n && !err; i++) {
		err = sign_one(&out->v[i], s, ref, digests.v[i], o);
		out->n = i + 1;
	}
done:
	if (err)
		hm_sign_result_free(out);
	cJSON_Delete(idx);
	hm_strv_free(&digests);
	hm_buf_release(&body);
	return err;
}

void hm_sign_result_free(hm_sign_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].identity);
		hm_buf_release(&r->v[i].payload);
		hm_buf_release(&r->v[i].signature);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
