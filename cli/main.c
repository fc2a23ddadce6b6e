/* hallmark: the command table and dispatch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"

extern const hm_cmd hm_cmd_key_generate, hm_cmd_key_public;
extern const hm_cmd hm_cmd_sign, hm_cmd_verify, hm_cmd_tree;
extern const hm_cmd hm_cmd_attest, hm_cmd_attest_provenance, hm_cmd_verify_attestation;
extern const hm_cmd hm_cmd_sign_blob, hm_cmd_verify_blob;
extern const hm_cmd hm_cmd_audit, hm_cmd_copy;
extern const hm_cmd hm_cmd_policy_lint, hm_cmd_policy_check, hm_cmd_policy_serve;

static const hm_cmd *const commands[] = {
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
	NULL,
};

static void list_commands(FILE *f, const char *group)
{
	size_t glen = group ? strlen(group) : 0;

	fprintf(f, "usage: hallmark COMMAND [options] [arguments]\n\ncommands:\n");
	for (const hm_cmd *const *c = commands; *c; c++)
		if (!group || (strncmp((*c)->name, group, glen) == 0 && (*c)->name[glen] == ' '))
			fprintf(f, "  %-24s%s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\n'hallmark COMMAND --help' describes a command; docs/ has a page for each.\n"
		   "exit codes: 0 ok, 1 verification failed or denied, 2 usage, 3 operational error\n");
}

/* Finds the command named by argv[1] (and argv[2] for two-word commands). */
static const hm_cmd *lookup(int argc, char **argv, int *words)
{
	const hm_cmd *one = NULL;

	for (const hm_cmd *const *c = commands; *c; c++) {
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

	for (const hm_cmd *const *c = commands; *c; c++)
		if (strncmp((*c)->name, name, len) == 0 && (*c)->name[len] == ' ')
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const hm_cmd *cmd;
	hm_args a;
	int words, rc;

	signal(SIGPIPE, SIG_IGN);
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
			fprintf(stderr, "hallmark: no command '%s'\n", argv[2]);
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
			if (argc > 2)
				fprintf(stderr, "hallmark: no command '%s %s'\n\n", argv[1], argv[2]);
			list_commands(stderr, argv[1]);
			return HM_EXIT_USAGE;
		}
		fprintf(stderr, "hallmark: no command '%s' (see 'hallmark help')\n", argv[1]);
		return HM_EXIT_USAGE;
	}
	rc = hm_cli_parse(&a, cmd, argc - 1 - words, argv + 1 + words);
	if (rc < 0)
		rc = cmd->run(&a);
	hm_args_release(&a);
	return rc;
}
