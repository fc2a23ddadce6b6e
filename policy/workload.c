/* Images of Kubernetes objects, AdmissionReview requests and responses.
 * See policy/workload.h. */
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/yaml.h"
#include "policy/workload.h"

#define MAX_LIST_DEPTH 4

static const struct {
	const char *kind;
	const char *path[4]; /* members leading to the pod spec */
} kinds[] = {
	{"Pod", {"spec", NULL}},
	{"Deployment", {"spec", "template", "spec", NULL}},
	{"StatefulSet", {"spec", "template", "spec", NULL}},
	{"DaemonSet", {"spec", "template", "spec", NULL}},
	{"ReplicaSet", {"spec", "template", "spec", NULL}},
	{"ReplicationController", {"spec", "template", "spec", NULL}},
	{"Job", {"spec", "template", "spec", NULL}},
	{"CronJob", {"spec", "jobTemplate", "spec", "template"}},
};

static const char *const container_lists[] = {"initContainers", "containers", "ephemeralContainers"};

typedef struct ctx {
	const hm_yaml *y; /* for positions, or NULL */
	const char *name;
} ctx;

static int push(hm_workload *w, hm_workload_image *im)
{
	if (hm_array_reserve(&w->v, w->n, &w->cap, sizeof(*w->v), 16))
		return HM_E_NOMEM;
	w->v[w->n++] = *im;
	return HM_OK;
}

static void image_free(hm_workload_image *im)
{
	free(im->image);
	free(im->kind);
	free(im->name);
	free(im->namespace);
	free(im->container);
	free(im->pointer);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int add_object(hm_workload *out, const cJSON *obj, const char *prefix, size_t doc, const ctx *c,
		      int depth)
{
	const char *kind = hm_json_str(obj, "kind");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *spec = obj;
	hm_buf ptr = HM_BUF_INIT;
	size_t k;
	int err = HM_OK;

	if (!kind)
		return HM_OK;
	if (!strcmp(kind, "List") || (strlen(kind) > 4 && !strcmp(kind + strlen(kind) - 4, "List"))) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
		int i = 0;

		if (depth >= MAX_LIST_DEPTH)
			return hm_error_set(HM_E_IO, "%s: lists nested too deep", c->name);
		for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it && !err; it = it->next, i++) {
			hm_buf_reset(&ptr);
			if (!(err = hm_buf_addf(&ptr, "%s/items/%d", prefix, i)))
				err = add_object(out, it, hm_buf_cstr(&ptr), doc, c, depth + 1);
		}
		hm_buf_release(&ptr);
		return err;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
		if (!strcmp(kinds[k].kind, kind))
			break;
	if (k == sizeof(kinds) / sizeof(*kinds))
		return HM_OK;
	if ((err = hm_buf_addstr(&ptr, prefix)))
		return err;
	for (size_t i = 0; i < 4 && kinds[k].path[i] && spec; i++) {
		spec = cJSON_GetObjectItemCaseSensitive(spec, kinds[k].path[i]);
		hm_buf_addf(&ptr, "/%s", kinds[k].path[i]);
	}
	if (!strcmp(kind, "CronJob") && spec) {
		spec = cJSON_GetObjectItemCaseSensitive(spec, "spec");
		hm_buf_addstr(&ptr, "/spec");
	}
	for (size_t l = 0; spec && !err && l < 3; l++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, container_lists[l]);
		int i = 0;

		for (const cJSON *ct = cJSON_IsArray(list) ? list->child : NULL; ct && !err; ct = ct->next, i++) {
			const cJSON *img = cJSON_GetObjectItemCaseSensitive(ct, "image");
			const char *cname = hm_json_str(ct, "name");
			hm_workload_image im = {0};
			hm_buf p = HM_BUF_INIT;

			if (!cJSON_IsString(img) || !*img->valuestring) {
				int line = 0, col = 0;

				hm_yaml_pos(c->y, img ? img : ct, &line, &col);
				if (line)
					err = hm_error_set(HM_E_IO, "%s:%d:%d: container '%s' of %s '%s' has no image",
							   c->name, line, col, cname ? cname : "?", kind,
							   meta ? hm_json_str(meta, "name") : "?");
				else
					err = hm_error_set(HM_E_IO, "%s: container '%s' of %s has no image", c->name,
							   cname ? cname : "?", kind);
				break;
			}
			if ((err = hm_buf_addf(&p, "%s/%s/%d/image", hm_buf_cstr(&ptr), container_lists[l], i)))
				break;
			hm_yaml_pos(c->y, img, &im.line, &im.col);
			im.doc = doc;
			im.image = strdup(img->valuestring);
			im.kind = strdup(kind);
			im.name = dup_or_null(hm_json_str(meta, "name") ? hm_json_str(meta, "name")
									: hm_json_str(meta, "generateName"));
			im.namespace = dup_or_null(hm_json_str(meta, "namespace"));
			im.container = dup_or_null(cname);
			im.pointer = hm_buf_detach(&p, NULL);
			if (!im.image || !im.kind || !im.pointer || (hm_json_str(meta, "name") && !im.name))
				err = hm_error_set(HM_E_NOMEM, "out of memory");
			if (!err)
				err = push(out, &im);
			if (err)
				image_free(&im);
		}
	}
	hm_buf_release(&ptr);
	return err;
}

int hm_workload_from_yaml(hm_workload *out, const void *data, size_t len, const char *name)
{
	hm_yaml *y = NULL;
	ctx c = {NULL, name};
	int err;

	if ((err = hm_yaml_parse(&y, data, len, name)) < 0)
		return err;
	c.y = y;
	for (size_t i = 0; i < hm_yaml_count(y) && !err; i++) {
		const cJSON *d = hm_yaml_doc(y, i);

		if (cJSON_IsNull(d))
			continue;
		if (!cJSON_IsObject(d)) {
			int line, col;

			hm_yaml_pos(y, d, &line, &col);
			err = hm_error_set(HM_E_IO, "%s:%d:%d: a Kubernetes object must be a mapping", name, line, col);
			break;
		}
		err = add_object(out, d, "", i, &c, 0);
	}
	hm_yaml_free(y);
	return err;
}

void hm_workload_free(hm_workload *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		image_free(&w->v[i]);
	free(w->v);
	*w = (hm_workload)HM_WORKLOAD_INIT;
}

int hm_workload_inputs(hm_eval_input **out, const hm_workload *w)
{
	*out = calloc(w->n + 1, sizeof(**out));
	if (!*out)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < w->n; i++)
		(*out)[i] = (hm_eval_input){w->v[i].image, w->v[i].kind, w->v[i].name, w->v[i].namespace,
					     w->v[i].container, w->v[i].pointer};
	return HM_OK;
}

/* ---- AdmissionReview ---- */

int hm_admission_parse(hm_admission *out, const void *data, size_t len, const char *name)
{
	hm_yaml *y = NULL;
	const cJSON *rv, *req, *obj;
	const char *api, *kind, *uid, *op;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = hm_yaml_parse(&y, data, len, name)) < 0)
		return err;
	rv = hm_yaml_doc(y, 0);
	api = hm_json_str(rv, "apiVersion");
	kind = hm_json_str(rv, "kind");
	req = cJSON_GetObjectItemCaseSensitive(rv, "request");
	if (hm_yaml_count(y) != 1 || !cJSON_IsObject(rv)) {
		err = hm_error_set(HM_E_IO, "%s: an AdmissionReview is one JSON object", name);
		goto done;
	}
	if (!api || strcmp(api, "admission.k8s.io/v1") || !kind || strcmp(kind, "AdmissionReview")) {
		err = hm_error_set(HM_E_IO, "%s: not an admission.k8s.io/v1 AdmissionReview (apiVersion '%s', kind '%s')",
				   name, api ? api : "", kind ? kind : "");
		goto done;
	}
	if (!cJSON_IsObject(req) || !(uid = hm_json_str(req, "uid")) || !*uid) {
		err = hm_error_set(HM_E_IO, "%s: the AdmissionReview has no request.uid", name);
		goto done;
	}
	op = hm_json_str(req, "operation");
	if (!(out->uid = strdup(uid)) || (op && !(out->operation = strdup(op)))) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	obj = cJSON_GetObjectItemCaseSensitive(req, "object");
	if (cJSON_IsObject(obj) && !(op && !strcmp(op, "DELETE"))) {
		ctx c = {y, name};

		err = add_object(&out->images, obj, "", 0, &c, 0);
	}
done:
	hm_yaml_free(y);
	if (err < 0)
		hm_admission_free(out);
	return err;
}

void hm_admission_free(hm_admission *a)
{
	if (!a)
		return;
	free(a->uid);
	free(a->operation);
	hm_workload_free(&a->images);
	memset(a, 0, sizeof(*a));
}

static int join(hm_buf *b, const hm_strv *v, const char *sep)
{
	int err = HM_OK;

	for (size_t i = 0; i < v->n && !err; i++)
		err = hm_buf_addf(b, "%s%s", i ? sep : "", v->v[i]);
	return err;
}

static cJSON *patch_ops(const hm_decision *d)
{
	cJSON *ops = cJSON_CreateArray();

	for (size_t i = 0; ops && i < d->n; i++) {
		const hm_image_decision *o = &d->v[i];
		hm_buf v = HM_BUF_INIT;
		cJSON *op;

		if (o->pinned || !o->digest || !o->in.pointer || !o->in.image)
			continue;
		op = cJSON_CreateObject();
		if (!op || hm_buf_addf(&v, "%s@%s", o->in.image, o->digest) < 0 ||
		    !cJSON_AddStringToObject(op, "op", "replace") ||
		    !cJSON_AddStringToObject(op, "path", o->in.pointer) ||
		    !cJSON_AddStringToObject(op, "value", hm_buf_cstr(&v))) {
			cJSON_Delete(op);
			hm_buf_release(&v);
			cJSON_Delete(ops);
			return NULL;
		}
		hm_buf_release(&v);
		cJSON_AddItemToArray(ops, op);
	}
	return ops;
}

cJSON *hm_admission_response(const hm_admission *a, const hm_decision *d, int mutate)
{
	cJSON *root = cJSON_CreateObject(), *resp = NULL, *ops = NULL, *status;
	hm_strv denied = HM_STRV_INIT, warned = HM_STRV_INIT;
	hm_buf msg = HM_BUF_INIT, patch = HM_BUF_INIT, b64 = HM_BUF_INIT;
	int ok = root && cJSON_AddStringToObject(root, "apiVersion", "admission.k8s.io/v1") &&
		 cJSON_AddStringToObject(root, "kind", "AdmissionReview") &&
		 (resp = cJSON_AddObjectToObject(root, "response")) && cJSON_AddStringToObject(resp, "uid", a->uid) &&
		 cJSON_AddBoolToObject(resp, "allowed", d->allowed) &&
		 hm_decision_violations(&denied, d, 0) == HM_OK && hm_decision_violations(&warned, d, 1) == HM_OK;

	if (ok && !d->allowed) {
		ok = hm_buf_addf(&msg, "hallmark denied %zu image%s: ", denied.n ? denied.n : 1,
				 denied.n == 1 ? "" : "s") == HM_OK &&
		     join(&msg, &denied, "; ") == HM_OK && (status = cJSON_AddObjectToObject(resp, "status")) &&
		     cJSON_AddNumberToObject(status, "code", 403) &&
		     cJSON_AddStringToObject(status, "message", hm_buf_cstr(&msg));
	}
	if (ok && warned.n) {
		cJSON *w = cJSON_AddArrayToObject(resp, "warnings");

		ok = w != NULL;
		for (size_t i = 0; ok && i < warned.n; i++) {
			cJSON *s = cJSON_CreateString(warned.v[i]);

			ok = s != NULL;
			if (ok)
				cJSON_AddItemToArray(w, s);
		}
	}
	if (ok && mutate && d->allowed) {
		ok = (ops = patch_ops(d)) != NULL;
		if (ok && cJSON_GetArraySize(ops) > 0)
			ok = hm_json_print(&patch, ops) == HM_OK &&
			     hm_base64_encode(&b64, patch.data, patch.len) == HM_OK &&
			     cJSON_AddStringToObject(resp, "patchType", "JSONPatch") &&
			     cJSON_AddStringToObject(resp, "patch", hm_buf_cstr(&b64));
	}
	cJSON_Delete(ops);
	hm_strv_free(&denied);
	hm_strv_free(&warned);
	hm_buf_release(&msg);
	hm_buf_release(&patch);
	hm_buf_release(&b64);
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
