/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark: the command table and dispatch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"

extern const hm_cmd hm_cmd_key_generate, hm_cmd_key_public;
extern const hm_cmd hm_cmd_sign, hm_cmd_verify, hm_cmd_tree;
extern const hm_cmd hm_cmd_attest, hm_cmd_attest_provenance, hm_cmd_verify_attestation;
extern const hm_cmd hm_cmd_sign_blob, hm_cmd_verify_blob;
extern const hm_cmd hm_cmd_audit, hm_cmd_copy;
extern const hm_cmd hm_cmd_policy_lint, hm_cmd_policy_check, hm_cmd_policy_serve;
extern const hm_cmd hm_cmd_completion;

const hm_cmd *const hm_cli_commands[] = {
	&hm_cmd_key_generate,
	&hm_cmd_key_public,
	&hm_cmd_sign,
	&hm_cmd_verify,
	&hm_cmd_attest,
	&hm_cmd_attest_provenance,
	&hm_cmd_verify_attestation,
	&hm_cmd_sign_blob,
	&hm_cmd_verify_blob,
	&hm_cmd_tree,
	&hm_cmd_copy,
	&hm_cmd_audit,
	&hm_cmd_policy_lint,
	&hm_cmd_policy_check,
	&hm_cmd_policy_serve,
	&hm_cmd_completion,
	NULL,
};


static void list_commands(FILE *f, const char *group)
{
	size_t glen = group ? strlen(group) : 0;

	fprintf(f, "usage: hallmark COMMAND [options] [arguments]\n\ncommands:\n");
	for (const hm_cmd *const *c = hm_cli_commands; *c; c++)
		if (!group || (strncmp((*c)->name, group, glen) == 0 && (*c)->name[glen] == ' '))
			fprintf(f, "  %-24s%s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\n'hallmark COMMAND --help' describes a command; docs/ has a page for each.\n"
		   "exit codes: 0 ok, 1 verification failed or denied, 2 usage, 3 operational error\n");
}

/* Finds the command named by argv[1] (and argv[2] for two-word hm_cli_commands). */
static const hm_cmd *lookup(int argc, char **argv, int *words)
{
	const hm_cmd *one = NULL;

	for (const hm_cmd *const *c = hm_cli_commands; *c; c++) {
		const char *n = (*c)->name, *sp = strchr(n, ' ');

		if (sp && argc > 2 && strncmp(n, argv[1], (size_t)(sp - n)) == 0 &&
		    argv[1][sp - n] == '\0' && strcmp(sp + 1, argv[2]) == 0) {
			*words = 2;
			return *c;
		}
		if (strcmp(n, argv[1]) == 0)
			one = *c;
	}
	*words = 1;
	return one;
}

static int is_group(const char *name)
{
	size_t len = strlen(name);

	for (const hm_cmd *const *c = hm_cli_commands; *c; c++)
		if (strncmp((*c)->name, name, len) == 0 && (*c)->name[len] == ' ')
			return 1;
	return 0;
}

/* " (did you mean 'sign'?)" for a mistyped command, or "".  typed is
 * "word" or "group word"; a mistyped group ("ky") gets the group. */
static const char *suggest(const char *typed)
{
	static char out[96];
	const char *best = NULL;
	int bestd = 10, bestlen = 0;

	for (const hm_cmd *const *c = hm_cli_commands; *c; c++) {
		const char *n = (*c)->name, *sp = strchr(n, ' ');
		int d = hm_cli_distance(typed, n);

		if (d < bestd && hm_cli_close_enough(typed, n)) {
			best = n;
			bestlen = (int)strlen(n);
			bestd = d;
		}
		if (sp && !strchr(typed, ' ') && sp - n < 32) {
			char group[32];

			snprintf(group, sizeof(group), "%.*s", (int)(sp - n), n);
			d = hm_cli_distance(typed, group);
			if (d < bestd && hm_cli_close_enough(typed, group)) {
				best = n;
				bestlen = (int)(sp - n);
				bestd = d;
			}
		}
	}
	if (!best)
		return "";
	snprintf(out, sizeof(out), " (did you mean '%.*s'?)", bestlen > 64 ? 64 : bestlen, best);
	return out;
}

/* "hallmark -v sign ...": -v, --verbose and --debug may come before the
 * command; they are moved after its name(s), where the parser takes them. */
static int global_first(int argc, char **argv)
{
	int n = 0;

	while (n + 1 < argc && (strcmp(argv[n + 1], "-v") == 0 || strcmp(argv[n + 1], "--verbose") == 0 ||
				strcmp(argv[n + 1], "--debug") == 0))
		n++;
	return n;
}

int main(int argc, char **argv)
{
	const hm_cmd *cmd;
	hm_args a;
	int words, rc, g;

	signal(SIGPIPE, SIG_IGN);
	if ((g = global_first(argc, argv)) > 0 && g < argc - 1) {
		/* rotate the g global flags past the command's one or two words */
		char **moved = malloc((size_t)g * sizeof(char *));

		if (!moved)
			return hm_cli_fail(hm_error_set(HM_E_NOMEM, "out of memory"));
		if (!lookup(argc - g, argv + g, &words))
			words = 1;
		memcpy(moved, argv + 1, (size_t)g * sizeof(char *));
		memmove(argv + 1, argv + 1 + g, (size_t)words * sizeof(char *));
		memcpy(argv + 1 + words, moved, (size_t)g * sizeof(char *));
		free(moved);
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			cmd = lookup(argc - 1, argv + 1, &words);
			if (cmd) {
				hm_cli_help(cmd, stdout);
				return HM_EXIT_OK;
			}
			if (is_group(argv[2])) {
				list_commands(stdout, argv[2]);
				return HM_EXIT_OK;
			}
			fprintf(stderr, "hallmark: no command '%s'%s\n", argv[2], suggest(argv[2]));
			return HM_EXIT_USAGE;
		}
		list_commands(argc < 2 ? stderr : stdout, NULL);
		return argc < 2 ? HM_EXIT_USAGE : HM_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("hallmark %s\n", HM_VERSION);
		return HM_EXIT_OK;
	}
	cmd = lookup(argc, argv, &words);
	if (!cmd) {
		if (is_group(argv[1])) {
			if (argc > 2) {
				char typed[128];

				snprintf(typed, sizeof(typed), "%s %s", argv[1], argv[2]);
				fprintf(stderr, "hallmark: no command '%s'%s\n\n", typed, suggest(typed));
			}
			list_commands(stderr, argv[1]);
			return HM_EXIT_USAGE;
		}
		fprintf(stderr, "hallmark: no command '%s'%s (see 'hallmark help')\n", argv[1], suggest(argv[1]));
		return HM_EXIT_USAGE;
	}
	rc = hm_cli_parse(&a, cmd, argc - 1 - words, argv + 1 + words);
	if (rc < 0)
		rc = cmd->run(&a);
	hm_cli_json_fallback(&a, rc);
	hm_args_release(&a);
	return rc;
}
