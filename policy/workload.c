/* SPDX-License-Identifier: Apache-2.0 */
/* Images of Kubernetes objects, AdmissionReview requests and responses.
 * See policy/workload.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/yaml.h"
#include "oci/ref.h"
#include "policy/workload.h"

#define MAX_LIST_DEPTH 4

/* Kinds whose pod spec is at a known place. */
static const struct {
	const char *kind;
	const char *path[6]; /* members leading to the pod spec */
} kinds[] = {
	{"Pod", {"spec", NULL}},
	{"PodTemplate", {"template", "spec", NULL}},
	{"Deployment", {"spec", "template", "spec", NULL}},
	{"StatefulSet", {"spec", "template", "spec", NULL}},
	{"DaemonSet", {"spec", "template", "spec", NULL}},
	{"ReplicaSet", {"spec", "template", "spec", NULL}},
	{"ReplicationController", {"spec", "template", "spec", NULL}},
	{"Job", {"spec", "template", "spec", NULL}},
	{"CronJob", {"spec", "jobTemplate", "spec", "template", "spec", NULL}},
};

static const char *const container_lists[] = {"initContainers", "containers", "ephemeralContainers"};

typedef struct ctx {
	const hm_yaml *y; /* for positions, or NULL */
	const char *name;
	hm_workload *out;
	size_t doc;
	const char *kind;
	const cJSON *meta;
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

static const char *object_name(const cJSON *meta)
{
	return hm_json_str(meta, "name") ? hm_json_str(meta, "name") : hm_json_str(meta, "generateName");
}

/* Records an object or an image that is refused without being checked. */
static int refuse(const ctx *c, const char *image, const char *pointer, int unknown_kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int refuse(const ctx *c, const char *image, const char *pointer, int unknown_kind, const char *fmt, ...)
{
	hm_workload *w = c->out;
	hm_workload_refusal *r;
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (hm_array_reserve(&w->refused, w->n_refused, &w->cap_refused, sizeof(*w->refused), 4))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	r = &w->refused[w->n_refused];
	memset(r, 0, sizeof(*r));
	r->unknown_kind = unknown_kind;
	r->kind = dup_or_null(c->kind);
	r->name = dup_or_null(object_name(c->meta));
	r->namespace = dup_or_null(hm_json_str(c->meta, "namespace"));
	r->image = dup_or_null(image);
	r->pointer = dup_or_null(pointer);
	r->reason = strdup(why);
	w->n_refused++;
	if (!r->kind || !r->reason || (image && !r->image) || (pointer && !r->pointer))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

/* One image field (a container's image, an image volume's reference). */
static int add_image(const ctx *c, const cJSON *img, const char *owner, const char *pointer)
{
	hm_workload_image im = {0};
	hm_ref ref = HM_REF_INIT;
	int err, layout;

	/* Kubernetes pulls from registries: a layout path names a directory
	 * on the machine running the check, never what the kubelet runs. */
	layout = hm_ref_parse(&ref, img->valuestring) == HM_OK && !ref.registry;
	hm_ref_free(&ref);
	hm_error_clear();
	if (layout)
		return refuse(c, img->valuestring, pointer, 0,
			      "'%.200s' is an OCI layout path; a Kubernetes object may only name registry images",
			      img->valuestring);
	hm_yaml_pos(c->y, img, &im.line, &im.col);
	im.doc = c->doc;
	im.image = strdup(img->valuestring);
	im.kind = strdup(c->kind);
	im.name = dup_or_null(object_name(c->meta));
	im.namespace = dup_or_null(hm_json_str(c->meta, "namespace"));
	im.container = dup_or_null(owner);
	im.pointer = strdup(pointer);
	err = HM_OK;
	if (!im.image || !im.kind || !im.pointer || (object_name(c->meta) && !im.name) ||
	    (owner && !im.container))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	if (!err)
		err = push(c->out, &im);
	if (err)
		image_free(&im);
	return err;
}

static int no_image(const ctx *c, const cJSON *at, const char *what, const char *owner)
{
	int line = 0, col = 0;

	hm_yaml_pos(c->y, at, &line, &col);
	if (line)
		return hm_error_set(HM_E_IO, "%s:%d:%d: %s '%s' of %s '%s' has no image", c->name, line, col, what,
				    owner ? owner : "?", c->kind, c->meta ? object_name(c->meta) : "?");
	return hm_error_set(HM_E_IO, "%s: %s '%s' of %s has no image", c->name, what, owner ? owner : "?", c->kind);
}

/* The images of a pod spec at ptr: every container, initContainer and
 * ephemeralContainer, and every image volume (volumes[].image.reference). */
static int pod_spec(const ctx *c, const cJSON *spec, const char *ptr)
{
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(spec, "volumes");
	hm_buf p = HM_BUF_INIT;
	int err = HM_OK, i;

	for (size_t l = 0; !err && l < 3; l++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, container_lists[l]);

		i = 0;
		if (list && !cJSON_IsArray(list) && !cJSON_IsNull(list))
			return hm_error_set(HM_E_IO, "%s: %s of %s '%s' is not a list", c->name, container_lists[l],
					    c->kind, c->meta ? object_name(c->meta) : "?");
		for (const cJSON *ct = cJSON_IsArray(list) ? list->child : NULL; ct && !err; ct = ct->next, i++) {
			const cJSON *img = cJSON_GetObjectItemCaseSensitive(ct, "image");
			const char *cname = hm_json_str(ct, "name");

			if (!cJSON_IsString(img) || !*img->valuestring) {
				err = no_image(c, img ? img : ct, "container", cname);
				break;
			}
			hm_buf_reset(&p);
			if (!(err = hm_buf_addf(&p, "%s/%s/%d/image", ptr, container_lists[l], i)))
				err = add_image(c, img, cname, hm_buf_cstr(&p));
		}
	}
	i = 0;
	for (const cJSON *v = cJSON_IsArray(vols) ? vols->child : NULL; v && !err; v = v->next, i++) {
		const cJSON *iv = cJSON_GetObjectItemCaseSensitive(v, "image");
		const cJSON *img = cJSON_GetObjectItemCaseSensitive(iv, "reference");
		const char *vname = hm_json_str(v, "name");
		hm_buf owner = HM_BUF_INIT;

		if (!iv)
			continue;
		if (!cJSON_IsString(img) || !*img->valuestring) {
			err = no_image(c, img ? img : iv, "image volume", vname);
			break;
		}
		hm_buf_reset(&p);
		if (!(err = hm_buf_addf(&p, "%s/volumes/%d/image/reference", ptr, i)) &&
		    !(err = hm_buf_addf(&owner, "volume %s", vname ? vname : "?")))
			err = add_image(c, img, hm_buf_cstr(&owner), hm_buf_cstr(&p));
		hm_buf_release(&owner);
	}
	hm_buf_release(&p);
	return err;
}

/* A JSON pointer token (RFC 6901: "~" is "~0", "/" is "~1"). */
static int add_token(hm_buf *b, const char *s)
{
	int err = hm_buf_addch(b, '/');

	for (; *s && !err; s++)
		err = *s == '~' ? hm_buf_addstr(b, "~0") : *s == '/' ? hm_buf_addstr(b, "~1") : hm_buf_addch(b, *s);
	return err;
}

/* The generic pod-spec search, for kinds hallmark does not know: every
 * mapping holding a container list (a list under one of the three names)
 * is a pod spec.  The tree is at most
 * HM_YAML_MAX_DEPTH deep and HM_YAML_MAX_NODES large, so is the walk. */
static int find_pod_specs(const ctx *c, const cJSON *node, hm_buf *ptr, size_t *found)
{
	size_t len = ptr->len;
	int err = HM_OK, i = 0;

	if (cJSON_IsObject(node)) {
		for (size_t l = 0; l < 3; l++)
			if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(node, container_lists[l]))) {
				++*found;
				return pod_spec(c, node, hm_buf_cstr(ptr));
			}
		for (const cJSON *m = node->child; m && !err; m = m->next) {
			if (!(err = add_token(ptr, m->string)))
				err = find_pod_specs(c, m, ptr, found);
			ptr->len = len;
			ptr->data[len] = '\0';
		}
	} else if (cJSON_IsArray(node)) {
		for (const cJSON *e = node->child; e && !err; e = e->next, i++) {
			if (!(err = hm_buf_addf(ptr, "/%d", i)))
				err = find_pod_specs(c, e, ptr, found);
			ptr->len = len;
			ptr->data[len] = '\0';
		}
	}
	return err;
}

static int add_object(hm_workload *out, const cJSON *obj, const char *prefix, size_t doc, const ctx *parent,
		      int depth)
{
	const char *kind = hm_json_str(obj, "kind");
	ctx c = {parent->y, parent->name, out, doc, kind, cJSON_GetObjectItemCaseSensitive(obj, "metadata")};
	const cJSON *spec = obj;
	hm_buf ptr = HM_BUF_INIT;
	size_t k, found = 0, before = out->n;
	int err = HM_OK;

	if (!kind)
		return HM_OK;
	if (!strcmp(kind, "List") || (strlen(kind) > 4 && !strcmp(kind + strlen(kind) - 4, "List"))) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
		int i = 0;

		if (depth >= MAX_LIST_DEPTH)
			return hm_error_set(HM_E_IO, "%s: lists nested too deep", c.name);
		for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it && !err; it = it->next, i++) {
			hm_buf_reset(&ptr);
			if (!(err = hm_buf_addf(&ptr, "%s/items/%d", prefix, i)))
				err = add_object(out, it, hm_buf_cstr(&ptr), doc, &c, depth + 1);
		}
		hm_buf_release(&ptr);
		return err;
	}
	if ((err = hm_buf_addstr(&ptr, prefix)))
		return err;
	for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
		if (!strcmp(kinds[k].kind, kind))
			break;
	if (k < sizeof(kinds) / sizeof(*kinds)) {
		for (size_t i = 0; kinds[k].path[i] && spec; i++) {
			spec = cJSON_GetObjectItemCaseSensitive(spec, kinds[k].path[i]);
			err = hm_buf_addf(&ptr, "/%s", kinds[k].path[i]);
		}
		if (spec && !err)
			err = pod_spec(&c, spec, hm_buf_cstr(&ptr));
	} else {
		err = find_pod_specs(&c, obj, &ptr, &found);
		if (!err && found)
			err = refuse(&c, NULL, prefix[0] ? prefix : NULL, 1,
				     "%s '%s' is a kind hallmark does not know, and it carries containers "
				     "(%zu image%s found by a generic pod-spec search; there may be others it "
				     "cannot see); pass --allow-unknown-kinds to accept it on those images",
				     kind, object_name(c.meta) ? object_name(c.meta) : "?", out->n - before,
				     out->n - before == 1 ? "" : "s");
	}
	hm_buf_release(&ptr);
	return err;
}

int hm_workload_from_yaml(hm_workload *out, const void *data, size_t len, const char *name)
{
	hm_yaml *y = NULL;
	ctx c = {NULL, name, out, 0, NULL, NULL};
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
	for (size_t i = 0; i < w->n_refused; i++) {
		hm_workload_refusal *r = &w->refused[i];

		free(r->kind);
		free(r->name);
		free(r->namespace);
		free(r->image);
		free(r->pointer);
		free(r->reason);
	}
	free(w->refused);
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

int hm_workload_add_object(hm_workload *out, const cJSON *obj, const char *name)
{
	ctx c = {NULL, name, out, 0, NULL, NULL};

	return add_object(out, obj, "", 0, &c, 0);
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

int hm_workload_deny_refused(hm_decision *d, const hm_workload *w, int allow_unknown_kinds)
{
	for (size_t i = 0; i < w->n_refused; i++) {
		const hm_workload_refusal *r = &w->refused[i];
		hm_image_decision *o, *v;
		int nomem = 0;

		if (r->unknown_kind && allow_unknown_kinds)
			continue;
		if (!(v = realloc(d->v, (d->n + 1) * sizeof(*v))))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		d->v = v;
		o = &v[d->n];
		memset(o, 0, sizeof(*o));
		d->n++;
		o->rule = -1;
		o->violated = 1;
		o->allowed = 0;
		d->allowed = 0;
		o->in.image = dup_or_null(r->image);
		o->in.kind = dup_or_null(r->kind);
		o->in.name = dup_or_null(r->name);
		o->in.namespace = dup_or_null(r->namespace);
		o->in.pointer = dup_or_null(r->pointer);
		if ((o->checks = calloc(1, sizeof(*o->checks)))) {
			o->n_checks = 1;
			o->checks[0].what = strdup(r->image ? "image" : "object");
			o->checks[0].detail = strdup(r->reason);
			nomem = !o->checks[0].what || !o->checks[0].detail;
		}
		if (nomem || !o->checks || (r->image && !o->in.image) || (r->kind && !o->in.kind) ||
		    (r->name && !o->in.name) || (r->namespace && !o->in.namespace) || (r->pointer && !o->in.pointer))
			return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return HM_OK;
}
