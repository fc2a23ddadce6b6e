/* The command-line layer: the only code that prints results or chooses an
 * exit status.  Each command is a hm_cmd (name, options with their help,
 * run function) listed in the table in cli/main.c; --help and the docs page
 * are generated from the same hm_cmd, so they cannot drift apart. */
#ifndef HM_CLI_CLI_H
#define HM_CLI_CLI_H

#include <stdio.h>
#include <cjson/cJSON.h>
#include "core/strv.h"
#include "crypto/key.h"
#include "oci/store.h"
#include "policy/policy.h"

#ifndef HM_VERSION
#define HM_VERSION "0.1.0"
#endif

#define HM_OPT_MULTI 1u /* may be given several times */

typedef struct hm_opt {
	const char *name;    /* long name, without "--" */
	char short_name;     /* 0: none */
	const char *metavar; /* NULL: a flag without value */
	unsigned flags;
	const char *help;
} hm_opt;

#define HM_CMD_STORE 1u /* takes --insecure-registry, --ca-file, --timeout */

#define HM_MAX_OPTS 32

typedef struct hm_args hm_args;

typedef struct hm_cmd {
	const char *name;        /* "sign", "key generate" */
	int (*run)(hm_args *a);  /* returns an exit code (enum hm_exit) */
	const char *usage;       /* what follows "hallmark NAME ": "[options] IMAGE..." */
	const char *summary;     /* one line, for `hallmark help` */
	const char *description; /* paragraphs for --help, or NULL */
	const hm_opt *opts;      /* terminated by an entry with name NULL */
	unsigned flags;
	int min_args;            /* positional arguments */
	int max_args;            /* -1: unlimited */
} hm_cmd;

struct hm_args {
	const hm_cmd *cmd;
	const hm_opt *opts[HM_MAX_OPTS]; /* the command's options then the common ones */
	size_t n_opts;
	hm_strv values[HM_MAX_OPTS];     /* per option; flags store "1" */
	hm_strv pos;                     /* positional arguments */
	hm_store_opts store;             /* from the common registry options */
	long timeout_s;
};

/* The last value of --name, or NULL. */
const char *hm_arg(const hm_args *a, const char *name);
/* Every value of --name (never NULL). */
const hm_strv *hm_arg_all(const hm_args *a, const char *name);
int hm_arg_flag(const hm_args *a, const char *name);
/* --output's value checked against a "|"-separated list; HM_E_USAGE otherwise. */
int hm_arg_output(const char **out, const hm_args *a, const char *allowed, const char *dflt);

/* Prints "hallmark: <message>" for err and returns its exit code. */
int hm_cli_fail(int err);
/* Prints a usage error ("hallmark NAME: message") and returns HM_EXIT_USAGE. */
int hm_cli_usage(const hm_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the --help text of cmd to f. */
void hm_cli_help(const hm_cmd *cmd, FILE *f);

/* Parses argv (after the command name) into a.  Returns -1 when the
 * arguments were fine and processing should go on, otherwise the exit code
 * to return (0 after --help). */
int hm_cli_parse(hm_args *a, const hm_cmd *cmd, int argc, char **argv);
void hm_args_release(hm_args *a);

/* Parses text as an image reference and opens its store (with the common
 * registry options).  Returns an HM_E_* code; on success the caller frees
 * both with hm_ref_free and hm_store_free. */
int hm_cli_open(hm_ref *ref, hm_store **s, const hm_args *a, const char *text, int create);

/* Loads every --key (public keys) into *keys (n); hm_cli_keys_free frees them. */
int hm_cli_load_public_keys(hm_key ***keys, size_t *n, const hm_args *a, const char *opt);
void hm_cli_keys_free(hm_key **keys, size_t n);

/* Loads and lints a policy, printing every problem ("file:line:col: ...")
 * to f.  Returns an HM_E_* (HM_E_IO when there were problems). */
int hm_cli_load_policy(hm_policy **p, const char *path, FILE *f);

/* Prints a JSON tree to stdout, formatted, and deletes it. */
void hm_cli_print_json(cJSON *j);


#endif
