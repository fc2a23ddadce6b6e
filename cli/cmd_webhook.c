/* SPDX-License-Identifier: Apache-2.0 */
/* hallmark policy serve: the Kubernetes admission webhook (policy/webhook.c
 * serves; this file parses options, handles signals and prints the log). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/vsa.h"
#include "cli/cli.h"
#include "core/error.h"
#include "policy/mhd_lib.h"
#include "policy/webhook.h"

#define HM_WEBHOOK_MAX_REVIEW_S 30

#define LOG_FIELD_MAX 300 /* escaped characters of one field, then "..." */

/* s as one log field: backslash, double quote, control characters and
 * bytes outside ASCII escaped (\n, \", \\, \xHH), and spaces too when the
 * field is not quoted, so that nothing a client sends can end the line,
 * forge a field or another line.  Long fields are cut with "...". */
static const char *esc(char out[LOG_FIELD_MAX + 8], const char *s, int quoted)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[8];

		if (c == '\\' || c == '"')
			snprintf(e, sizeof(e), "\\%c", c);
		else if (c == '\n')
			snprintf(e, sizeof(e), "\\n");
		else if (c == '\r')
			snprintf(e, sizeof(e), "\\r");
		else if (c == '\t')
			snprintf(e, sizeof(e), "\\t");
		else if (c < 0x20 || c >= 0x7f || (c == ' ' && !quoted))
			snprintf(e, sizeof(e), "\\x%02x", c);
		else
			e[0] = (char)c, e[1] = '\0';
		if (n + strlen(e) > LOG_FIELD_MAX) {
			memcpy(out + n, "...", 4);
			return out;
		}
		memcpy(out + n, e, strlen(e));
		n += strlen(e);
	}
	out[n] = '\0';
	return out;
}

/* One line per request on stderr, written with one call so that lines from
 * concurrent connections do not interleave. */
static void log_request(void *ctx, const hm_webhook_request *r)
{
	if (r->review_log) {
		size_t n = strlen(r->review_log);

		/* decided, but the client went away before the whole answer left */
		if (!r->status && n && r->review_log[n - 1] == '}')
			fprintf(stderr, "%.*s,\"sent\":false}\n", (int)(n - 1), r->review_log);
		else
			fprintf(stderr, "%s\n", r->review_log);
		return;
	}
	char status[16], m[LOG_FIELD_MAX + 8], p[LOG_FIELD_MAX + 8], u[LOG_FIELD_MAX + 8], e[LOG_FIELD_MAX + 8];

	snprintf(status, sizeof(status), "%u", r->status);
	fprintf(stderr, "hallmark: %s %s %s uid=%s allowed=%s images=%zu%s %.1fms%s%s%s\n", esc(m, r->method, 0),
		esc(p, r->path, 0), r->status ? status : "-", r->uid ? esc(u, r->uid, 0) : "-",
		r->allowed < 0 ? "-" : r->allowed ? "true" : "false", r->n_images, r->patched ? " patched" : "",
		r->ms, r->error ? " error=\"" : "", r->error ? esc(e, r->error, 1) : "", r->error ? "\"" : "");
}

static void log_message(void *ctx, const char *msg)
{
	char m[LOG_FIELD_MAX + 8];

	fprintf(stderr, "hallmark: server: %s\n", esc(m, msg, 1));
}

static int number(unsigned long *out, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || *s == '-' || errno || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int run_serve(hm_args *a)
{
	const char *policy = hm_arg(a, "policy"), *max_s = hm_arg(a, "max-requests"), *jobs_s = hm_arg(a, "jobs");
	const char *client_s = hm_arg(a, "client-timeout");
	static const struct {
		const char *name;
		unsigned long max;
	} nums[] = {{"cache-ttl", 86400}, {"negative-cache-ttl", 86400}, {"tag-cache-ttl", 3600},
		    {"cache-size", 10000000}, {"workers", 64}, {"threads", 64}, {"watch-interval", 3600},
		    {"shutdown-delay", 60}, {"max-connections", 4096}, {"max-per-client", 4096}};
	unsigned long num[sizeof(nums) / sizeof(*nums)] = {0};
	hm_served_policy *sp = NULL;
	hm_strv diags = HM_STRV_INIT;
	hm_webhook_opts opts = HM_WEBHOOK_OPTS_INIT;
	hm_webhook *w = NULL;
	sigset_t stop, old;
	unsigned long v;
	int err, sig = 0;

	opts.tls_cert = hm_arg(a, "tls-cert");
	opts.tls_key = hm_arg(a, "tls-key");
	if (hm_arg(a, "listen"))
		opts.listen = hm_arg(a, "listen");
	if (!policy || !opts.tls_cert || !opts.tls_key)
		return hm_cli_usage(a, "--policy, --tls-cert and --tls-key are required");
	if (max_s) {
		if (number(&v, max_s, 1000000000ul))
			return hm_cli_usage(a, "--max-requests must be a positive number");
		opts.max_requests = v;
	}
	if (jobs_s) {
		if (number(&v, jobs_s, 64))
			return hm_cli_usage(a, "--jobs must be a number from 1 to 64");
		opts.jobs = (unsigned)v;
	}
	opts.allow_unknown_kinds = hm_arg_flag(a, "allow-unknown-kinds");
	if (client_s) {
		if (number(&v, client_s, 3600))
			return hm_cli_usage(a, "--client-timeout must be a number of seconds from 1 to 3600");
		opts.timeout_s = (unsigned)v;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(*nums); i++)
		if (hm_arg(a, nums[i].name) && number(&num[i], hm_arg(a, nums[i].name), nums[i].max))
			return hm_cli_usage(a, "--%s must be a number from 1 to %lu", nums[i].name, nums[i].max);
	opts.cache_ttl_s = (unsigned)num[0];
	opts.negative_ttl_s = (unsigned)num[1];
	opts.tag_ttl_s = (unsigned)num[2];
	opts.cache_size = num[3];
	opts.workers = (unsigned)num[4];
	opts.threads = (unsigned)num[5];
	opts.watch_s = (unsigned)num[6];
	opts.no_cache = hm_arg_flag(a, "no-cache");
	opts.max_connections = (unsigned)num[8];
	opts.max_per_client = (unsigned)num[9];
	if (opts.max_per_client > (opts.max_connections ? opts.max_connections : HM_WEBHOOK_MAX_CONNECTIONS))
		return hm_cli_usage(a, "--max-per-client cannot be above --max-connections");
	if (a->timeout_s > HM_WEBHOOK_MAX_REVIEW_S)
		return hm_cli_usage(a, "--timeout bounds one review: at most %d seconds (the longest webhook timeout Kubernetes allows)",
				    HM_WEBHOOK_MAX_REVIEW_S);
	opts.review_timeout_ms = (unsigned)a->timeout_s * 1000u;
	/* a server has no deadline of its own: each review gets one */
	a->store.deadline_ms = 0;
	opts.store = &a->store;
	opts.on_request = log_request;
	opts.on_message = log_message;
	opts.vsa_out = hm_arg(a, "vsa-out");
	opts.vsa_attach = hm_arg_flag(a, "vsa-attach");
	opts.vsa_verifier_id = hm_arg(a, "vsa-verifier-id");
	opts.vsa_policy_uri = hm_arg(a, "vsa-policy-uri");
	opts.version = HM_VERSION;
	if ((opts.vsa_out || opts.vsa_attach || opts.vsa_verifier_id || opts.vsa_policy_uri) && !hm_arg(a, "vsa-key"))
		return hm_cli_usage(a, "--vsa-out, --vsa-attach, --vsa-verifier-id and --vsa-policy-uri need --vsa-key");
	if (hm_arg(a, "vsa-key") && !opts.vsa_out && !opts.vsa_attach)
		return hm_cli_usage(a, "--vsa-key needs --vsa-out DIR or --vsa-attach (or both)");
	err = hm_served_policy_load(&sp, policy, &diags);
	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "%s\n", diags.v[i]);
	hm_strv_free(&diags);
	if (err)
		return hm_cli_fail(err);
	if (hm_arg(a, "vsa-key")) {
		if ((err = hm_key_load_private(&opts.vsa_key, hm_arg(a, "vsa-key"), NULL))) {
			hm_served_policy_unref(sp);
			return hm_cli_fail(err);
		}
		hm_cli_key_scrub(a, "vsa-key", hm_arg_all(a, "vsa-key")->n - 1, opts.vsa_key);
	}

	/* Blocked before the server's threads exist, so that they inherit the
	 * mask and only this thread takes SIGINT/SIGTERM/SIGHUP, via
	 * sigtimedwait. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	fprintf(stderr, "hallmark: serving '%s' (%zu rule%s%s, %s)", policy, sp->p->n_rules,
		sp->p->n_rules == 1 ? "" : "s", sp->p->mutate_digest ? ", mutate digest" : "", sp->digest);
	if ((err = hm_mhd_load())) {
		hm_served_policy_unref(sp);
		hm_key_free(opts.vsa_key);
	}
	if (err || (err = hm_webhook_start(&w, sp, &opts))) {
		fprintf(stderr, "\n");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return hm_cli_fail(err);
	}
	fprintf(stderr, " on https://%.*s:%u: POST /validate, /mutate; GET /livez, /readyz, /metrics\n",
		(int)(strrchr(opts.listen, ':') - opts.listen), opts.listen, hm_webhook_port(w));
	while (!hm_webhook_finished(w)) {
		struct timespec tick = {0, 100 * 1000 * 1000};

		sig = sigtimedwait(&stop, NULL, &tick);
		if (sig == SIGHUP) {
			fprintf(stderr, "hallmark: SIGHUP: reloading the policy and the certificate\n");
			hm_webhook_reload(w);
			hm_webhook_reload_tls(w);
			sig = 0;
		} else if (sig > 0) {
			break;
		}
	}
	if (sig > 0 && num[7]) {
		struct timespec delay = {(time_t)num[7], 0};

		/* not ready, still serving, while the endpoints are removed */
		fprintf(stderr, "hallmark: %s: not ready, serving %lu more second%s\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM", num[7], num[7] == 1 ? "" : "s");
		hm_webhook_unready(w);
		sigtimedwait(&stop, NULL, &delay);
	}
	if (sig > 0)
		fprintf(stderr, "hallmark: %s: not accepting connections, finishing the reviews under way\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
	hm_webhook_stop(w);
	fprintf(stderr, "hallmark: stopped (%s)\n", sig > 0 ? (sig == SIGINT ? "SIGINT" : "SIGTERM") : "--max-requests reached");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return HM_EXIT_OK;
}

static const hm_opt serve_opts[] = {
	{"policy", 'p', "FILE", 0, "the policy to apply (linted first)"},
	{"tls-cert", 0, "FILE", 0, "the server certificate (PEM, with its chain)"},
	{"tls-key", 0, "FILE", 0, "its private key (PEM)"},
	{"listen", 'l', "ADDR:PORT", 0, "where to listen (default 127.0.0.1:8443; [ADDR]:PORT for IPv6)"},
	{"jobs", 'j', "N", 0, "images checked at once per review, on threads shared by all reviews (default 8)"},
	{"max-requests", 0, "N", 0, "stop after answering N requests"},
	{"allow-unknown-kinds", 0, NULL, 0, "accept objects of kinds hallmark does not know on the images found in them"},
	{"client-timeout", 0, "SECONDS", 0, "close a client that takes longer to send a request or read an answer (default 10)"},
	{"cache-ttl", 0, "SECONDS", 0, "keep a verdict whose every requirement was met (default 300)"},
	{"negative-cache-ttl", 0, "SECONDS", 0, "keep a verdict with a requirement not met (default 30)"},
	{"tag-cache-ttl", 0, "SECONDS", 0, "keep the digest a tag resolved to (default 30)"},
	{"cache-size", 0, "N", 0, "verdicts kept at most, the least recently used dropped first (default 10000)"},
	{"no-cache", 0, NULL, 0, "keep nothing between reviews"},
	{"workers", 0, "N", 0, "reviews evaluated at once (default 16)"},
	{"threads", 0, "N", 0, "threads serving connections (default 2)"},
	{"watch-interval", 0, "SECONDS", 0, "how often the policy and TLS files are checked for a change (default 5)"},
	{"max-connections", 0, "N", 0, "connections at once (default 64)"},
	{"max-per-client", 0, "N", 0, "connections at once from one IP address (default 16)"},
	{"shutdown-delay", 0, "SECONDS", 0, "on SIGTERM, answer /readyz 503 but keep serving this long first (default 0)"},
	{"vsa-key", 0, "KEY", 0, "sign a SLSA verification summary of each digest a review verified with KEY"},
	{"vsa-out", 0, "DIR", 0, "write each summary to DIR/sha256-<hex>.vsa.json (a DSSE envelope)"},
	{"vsa-attach", 0, NULL, 0, "attach each summary to its image as an attestation"},
	{"vsa-verifier-id", 0, "URI", 0, "the summaries' verifier.id (default " HM_VSA_VERIFIER_ID ")"},
	{"vsa-policy-uri", 0, "URI", 0, "the summaries' policy.uri (default file:// and the policy's absolute path)"},
	{NULL, 0, NULL, 0, NULL},
};

const hm_cmd hm_cmd_policy_serve = {
	.name = "policy serve",
	.run = run_serve,
	.usage = "--policy FILE --tls-cert FILE --tls-key FILE [options]",
	.summary = "serve the policy as a Kubernetes admission webhook",
	.description =
	    "Serves the policy over HTTPS as a Kubernetes admission webhook:\n"
	    "POST /validate and POST /mutate take an AdmissionReview\n"
	    "(admission.k8s.io/v1, Content-Type application/json, at most 3 MiB) and\n"
	    "answer the AdmissionReview response with the same uid, decided exactly\n"
	    "as 'hallmark policy check --admission-review' decides. /mutate adds a\n"
	    "JSONPatch pinning tags to digests when the policy says mutate: digest.\n"
	    "GET /livez (or /healthz) answers \"ok\"; GET /readyz answers \"ok\" once\n"
	    "the policy is loaded and the listener is up, 503 while stopping; GET\n"
	    "/metrics answers Prometheus text. A malformed request is answered 400\n"
	    "with a one-line message. Registry errors follow each rule's on_error;\n"
	    "an evaluation that cannot run denies (fail closed). An object of a kind\n"
	    "hallmark does not know that carries containers is denied unless\n"
	    "--allow-unknown-kinds (see hallmark-policy-check(1)).\n"
	    "\n"
	    "Verdicts are cached for all reviews, per image digest, rule and\n"
	    "policy: --cache-ttl for one whose every requirement was met,\n"
	    "--negative-cache-ttl for one that was not, at most --cache-size kept;\n"
	    "a tag's digest for --tag-cache-ttl. Registry errors are never kept.\n"
	    "Reviews needing the same verification at once share one. An UPDATE\n"
	    "whose images are those of its oldObject also takes expired verdicts.\n"
	    "\n"
	    "The policy file is checked every --watch-interval seconds (through\n"
	    "symlinks, as Kubernetes swaps ConfigMaps) and reloaded when it\n"
	    "changed, and on SIGHUP; a policy with problems is refused (each\n"
	    "printed) and the one before keeps serving. Reviews under way finish on\n"
	    "the policy they started with. The TLS certificate and key are\n"
	    "watched and reloaded the same way, for new connections.\n"
	    "\n"
	    "Listens on 127.0.0.1:8443 by default; in a cluster pass\n"
	    "--listen 0.0.0.0:8443 so that the API server can reach the pod. Each\n"
	    "review is logged to stderr as one line of JSON (uid, object, images,\n"
	    "decision, rule, violations, cache hits, duration); other requests as\n"
	    "one line of text, with everything taken from the request escaped.\n"
	    "SIGINT and SIGTERM make the server not ready (serving on for\n"
	    "--shutdown-delay seconds), then stop accepting connections; it exits\n"
	    "once the reviews under way are answered.\n"
	    "\n"
	    "With --vsa-key, each digest a review verified (not one answered from\n"
	    "the cache) gets a SLSA verification summary signed with that key,\n"
	    "once per --cache-ttl: written to --vsa-out DIR and/or attached to the\n"
	    "image with --vsa-attach, on a thread of its own (the answer never\n"
	    "waits for it); each is logged, failures too.\n"
	    "\n"
	    "At most --max-connections connections (64), --max-per-client (16)\n"
	    "from one address; a client that does not send a whole request (or\n"
	    "read an answer) within --client-timeout is closed. --timeout is the\n"
	    "deadline of one review's registry work.\n"
	    "\n"
	    "Exit status: 0 after a clean stop, 2 on a usage error, 3 when the\n"
	    "policy has problems (each printed as FILE:LINE:COLUMN: message) or the\n"
	    "server cannot start (unreadable certificate or key, address in use).",
	.opts = serve_opts,
	.flags = HM_CMD_STORE,
	.min_args = 0,
	.max_args = 0,
	.timeout_help = "stop one review's registry work after SECONDS (default 8, at most 30)",
};
