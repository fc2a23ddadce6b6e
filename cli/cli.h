/* SPDX-License-Identifier: Apache-2.0 */
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

struct hm_policy;

#ifndef HM_VERSION
#define HM_VERSION "0.1.0"
#endif

/* sign-blob and verify-blob read a blob whole; this is the largest. */
#define HM_CLI_BLOB_MAX (1024u << 20)

#define HM_OPT_MULTI 1u  /* may be given several times */
#define HM_OPT_INLINE 2u /* its value only as --name=VALUE, optional (then "true") */

typedef struct hm_opt {
	const char *name;    /* long name, without "--" */
	char short_name;     /* 0: none */
	const char *metavar; /* NULL: a flag without value */
	unsigned flags;
	const char *help;
} hm_opt;

#define HM_CMD_STORE 1u /* takes the common registry options (cli/opt.c) */

#define HM_MAX_OPTS 40

/* --timeout: the deadline of a whole command (hm_store_opts.deadline_ms). */
#define HM_CLI_DEFAULT_TIMEOUT_S 600
#define HM_CLI_MAX_TIMEOUT_S 86400

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
	const char *timeout_help; /* --help of --timeout when it means something else, or NULL */
} hm_cmd;

struct hm_args {
	const hm_cmd *cmd;
	const hm_opt *opts[HM_MAX_OPTS]; /* the command's options then the common ones */
	size_t n_opts;
	hm_strv values[HM_MAX_OPTS];     /* per option; flags store "1" */
	hm_strv pos;                     /* positional arguments */
	hm_store_opts store;             /* from the common registry options */
	long timeout_s;                  /* --timeout, 0 when not given */
	unsigned needs_key;              /* cosign flags accepted only with --key (cli/compat.c) */
};

/* The command table of cli/main.c, NULL-terminated. */
extern const hm_cmd *const hm_cli_commands[];

/* Every option cmd takes, in --help order: its own, the store options when
 * HM_CMD_STORE, then -v/--verbose, --debug and -h/--help.  Fills at most
 * cap entries of out and returns how many. */
size_t hm_cli_opts(const hm_cmd *cmd, const hm_opt **out, size_t cap);

/* Edit distance of two names (capped at 9), and whether typed is a likely
 * slip for name (distance 1, or 2 for names of 5 or more characters): what
 * "did you mean" suggests. */
int hm_cli_distance(const char *a, const char *b);
int hm_cli_close_enough(const char *typed, const char *name);

/* cosign's flags that scripts moving over still pass (cli/compat.c,
 * docs/cosign.md).  arg is an option the command does not know; returns -1
 * and sets *taken when it is a cosign flag accepted as a no-op (noted on
 * stderr), -1 with *taken 0 when it is none of them, else the exit code of
 * a refusal that says why. */
int hm_cli_cosign_flag(hm_args *a, const char *arg, int *taken);
/* After parsing: refuses the cosign flags accepted only with --key when
 * there is none.  -1 when fine, else an exit code. */
int hm_cli_cosign_check(const hm_args *a);

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

/* hm_cli_open, then resolves the reference's tag or digest to d.  On
 * failure nothing is left open. */
int hm_cli_open_resolved(hm_ref *ref, hm_store **s, hm_desc *d, const hm_args *a, const char *text);

/* Checks one image for hm_cli_each_image: prints its result (text) or adds
 * it to json (an array, when --output json), and returns HM_OK, or
 * HM_E_VERIFY with a one-line message when the image fails the check. */
typedef int (*hm_cli_image_fn)(void *ctx, const char *arg, const hm_ref *ref, hm_store *s,
			       const hm_desc *d, cJSON *json);

/* Runs fn on every positional image (opened and resolved once), prints
 * failures as "hallmark: ..." (operational ones prefixed with "<what>
 * <image>"), then, when json, the document {"schemaVersion", "command",
 * "images": [...], "ok", "error"} where every image has an entry: the one
 * fn added, else {"reference", "digest": null}, with "error" set (null when
 * the image passed).  Returns the exit code: the highest of 3, 2, 1 met,
 * else 0. */
int hm_cli_each_image(const hm_args *a, const char *what, hm_cli_image_fn fn, void *ctx, int json);

/* Adds what verify and verify-attestation say of each thing they checked:
 * "source", digest_name: digest, "valid", "key" (the file named on the
 * command line) and "fingerprint" when key_index >= 0, "reason" when
 * reason is not NULL. */
void hm_cli_json_verdict(cJSON *e, const hm_args *a, hm_key *const *keys, const char *source,
			 const char *digest_name, const char *digest, int valid, int key_index,
			 const char *reason);

/* Loads every --key (public keys) into *keys (n); hm_cli_keys_free frees them. */
int hm_cli_load_public_keys(hm_key ***keys, size_t *n, const hm_args *a, const char *opt);
void hm_cli_keys_free(hm_key **keys, size_t n);
/* Loads the private key of --key (any key source) with --passphrase-file,
 * then scrubs that --key value as below. */
int hm_cli_load_private_key(hm_key **out, const hm_args *a);
/* Replaces the i-th value of --opt by hm_key_name(k), wiping what it held:
 * a pkcs11: URI may carry its pin-value, which nothing printed later may
 * show. */
void hm_cli_key_scrub(const hm_args *a, const char *opt, size_t i, const hm_key *k);

/* Loads and lints the policy file path, printing every problem to f as
 * "file:line:col: message" (flushed).  Returns an HM_E_* code (HM_E_IO for
 * an unreadable or invalid file); the caller frees *p with hm_policy_free. */
int hm_cli_load_policy(struct hm_policy **p, const char *path, FILE *f);

/* --notation-trust-policy FILE and --notation-trust-store DIR: *out NULL
 * when neither is given; when one is, the other is notation's own default
 * (${XDG_CONFIG_HOME:-~/.config}/notation/trustpolicy.oci.json, else
 * trustpolicy.json; .../notation/truststore).  Free with
 * hm_notation_trust_free. */
struct hm_notation_trust;
int hm_cli_load_notation(struct hm_notation_trust **out, const hm_args *a);

/* Prints a JSON tree to stdout, formatted, and deletes it. */
void hm_cli_print_json(cJSON *j);

/* ---- --output json (cli/json.c, docs/json.md) ---- */

#define HM_JSON_SCHEMA_VERSION 1

/* The --output option of commands that only know text and json. */
#define HM_CLI_OUTPUT_OPT {"output", 'o', "FORMAT", 0, "text (default) or json"}

/* Whether --output json was given. */
int hm_cli_json_wanted(const hm_args *a);
/* {"schemaVersion": 1, "command": NAME}, or NULL when out of memory. */
cJSON *hm_cli_json_new(const hm_args *a);
/* Sets o's "error" to error, or null. */
void hm_cli_json_set_error(cJSON *o, const char *error);
/* Adds "ok" (rc is 0) and "error" (error, else o's own, else null) to the
 * document top, prints it and deletes it. */
void hm_cli_json_print(cJSON *top, int rc, const char *error);
/* From main(): with --output json, when the command printed no document
 * and failed (but for a usage error), prints the envelope with "error" the
 * last message hm_cli_fail printed. */
void hm_cli_json_fallback(const hm_args *a, int rc);
/* hm_cli_fail records its message here. */
void hm_cli_json_note_error(const char *message);

/* Streaming a document: open writes {"schemaVersion": 1, "command": NAME;
 * then members (value printed on one line and deleted), or one array
 * member at a time (each element on its own line and deleted); close adds
 * "ok" and "error" and the closing brace.  One document per run. */
void hm_cli_json_open(const hm_args *a);
void hm_cli_json_member(const char *name, cJSON *value);
void hm_cli_json_array_open(const char *name);
void hm_cli_json_array_item(cJSON *value);
void hm_cli_json_array_close(void);
void hm_cli_json_close(int rc, const char *error);


#endif
