/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials (docker config, credential helpers) and the pieces
 * of the bearer token protocol that do not need the network. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/log.h"
#include "core/file.h"
#include "core/json.h"
#include "core/strv.h"
#include "oci/auth.h"

#define MAX_PARAM 8192       /* one WWW-Authenticate value */
#define HELPER_TIMEOUT_MS 30000

extern char **environ;

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void hm_auth_cred_free(hm_auth_cred *c)
{
	wipe_free(c->username);
	wipe_free(c->password);
	wipe_free(c->identity_token);
	c->username = c->password = c->identity_token = NULL;
}

static int set_str(char **dst, const char *s)
{
	char *p = strdup(s);

	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	wipe_free(*dst);
	*dst = p;
	return HM_OK;
}

/* Docker Hub goes by several names; all of them mean docker.io. */
static int is_docker_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, "registry-1.docker.io") == 0 || strcmp(host, "registry.hub.docker.com") == 0;
}

/* Does a config key ("https://host/v1/", "host:port", "host") name registry? */
static int key_matches(const char *key, const char *registry)
{
	char host[512];
	const char *p = key, *end;
	size_t n;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	end = strchr(p, '/');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if (strcasecmp(host, registry) == 0)
		return 1;
	return is_docker_hub(registry) && is_docker_hub(host);
}

static const cJSON *find_entry(const cJSON *map, const char *registry)
{
	const cJSON *e, *found = NULL;

	if (!cJSON_IsObject(map))
		return NULL;
	/* an exact key wins over an alias */
	cJSON_ArrayForEach(e, map) {
		if (!e->string)
			continue;
		if (strcmp(e->string, registry) == 0)
			return e;
		if (!found && key_matches(e->string, registry))
			found = e;
	}
	return found;
}

/* Fills out from one `auths` entry; 0 fields set leaves it anonymous. */
static int read_entry(hm_auth_cred *out, const cJSON *e, const char *registry, const char *what)
{
	const char *auth = hm_json_str(e, "auth"), *s;
	hm_buf dec = HM_BUF_INIT;
	char *colon;
	int err = HM_OK;

	if (auth && *auth) {
		hm_buf_init(&dec, 4096);
		err = hm_base64_decode(&dec, auth, strlen(auth));
		if (err) {
			err = hm_error_set(HM_E_IO, "reading '%s': the auth of '%s' is not base64", what, registry);
			goto done;
		}
		colon = memchr(dec.data, ':', dec.len);
		if (!colon || strlen(dec.data) != dec.len) {
			err = hm_error_set(HM_E_IO, "reading '%s': the auth of '%s' is not 'user:password'", what,
					   registry);
			goto done;
		}
		*colon = '\0';
		if ((err = set_str(&out->username, dec.data)) || (err = set_str(&out->password, colon + 1)))
			goto done;
	} else if ((s = hm_json_str(e, "username")) && *s) {
		if ((err = set_str(&out->username, s)))
			goto done;
		if ((s = hm_json_str(e, "password")) && (err = set_str(&out->password, s)))
			goto done;
	}
	if ((s = hm_json_str(e, "identitytoken")) && *s) {
		err = set_str(&out->identity_token, s);
		if (!err && !out->username)
			err = set_str(&out->username, "<token>");
	}
done:
	hm_buf_release_secret(&dec);
	return err;
}

int hm_auth_config_parse(hm_auth_cred *out, char **helper, const char *json, size_t len,
			 const char *registry, const char *what)
{
	cJSON *root = NULL;
	const cJSON *e;
	const char *store;
	int err = HM_OK;

	*helper = NULL;
	root = hm_json_parse(json, len, what);
	if (!root)
		return HM_E_IO;
	if (!cJSON_IsObject(root)) {
		err = hm_error_set(HM_E_IO, "reading '%s': not a JSON object", what);
		goto done;
	}
	e = find_entry(cJSON_GetObjectItemCaseSensitive(root, "credHelpers"), registry);
	if (e && cJSON_IsString(e) && *e->valuestring) {
		if (!(*helper = strdup(e->valuestring)))
			err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	e = find_entry(cJSON_GetObjectItemCaseSensitive(root, "auths"), registry);
	if (e && cJSON_IsObject(e)) {
		err = read_entry(out, e, registry, what);
		if (err || out->username)
			goto done;
	}
	store = hm_json_str(root, "credsStore");
	if (store && *store && !(*helper = strdup(store)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	if (err)
		hm_auth_cred_free(out);
	cJSON_Delete(root);
	return err;
}

/* A helper name becomes part of a program name: keep it to a plain word. */
static int helper_name_ok(const char *h)
{
	if (!*h || strlen(h) > 64)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
		      *h == '-' || *h == '_' || *h == '.'))
			return 0;
	return 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Runs prog get, with input on stdin, collecting stdout+stderr into out. */
static int run_helper(hm_buf *out, int *status, const char *prog, const char *input, long timeout_ms)
{
	posix_spawn_file_actions_t fa;
	int in[2] = {-1, -1}, op[2] = {-1, -1}, err = HM_OK, fa_ok = 0, rc;
	char *argv[] = {(char *)prog, "get", NULL};
	pid_t pid = -1;
	long deadline;
	char chunk[4096];

	if (pipe2(in, O_CLOEXEC) || pipe2(op, O_CLOEXEC)) {
		err = hm_error_set(HM_E_IO, "running '%s': %s", prog, strerror(errno));
		goto done;
	}
	/* The input is tiny: it fits in the pipe before the helper runs, so
	 * writing cannot block or raise SIGPIPE. */
	if (write(in[1], input, strlen(input)) != (ssize_t)strlen(input)) {
		err = hm_error_set(HM_E_IO, "running '%s': %s", prog, strerror(errno));
		goto done;
	}
	close(in[1]);
	in[1] = -1;
	if (posix_spawn_file_actions_init(&fa)) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	fa_ok = 1;
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, op[1], 2);
	rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	if (rc) {
		pid = -1;
		if (rc == ENOENT)
			err = hm_error_set(HM_E_IO, "credential helper '%s' not found: install it or fix credHelpers/credsStore in the docker config", prog);
		else
			err = hm_error_set(HM_E_IO, "running '%s': %s", prog, strerror(rc));
		goto done;
	}
	close(op[1]);
	op[1] = -1;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = {op[0], POLLIN, 0};
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			err = hm_error_set(HM_E_IO, "credential helper '%s' did not answer within %g s", prog,
					   (double)timeout_ms / 1000.0);
			goto done;
		}
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			err = hm_error_set(HM_E_IO, "running '%s': %s", prog, strerror(errno));
			goto done;
		}
		if (rc == 0)
			continue;
		n = read(op[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((err = hm_buf_add(out, chunk, (size_t)n))) {
			err = hm_error_set(HM_E_IO, "credential helper '%s' said more than %zu bytes", prog, out->max);
			goto done;
		}
	}
done:
	if (pid > 0) {
		if (err)
			kill(pid, SIGKILL);
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (op[i] >= 0)
			close(op[i]);
	}
	return err;
}

int hm_auth_helper_get(hm_auth_cred *out, const char *helper, const char *server, long timeout_ms)
{
	hm_buf prog = HM_BUF_INIT, res = HM_BUF_INIT;
	cJSON *j = NULL;
	const char *user, *secret;
	int status = 0, err;

	if (!helper_name_ok(helper))
		return hm_error_set(HM_E_IO, "invalid credential helper name '%s'", helper);
	hm_buf_init(&res, HM_AUTH_MAX_HELPER);
	if ((err = hm_buf_addf(&prog, "docker-credential-%s", helper)))
		goto done;
	if ((err = run_helper(&res, &status, prog.data, server,
			      timeout_ms > 0 && timeout_ms < HELPER_TIMEOUT_MS ? timeout_ms : HELPER_TIMEOUT_MS)))
		goto done;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* the protocol's way of saying "nothing stored for this server" */
		if (strstr(hm_buf_cstr(&res), "credentials not found"))
			goto done;
		err = hm_error_set(HM_E_IO, "credential helper '%s' failed for '%s'", prog.data, server);
		goto done;
	}
	j = cJSON_ParseWithLength(res.data ? res.data : "", res.len);
	if (!cJSON_IsObject(j)) {
		err = hm_error_set(HM_E_IO, "credential helper '%s' gave an invalid answer", prog.data);
		goto done;
	}
	user = hm_json_str(j, "Username");
	secret = hm_json_str(j, "Secret");
	if (!secret || !*secret)
		goto done;
	if (user && strcmp(user, "<token>") == 0) {
		if ((err = set_str(&out->identity_token, secret)) || (err = set_str(&out->username, user)))
			goto done;
	} else {
		if ((err = set_str(&out->username, user ? user : "")) || (err = set_str(&out->password, secret)))
			goto done;
	}
done:
	if (j) {
		/* the answer holds the secret: wipe the strings before freeing */
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "Secret");
		if (cJSON_IsString(s))
			OPENSSL_cleanse(s->valuestring, strlen(s->valuestring));
		cJSON_Delete(j);
	}
	if (err)
		hm_auth_cred_free(out);
	hm_buf_release_secret(&res);
	hm_buf_release(&prog);
	return err;
}

/* The server string docker passes to helpers. */
static const char *helper_server(const char *registry)
{
	return is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry;
}

/* Looks registry up in one file; *found when it named the registry (an
 * entry, or a helper that knew it).  A missing file is skipped unless
 * must_exist. */
static int lookup_in(hm_auth_cred *out, int *found, const char *path, const char *registry, long timeout_ms,
		     int must_exist)
{
	hm_buf text = HM_BUF_INIT;
	char *helper = NULL;
	int err;

	*found = 0;
	if (!must_exist && access(path, F_OK) != 0 && errno == ENOENT)
		return HM_OK;
	if ((err = hm_file_read(&text, path, HM_AUTH_MAX_CONFIG)))
		goto done;
	if ((err = hm_auth_config_parse(out, &helper, hm_buf_cstr(&text), text.len, registry, path)))
		goto done;
	/* where they come from, never what they are */
	if (helper)
		hm_log(HM_LOG_INFO, "credentials for %s: from docker-credential-%s (named in %s)", registry, helper,
		       path);
	else
		hm_log(HM_LOG_INFO, "credentials for %s: %s %s", registry,
		       out->identity_token ? "an identity token from"
		       : out->username    ? "a username and password from"
					  : "anonymous, no entry in",
		       path);
	if (helper)
		err = hm_auth_helper_get(out, helper, helper_server(registry), timeout_ms);
	*found = !err && (out->username || out->identity_token);
done:
	free(helper);
	hm_buf_release_secret(&text);
	return err;
}

int hm_auth_cred_lookup(hm_auth_cred *out, const char *registry, const char *auth_file, long timeout_ms)
{
	hm_strv paths = HM_STRV_INIT;
	hm_buf path = HM_BUF_INIT;
	const char *env, *home = getenv("HOME");
	int err = HM_OK, found = 0;

	out->username = out->password = out->identity_token = NULL;
	if (auth_file && *auth_file)
		return lookup_in(out, &found, auth_file, registry, timeout_ms, 1);
	/* $REGISTRY_AUTH_FILE, docker's file, then podman's (containers-auth.json(5)) */
	if ((env = getenv("REGISTRY_AUTH_FILE")) && *env && (err = hm_strv_push(&paths, env)))
		goto done;
	if ((env = getenv("DOCKER_CONFIG")) && *env)
		err = hm_buf_addf(&path, "%s/config.json", env);
	else if (home && *home)
		err = hm_buf_addf(&path, "%s/.docker/config.json", home);
	if (err || (path.len && (err = hm_strv_push(&paths, path.data))))
		goto done;
	hm_buf_reset(&path);
	if ((env = getenv("XDG_RUNTIME_DIR")) && *env &&
	    ((err = hm_buf_addf(&path, "%s/containers/auth.json", env)) || (err = hm_strv_push(&paths, path.data))))
		goto done;
	hm_buf_reset(&path);
	if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		err = hm_buf_addf(&path, "%s/containers/auth.json", env);
	else if (home && *home)
		err = hm_buf_addf(&path, "%s/.config/containers/auth.json", home);
	if (err || (path.len && (err = hm_strv_push(&paths, path.data))))
		goto done;
	/* the first file that knows the registry gives its credentials */
	for (size_t i = 0; i < paths.n && !found && !err; i++)
		err = lookup_in(out, &found, paths.v[i], registry, timeout_ms, 0);
done:
	if (err)
		hm_auth_cred_free(out);
	hm_strv_free(&paths);
	hm_buf_release(&path);
	return err;
}

/* --- WWW-Authenticate ---------------------------------------------------- */

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a token or quoted-string value at *pp into v. */
static int read_value(hm_buf *v, const char **pp)
{
	const char *p = *pp;
	int err = HM_OK;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (!*p)
				return hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: unterminated quoted string");
			if (*p == '\\') {
				p++;
				if (!*p)
					return hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: unterminated quoted string");
			}
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: control character");
			if ((err = hm_buf_addch(v, *p)))
				return err;
		}
		p++;
	} else {
		/* token, or token68 (which may end in '=') */
		while (is_tchar(*p) || *p == '/' || *p == ':')
			if ((err = hm_buf_addch(v, *p++)))
				return err;
		while (*p == '=')
			if ((err = hm_buf_addch(v, *p++)))
				return err;
	}
	*pp = p;
	return HM_OK;
}

static int take(char **dst, hm_buf *v)
{
	char *s = hm_buf_detach(v, NULL);

	if (!s)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	free(*dst);
	*dst = s;
	return HM_OK;
}

int hm_auth_challenge_parse(hm_auth_challenge *out, const char *header)
{
	hm_buf name = HM_BUF_INIT, val = HM_BUF_INIT;
	const char *p = skip_ws(header), *s;
	size_t n;
	int err = HM_OK;

	memset(out, 0, sizeof(*out));
	hm_buf_init(&name, 64);
	hm_buf_init(&val, MAX_PARAM);
	for (s = p; is_tchar(*p); p++)
		;
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(out->scheme)) {
		err = hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: no scheme");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		out->scheme[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	out->scheme[n] = '\0';
	for (;;) {
		char **dst = NULL;

		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			break;
		hm_buf_reset(&name);
		while (is_tchar(*p))
			if ((err = hm_buf_addch(&name, *p++))) {
				err = hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: parameter name too long");
				goto done;
			}
		p = skip_ws(p);
		if (name.len == 0) {
			err = hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: unexpected '%c'", *p);
			goto done;
		}
		/* "Bearer ..., Basic realm=x": a second challenge starts here,
		 * or token68 credentials: either way, this challenge is over */
		if (*p != '=')
			break;
		p = skip_ws(p + 1);
		hm_buf_reset(&val);
		if ((err = read_value(&val, &p))) {
			if (err != HM_E_IO || !strstr(hm_error_message(), "WWW-Authenticate"))
				err = hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: value too long");
			goto done;
		}
		p = skip_ws(p);
		if (*p && *p != ',') {
			err = hm_error_set(HM_E_IO, "invalid WWW-Authenticate header: unexpected '%c'", *p);
			goto done;
		}
		if (strcasecmp(hm_buf_cstr(&name), "realm") == 0)
			dst = &out->realm;
		else if (strcasecmp(hm_buf_cstr(&name), "service") == 0)
			dst = &out->service;
		else if (strcasecmp(hm_buf_cstr(&name), "scope") == 0)
			dst = &out->scope;
		else if (strcasecmp(hm_buf_cstr(&name), "error") == 0)
			dst = &out->error;
		if (dst && (err = take(dst, &val)))
			goto done;
	}
done:
	if (err)
		hm_auth_challenge_free(out);
	hm_buf_release(&name);
	hm_buf_release(&val);
	return err;
}

void hm_auth_challenge_free(hm_auth_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* --- tokens -------------------------------------------------------------- */

static int add_escaped(hm_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int err = HM_OK;

	for (; *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			err = hm_buf_addch(out, (char)c);
		else
			err = hm_buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return err;
}

static int add_params(hm_buf *out, const hm_auth_challenge *c, const char *repository, int push)
{
	hm_buf scope = HM_BUF_INIT;
	int err;

	if ((err = hm_buf_addf(&scope, "repository:%s:%s", repository, push ? "pull,push" : "pull")))
		goto done;
	if (c->service && (err = hm_buf_addstr(out, "service=")))
		goto done;
	if (c->service && ((err = add_escaped(out, c->service)) || (err = hm_buf_addch(out, '&'))))
		goto done;
	if ((err = hm_buf_addstr(out, "scope=")) || (err = add_escaped(out, scope.data)))
		goto done;
	/* a challenge scope for something else (another repository being
	 * mounted from, say) is asked for as well */
	if (c->scope && *c->scope && strcmp(c->scope, scope.data) != 0 &&
	    strncmp(c->scope, scope.data, strlen(c->scope)) != 0 &&
	    ((err = hm_buf_addstr(out, "&scope=")) || (err = add_escaped(out, c->scope))))
		goto done;
done:
	hm_buf_release(&scope);
	return err;
}

int hm_auth_token_url(hm_buf *out, const hm_auth_challenge *c, const char *repository, int push)
{
	int err;

	if (!c->realm || !*c->realm)
		return hm_error_set(HM_E_IO, "bearer challenge without a realm");
	if ((err = hm_buf_addstr(out, c->realm)) || (err = hm_buf_addch(out, strchr(c->realm, '?') ? '&' : '?')))
		return err;
	return add_params(out, c, repository, push);
}

int hm_auth_token_form(hm_buf *out, const hm_auth_challenge *c, const char *repository, int push,
		       const char *refresh_token)
{
	int err;

	if ((err = hm_buf_addstr(out, "grant_type=refresh_token&client_id=hallmark&")) ||
	    (err = add_params(out, c, repository, push)) || (err = hm_buf_addstr(out, "&refresh_token=")))
		return err;
	return add_escaped(out, refresh_token);
}

int hm_auth_token_parse(char **out, const char *json, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(json, len);
	const char *t = NULL;
	int err = HM_OK;

	*out = NULL;
	if (cJSON_IsObject(j)) {
		t = hm_json_str(j, "token");
		if (!t || !*t)
			t = hm_json_str(j, "access_token");
	}
	if (!t || !*t) {
		err = hm_error_set(HM_E_IO, "token endpoint answered without a token");
		goto done;
	}
	/* it goes into a header line: printable ASCII only */
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			err = hm_error_set(HM_E_IO, "token endpoint answered with an invalid token");
			goto done;
		}
	if (!(*out = strdup(t)))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
done:
	if (j) {
		cJSON *s;
		cJSON_ArrayForEach(s, j)
			if (cJSON_IsString(s))
				OPENSSL_cleanse(s->valuestring, strlen(s->valuestring));
		cJSON_Delete(j);
	}
	return err;
}

int hm_auth_basic(hm_buf *out, const hm_auth_cred *c)
{
	hm_buf raw = HM_BUF_INIT;
	int err;

	if ((err = hm_buf_addf(&raw, "%s:%s", c->username ? c->username : "", c->password ? c->password : "")))
		goto done;
	if ((err = hm_buf_addstr(out, "Basic ")))
		goto done;
	err = hm_base64_encode(out, raw.data, raw.len);
done:
	hm_buf_release_secret(&raw);
	return err;
}
