/* Option parsing and help, driven by the hm_cmd tables. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "oci/http.h"

static const hm_opt common_store_opts[] = {
	{"insecure-registry", 0, "HOST", HM_OPT_MULTI, "skip HOST's certificate check; plain HTTP if it has no HTTPS"},
	{"tls-verify", 0, "BOOL", HM_OPT_INLINE, "false: every registry as an --insecure-registry"},
	{"ca-file", 0, "FILE", HM_OPT_MULTI, "trust the CA certificates in FILE too (repeatable)"},
	{"registry-config", 0, "FILE", 0, "credentials (default: $REGISTRY_AUTH_FILE, docker's, podman's)"},
	{"timeout", 0, "SECONDS", 0, "stop all registry work after SECONDS in total (default 600)"},
	{"verbose", 'v', NULL, 0, "say on stderr how each registry is reached"},
	{NULL, 0, NULL, 0, NULL},
};

static const hm_opt help_opt = {"help", 'h', NULL, 0, "show this help and exit"};

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
	help_line(f, cmd, &help_opt);
}

static int add_opts(hm_args *a, const hm_opt *opts)
{
	for (const hm_opt *o = opts; o && o->name; o++) {
		if (a->n_opts == HM_MAX_OPTS)
			return -1;
		a->opts[a->n_opts++] = o;
	}
	return 0;
}

static void log_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "hallmark: %s\n", line);
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
	if (verify && strcmp(verify, "true") != 0 && strcmp(verify, "false") != 0)
		return hm_cli_usage(a, "--tls-verify takes true or false, not '%s'", verify);
	a->store.insecure_all = verify && strcmp(verify, "false") == 0;
	if (hm_arg_flag(a, "verbose"))
		a->store.log = log_stderr;
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

int hm_cli_parse(hm_args *a, const hm_cmd *cmd, int argc, char **argv)
{
	int only_pos = 0;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	add_opts(a, cmd->opts);
	if (cmd->flags & HM_CMD_STORE)
		add_opts(a, common_store_opts);
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		char name[64];
		int k = -1;

		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (hm_strv_push(&a->pos, arg))
				return hm_cli_fail(HM_E_NOMEM);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			hm_cli_help(cmd, stdout);
			return HM_EXIT_OK;
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, arg + 2, len);
			name[len] = '\0';
			k = find(a, name);
			if (eq)
				val = eq + 1;
		} else if (arg[2] == '\0') {
			for (size_t j = 0; j < a->n_opts; j++)
				if (a->opts[j]->short_name == arg[1])
					k = (int)j;
		}
		if (k < 0)
			return hm_cli_usage(a, "unknown option '%s'", arg);
		if (a->opts[k]->flags & HM_OPT_INLINE) {
			/* a value only after '=' (--tls-verify=false), as skopeo's */
			if (!val)
				val = "true";
		} else if (a->opts[k]->metavar) {
			if (!val) {
				if (i + 1 >= argc)
					return hm_cli_usage(a, "option '%s' needs a value (%s)", arg,
							    a->opts[k]->metavar);
				val = argv[++i];
			}
		} else {
			if (val)
				return hm_cli_usage(a, "option '--%s' takes no value", a->opts[k]->name);
			val = "1";
		}
		if (!(a->opts[k]->flags & HM_OPT_MULTI))
			hm_strv_free(&a->values[k]);
		if (hm_strv_push(&a->values[k], val))
			return hm_cli_fail(HM_E_NOMEM);
	}
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
