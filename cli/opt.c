/* SPDX-License-Identifier: Apache-2.0 */
/* Option parsing and help, driven by the hm_cmd tables. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/log.h"
#include "oci/http.h"

static const hm_opt common_store_opts[] = {
	{"insecure-registry", 0, "HOST", HM_OPT_MULTI, "skip HOST's certificate check; plain HTTP if it has no HTTPS"},
	{"tls-verify", 0, "BOOL", HM_OPT_INLINE, "false: every registry as an --insecure-registry"},
	{"ca-file", 0, "FILE", HM_OPT_MULTI, "trust the CA certificates in FILE too (repeatable)"},
	{"registry-config", 0, "FILE", 0, "credentials (default: $REGISTRY_AUTH_FILE, docker's, podman's)"},
	{"timeout", 0, "SECONDS", 0, "stop all registry work after SECONDS in total (default 600)"},
	{"attachment-repository", 0, "REPO", 0, "signatures and attestations live in REPO (default: $COSIGN_REPOSITORY, else the image's)"},
	{NULL, 0, NULL, 0, NULL},
};

/* Every command takes these, after its own and the store options. */
static const hm_opt global_opts[] = {
	{"verbose", 'v', NULL, 0, "say what is done: registry, credentials source, auth scheme, CA, cache hits"},
	{"debug", 0, NULL, 0, "as --verbose, and one line per HTTP request (never credentials)"},
	{"help", 'h', NULL, 0, "show this help and exit"},
	{NULL, 0, NULL, 0, NULL},
};

static int find(const hm_args *a, const char *name)
{
	for (size_t i = 0; i < a->n_opts; i++)
		if (strcmp(a->opts[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *hm_arg(const hm_args *a, const char *name)
{
	int i = find(a, name);

	if (i < 0 || a->values[i].n == 0)
		return NULL;
	return a->values[i].v[a->values[i].n - 1];
}

const hm_strv *hm_arg_all(const hm_args *a, const char *name)
{
	static const hm_strv empty = HM_STRV_INIT;
	int i = find(a, name);

	return i < 0 ? &empty : &a->values[i];
}

int hm_arg_flag(const hm_args *a, const char *name)
{
	return hm_arg(a, name) != NULL;
}

int hm_arg_output(const char **out, const hm_args *a, const char *allowed, const char *dflt)
{
	const char *v = hm_arg(a, "output");
	size_t n;

	*out = dflt;
	if (!v)
		return HM_OK;
	n = strlen(v);
	for (const char *p = allowed; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0) {
			*out = v;
			return HM_OK;
		}
		p += len + (bar ? 1 : 0);
	}
	return hm_error_set(HM_E_USAGE, "--output must be one of %s, not '%s'", allowed, v);
}

int hm_cli_fail(int err)
{
	const char *m = hm_error_message();

	fprintf(stderr, "hallmark: %s\n", *m ? m : "unknown error");
	hm_cli_json_note_error(*m ? m : "unknown error");
	return hm_exit_code(err);
}

int hm_cli_usage(const hm_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hallmark %s: ", a->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'hallmark %s --help')\n", a->cmd->name);
	return HM_EXIT_USAGE;
}

static void help_line(FILE *f, const hm_cmd *cmd, const hm_opt *o)
{
	char left[64];
	const char *help = o->help;
	int n;

	if (o->short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof(left), "      --%s", o->name);
	if (o->metavar && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, o->flags & HM_OPT_INLINE ? "[=%s]" : " %s", o->metavar);
	/* a command may say what --timeout bounds for it */
	if (cmd && cmd->timeout_help && strcmp(o->name, "timeout") == 0)
		help = cmd->timeout_help;
	if (strlen(left) > 28)
		fprintf(f, "%s\n%30s%s\n", left, "", help);
	else
		fprintf(f, "%-30s%s\n", left, help);
}

void hm_cli_help(const hm_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: hallmark %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->description)
		fprintf(f, "\n%s\n", cmd->description);
	fprintf(f, "\noptions:\n");
	for (const hm_opt *o = cmd->opts; o && o->name; o++)
		help_line(f, cmd, o);
	if (cmd->flags & HM_CMD_STORE)
		for (const hm_opt *o = common_store_opts; o->name; o++)
			help_line(f, cmd, o);
	for (const hm_opt *o = global_opts; o->name; o++)
		help_line(f, cmd, o);
}

size_t hm_cli_opts(const hm_cmd *cmd, const hm_opt **out, size_t cap)
{
	const hm_opt *const lists[] = {cmd->opts, cmd->flags & HM_CMD_STORE ? common_store_opts : NULL, global_opts};
	size_t n = 0;

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (const hm_opt *o = lists[l]; o && o->name && n < cap; o++)
			out[n++] = o;
	return n;
}

static int store_opts(hm_args *a)
{
	const hm_strv *ins = hm_arg_all(a, "insecure-registry"), *cas = hm_arg_all(a, "ca-file");
	const char *t = hm_arg(a, "timeout"), *verify = hm_arg(a, "tls-verify");

	a->store.insecure_hosts = (const char *const *)ins->v;
	a->store.n_insecure = ins->n;
	a->store.ca_files = (const char *const *)cas->v;
	a->store.n_ca_files = cas->n;
	a->store.auth_file = hm_arg(a, "registry-config");
	/* the option wins over cosign's variable */
	if (!(a->store.attachment_repo = hm_arg(a, "attachment-repository")))
		a->store.attachment_repo = getenv("COSIGN_REPOSITORY");
	if (verify && strcmp(verify, "true") != 0 && strcmp(verify, "false") != 0)
		return hm_cli_usage(a, "--tls-verify takes true or false, not '%s'", verify);
	a->store.insecure_all = verify && strcmp(verify, "false") == 0;
	/* a file named on the command line that is not there is a mistake,
	 * not an anonymous registry */
	if (a->store.auth_file && access(a->store.auth_file, R_OK) != 0)
		return hm_cli_fail(hm_error_set(HM_E_IO, "--registry-config '%s': %s", a->store.auth_file,
						strerror(errno)));
	if (t) {
		char *end;

		errno = 0;
		a->timeout_s = strtol(t, &end, 10);
		if (errno || *end || a->timeout_s <= 0 || a->timeout_s > HM_CLI_MAX_TIMEOUT_S)
			return hm_cli_usage(a, "--timeout takes a whole number of seconds from 1 to %d, not '%s'",
					    HM_CLI_MAX_TIMEOUT_S, t);
	}
	/* One deadline for the whole command, from now: every request of
	 * every store opened with these options gets only the time left. */
	hm_http_set_deadline(&a->store, (a->timeout_s ? a->timeout_s : HM_CLI_DEFAULT_TIMEOUT_S) * 1000L);
	return -1;
}

/* Edit distance of a and b counting a swap of two neighbours as one edit
 * (optimal string alignment), capped: anything over 9 is 9 (names are
 * short, and only distances of 1 or 2 are ever suggested). */
int hm_cli_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[33][33];

	if (la > 32 || lb > 32)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

int hm_cli_close_enough(const char *typed, const char *name)
{
	int d = hm_cli_distance(typed, name);
	size_t n = strlen(name);

	/* one slip in a short name, two in a longer one */
	return d > 0 && (d == 1 ? n >= 2 : d == 2 && n >= 5);
}

/* The usage error for an unknown option, with the closest known one. */
static int unknown_option(const hm_args *a, const char *arg)
{
	const hm_opt *best = NULL;
	char name[80];
	int bestd = 10;

	if (arg[1] == '-') {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
		for (size_t i = 0; i < a->n_opts; i++) {
			int d = hm_cli_distance(name, a->opts[i]->name);

			if (d < bestd && hm_cli_close_enough(name, a->opts[i]->name)) {
				best = a->opts[i];
				bestd = d;
			}
		}
		if (best)
			return hm_cli_usage(a, "unknown option '--%s'; did you mean '--%s'?", name, best->name);
		return hm_cli_usage(a, "unknown option '--%s'", name);
	}
	return hm_cli_usage(a, "unknown option '%s'", arg);
}

/* Stores val for option k (a flag stores "1").  -1 on success, else an exit code. */
static int set_value(hm_args *a, int k, const char *val)
{
	if (!(a->opts[k]->flags & HM_OPT_MULTI))
		hm_strv_free(&a->values[k]);
	if (hm_strv_push(&a->values[k], val))
		return hm_cli_fail(HM_E_NOMEM);
	return -1;
}

/* A run of short options: "-r", "-rf" (flags), "-ojson", "-kkey.pub",
 * "-rk key.pub" (as getopt: a short option that takes a value takes the
 * rest of the word, or else the next argument).  *i is advanced past a
 * value taken from the next argument. */
static int parse_short(hm_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	/* "-key" is "-k ey" to getopt, but surely meant "--key" */
	if (arg[2] && find(a, arg + 1) >= 0)
		return hm_cli_usage(a, "unknown option '%s'; did you mean '-%s'?", arg, arg);
	for (const char *p = arg + 1; *p; p++) {
		int k = -1, rc;

		if (*p == 'h') {
			hm_cli_help(a->cmd, stdout);
			return HM_EXIT_OK;
		}
		for (size_t j = 0; j < a->n_opts; j++)
			if (a->opts[j]->short_name == *p)
				k = (int)j;
		if (k < 0) {
			int taken = 0;

			if (p == arg + 1 && (rc = hm_cli_cosign_flag(a, arg, &taken)) >= 0)
				return rc;
			if (taken)
				return -1;
			if (p == arg + 1)
				return unknown_option(a, arg);
			return hm_cli_usage(a, "unknown option '-%c' in '%s'", *p, arg);
		}
		if (!a->opts[k]->metavar) {
			if ((rc = set_value(a, k, "1")) >= 0)
				return rc;
			continue;
		}
		if (p[1])
			return set_value(a, k, p + 1);
		if (*i + 1 >= argc)
			return hm_cli_usage(a, "option '-%c' needs a value (%s)", *p, a->opts[k]->metavar);
		return set_value(a, k, argv[++*i]);
	}
	return -1;
}

/* "--name" or "--name=value". */
static int parse_long(hm_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg + 2, '='), *val = eq ? eq + 1 : NULL;
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	char name[64];
	int k, taken = 0, rc;

	if (len >= sizeof(name))
		return hm_cli_usage(a, "unknown option '%.80s...'", arg);
	memcpy(name, arg + 2, len);
	name[len] = '\0';
	if (strcmp(name, "help") == 0) {
		hm_cli_help(a->cmd, stdout);
		return HM_EXIT_OK;
	}
	if ((k = find(a, name)) < 0) {
		if ((rc = hm_cli_cosign_flag(a, arg, &taken)) >= 0)
			return rc;
		return taken ? -1 : unknown_option(a, arg);
	}
	if (a->opts[k]->flags & HM_OPT_INLINE) /* a value only after '=' (--tls-verify=false), as skopeo's */
		return set_value(a, k, val ? val : "true");
	if (!a->opts[k]->metavar) {
		if (val)
			return hm_cli_usage(a, "option '--%s' takes no value", name);
		return set_value(a, k, "1");
	}
	if (!val) {
		if (*i + 1 >= argc)
			return hm_cli_usage(a, "option '%s' needs a value (%s)", arg, a->opts[k]->metavar);
		val = argv[++*i];
	}
	return set_value(a, k, val);
}

/* What -v and --debug ask for goes to stderr, one line each. */
static void log_to_stderr(enum hm_log_level level, const char *line)
{
	fprintf(stderr, "hallmark: %s%s\n", level == HM_LOG_DEBUG ? "debug: " : "", line);
}

int hm_cli_parse(hm_args *a, const hm_cmd *cmd, int argc, char **argv)
{
	int only_pos = 0, rc;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	/* the options and their values share one index (a->opts, a->values) */
	a->n_opts = hm_cli_opts(cmd, a->opts, HM_MAX_OPTS);
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (hm_strv_push(&a->pos, arg))
				return hm_cli_fail(HM_E_NOMEM);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		rc = arg[1] == '-' ? parse_long(a, argc, argv, &i) : parse_short(a, argc, argv, &i);
		if (rc >= 0)
			return rc;
	}
	if (hm_arg_flag(a, "debug"))
		hm_log_set_sink(log_to_stderr, HM_LOG_DEBUG);
	else if (hm_arg_flag(a, "verbose"))
		hm_log_set_sink(log_to_stderr, HM_LOG_INFO);
	if ((rc = hm_cli_cosign_check(a)) >= 0)
		return rc;
	if ((int)a->pos.n < cmd->min_args)
		return hm_cli_usage(a, "missing argument: %s", cmd->usage);
	if (cmd->max_args >= 0 && (int)a->pos.n > cmd->max_args)
		return hm_cli_usage(a, "unexpected argument '%s'", a->pos.v[cmd->max_args]);
	if (cmd->flags & HM_CMD_STORE)
		return store_opts(a);
	return -1;
}

void hm_args_release(hm_args *a)
{
	for (size_t i = 0; i < HM_MAX_OPTS; i++)
		hm_strv_free(&a->values[i]);
	hm_strv_free(&a->pos);
}
