/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark tree */
#include <stdio.h>
#include <string.h>

#include "attest/attest.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/json.h"
#include "oci/discover.h"
#include "sign/sign.h"

/* The groups tree shows, by the kind discovery gave (what a layer's media
 * type says; nothing is verified). */
struct group {
	const char *title;
	enum hm_attach_kind kind;
	int always; /* shown even when empty */
};

static const struct group groups[] = {
	{"signatures", HM_KIND_SIMPLESIGNING, 1},
	{"attestations", HM_KIND_DSSE, 1},
	{"bundles", HM_KIND_BUNDLE, 1},
	{"notation", HM_KIND_NOTATION, 0},
	{"other", HM_KIND_OTHER, 0},
};

static int in_group(const hm_attached *a, const struct group *g)
{
	if (a->kind == HM_KIND_UNKNOWN) /* refused before its layers were read */
		return g->kind == HM_KIND_OTHER;
	return a->kind == g->kind;
}

/* A notation envelope's format, by its layer's media type: "jws", "cose" or NULL. */
static const char *notation_format(const hm_attached *a)
{
	if (a->kind != HM_KIND_NOTATION)
		return NULL;
	if (strcmp(a->desc.media_type, "application/jose+json") == 0)
		return "jws";
	if (strcmp(a->desc.media_type, "application/cose") == 0)
		return "cose";
	return "unknown";
}

static cJSON *entry_json(const hm_attached *a)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "digest", a->desc.digest);
	cJSON_AddNumberToObject(e, "size", (double)a->desc.size);
	cJSON_AddStringToObject(e, "mediaType", a->desc.media_type);
	cJSON_AddStringToObject(e, "kind", hm_attach_kind_name(a->kind));
	cJSON_AddStringToObject(e, "form", hm_attach_form_name(a->form));
	cJSON_AddStringToObject(e, "source", a->source);
	if (a->manifest[0])
		cJSON_AddStringToObject(e, "manifest", a->manifest);
	if (a->kind == HM_KIND_DSSE && a->hint)
		cJSON_AddStringToObject(e, "predicateType", a->hint);
	if (a->kind == HM_KIND_BUNDLE) {
		cJSON_AddStringToObject(e, "predicateType", "unverified");
		if (a->hint)
			cJSON_AddStringToObject(e, "predicateTypeHint", a->hint);
	}
	if (notation_format(a))
		cJSON_AddStringToObject(e, "format", notation_format(a));
	if (a->refused)
		cJSON_AddStringToObject(e, "refused", a->refused);
	return e;
}

static void entry_text(const hm_attached *a)
{
	if (a->refused) {
		printf("    refused  %s: %s\n", a->source, a->refused);
		return;
	}
	printf("    %s  %s  %s  (%s)", a->desc.digest, hm_attach_kind_name(a->kind), hm_attach_form_name(a->form),
	       a->source);
	if (a->kind == HM_KIND_DSSE && a->hint)
		printf("  %s", a->hint);
	if (a->kind == HM_KIND_BUNDLE) {
		printf("  predicate type unverified");
		if (a->hint)
			printf(" (annotation, a hint: %s)", a->hint);
	}
	if (notation_format(a))
		printf("  %s envelope, unverified", strcmp(notation_format(a), "jws") == 0 ? "JWS"
						  : strcmp(notation_format(a), "cose") == 0 ? "COSE" : "unknown");
	printf("\n");
}

static int run(hm_args *a)
{
	const char *output;
	hm_buf body = HM_BUF_INIT;
	hm_attached_list l = {0};
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
	if (err || (err = hm_discover(&l, s, d.digest)))
		goto done;
	if (strcmp(output, "json") == 0) {
		if (!(j = hm_cli_json_new(a))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto done;
		}
		cJSON_AddStringToObject(j, "reference", a->pos.v[0]);
		cJSON_AddStringToObject(j, "repository", hm_store_name(s));
		cJSON_AddStringToObject(j, "digest", d.digest);
		cJSON_AddStringToObject(j, "mediaType", d.media_type);
	} else {
		printf("%s@%s\n  media type %s\n", hm_store_name(s), d.digest, d.media_type);
	}
	for (size_t k = 0; k < sizeof(groups) / sizeof(groups[0]); k++) {
		size_t n = 0, refused = 0;
		cJSON *arr = NULL;

		for (size_t i = 0; i < l.n; i++)
			if (in_group(&l.v[i], &groups[k])) {
				n++;
				refused += l.v[i].refused != NULL;
			}
		if (!n && !groups[k].always)
			continue;
		if (j) {
			arr = cJSON_AddArrayToObject(j, groups[k].title);
		} else {
			printf("  %s: %zu", groups[k].title, n - refused);
			if (refused)
				printf(" (and %zu refused)", refused);
			printf("\n");
		}
		for (size_t i = 0; i < l.n; i++) {
			if (!in_group(&l.v[i], &groups[k]))
				continue;
			if (arr)
				cJSON_AddItemToArray(arr, entry_json(&l.v[i]));
			else
				entry_text(&l.v[i]);
		}
	}
	if (j) {
		hm_cli_json_print(j, HM_EXIT_OK, NULL);
		j = NULL;
	}
done:
	hm_attached_list_free(&l);
	cJSON_Delete(j);
	hm_buf_release(&body);
	hm_store_free(s);
	hm_ref_free(&ref);
	return err ? hm_cli_fail(hm_error_wrap(err, "listing %s", a->pos.v[0])) : HM_EXIT_OK;
}

static const hm_opt opts[] = {
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_tree = {
	.name = "tree",
	.run = run,
	.usage = "[options] IMAGE",
	.summary = "show the signatures and attestations attached to an image",
	.description =
	    "Resolves IMAGE and lists what is attached to its digest, wherever it is\n"
	    "stored (cosign's tags sha256-<hex>.sig and .att, OCI 1.1 referrers through\n"
	    "the API or the referrers tag sha256-<hex>, OCI layouts, layouts written by\n"
	    "cosign save), grouped by kind: signatures (simple-signing layers),\n"
	    "attestations (DSSE layers, with the predicate type their annotation\n"
	    "claims), bundles (Sigstore bundles), and notation envelopes (JWS or COSE,\n"
	    "by the layer's media type) or other layers when there are any. Each line\n"
	    "gives the digest, kind, storage form\n"
	    "and where it was found. Nothing is verified: a bundle is a signature or an\n"
	    "attestation by the predicate type of its signed statement, which only\n"
	    "'hallmark verify' and 'hallmark verify-attestation' read, so its predicate\n"
	    "type is shown as unverified, with the annotation as a hint. An attachment\n"
	    "that cannot be read (a broken manifest, one over a cap) is listed as\n"
	    "refused, with the reason.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 1,
	.max_args = 1,
};
