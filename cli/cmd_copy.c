/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark copy */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "oci/copy.h"

static const char *kind_name(unsigned k)
{
	switch (k) {
	case HM_ATT_SIGNATURES: return "signatures";
	case HM_ATT_ATTESTATIONS: return "attestations";
	case HM_ATT_SIGNATURES | HM_ATT_ATTESTATIONS: return "signatures+attestations";
	case HM_ATT_SBOMS: return "sboms";
	default: return "other";
	}
}

/* Whether the reference text names a tag (":tag" after the last '/'),
 * rather than getting "latest" by default. */
static int names_tag(const char *text)
{
	const char *at = strchr(text, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - text) : strlen(text);

	if (strncmp(text, "oci:", 4) == 0)
		return 0; /* the layout's parser keeps a missing tag NULL */
	slash = memrchr(text, '/', n);
	colon = memrchr(slash ? slash : text, ':', n - (size_t)((slash ? slash : text) - text));
	return colon != NULL;
}

static void print_text(const hm_copy_result *r, const char *src, const hm_store *dst, const hm_desc *d)
{
	printf("copied %s to %s@%s: %zu manifests, %zu blobs (%lld bytes) copied, %zu manifests and %zu blobs already there, %zu attachments\n",
	       src, hm_store_name(dst), d->digest, r->manifests, r->blobs, (long long)r->bytes, r->manifests_present,
	       r->blobs_present, r->n_items);
	for (size_t i = 0; i < r->n_items; i++)
		printf("  %s %s of %s%s\n", kind_name(r->items[i].kind), r->items[i].source, r->items[i].subject,
		       r->items[i].merged ? " (merged)" : "");
	if (r->skipped)
		printf("  %zu referrers skipped: their subject is another manifest\n", r->skipped);
}

static void print_json(const hm_args *a, const hm_copy_result *r, const char *src, const hm_store *dst, const hm_desc *d,
		       const char *tag)
{
	cJSON *j = hm_cli_json_new(a), *arr;

	if (!j) {
		hm_cli_json_print(NULL, HM_EXIT_OK, NULL);
		return;
	}
	cJSON_AddStringToObject(j, "reference", src);
	cJSON_AddStringToObject(j, "destination", hm_store_name(dst));
	cJSON_AddStringToObject(j, "digest", d->digest);
	if (tag)
		cJSON_AddStringToObject(j, "tag", tag);
	cJSON_AddNumberToObject(j, "manifestsCopied", (double)r->manifests);
	cJSON_AddNumberToObject(j, "manifestsPresent", (double)r->manifests_present);
	cJSON_AddNumberToObject(j, "blobsCopied", (double)r->blobs);
	cJSON_AddNumberToObject(j, "blobsPresent", (double)r->blobs_present);
	cJSON_AddNumberToObject(j, "bytesCopied", (double)r->bytes);
	cJSON_AddNumberToObject(j, "referrersSkipped", (double)r->skipped);
	arr = cJSON_AddArrayToObject(j, "attachments");
	for (size_t i = 0; i < r->n_items; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "kind", kind_name(r->items[i].kind));
		cJSON_AddStringToObject(e, "source", r->items[i].source);
		cJSON_AddStringToObject(e, "digest", r->items[i].digest);
		cJSON_AddStringToObject(e, "subject", r->items[i].subject);
		cJSON_AddBoolToObject(e, "merged", r->items[i].merged);
		cJSON_AddItemToArray(arr, e);
	}
	hm_cli_json_print(j, HM_EXIT_OK, NULL);
}

static int run(hm_args *a)
{
	const char *output, *only = hm_arg(a, "only"), *src_text = a->pos.v[0], *dst_text = a->pos.v[1];
	hm_copy_opts o = {HM_ATT_ALL, 0};
	hm_copy_result r = {0};
	hm_store *src = NULL, *dst = NULL;
	hm_ref sref, dref = HM_REF_INIT;
	const char *tag;
	hm_desc d;
	int err;

	if (hm_arg_output(&output, a, "text|json", "text"))
		return hm_cli_usage(a, "%s", hm_error_message());
	if (only && hm_arg_flag(a, "no-attachments"))
		return hm_cli_usage(a, "--only and --no-attachments exclude each other");
	if (only && hm_attachment_kinds_parse(&o.attachments, only))
		return hm_cli_usage(a, "--only: %s", hm_error_message());
	if (hm_arg_flag(a, "no-attachments"))
		o.attachments = 0;
	if ((err = hm_cli_open_resolved(&sref, &src, &d, a, src_text)))
		return hm_cli_fail(hm_error_wrap(err, "copying %s", src_text));
	if ((err = hm_cli_open(&dref, &dst, a, dst_text, 1)))
		goto done;
	if (dref.digest && strcmp(dref.digest, d.digest) != 0) {
		err = hm_error_set(HM_E_USAGE, "%s names digest %s, but %s is %s", dst_text, dref.digest, src_text,
				   d.digest);
		goto done;
	}
	o.dst_layout = dref.kind == HM_REF_LAYOUT;
	/* DST without a tag takes SRC's; a registry DST without either gets latest */
	tag = o.dst_layout ? dref.tag : names_tag(dst_text) ? dref.tag : NULL;
	if (!tag && !dref.digest)
		tag = sref.tag ? sref.tag : o.dst_layout ? NULL : dref.tag;
	if ((err = hm_copy_image(&r, src, dst, &d, tag, &o)))
		goto done;
	if (strcmp(output, "json") == 0)
		print_json(a, &r, src_text, dst, &d, tag);
	else
		print_text(&r, src_text, dst, &d);
done:
	hm_copy_result_free(&r);
	hm_store_free(src);
	hm_store_free(dst);
	hm_ref_free(&sref);
	hm_ref_free(&dref);
	return err ? hm_cli_fail(hm_error_wrap(err, "copying %s to %s", src_text, dst_text)) : HM_EXIT_OK;
}

static const hm_opt opts[] = {
	{"only", 0, "KINDS", 0, "copy only these attachments: signatures, attestations, sboms, other (comma-separated)"},
	{"no-attachments", 0, NULL, 0, "copy the image alone"},
	HM_CLI_OUTPUT_OPT,
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_copy = {
	.name = "copy",
	.run = run,
	.usage = "[options] SRC DST",
	.summary = "copy an image with its signatures, attestations and referrers",
	.description =
	    "Copies the image SRC (a manifest, or an index with every manifest it\n"
	    "lists, their configs and layers) to DST, between registries and OCI\n"
	    "layouts (oci:PATH[:tag], created when missing), with digests unchanged:\n"
	    "manifests are copied byte for byte and everything fetched is checked\n"
	    "against its digest. Blobs stream through a temporary file ($TMPDIR) and\n"
	    "are skipped when DST has them. DST without a tag takes SRC's.\n"
	    "\n"
	    "Then what is attached to every manifest copied: cosign's tags\n"
	    "sha256-<hex>.sig, .att and .sbom (merged into a tag DST already has) and\n"
	    "OCI 1.1 referrers (API, referrers tag or layout; written to DST the way\n"
	    "DST supports), and the attachments of those. A referrer whose subject\n"
	    "is not the manifest it is listed for is skipped.",
	.opts = opts,
	.flags = HM_CMD_STORE,
	.min_args = 2,
	.max_args = 2,
};
