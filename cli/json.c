/* SPDX-License-Identifier: Apache-2.0 */
/* --output json: one envelope for every command (docs/json.md).
 *
 * Every document is one JSON object on stdout with "schemaVersion": 1,
 * "command", "ok" (the exit status was 0) and "error" (null, or why the
 * command as a whole failed).  A command prints it whole (hm_cli_json_print)
 * or streams it (hm_cli_json_open ... hm_cli_json_close): then each member,
 * and each element of an array member, is written as soon as it is made, on
 * a line of its own, and freed.  When a command stops before writing its
 * document, main() prints the envelope with the message of the error
 * (hm_cli_json_fallback), so that with --output json stdout always holds one
 * document, whatever the exit status (but for usage errors, exit 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"

static int written;           /* a document (or its start) is on stdout */
static int members;           /* members of the streamed object so far */
static int items;             /* elements of the streamed array so far, -1: none open */
static char last_error[1024]; /* what hm_cli_fail printed last */

void hm_cli_json_note_error(const char *message)
{
	snprintf(last_error, sizeof(last_error), "%s", message);
}

int hm_cli_json_wanted(const hm_args *a)
{
	const char *v = hm_arg(a, "output");

	return v && strcmp(v, "json") == 0;
}

cJSON *hm_cli_json_new(const hm_args *a)
{
	cJSON *j = cJSON_CreateObject();

	if (!j || !cJSON_AddNumberToObject(j, "schemaVersion", HM_JSON_SCHEMA_VERSION) ||
	    !cJSON_AddStringToObject(j, "command", a->cmd->name)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

void hm_cli_json_set_error(cJSON *o, const char *error)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, "error");
	if (error)
		cJSON_AddStringToObject(o, "error", error);
	else
		cJSON_AddNullToObject(o, "error");
}

void hm_cli_json_print(cJSON *top, int rc, const char *error)
{
	char *s;

	if (!top) {
		fprintf(stderr, "hallmark: out of memory\n");
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(top, "ok");
	cJSON_AddBoolToObject(top, "ok", rc == HM_EXIT_OK);
	if (error || !cJSON_HasObjectItem(top, "error"))
		hm_cli_json_set_error(top, error);
	if ((s = cJSON_Print(top)))
		printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(top);
	written = 1;
}

void hm_cli_print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(j);
	written = 1; /* (an AdmissionReview response is the whole output) */
}

void hm_cli_json_fallback(const hm_args *a, int rc)
{
	if (written || rc == HM_EXIT_OK || rc == HM_EXIT_USAGE || !a->cmd || !hm_cli_json_wanted(a))
		return;
	hm_cli_json_print(hm_cli_json_new(a), rc, last_error[0] ? last_error : "failed");
}

/* ---- streaming ---- */

static void put_json(const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	fputs(s ? s : "null", stdout);
	free(s);
}

static void put_name(const char *name)
{
	cJSON *n = cJSON_CreateString(name);

	fputs(members++ ? ",\n" : "\n", stdout);
	put_json(n);
	fputs(": ", stdout);
	cJSON_Delete(n);
}

void hm_cli_json_open(const hm_args *a)
{
	cJSON *n = cJSON_CreateString(a->cmd->name);

	written = 1;
	members = 1;
	items = -1;
	printf("{\"schemaVersion\": %d,\n\"command\": ", HM_JSON_SCHEMA_VERSION);
	put_json(n);
	cJSON_Delete(n);
}

void hm_cli_json_member(const char *name, cJSON *value)
{
	put_name(name);
	put_json(value);
	cJSON_Delete(value);
}

void hm_cli_json_array_open(const char *name)
{
	put_name(name);
	fputs("[", stdout);
	items = 0;
}

void hm_cli_json_array_item(cJSON *value)
{
	fputs(items++ ? ",\n" : "\n", stdout);
	put_json(value);
	cJSON_Delete(value);
}

void hm_cli_json_array_close(void)
{
	fputs(items > 0 ? "\n]" : "]", stdout);
	items = -1;
}

void hm_cli_json_close(int rc, const char *error)
{
	if (items >= 0)
		hm_cli_json_array_close();
	hm_cli_json_member("ok", cJSON_CreateBool(rc == HM_EXIT_OK));
	hm_cli_json_member("error", error ? cJSON_CreateString(error) : cJSON_CreateNull());
	fputs("\n}\n", stdout);
	fflush(stdout);
}
