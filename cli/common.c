/* Helpers shared by the commands. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/strv.h"

int hm_cli_open(hm_ref *ref, hm_store **s, const hm_args *a, const char *text, int create)
{
	int err = hm_ref_parse(ref, text);

	*s = NULL;
	if (err)
		return err;
	err = hm_store_open(s, ref, &a->store, create);
	if (err)
		hm_ref_free(ref);
	return err;
}

int hm_cli_load_public_keys(hm_key ***keys, size_t *n, const hm_args *a, const char *opt)
{
	const hm_strv *files = hm_arg_all(a, opt);
	int err = HM_OK;

	*n = 0;
	*keys = calloc(files->n ? files->n : 1, sizeof(**keys));
	if (!*keys)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < files->n && !err; i++) {
		err = hm_key_load_public(&(*keys)[i], files->v[i]);
		if (!err)
			*n = i + 1;
	}
	if (err) {
		hm_cli_keys_free(*keys, *n);
		*keys = NULL;
		*n = 0;
	}
	return err;
}

void hm_cli_keys_free(hm_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hm_key_free(keys[i]);
	free(keys);
}

void hm_cli_print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(j);
}

int hm_cli_load_policy(hm_policy **p, const char *path, FILE *f)
{
	hm_strv diags = HM_STRV_INIT;
	int err = hm_policy_load(p, path, &diags);

	for (size_t i = 0; i < diags.n; i++)
		fprintf(f, "%s\n", diags.v[i]);
	fflush(f);
	hm_strv_free(&diags);
	return err;
}
