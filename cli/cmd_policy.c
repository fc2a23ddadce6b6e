/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark policy lint, hallmark policy check */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>

#include "attest/attest.h"
#include "attest/vsa.h"
#include "policy/summary.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "oci/ref.h"
#include "sign/sign.h"
#include "policy/eval.h"
#include "policy/policy.h"
#include "policy/workload.h"

#define HM_MAX_MANIFESTS (64u << 20)

static int run_lint(hm_args *a)
{
	hm_strv diags = HM_STRV_INIT;
	hm_policy *p = NULL;
	const char *output;
	cJSON *top, *arr;
	int err, rc;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (strcmp(output, "json") != 0) {
		err = hm_cli_load_policy(&p, a->pos.v[0], stdout);
		if (err == HM_E_IO && strstr(hm_error_message(), " problem")) {
			fprintf(stderr, "hallmark: %s\n", hm_error_message());
			return HM_EXIT_DENIED;
		}
		if (err)
			return hm_cli_fail(err);
		printf("%s: ok (%zu key%s, %zu rule%s, default %s%s)\n", a->pos.v[0], p->n_keys,
		       p->n_keys == 1 ? "" : "s", p->n_rules, p->n_rules == 1 ? "" : "s",
		       p->default_allow ? "allow" : "deny", p->mutate_digest ? ", mutate digest" : "");
		hm_policy_free(p);
		return HM_EXIT_OK;
	}
	/* the same, as one document: every problem, then the summary */
	err = hm_policy_load(&p, a->pos.v[0], &diags);
	rc = !err ? HM_EXIT_OK : err == HM_E_IO && strstr(hm_error_message(), " problem") ? HM_EXIT_DENIED
											 : hm_exit_code(err);
	if (err)
		fprintf(stderr, "hallmark: %s\n", hm_error_message());
	if ((top = hm_cli_json_new(a))) {
		cJSON_AddStringToObject(top, "file", a->pos.v[0]);
		cJSON_AddBoolToObject(top, "valid", !err);
		arr = cJSON_AddArrayToObject(top, "problems");
		for (size_t i = 0; arr && i < diags.n; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(diags.v[i]));
		if (p) {
			cJSON_AddNumberToObject(top, "keys", (double)p->n_keys);
			cJSON_AddNumberToObject(top, "rules", (double)p->n_rules);
			cJSON_AddStringToObject(top, "default", p->default_allow ? "allow" : "deny");
			cJSON_AddBoolToObject(top, "mutateDigest", p->mutate_digest);
		}
	}
	hm_cli_json_print(top, rc, err ? hm_error_message() : NULL);
	hm_strv_free(&diags);
	hm_policy_free(p);
	return rc;
}

/* The exit status of a decision.  An image denied because its check could
 * not be made (registry unreachable, deadline passed) is an operational
 * error, 3; one denied on what was found is 1; when both happen, 3 wins, as
 * in verify: the answer is incomplete and someone must look at what broke
 * (the denied images are still named).  An error the policy turned into an
 * admission (on_error: allow, mode warn or audit) follows the decision: 0. */
static int decision_status(const hm_decision *d, size_t *denied, size_t *unchecked)
{
	*denied = *unchecked = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].allowed)
			continue;
		if (d->v[i].error)
			++*unchecked;
		else
			++*denied;
	}
	return *unchecked ? HM_EXIT_ERROR : *denied ? HM_EXIT_DENIED : HM_EXIT_OK;
}

/* One image of the decision, as hm_decision_json renders it, with the
 * reference as written under "reference" and its normalised form under
 * "normalized" (docs/json.md). */
static cJSON *image_json(const hm_image_decision *o)
{
	hm_decision one = {.allowed = o->allowed, .v = (hm_image_decision *)o, .n = 1};
	cJSON *j = hm_decision_json(&one), *e = NULL, *out, *it;

	if (!(out = cJSON_CreateObject()) || !j || !(e = cJSON_GetObjectItemCaseSensitive(j, "images")) ||
	    !(e = e->child)) {
		cJSON_Delete(out);
		cJSON_Delete(j);
		return NULL;
	}
	while ((it = e->child)) {
		const char *name = it->string;

		cJSON_DetachItemViaPointer(e, it);
		if (!strcmp(name, "image"))
			name = "reference";
		else if (!strcmp(name, "ref"))
			name = "normalized";
		/* cJSON_AddItemToObject copies the name before freeing the item's own */
		{
			char *copy = strdup(name);

			if (!copy || !cJSON_AddItemToObject(out, copy, it))
				cJSON_Delete(it);
			free(copy);
		}
	}
	cJSON_Delete(j);
	return out;
}

static void print_text(const hm_decision *d)
{
	size_t denied, unchecked;

	decision_status(d, &denied, &unchecked);
	for (size_t i = 0; i < d->n; i++) {
		const hm_image_decision *o = &d->v[i];

		if (o->in.image)
			printf("%s %s", !o->allowed ? "DENIED " : o->violated ? "WARNED " : "ALLOWED", o->in.image);
		else
			printf("%s %s %s%s%s", !o->allowed ? "DENIED " : o->violated ? "WARNED " : "ALLOWED",
			       o->in.kind ? o->in.kind : "object", o->in.namespace ? o->in.namespace : "",
			       o->in.namespace ? "/" : "", o->in.name ? o->in.name : "");
		if (o->digest && !o->pinned)
			printf(" (at %s)", o->digest);
		if (o->in.container)
			printf(" [container '%s' of %s %s%s%s]", o->in.container, o->in.kind ? o->in.kind : "object",
			       o->in.namespace ? o->in.namespace : "", o->in.namespace ? "/" : "",
			       o->in.name ? o->in.name : "");
		printf("\n");
		if (o->rule_name)
			printf("  rule '%s' (%s%s)\n", o->rule_name, hm_mode_name(o->mode),
			       o->error ? ", operational error" : "");
		for (size_t k = 0; k < o->n_checks; k++)
			printf("  %-4s %s: %s\n", o->checks[k].met ? "ok" : "FAIL", o->checks[k].what,
			       o->checks[k].detail);
	}
	printf("%s: %zu of %zu image%s denied", d->allowed ? "allowed" : "denied", denied + unchecked, d->n,
	       d->n == 1 ? "" : "s");
	if (unchecked)
		printf(" (%zu of them could not be checked)", unchecked);
	printf(", %zu distinct verification%s\n", d->n_verified, d->n_verified == 1 ? "" : "s");
}

/* --vsa-key: one verification summary per distinct digest decided. */
typedef struct vsa_run {
	hm_args *a;
	const hm_decision *d;
	const char *policy_path;
	const char *out_dir;  /* or NULL */
	int attach;
	hm_key *key;
	char policy_digest[HM_DIGEST_SIZE];
	char *policy_uri;
	int64_t now;
	cJSON **made;         /* per image: {"digest", "verificationResult", "file", "attached"}, or NULL */
} vsa_run;

/* The summary of image i, the first one deciding its digest (the others
 * deciding the same digest share it). */
static int vsa_one(vsa_run *v, size_t i)
{
	const hm_image_decision *o = &v->d->v[i];
	hm_vsa_opts vo = {0};
	hm_buf env = HM_BUF_INIT, path = HM_BUF_INIT;
	cJSON *st = NULL, *made = NULL;
	int passed, err = HM_OK;

	vo.verifier_id = hm_arg(v->a, "vsa-verifier-id");
	vo.version = HM_VERSION;
	vo.time_verified = v->now;
	vo.policy_uri = v->policy_uri;
	vo.policy_digest = v->policy_digest;
	if ((err = hm_decision_vsa(&st, &passed, v->d, i, &vo)))
		goto done;
	if (!(made = cJSON_CreateObject()) || !cJSON_AddStringToObject(made, "digest", o->digest) ||
	    !cJSON_AddStringToObject(made, "verificationResult", passed ? "PASSED" : "FAILED")) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	if (v->out_dir) {
		if ((err = hm_attest_envelope(&env, v->key, st)) || (err = hm_buf_addch(&env, '\n')) ||
		    (err = hm_buf_addf(&path, "%s/sha256-%s.vsa.json", v->out_dir, hm_digest_hex(o->digest))))
			goto done;
		if ((err = hm_file_write_atomic(hm_buf_cstr(&path), env.data, env.len, 0644, 1)))
			goto done;
		if (!cJSON_AddStringToObject(made, "file", hm_buf_cstr(&path))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
	}
	if (v->attach) {
		hm_ref ref;
		hm_store *s = NULL;
		int added = 0;

		if ((err = hm_cli_open(&ref, &s, v->a, o->in.image, 0)))
			goto done;
		err = hm_attest_attach(&added, s, o->digest, o->name, v->key, HM_PREDICATE_VSA_V1,
				       cJSON_GetObjectItemCaseSensitive(st, "predicate"), HM_FORMAT_BUNDLE);
		hm_store_free(s);
		hm_ref_free(&ref);
		if (err)
			goto done;
		if (!cJSON_AddBoolToObject(made, "attached", 1)) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
	}
	v->made[i] = made;
	made = NULL;
	for (size_t j = i + 1; j < v->d->n; j++)
		if (v->d->v[j].digest && !strcmp(v->d->v[j].digest, o->digest) && !v->d->v[j].error &&
		    !(v->made[j] = cJSON_Duplicate(v->made[i], 1))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
done:
	cJSON_Delete(st);
	cJSON_Delete(made);
	hm_buf_release(&env);
	hm_buf_release(&path);
	return err;
}

/* Writes (and attaches) the summaries; v->made[i] names image i's. */
static int vsa_emit(vsa_run *v)
{
	const char *uri = hm_arg(v->a, "vsa-policy-uri");
	hm_buf b = HM_BUF_INIT;
	int err;

	if ((err = hm_file_read(&b, v->policy_path, 4u << 20)))
		return err;
	hm_digest_compute(v->policy_digest, b.data, b.len);
	hm_buf_release(&b);
	if (uri) {
		v->policy_uri = strdup(uri);
	} else {
		char *real = realpath(v->policy_path, NULL);

		if (real && hm_buf_addf(&b, "file://%s", real) == 0)
			v->policy_uri = hm_buf_detach(&b, NULL);
		free(real);
		hm_buf_release(&b);
	}
	if (!v->policy_uri)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (!(v->made = calloc(v->d->n + 1, sizeof(*v->made))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (v->out_dir && (err = hm_mkdir_p(v->out_dir, 0755)))
		return err;
	/* An image whose check could not be made has no summary: nothing was
	 * verified, and FAILED would say something was. */
	for (size_t i = 0; i < v->d->n; i++)
		if (v->d->v[i].digest && v->d->v[i].name && !v->d->v[i].error && !v->made[i] &&
		    (err = vsa_one(v, i)))
			return hm_error_wrap(err, "verification summary of %s", v->d->v[i].digest);
	return HM_OK;
}

static void vsa_free(vsa_run *v)
{
	for (size_t i = 0; v->made && i < v->d->n; i++)
		cJSON_Delete(v->made[i]);
	free(v->made);
	free(v->policy_uri);
	hm_key_free(v->key);
}

static int run_check(hm_args *a)
{
	const char *policy = hm_arg(a, "policy"), *review = hm_arg(a, "admission-review");
	const hm_strv *files = hm_arg_all(a, "file");
	const char *output, *jobs_s = hm_arg(a, "jobs");
	hm_eval_opts opts = HM_EVAL_OPTS_INIT;
	hm_policy_backend backend;
	hm_workload w = HM_WORKLOAD_INIT;
	hm_admission adm = {0};
	hm_eval_input *in = NULL;
	hm_decision d = {0};
	hm_policy *p = NULL;
	vsa_run vsa = {0};
	size_t n = 0;
	int err, rc = HM_EXIT_ERROR;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (!policy)
		return hm_cli_usage(a, "--policy is required");
	if ((a->pos.n > 0) + (files->n > 0) + (review != NULL) != 1)
		return hm_cli_usage(a, "give images, or -f FILE, or --admission-review FILE (one of them)");
	if (jobs_s) {
		char *end;
		long j = strtol(jobs_s, &end, 10);

		if (*end || j < 1 || j > 64)
			return hm_cli_usage(a, "--jobs must be a number from 1 to 64");
		opts.jobs = (unsigned)j;
	}
	vsa.a = a;
	vsa.policy_path = policy;
	vsa.out_dir = hm_arg(a, "vsa-out");
	vsa.attach = hm_arg_flag(a, "vsa-attach");
	if ((vsa.out_dir || vsa.attach || hm_arg(a, "vsa-verifier-id") || hm_arg(a, "vsa-policy-uri")) &&
	    !hm_arg(a, "vsa-key"))
		return hm_cli_usage(a, "--vsa-out, --vsa-attach, --vsa-verifier-id and --vsa-policy-uri need --vsa-key");
	if (hm_arg(a, "vsa-key") && !vsa.out_dir && !vsa.attach)
		return hm_cli_usage(a, "--vsa-key needs --vsa-out DIR or --vsa-attach (or both)");
	if (hm_arg(a, "vsa-key")) {
		if ((err = hm_key_load_private(&vsa.key, hm_arg(a, "vsa-key"), NULL)))
			return hm_cli_fail(err);
		hm_cli_key_scrub(a, "vsa-key", hm_arg_all(a, "vsa-key")->n - 1, vsa.key);
	}
	if ((err = hm_cli_load_policy(&p, policy, stderr))) {
		hm_key_free(vsa.key);
		return hm_cli_fail(err);
	}
	for (size_t i = 0; i < files->n && !err; i++) {
		hm_buf b = HM_BUF_INIT;

		if (!(err = hm_file_read(&b, files->v[i], HM_MAX_MANIFESTS)))
			err = hm_workload_from_yaml(&w, hm_buf_cstr(&b), b.len,
						    strcmp(files->v[i], "-") ? files->v[i] : "stdin");
		hm_buf_release(&b);
	}
	if (!err && review) {
		hm_buf b = HM_BUF_INIT;

		if (!(err = hm_file_read(&b, review, HM_MAX_MANIFESTS)))
			err = hm_admission_parse(&adm, hm_buf_cstr(&b), b.len, strcmp(review, "-") ? review : "stdin");
		hm_buf_release(&b);
		opts.mutate = p->mutate_digest;
	}
	if (err)
		goto done;
	if (a->pos.n) {
		n = a->pos.n;
		if (!(in = calloc(n, sizeof(*in)))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < n; i++)
			in[i].image = a->pos.v[i];
	} else {
		const hm_workload *src = review ? &adm.images : &w;

		n = src->n;
		if ((err = hm_workload_inputs(&in, src)))
			goto done;
	}
	hm_policy_backend_store(&backend, &a->store);
	if ((err = hm_policy_eval(&d, p, &backend, in, n, &opts)))
		goto done;
	if (!a->pos.n && (err = hm_workload_deny_refused(&d, review ? &adm.images : &w,
							 hm_arg_flag(a, "allow-unknown-kinds"))))
		goto done;
	if (vsa.key) {
		vsa.d = &d;
		vsa.now = (int64_t)time(NULL);
		if ((err = vsa_emit(&vsa)))
			goto done;
	}
	if (review) {
		cJSON *r = hm_admission_response(&adm, &d, p->mutate_digest);

		if (!r) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
		hm_cli_print_json(r);
	} else if (!strcmp(output, "json")) {
		size_t denied, unchecked;

		rc = decision_status(&d, &denied, &unchecked);
		if (rc == HM_EXIT_OK && !d.allowed)
			rc = HM_EXIT_DENIED;
		/* streamed: one image at a time, never the whole tree */
		hm_cli_json_open(a);
		hm_cli_json_member("allowed", cJSON_CreateBool(d.allowed));
		hm_cli_json_array_open("images");
		for (size_t i = 0; i < d.n; i++) {
			cJSON *e = image_json(&d.v[i]);

			/* each image names its summary (null when none was made) */
			if (e && vsa.made) {
				cJSON_AddItemToObject(e, "vsa", vsa.made[i] ? vsa.made[i] : cJSON_CreateNull());
				vsa.made[i] = NULL;
			}
			hm_cli_json_array_item(e);
		}
		hm_cli_json_array_close();
		hm_cli_json_member("verifications", cJSON_CreateNumber((double)d.n_verified));
		hm_cli_json_close(rc, NULL);
		goto done;
	} else {
		print_text(&d);
		for (size_t i = 0; vsa.made && i < d.n; i++) {
			const cJSON *m = vsa.made[i];

			if (m && (!i || !vsa.made[i - 1] || strcmp(hm_json_str(vsa.made[i - 1], "digest"),
								 hm_json_str(m, "digest"))))
				printf("vsa %s %s%s%s%s\n", hm_json_str(m, "digest"), hm_json_str(m, "verificationResult"),
				       hm_json_str(m, "file") ? " written to " : "",
				       hm_json_str(m, "file") ? hm_json_str(m, "file") : "",
				       cJSON_GetObjectItemCaseSensitive(m, "attached") ? " (attached)" : "");
		}
	}
	{
		size_t denied, unchecked;

		rc = decision_status(&d, &denied, &unchecked);
		if (rc == HM_EXIT_OK && !d.allowed)
			rc = HM_EXIT_DENIED;
	}
done:
	if (err)
		rc = hm_cli_fail(err);
	vsa_free(&vsa); /* (before the decision: it counts the images) */
	hm_decision_free(&d);
	free(in);
	hm_workload_free(&w);
	hm_admission_free(&adm);
	hm_policy_free(p);
	return rc;
}

static const hm_opt lint_opts[] = {
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_policy_lint = {
	.name = "policy lint",
	.run = run_lint,
	.usage = "FILE",
	.summary = "check a policy file and report every problem",
	.description =
	    "Reads the policy FILE (docs/policy.md) and reports every problem, each\n"
	    "as FILE:LINE:COLUMN: message: unknown keys, wrong types, unknown key\n"
	    "names, bad image patterns and regexes, unreadable or invalid key files,\n"
	    "thresholds above the number of distinct keys listed (the same public key\n"
	    "under two names counts once).\n"
	    "\n"
	    "Exit status: 0 when the policy is valid, 1 when it has problems, 2 on a\n"
	    "usage error, 3 when the file cannot be read.",
	.opts = lint_opts,
	.flags = 0,
	.min_args = 1,
	.max_args = 1,
};

static const hm_opt check_opts[] = {
	{"policy", 'p', "FILE", 0, "the policy to apply (linted first)"},
	{"file", 'f', "FILE", HM_OPT_MULTI, "Kubernetes manifests, YAML or JSON, several documents (\"-\" reads stdin)"},
	{"admission-review", 0, "FILE", 0, "an AdmissionReview request; prints the AdmissionReview response"},
	HM_CLI_OUTPUT_OPT,
	{"jobs", 'j', "N", 0, "images checked at once (default 8)"},
	{"allow-unknown-kinds", 0, NULL, 0, "accept objects of kinds hallmark does not know on the images found in them"},
	{"vsa-key", 0, "KEY", 0, "sign a SLSA verification summary of each digest decided with KEY"},
	{"vsa-out", 0, "DIR", 0, "write each summary to DIR/sha256-<hex>.vsa.json (a DSSE envelope)"},
	{"vsa-attach", 0, NULL, 0, "attach each summary to its image as an attestation"},
	{"vsa-verifier-id", 0, "URI", 0, "the summaries' verifier.id (default " HM_VSA_VERIFIER_ID ")"},
	{"vsa-policy-uri", 0, "URI", 0, "the summaries' policy.uri (default file:// and the policy's absolute path)"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_policy_check = {
	.name = "policy check",
	.run = run_check,
	.usage = "--policy FILE [options] (IMAGE... | -f FILE | --admission-review FILE)",
	.summary = "decide by policy whether images may be deployed",
	.description =
	    "Applies the policy to images named on the command line, to every\n"
	    "container, initContainer, ephemeralContainer and image volume of\n"
	    "Kubernetes manifests (Pod, PodTemplate, Deployment, StatefulSet,\n"
	    "DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, List), or to\n"
	    "an AdmissionReview admission.k8s.io/v1 request. Objects of other kinds\n"
	    "are searched for pod specs; one that carries containers is denied as\n"
	    "unchecked unless --allow-unknown-kinds, which checks the images found\n"
	    "instead. YAML merge keys (<<) are expanded. An object may only name\n"
	    "registry images: an oci: layout path in one is denied.\n"
	    "\n"
	    "The first rule whose images match decides; every requirement is\n"
	    "reported met or not, with what was found and what would have been\n"
	    "accepted. Tags are resolved once; each distinct digest is verified once.\n"
	    "With --admission-review the output is the AdmissionReview response (with\n"
	    "a JSONPatch pinning tags to digests when the policy says mutate: digest).\n"
	    "\n"
	    "Exit status: 0 when every image is allowed; 1 when one is denied on what\n"
	    "was found; 3 when one could not be checked (registry unreachable or\n"
	    "failing, --timeout passed) and was denied for it, or the policy or a\n"
	    "manifest is unreadable or invalid; 2 on a usage error. When images of\n"
	    "both kinds are denied the status is 3. An error that a rule's on_error:\n"
	    "allow or mode warn|audit turns into an admission follows the decision (0).",
	.opts = check_opts,
	.flags = HM_CMD_STORE,
	.min_args = 0,
	.max_args = -1,
};
