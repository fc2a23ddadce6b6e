/* SPDX-License-Identifier: Apache-2.0 */
/* cosign's flags that CI scripts pass and that hallmark does not need.
 *
 * A script moving from cosign should run unchanged when a flag only asks
 * for something hallmark never does (a prompt, an upload to a transparency
 * log): such flags are accepted and noted on stderr.  A flag that would
 * weaken a check hallmark makes (TLS verification, the log entry or SCT of
 * a keyless signature) is refused, with why and what to use instead, so
 * that nobody believes hallmark checked less, or more, than it did.  The
 * table is docs/cosign.md's. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

enum compat_kind {
	NOTE,      /* accepted (bare, =true or =false); noted */
	NOTE_FALSE, /* accepted only as =false; anything else refused */
	WITH_KEY,  /* accepted when the command verifies with --key; refused otherwise */
	REFUSE,
};

struct compat {
	const char *name; /* long name */
	char short_name;
	enum compat_kind kind;
	const char *why;  /* the note */
	const char *no;   /* why it is refused (when it is) */
};

static const struct compat flags[] = {
	{"yes", 'y', NOTE, "hallmark never asks for confirmation", NULL},
	{"tlog-upload", 0, NOTE_FALSE, "hallmark never uploads to a transparency log",
	 "hallmark never uploads to a transparency log (Rekor); drop the flag, or pass --tlog-upload=false"},
	{"insecure-ignore-tlog", 0, WITH_KEY,
	 "a signature checked with --key needs no transparency-log entry in hallmark",
	 "a keyless signature's transparency-log entry is part of what makes it valid and is always checked"},
	{"insecure-ignore-sct", 0, WITH_KEY,
	 "a signature checked with --key has no certificate, so no SCT",
	 "a keyless certificate's SCT is part of what makes it valid and is always checked"},
	{"allow-insecure-registry", 0, REFUSE, NULL,
	 "hallmark never turns off TLS certificate checks; trust a private CA with --ca-file FILE"},
	{"allow-http-registry", 0, REFUSE, NULL,
	 "plain HTTP is allowed per host: use --insecure-registry HOST (loopback hosts always may)"},
};

/* The value of "--name=value", or "true" for a bare flag. */
static const char *flag_value(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq ? eq + 1 : "true";
}

int hm_cli_cosign_flag(hm_args *a, const char *arg, int *taken)
{
	*taken = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const struct compat *c = &flags[i];
		size_t n = strlen(c->name);
		const char *v;

		if (arg[1] == '-' ? !(strncmp(arg + 2, c->name, n) == 0 && (!arg[2 + n] || arg[2 + n] == '='))
				  : !(c->short_name && arg[1] == c->short_name && !arg[2]))
			continue;
		v = flag_value(arg);
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return hm_cli_usage(a, "cosign's --%s takes true or false, not '%s'", c->name, v);
		switch (c->kind) {
		case NOTE:
			break;
		case NOTE_FALSE:
			if (strcmp(v, "false") != 0)
				return hm_cli_usage(a, "refusing cosign's '%s': %s", arg, c->no);
			break;
		case WITH_KEY:
			if (strcmp(v, "false") == 0)
				break;
			/* decided once every option is read (hm_cli_cosign_check) */
			a->needs_key |= 1u << i;
			*taken = 1;
			return -1;
		case REFUSE:
			if (strcmp(v, "false") == 0)
				break;
			return hm_cli_usage(a, "refusing cosign's '%s': %s", arg, c->no);
		}
		/* a refused flag given as =false asks for what hallmark does anyway */
		fprintf(stderr, "hallmark: note: ignoring cosign's '%s': %s\n", arg,
			c->why ? c->why : "it asks for what hallmark does anyway");
		*taken = 1;
		return -1;
	}
	return -1;
}

int hm_cli_cosign_check(const hm_args *a)
{
	if (!a->needs_key)
		return -1;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!(a->needs_key & (1u << i)))
			continue;
		if (!hm_arg(a, "key"))
			return hm_cli_usage(a, "refusing cosign's '--%s' without --key: %s", flags[i].name,
					    flags[i].no);
		fprintf(stderr, "hallmark: note: ignoring cosign's '--%s': %s\n", flags[i].name, flags[i].why);
	}
	return -1;
}
