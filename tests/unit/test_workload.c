/* SPDX-License-Identifier: Apache-2.0 */
/* policy/workload: images of every workload kind, List, JSON input,
 * AdmissionReview requests and responses (message, warnings, patch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/base64.h"
#include "core/error.h"
#include "policy/workload.h"

static const char *manifests =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n"
	"spec:\n  initContainers: [{name: init, image: busybox}]\n"
	"  containers: [{name: app, image: nginx:1.25}, {name: side, image: envoy}]\n"
	"  ephemeralContainers: [{name: dbg, image: debug}]\n"
	"---\n"
	"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"
	"---\n"
	"{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"d\"},"
	" \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"d:1\"}]}}}}\n"
	"---\n"
	"kind: CronJob\nmetadata: {name: cj}\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
	"        spec:\n          containers: [{name: c, image: cron:1}]\n"
	"---\n"
	"kind: List\nitems:\n"
	"  - {kind: StatefulSet, metadata: {name: ss}, spec: {template: {spec: {containers: [{name: c, image: ss}]}}}}\n"
	"  - {kind: DaemonSet, metadata: {name: ds}, spec: {template: {spec: {containers: [{name: c, image: ds}]}}}}\n"
	"  - {kind: ReplicaSet, metadata: {name: rs}, spec: {template: {spec: {containers: [{name: c, image: rs}]}}}}\n"
	"  - {kind: ReplicationController, metadata: {name: rc}, spec: {template: {spec: {containers: [{name: c, image: rc}]}}}}\n"
	"  - {kind: Job, metadata: {name: j}, spec: {template: {spec: {containers: [{name: c, image: job}]}}}}\n";

static void test_every_kind(void **state)
{
	hm_workload w = HM_WORKLOAD_INIT;
	struct {
		const char *image, *kind, *container, *pointer;
	} want[] = {
		{"busybox", "Pod", "init", "/spec/initContainers/0/image"},
		{"nginx:1.25", "Pod", "app", "/spec/containers/0/image"},
		{"envoy", "Pod", "side", "/spec/containers/1/image"},
		{"debug", "Pod", "dbg", "/spec/ephemeralContainers/0/image"},
		{"d:1", "Deployment", "c", "/spec/template/spec/containers/0/image"},
		{"cron:1", "CronJob", "c", "/spec/jobTemplate/spec/template/spec/containers/0/image"},
		{"ss", "StatefulSet", "c", "/items/0/spec/template/spec/containers/0/image"},
		{"ds", "DaemonSet", "c", "/items/1/spec/template/spec/containers/0/image"},
		{"rs", "ReplicaSet", "c", "/items/2/spec/template/spec/containers/0/image"},
		{"rc", "ReplicationController", "c", "/items/3/spec/template/spec/containers/0/image"},
		{"job", "Job", "c", "/items/4/spec/template/spec/containers/0/image"},
	};
	hm_eval_input *in = NULL;

	assert_int_equal(hm_workload_from_yaml(&w, manifests, strlen(manifests), "m.yaml"), HM_OK);
	assert_int_equal(w.n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < w.n; i++) {
		assert_string_equal(w.v[i].image, want[i].image);
		assert_string_equal(w.v[i].kind, want[i].kind);
		assert_string_equal(w.v[i].container, want[i].container);
		assert_string_equal(w.v[i].pointer, want[i].pointer);
	}
	assert_string_equal(w.v[0].namespace, "ns");
	assert_string_equal(w.v[0].name, "p");
	assert_int_equal(w.v[0].line, 5);
	assert_int_equal(w.v[4].doc, 2);
	assert_int_equal(hm_workload_inputs(&in, &w), HM_OK);
	assert_string_equal(in[5].image, "cron:1");
	assert_string_equal(in[5].name, "cj");
	free(in);
	hm_workload_free(&w);
}

static void parse(hm_workload *w, const char *yaml)
{
	if (hm_workload_from_yaml(w, yaml, strlen(yaml), "m.yaml"))
		fail_msg("'%s': %s", yaml, hm_error_message());
}

static int has_image(const hm_workload *w, const char *image, const char *pointer)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].image, image) && (!pointer || !strcmp(w->v[i].pointer, pointer)))
			return 1;
	return 0;
}

/* An image behind a YAML merge key is an image (it used to be dropped with
 * the "<<" member); a merge that disagrees with the mapping is refused. */
static void test_merge_keys(void **state)
{
	hm_workload w = HM_WORKLOAD_INIT;
	const char *conflict = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
			       "    - name: c\n      image: good:1\n      <<: {image: evil.io/x:1}\n";

	parse(&w, "x-defaults: &d {name: app, image: evil.io/hidden:1}\n"
		  "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - <<: *d\n"
		  "  initContainers:\n    - <<: [{name: i}, {image: evil.io/init:1}]\n");
	assert_true(has_image(&w, "evil.io/hidden:1", "/spec/containers/0/image"));
	assert_true(has_image(&w, "evil.io/init:1", "/spec/initContainers/0/image"));
	hm_workload_free(&w);
	assert_int_equal(hm_workload_from_yaml(&w, conflict, strlen(conflict), "m.yaml"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "m.yaml:7:7: merge key '<<': the mapping already sets another "
						   "value for 'image'"));
	hm_workload_free(&w);
}

/* Kinds hallmark does not know are searched for pod specs and refused as
 * unchecked; image volumes are images; layout paths are refused. */
static void test_unknown_kinds_volumes_layouts(void **state)
{
	hm_workload w = HM_WORKLOAD_INIT;
	hm_decision d = {0};

	parse(&w, "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: prod}\n"
		  "spec:\n  template:\n    spec:\n      containers: [{name: c, image: evil.io/rollout:1}]\n"
		  "---\nkind: Workflow\nmetadata: {name: wf}\nspec:\n  templates:\n"
		  "    - name: a/b\n      podSpecPatch: {containers: [{name: x, image: evil.io/wf:1}]}\n"
		  "---\nkind: PodTemplate\nmetadata: {name: pt}\ntemplate:\n  spec: {containers: [{name: c, image: pt:1}]}\n"
		  "---\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {containers: \"not a pod\"}\n"
		  "---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: \"oci:/srv/trusted:v1\"}]\n"
		  "  volumes:\n    - {name: data, image: {reference: evil.io/volume:1}}\n    - {name: e, emptyDir: {}}\n");
	assert_true(has_image(&w, "evil.io/rollout:1", "/spec/template/spec/containers/0/image"));
	assert_true(has_image(&w, "evil.io/wf:1", "/spec/templates/0/podSpecPatch/containers/0/image"));
	assert_true(has_image(&w, "pt:1", "/template/spec/containers/0/image"));
	assert_true(has_image(&w, "evil.io/volume:1", "/spec/volumes/0/image/reference"));
	assert_false(has_image(&w, "oci:/srv/trusted:v1", NULL));
	assert_int_equal(w.n, 4);
	/* Rollout, Workflow (unknown kinds) and the layout path; ConfigMap has no container list */
	assert_int_equal(w.n_refused, 3);
	assert_true(w.refused[0].unknown_kind);
	assert_string_equal(w.refused[0].kind, "Rollout");
	assert_non_null(strstr(w.refused[0].reason, "Rollout 'web' is a kind hallmark does not know"));
	assert_false(w.refused[2].unknown_kind);
	assert_string_equal(w.refused[2].pointer, "/spec/containers/0/image");
	assert_non_null(strstr(w.refused[2].reason, "is an OCI layout path"));

	/* the gate: denied unless unknown kinds are allowed; the layout never */
	d.allowed = 1;
	assert_int_equal(hm_workload_deny_refused(&d, &w, 0), HM_OK);
	assert_false(d.allowed);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].checks[0].what, "object");
	assert_false(d.v[0].checks[0].met);
	hm_decision_free(&d);
	d = (hm_decision){0};
	d.allowed = 1;
	assert_int_equal(hm_workload_deny_refused(&d, &w, 1), HM_OK);
	assert_false(d.allowed);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].in.image, "oci:/srv/trusted:v1");
	assert_string_equal(d.v[0].checks[0].what, "image");
	hm_decision_free(&d);
	hm_workload_free(&w);
}

static void test_bad_manifests(void **state)
{
	hm_workload w = HM_WORKLOAD_INIT;
	const char *noimg = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n";
	const char *scalar = "kind: Pod\n---\n42\n";

	assert_int_equal(hm_workload_from_yaml(&w, noimg, strlen(noimg), "m.yaml"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "m.yaml:5:7: container 'a' of Pod 'p' has no image"));
	hm_workload_free(&w);
	assert_int_equal(hm_workload_from_yaml(&w, scalar, strlen(scalar), "m.yaml"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "m.yaml:3:1: a Kubernetes object must be a mapping"));
	hm_workload_free(&w);
}

static const char *review =
	"{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {"
	"\"uid\": \"705ab4f5-6393-11e8-b7cc-42010a800002\","
	"\"kind\": {\"group\": \"apps\", \"version\": \"v1\", \"kind\": \"Deployment\"},"
	"\"resource\": {\"group\": \"apps\", \"version\": \"v1\", \"resource\": \"deployments\"},"
	"\"name\": \"my-deployment\", \"namespace\": \"my-namespace\", \"operation\": \"CREATE\","
	"\"userInfo\": {\"username\": \"admin\"},"
	"\"object\": {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
	" \"metadata\": {\"name\": \"my-deployment\", \"namespace\": \"my-namespace\"},"
	" \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"reg.example.com/web:1\"},"
	" {\"name\": \"log\", \"image\": \"reg.example.com/log@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}}}},"
	"\"oldObject\": null, \"dryRun\": false}}";

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A decision made by hand for the two images of the review. */
static void decision(hm_decision *d, const hm_admission *a, int allowed0, int violated0, int allowed1)
{
	static hm_check fail = {"signatures", 0, "0 of 1 required key signed"};

	memset(d, 0, sizeof(*d));
	d->n = a->images.n;
	d->v = calloc(d->n, sizeof(*d->v));
	for (size_t i = 0; i < d->n; i++) {
		d->v[i].in.image = a->images.v[i].image;
		d->v[i].in.kind = a->images.v[i].kind;
		d->v[i].in.name = a->images.v[i].name;
		d->v[i].in.namespace = a->images.v[i].namespace;
		d->v[i].in.container = a->images.v[i].container;
		d->v[i].in.pointer = a->images.v[i].pointer;
		d->v[i].rule_name = "prod";
	}
	d->v[0].digest = DB;
	d->v[0].allowed = allowed0;
	d->v[0].violated = violated0;
	if (violated0) {
		d->v[0].checks = &fail;
		d->v[0].n_checks = 1;
	}
	d->v[1].digest = DA;
	d->v[1].pinned = 1;
	d->v[1].allowed = allowed1;
	d->allowed = allowed0 && allowed1;
}

static void test_admission(void **state)
{
	hm_admission a;
	hm_decision d;
	cJSON *r, *resp;
	hm_buf patch = HM_BUF_INIT;
	const char *p64;

	assert_int_equal(hm_admission_parse(&a, review, strlen(review), "review.json"), HM_OK);
	assert_string_equal(a.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
	assert_int_equal(a.images.n, 2);
	assert_string_equal(a.images.v[0].pointer, "/spec/template/spec/containers/0/image");

	/* denied: every violation in status.message, no patch */
	decision(&d, &a, 0, 1, 1);
	r = hm_admission_response(&a, &d, 1);
	resp = cJSON_GetObjectItem(r, "response");
	assert_string_equal(cJSON_GetObjectItem(r, "apiVersion")->valuestring, "admission.k8s.io/v1");
	assert_string_equal(cJSON_GetObjectItem(resp, "uid")->valuestring, a.uid);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(resp, "allowed")));
	assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "status"), "message")->valuestring,
			       "reg.example.com/web:1 (container 'web' of Deployment my-namespace/my-deployment): "
			       "rule 'prod': signatures: 0 of 1 required key signed"));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "status"), "code")->valueint, 403);
	assert_null(cJSON_GetObjectItem(resp, "patch"));
	cJSON_Delete(r);
	free(d.v);

	/* allowed in warn mode: a warning, and a patch pinning only the tag */
	decision(&d, &a, 1, 1, 1);
	r = hm_admission_response(&a, &d, 1);
	resp = cJSON_GetObjectItem(r, "response");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(resp, "allowed")));
	assert_null(cJSON_GetObjectItem(resp, "status"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(resp, "warnings")), 1);
	assert_string_equal(cJSON_GetObjectItem(resp, "patchType")->valuestring, "JSONPatch");
	p64 = cJSON_GetObjectItem(resp, "patch")->valuestring;
	assert_int_equal(hm_base64_decode(&patch, p64, strlen(p64)), HM_OK);
	assert_string_equal(hm_buf_cstr(&patch),
			    "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
			    "\"value\":\"reg.example.com/web:1@" DB "\"}]");
	cJSON_Delete(r);

	/* no mutate: no patch */
	r = hm_admission_response(&a, &d, 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"), "patch"));
	cJSON_Delete(r);
	free(d.v);
	hm_buf_release(&patch);
	hm_admission_free(&a);
}

static void test_admission_refusals(void **state)
{
	hm_admission a;
	const char *v1beta = "{\"apiVersion\": \"admission.k8s.io/v1beta1\", \"kind\": \"AdmissionReview\","
			     " \"request\": {\"uid\": \"x\"}}";
	const char *nouid = "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {}}";
	const char *del = "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\":"
			  " {\"uid\": \"u\", \"operation\": \"DELETE\", \"object\": null,"
			  " \"oldObject\": {\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"x\"}]}}}}";

	assert_int_equal(hm_admission_parse(&a, v1beta, strlen(v1beta), "r.json"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "not an admission.k8s.io/v1 AdmissionReview"));
	assert_int_equal(hm_admission_parse(&a, nouid, strlen(nouid), "r.json"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "no request.uid"));
	assert_int_equal(hm_admission_parse(&a, del, strlen(del), "r.json"), HM_OK);
	assert_int_equal(a.images.n, 0);
	hm_admission_free(&a);
	/* nothing, blanks, not an object, trailing bytes, a bad value deep
	 * inside (checked once, on the first walk), a stray backslash before
	 * the closing quote of a key: each refused, none read past its end */
	{
		static const char *const bad[] = {
		    "", "   ", "[]", "{}x", "{} {}", "{\"a\": [1, tru]}",
		    "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": "
		    "{\"uid\": \"u\", \"object\": {\"metadata\": {\"managedFields\": [{\"f:x\\q\": {}}]}}}}",
		    "{\"a\\\": 1}",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			char *copy = malloc(strlen(bad[i]) + 1);

			assert_non_null(copy);
			memcpy(copy, bad[i], strlen(bad[i]) + 1);
			assert_int_equal(hm_admission_parse(&a, copy, strlen(copy), "r.json"), HM_E_IO);
			free(copy);
		}
	}
}

#define REVIEW_HEAD "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {\"uid\": \"u\", "
#define POD(img, extra)                                                                                         \
	"{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"managedFields\": [{\"manager\": \"kubectl\", "         \
	"\"fieldsV1\": {\"f:spec\": {\"f:containers\": {\"k:{\\\"name\\\":\\\"a\\\"}\": {}}}}}]" extra "}, "       \
	"\"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"" img "\"}]}, \"status\": {\"phase\": \"Running\"}}"

static int parse_review(hm_admission *a, const char *s)
{
	return hm_admission_parse(a, s, strlen(s), "r.json");
}

/* The in-place parser: what it reads, what it only checks, what it refuses. */
static void test_admission_fast_parse(void **state)
{
	hm_admission a;
	const char *same = REVIEW_HEAD "\"operation\": \"UPDATE\", \"kind\": {\"kind\": \"Pod\"}, \"namespace\": \"ns\", "
				       "\"name\": \"p\", \"object\": " POD("app:1", ", \"labels\": {\"x\": \"2\"}") ", "
				       "\"oldObject\": " POD("app:1", "") "}}";
	const char *changed = REVIEW_HEAD "\"operation\": \"UPDATE\", \"object\": " POD("app:2", "") ", "
					  "\"oldObject\": " POD("app:1", "") "}}";
	const char *create = REVIEW_HEAD "\"operation\": \"CREATE\", \"object\": " POD("app:1", "") ", "
					 "\"oldObject\": " POD("app:1", "") "}}";
	/* a broken value where nothing is read, and two uids */
	const char *broken = REVIEW_HEAD "\"object\": " POD("app:1", ", \"x\": [1, }") "}}";
	const char *trailing = REVIEW_HEAD "\"object\": " POD("app:1", "") "}} {}";
	const char *twice = REVIEW_HEAD "\"uid\": \"v\", \"object\": " POD("app:1", "") "}}";
	const char *ctl = REVIEW_HEAD "\"object\": " POD("app:1", ", \"x\": \"a\tb\"") "}}";
	/* a kind hallmark does not know is searched under every member, whatever its name's spelling */
	const char *hidden = REVIEW_HEAD "\"object\": {\"kind\": \"Thing\", \"metadata\": {\"name\": \"t\"}, "
					 "\"t\\u0065mplate\": {\"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"one:1\"}]}}, "
					 "\"a-member-name-longer-than-sixty-four-characters-a-member-name-longer-than\": "
					 "{\"spec\": {\"containers\": [{\"name\": \"b\", \"image\": \"two:1\"}]}}}}}";
	char deep[600];

	(void)state;
	assert_int_equal(parse_review(&a, hidden), HM_OK);
	assert_int_equal(a.images.n, 2);
	assert_string_equal(a.images.v[0].image, "one:1");
	assert_string_equal(a.images.v[0].pointer, "/template/spec/containers/0/image");
	assert_string_equal(a.images.v[1].image, "two:1");
	assert_int_equal(a.images.n_refused, 1);
	assert_true(a.images.refused[0].unknown_kind);
	hm_admission_free(&a);
	assert_int_equal(parse_review(&a, same), HM_OK);
	assert_string_equal(a.uid, "u");
	assert_string_equal(a.operation, "UPDATE");
	assert_string_equal(a.kind, "Pod");
	assert_string_equal(a.namespace, "ns");
	assert_string_equal(a.name, "p");
	assert_int_equal(a.images.n, 1);
	assert_string_equal(a.images.v[0].image, "app:1");
	assert_string_equal(a.images.v[0].pointer, "/spec/containers/0/image");
	assert_string_equal(a.images.v[0].name, "p");
	assert_int_equal(a.images_unchanged, 1);
	hm_admission_free(&a);
	assert_int_equal(parse_review(&a, changed), HM_OK);
	assert_int_equal(a.images_unchanged, 0);
	assert_string_equal(a.images.v[0].image, "app:2");
	hm_admission_free(&a);
	assert_int_equal(parse_review(&a, create), HM_OK);
	assert_int_equal(a.images_unchanged, 0); /* only an UPDATE */
	hm_admission_free(&a);
	assert_int_equal(parse_review(&a, broken), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "r.json: "));
	assert_int_equal(parse_review(&a, trailing), HM_E_IO);
	assert_int_equal(parse_review(&a, twice), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "two 'uid' members"));
	assert_int_equal(parse_review(&a, ctl), HM_E_IO); /* a raw control character in a string */
	/* nesting past the limit, even where nothing is read */
	memset(deep, '[', sizeof(deep));
	memcpy(deep, REVIEW_HEAD "\"x\": ", strlen(REVIEW_HEAD "\"x\": "));
	assert_int_equal(hm_admission_parse(&a, deep, sizeof(deep), "r.json"), HM_E_IO);
	assert_int_equal(parse_review(&a, ""), HM_E_IO);
	assert_int_equal(parse_review(&a, "   "), HM_E_IO);
}

/* Containers of the outer levels are walked again by jumping to where the
 * checking walk saw them end: what follows them is still read, duplicates
 * after them still refused, and past the table's room (512) the walk
 * counts brackets as before. */
static void test_admission_jumps(void **state)
{
	hm_admission a;
	hm_buf b = HM_BUF_INIT;
	const char *dup = REVIEW_HEAD "\"object\": " POD("app:1", ", \"name\": \"q\"") "}}";

	(void)state;
	assert_int_equal(parse_review(&a, dup), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "two 'name' members"));
	/* 700 containers at the depth of metadata's members, then the name */
	assert_int_equal(hm_buf_addstr(&b, REVIEW_HEAD "\"object\": {\"kind\": \"Pod\", \"metadata\": {"), HM_OK);
	for (int i = 0; i < 700; i++)
		assert_int_equal(hm_buf_addf(&b, "\"a%d\": {\"b\": [{}]}, ", i), HM_OK);
	assert_int_equal(hm_buf_addstr(&b, "\"name\": \"late\"}, \"spec\": {\"containers\": "
					   "[{\"name\": \"a\", \"image\": \"app:3\"}]}}}}"),
			 HM_OK);
	assert_int_equal(hm_admission_parse(&a, b.data, b.len, "r.json"), HM_OK);
	assert_int_equal(a.images.n, 1);
	assert_string_equal(a.images.v[0].image, "app:3");
	assert_string_equal(a.images.v[0].name, "late");
	hm_admission_free(&a);
	hm_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_unknown_kinds_volumes_layouts),
		cmocka_unit_test(test_bad_manifests),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_admission_refusals),
		cmocka_unit_test(test_admission_fast_parse),
		cmocka_unit_test(test_admission_jumps),
	};

	return cmocka_run_group_tests_name("workload", tests, NULL, NULL);
}
