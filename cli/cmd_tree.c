/* hallmark tree */
#include <stdio.h>
#include <string.h>

#include "attest/attest.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/attach.h"
#include "sign/sign.h"

struct kind {
	const char *title, *suffix, *media_type, *label_annotation;
};

static const struct kind kinds[] = {
	{"signatures", "sig", HM_MT_SIMPLESIGNING, NULL},
	{"attestations", "att", HM_MT_DSSE, "predicateType"},
};

static int run(hm_args *a)
{
	const char *output;
	hm_buf body = HM_BUF_INIT;
	hm_store *s = NULL;
	cJSON *j = NULL;
	hm_ref ref;
	hm_desc d;
	int err;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	err = hm_cli_open(&ref, &s, a, a->pos.v[0], 0);
	if (err)
		return hm_cli_fail(err);
	err = hm_store_get_manifest(s, ref.digest ? ref.digest : ref.tag, &body, &d);
	if (err)
		goto done;
	if (strcmp(output, "json") == 0) {
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "repository", hm_store_name(s));
		cJSON_AddStringToObject(j, "digest", d.digest);
		cJSON_AddStringToObject(j, "mediaType", d.media_type);
	} else {
		printf("%s@%s\n  media type %s\n", hm_store_name(s), d.digest, d.media_type);
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		hm_attached_list l;
		cJSON *arr = NULL;

		err = hm_attached_find(&l, s, d.digest, kinds[k].suffix, kinds[k].media_type);
		if (err)
			goto done;
		if (j) {
			arr = cJSON_AddArrayToObject(j, kinds[k].title);
		} else {
			printf("  %s: %zu", kinds[k].title, l.n - l.n_refused);
			if (l.n_refused)
				printf(" (and %zu refused)", l.n_refused);
			printf("\n");
		}
		for (size_t i = 0; i < l.n; i++) {
			const char *label = kinds[k].label_annotation
						? hm_json_str(l.v[i].annotations, kinds[k].label_annotation)
						: NULL;

			if (arr) {
				cJSON *e = cJSON_CreateObject();

				cJSON_AddStringToObject(e, "digest", l.v[i].desc.digest);
				cJSON_AddNumberToObject(e, "size", (double)l.v[i].desc.size);
				cJSON_AddStringToObject(e, "source", l.v[i].source);
				if (label)
					cJSON_AddStringToObject(e, kinds[k].label_annotation, label);
				if (l.v[i].refused)
					cJSON_AddStringToObject(e, "refused", l.v[i].refused);
				cJSON_AddItemToArray(arr, e);
			} else if (l.v[i].refused) {
				printf("    refused  %s: %s\n", l.v[i].source, l.v[i].refused);
			} else {
				printf("    %s  %s%s%s\n", l.v[i].desc.digest, l.v[i].source, label ? "  " : "",
				       label ? label : "");
			}
		}
		hm_attached_list_free(&l);
	}
	if (j) {
		hm_cli_print_json(j);
		j = NULL;
	}
done:
	cJSON_Delete(j);
	hm_buf_release(&body);
	hm_store_free(s);
	hm_ref_free(&ref);
	return err ? hm_cli_fail(hm_error_wrap(err, "listing %s", a->pos.v[0])) : HM_EXIT_OK;
}

static const hm_opt opts[] = {
	{"output", 'o', "FORMAT", 0, "text (default) or json"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_tree = {
	.name = "tree",
	.run = run,
	.usage = "[options] IMAGE",
	.summary = "show the signatures and attestations attached to an image",
	.description =
	    "Resolves IMAGE and lists what is attached to its digest: signatures\n"
	    "(tag sha256-<hex>.sig and OCI 1.1 referrers) and attestations (tag\n"
	    "sha256-<hex>.att and referrers) with their predicate types. Nothing is\n"
	    "verified: use 'hallmark verify' and 'hallmark verify-attestation' for that.\n"
	    "An attachment that cannot be read (a broken manifest, one over a cap) is\n"
	    "listed as refused, with the reason.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = 1,
};
