/* SPDX-License-Identifier: Apache-2.0 */
/* Writing what cosign v3 writes: a Sigstore bundle v0.3 (DSSE of an in-toto
 * statement, key material publicKey) stored as an OCI 1.1 referrer of the
 * image, the manifest shaped as cosign's WriteAttestationNewBundleFormat
 * shapes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/json.h"
#include "crypto/dsse.h"
#include "oci/discover.h"
#include "oci/referrers.h"
#include "sign/sign.h"
#include "sigstore/bundle.h"

#define EMPTY_JSON "{}"

/* Whether a bundle by key over these very statement bytes is attached
 * already: signing again would only add noise (ECDSA signatures differ at
 * every run). */
static int already_there(int *found, hm_store *s, const char *digest, const hm_key *key, const void *payload,
			 size_t len)
{
	hm_key *keys[1] = {(hm_key *)key}; /* hm_bundle_verify only reads it */
	hm_attached_list l;
	int err = hm_discover(&l, s, digest);

	*found = 0;
	if (err)
		return err;
	for (size_t i = 0; i < l.n && !*found && !err; i++) {
		hm_bundle_verify_opts o = {.keys = keys, .n_keys = 1, .artifact_digest = digest};
		hm_bundle_verdict v;
		hm_buf raw = HM_BUF_INIT;
		hm_bundle b;

		if (l.v[i].kind != HM_KIND_BUNDLE || l.v[i].refused)
			continue;
		memset(&b, 0, sizeof(b));
		err = hm_attached_fetch(&raw, s, &l.v[i], HM_BUNDLE_MAX);
		if (err == HM_E_VERIFY)
			err = HM_OK;
		else if (!err && hm_bundle_parse(&b, raw.data, raw.len) == HM_OK && b.content == HM_BUNDLE_DSSE &&
			 b.payload.len == len && memcmp(b.payload.data, payload, len) == 0) {
			*found = hm_bundle_verify(&v, &b, &o) == HM_OK;
			hm_bundle_verdict_free(&v);
		}
		hm_bundle_free(&b);
		hm_buf_release(&raw);
	}
	hm_attached_list_free(&l);
	if (!err)
		hm_error_clear();
	return err;
}

int hm_bundle_attach(int *added, hm_store *s, const char *digest, const hm_key *key, const void *statement,
		     size_t len, const char *predicate_type)
{
	hm_buf bundle = HM_BUF_INIT;
	hm_referrer_spec spec;
	hm_descriptor layer;
	char layer_digest[HM_DIGEST_SIZE], created[32];
	cJSON *ann = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int err, found = 0, faults = 0;

	*added = 0;
	memset(&spec, 0, sizeof(spec));
	memset(&layer, 0, sizeof(layer));
	if ((err = hm_store_resolve(s, digest, &spec.subject)))
		return hm_error_wrap(err, "resolving %s", digest);
	if ((err = already_there(&found, s, digest, key, statement, len)) || found)
		goto done;
	if ((err = hm_bundle_write_dsse(&bundle, key, HM_DSSE_INTOTO, statement, len)))
		goto done;
	snprintf(spec.config.media_type, sizeof(spec.config.media_type), "%s", HM_MT_OCI_EMPTY);
	spec.config.size = 2;
	layer.media_type = HM_MT_BUNDLE;
	layer.digest = layer_digest;
	layer.size = (int64_t)bundle.len;
	spec.artifact_type = HM_MT_BUNDLE;
	spec.layers = &layer;
	spec.n_layers = 1;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ann = cJSON_CreateObject();
	if (!ann || !cJSON_AddStringToObject(ann, "org.opencontainers.image.created", created) ||
	    !cJSON_AddStringToObject(ann, HM_ANN_BUNDLE_CONTENT, "dsse-envelope") ||
	    !cJSON_AddStringToObject(ann, HM_ANN_BUNDLE_PREDICATE, predicate_type)) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	spec.annotations = ann;
	/* Every signer of every image uploads the same empty config; under
	 * concurrent writers distribution may fail one of those uploads, or the
	 * manifest that names the blob ("blob unknown"), for a moment: upload
	 * and store again, as for a shared tag (oci/referrers.h). */
	do {
		err = hm_store_put_blob(hm_store_attachments(s), bundle.data, bundle.len, layer_digest);
		if (!err)
			err = hm_store_put_blob(hm_store_attachments(s), EMPTY_JSON, 2, spec.config.digest);
		if (!err)
			err = hm_referrers_write(NULL, s, &spec);
	} while (err && hm_rmw_transient(err, &faults));
	if (err)
		goto done;
	*added = 1;
done:
	cJSON_Delete(ann);
	hm_buf_release(&bundle);
	return err;
}

static int key_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
	int c = strncmp(x, y, nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

/* The subject's annotations: "k=v" strings, a later key replacing an
 * earlier one, in key order (as protojson writes a Struct). */
static int add_annotations(cJSON *subject, const hm_strv *annotations)
{
	const char **v;
	cJSON *ann;
	size_t n = 0;
	int err = HM_OK;

	if (!annotations || !annotations->n)
		return HM_OK;
	if (!(v = calloc(annotations->n, sizeof(*v))) || !(ann = cJSON_AddObjectToObject(subject, "annotations"))) {
		free(v);
		return HM_E_NOMEM;
	}
	for (size_t i = annotations->n; i-- > 0;) {
		int seen = 0;

		for (size_t j = 0; j < n && !seen; j++)
			seen = key_cmp(&v[j], &annotations->v[i]) == 0;
		if (!seen)
			v[n++] = annotations->v[i];
	}
	qsort(v, n, sizeof(*v), key_cmp);
	for (size_t i = 0; i < n && !err; i++) {
		const char *eq = strchr(v[i], '=');
		char *k = strndup(v[i], eq ? (size_t)(eq - v[i]) : strlen(v[i]));

		if (!k || !cJSON_AddStringToObject(ann, k, eq ? eq + 1 : ""))
			err = HM_E_NOMEM;
		free(k);
	}
	free(v);
	return err;
}

int hm_sign_statement(hm_buf *out, const char *digest, const hm_strv *annotations)
{
	cJSON *st = cJSON_CreateObject(), *subjects, *subject = NULL, *dig;
	const char *colon = strchr(digest, ':');
	int err = HM_E_NOMEM;

	if (!colon || !hm_digest_valid(digest)) {
		cJSON_Delete(st);
		return hm_error_set(HM_E_USAGE, "invalid digest '%s'", digest);
	}
	/* cosign v3's statement, field for field: the subject is the digest
	 * (with the -a annotations), the predicate empty */
	if (st && cJSON_AddStringToObject(st, "_type", "https://in-toto.io/Statement/v1") &&
	    (subjects = cJSON_AddArrayToObject(st, "subject")) && (subject = cJSON_CreateObject()) &&
	    cJSON_AddItemToArray(subjects, subject) && (dig = cJSON_AddObjectToObject(subject, "digest")) &&
	    cJSON_AddStringToObject(dig, "sha256", colon + 1) && !add_annotations(subject, annotations) &&
	    cJSON_AddStringToObject(st, "predicateType", HM_PREDICATE_COSIGN_SIGN) &&
	    cJSON_AddObjectToObject(st, "predicate"))
		err = hm_json_print(out, st);
	cJSON_Delete(st);
	return err == HM_E_NOMEM ? hm_error_set(HM_E_NOMEM, "out of memory") : err;
}
