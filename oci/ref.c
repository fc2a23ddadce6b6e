/* SPDX-License-Identifier: Apache-2.0 */
/* Image references: the docker reference grammar (distribution/reference)
 * with Docker Hub normalisation, and oci:PATH layout references.
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component ( "/" path-component )*
 *   domain     := host [ ":" port ]     host: DNS name, or "[" IPv6 "]"
 *   component  := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain only when it contains '.' or ':' or is
 * "localhost"; otherwise the name is on Docker Hub.  Unlike docker, an
 * uppercase first component is not taken for a domain: "Foo/bar" is refused
 * as not lowercase rather than read as host "Foo". */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "crypto/digest.h"
#include "oci/http.h"
#include "oci/ref.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define LAYOUT_PREFIX "oci:"
#define DOCKER_PREFIX "docker://"
#define HUB "docker.io"

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int refuse(const char *s, const char *why)
{
	return hm_error_set(HM_E_USAGE, "invalid reference '%s': %s", s, why);
}

/* Fills why (HM_REF_WHY_MAX bytes) and returns HM_E_USAGE; records nothing:
 * the caller says what was invalid (a reference, a pattern). */
static int why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why_set(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, HM_REF_WHY_MAX, fmt, ap);
	va_end(ap);
	return HM_E_USAGE;
}

static int why_char(char *why, char c, const char *where)
{
	if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		return why_set(why, "invalid byte 0x%02x in %s", (unsigned char)c, where);
	return why_set(why, "invalid character '%c' in %s", c, where);
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, over t[0..n). */
static int check_tag(const char *s, const char *t, size_t n)
{
	char why[HM_REF_WHY_MAX];

	if (n == 0)
		return refuse(s, "empty tag");
	if (n > TAG_MAX_LEN)
		return refuse(s, "tag too long (max 128)");
	if (!is_alnum(t[0]) && t[0] != '_')
		return refuse(s, "tag must start with a letter, digit or '_'");
	for (size_t i = 1; i < n; i++) {
		if (!is_alnum(t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-') {
			why_char(why, t[i], "tag");
			return refuse(s, why);
		}
	}
	return HM_OK;
}

static int check_digest(const char *s, const char *d)
{
	if (!hm_digest_valid(d))
		return refuse(s, "digest must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>");
	return HM_OK;
}

static int is_wild(char c)
{
	return c == '*' || c == '?';
}

/* One path component, p[0..n).  With glob, '*' and '?' may stand anywhere
 * and the separator grammar is not checked (a wildcard may stand for it). */
static int check_component(const char *p, size_t n, int glob, char *why)
{
	if (n == 0)
		return why_set(why, "empty path component");
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			return why_set(why, "repository must be lowercase");
		if (glob && is_wild(c)) {
			if (i + 2 < n && p[i + 1] == '*' && p[i + 2] == '*' && c == '*')
				return why_set(why, "'***' is not a wildcard (use '*' or '**')");
			continue;
		}
		if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
			return why_char(why, c, "repository");
	}
	if (glob)
		return HM_OK;
	if (!is_lower_alnum(p[0]) || !is_lower_alnum(p[n - 1]))
		return why_set(why, "path components must start and end with a letter or digit");
	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (is_lower_alnum(p[i])) {
			i++;
			continue;
		}
		while (j < n && !is_lower_alnum(p[j]))
			j++;
		/* a separator run: ".", "_", "__" or "-+" */
		if (!((j - i == 1 && (p[i] == '.' || p[i] == '_')) ||
		      (j - i == 2 && p[i] == '_' && p[i + 1] == '_') || strspn(p + i, "-") >= j - i))
			return why_set(why, "invalid separator '%.*s' in repository",
			               (int)(j - i > 8 ? 8 : j - i), p + i);
		i = j;
	}
	return HM_OK;
}

static int check_path(const char *p, size_t n, int glob, char *why)
{
	size_t start = 0;
	int err;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if ((err = check_component(p + start, i - start, glob, why)))
				return err;
			start = i + 1;
		}
	}
	return HM_OK;
}

/* port := 1..65535 in decimal without leading zeros, p[0..n): "0443" is
 * port 443 to curl, so it must not be a second spelling of it.  With glob,
 * a port holding '*' or '?' is a pattern over ports. */
static int check_port(const char *p, size_t n, int glob, char *why)
{
	unsigned long v = 0;
	int wild = 0;

	for (size_t i = 0; i < n; i++) {
		if (glob && is_wild(p[i]))
			wild = 1;
		else if (p[i] < '0' || p[i] > '9')
			n = 0;
	}
	if (n == 0 || n > 5 || (!wild && p[0] == '0'))
		return why_set(why, "port must be a number from 1 to 65535 without leading zeros");
	for (size_t i = 0; !wild && i < n; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	if (!wild && (v == 0 || v > 65535))
		return why_set(why, "port must be a number from 1 to 65535 without leading zeros");
	return HM_OK;
}

/* A DNS host d[0..n), lowercased into out (size > n).  A name whose last
 * label is a number ("127.1", "2130706433", "0x7f.0.0.1") is an IPv4
 * address to curl and to browsers, in any of several spellings: it must be
 * the one dotted-quad spelling. */
static int check_host(char *out, const char *d, size_t n, int glob, char *why)
{
	size_t last = 0;
	int wild = 0;
	struct in_addr a4;
	char back[INET_ADDRSTRLEN];

	if (n == 0)
		return why_set(why, "empty registry host");
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i < n && d[i] != '.') {
			if (glob && is_wild(d[i])) {
				if (d[i] == '*' && i + 1 < n && d[i + 1] == '*')
					return why_set(why,
					               "invalid registry host: '**' cannot stand in a host "
					               "(it would match '/'); use '*'");
				wild = 1;
			} else if (!is_alnum(d[i]) && d[i] != '-') {
				return why_set(why, "invalid registry host: %s",
				               d[i] == '_' ? "'_' is not allowed" : "unexpected character");
			}
			out[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] - 'A' + 'a' : d[i]);
			continue;
		}
		/* label d[start..i) */
		if (i == start)
			return why_set(why, i == n ? "invalid registry host: a trailing '.' is not allowed "
			                             "(write the host without it)"
			                           : "invalid registry host: empty label");
		if (d[start] == '-' || d[i - 1] == '-')
			return why_set(why, "invalid registry host: a label starts or ends with '-'");
		if (i < n)
			out[i] = '.';
		last = start;
		start = i + 1;
	}
	out[n] = '\0';
	if (wild)
		return HM_OK;
	if (strspn(out + last, "0123456789") == n - last || !strncmp(out + last, "0x", 2)) {
		if (inet_pton(AF_INET, out, &a4) != 1 || !inet_ntop(AF_INET, &a4, back, sizeof(back)) ||
		    strcmp(back, out) != 0)
			return why_set(why, "invalid registry host: an IPv4 address must be four decimal "
			                    "numbers without leading zeros");
	}
	return HM_OK;
}

static int is_hub_alias(const char *host)
{
	static const char *const hub[] = {HUB, "index.docker.io", "registry-1.docker.io",
	                                  "registry.hub.docker.com", NULL};

	for (size_t i = 0; hub[i]; i++)
		if (!strcmp(host, hub[i]))
			return 1;
	return 0;
}

int hm_ref_domain(char **out, const char *d, size_t n, int glob, char why[HM_REF_WHY_MAX])
{
	char host[NAME_MAX_LEN + 3];
	const char *port = NULL;
	size_t hlen, plen = 0;
	int err;

	*out = NULL;
	if (n > NAME_MAX_LEN)
		return why_set(why, "registry host too long (max 255)");
	if (n && d[0] == '[') {
		const char *close = memchr(d, ']', n);
		char addr[INET6_ADDRSTRLEN + 1];
		unsigned char bin[16];
		size_t alen;

		if (!close)
			return why_set(why, "unterminated '[' in registry host");
		alen = (size_t)(close - d - 1);
		if (alen == 0 || alen >= sizeof(addr) || memchr(d + 1, '\0', alen))
			return why_set(why, "invalid IPv6 address in registry host");
		memcpy(addr, d + 1, alen);
		addr[alen] = '\0';
		/* one spelling: RFC 5952 (lowercase, zeros compressed) */
		if (inet_pton(AF_INET6, addr, bin) != 1 || !inet_ntop(AF_INET6, bin, addr, sizeof(addr)))
			return why_set(why, "invalid IPv6 address in registry host");
		snprintf(host, sizeof(host), "[%s]", addr);
		hlen = (size_t)(close - d) + 1;
		if (hlen < n && d[hlen] != ':')
			return why_set(why, "unexpected characters after ']' in registry host");
	} else {
		const char *colon = memchr(d, ':', n);

		hlen = colon ? (size_t)(colon - d) : n;
		if ((err = check_host(host, d, hlen, glob, why)))
			return err;
	}
	if (hlen < n) {
		char pglob[8];

		port = d + hlen + 1;
		plen = n - hlen - 1;
		if ((err = check_port(port, plen, glob, why)))
			return err;
		/* A port pattern that matches the default port would miss the
		 * same server named without a port (which is how it is spelled
		 * once normalised): "host:*" is not "host or host:*". */
		snprintf(pglob, sizeof(pglob), "%.*s", (int)plen, port);
		if (glob && strpbrk(pglob, "*?") &&
		    (strchr(host, '.') || host[0] == '[' || !strcmp(host, "localhost")) &&
		    fnmatch(pglob, hm_http_is_loopback(host) ? "80" : "443", 0) == 0)
			return why_set(why,
			               "a port pattern matching the default port %s misses the host "
			               "without a port (write both patterns)",
			               hm_http_is_loopback(host) ? "80" : "443");
	}
	/* The default port is the same server: 443 for HTTPS.  Loopback hosts
	 * are reached over plain HTTP (docs/references.md), so theirs is 80,
	 * and ":443" on them names another server.  A host without '.' keeps
	 * its port: without it, "host/x" would be read as Docker Hub's. */
	if (port && (strchr(host, '.') || strchr(host, '[') || !strcmp(host, "localhost")) &&
	    ((plen == 3 && !memcmp(port, "443", 3) && !hm_http_is_loopback(host)) ||
	     (plen == 2 && !memcmp(port, "80", 2) && hm_http_is_loopback(host)))) {
		/* "*:443" would become "*", which also matches "host:5000" */
		if (is_wild(host[strlen(host) - 1]))
			return why_set(why, "a host pattern ending in a wildcard cannot name port 443 "
			                    "(write it without the port)");
		port = NULL, plen = 0;
	}
	if (is_hub_alias(host)) {
		/* only a look-alike of Docker Hub could answer on another port */
		if (port)
			return why_set(why, "Docker Hub ('%s') has no registry on port %.*s", host, (int)plen,
			               port);
		snprintf(host, sizeof(host), "%s", HUB);
	}
	if (asprintf(out, "%s%s%.*s", host, port ? ":" : "", (int)plen, port ? port : "") < 0) {
		*out = NULL;
		return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	return HM_OK;
}

/* The first component f[0..n) of a name is a registry domain when it holds
 * '.' or ':' (IPv6 included) or is "localhost", as docker reads it. */
static int is_domain(const char *f, size_t n)
{
	return memchr(f, '.', n) || memchr(f, ':', n) || (n == 9 && !memcmp(f, "localhost", 9));
}

int hm_ref_normalise_name(char **out, const char *name, size_t n, int glob, char why[HM_REF_WHY_MAX])
{
	const char *slash = memchr(name, '/', n), *path = name;
	char *reg = NULL;
	size_t plen;
	int library, err;

	*out = NULL;
	if (n == 0)
		return why_set(why, "empty name");
	if (glob &&
	    ((n == 2 && !memcmp(name, "**", 2)) || (slash && (slash - name == 1 || slash - name == 2) &&
	                                            strspn(name, "*") == (size_t)(slash - name)))) {
		/* a first segment "*" or "**" stands for any registry */
		if (!(reg = strndup(name, slash ? (size_t)(slash - name) : n)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		path = slash ? slash + 1 : name + n;
	} else if (slash && is_domain(name, (size_t)(slash - name))) {
		if ((err = hm_ref_domain(&reg, name, (size_t)(slash - name), glob, why)))
			return err;
		path = slash + 1;
	}
	plen = n - (size_t)(path - name);
	if (reg && !strcmp(reg, "**") && plen == 0) {
		*out = reg;
		return HM_OK;
	}
	if (plen == 0) {
		err = why_set(why, "empty repository");
		goto done;
	}
	if ((err = check_path(path, plen, glob, why)))
		goto done;
	library = (!reg || !strcmp(reg, HUB)) && !memchr(path, '/', plen);
	if (library && glob && memmem(path, plen, "**", 2)) {
		/* "docker.io/" then "**" is all of Docker Hub, not library/ alone */
		if (plen != 2) {
			err = why_set(why, "'**' in a one-segment Docker Hub name is ambiguous "
			                   "(write library/NAME or NAME/**)");
			goto done;
		}
		library = 0;
	}
	if (!glob && strlen(reg ? reg : HUB) + 1 + (library ? 8 : 0) + plen > NAME_MAX_LEN) {
		err = why_set(why, "name too long (max 255)");
		goto done;
	}
	if (asprintf(out, "%s/%s%.*s", reg ? reg : HUB, library ? "library/" : "", (int)plen, path) < 0) {
		*out = NULL;
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	}
done:
	free(reg);
	return err;
}

static char *dup_n(const char *p, size_t n)
{
	char *r = malloc(n + 1);

	if (r) {
		memcpy(r, p, n);
		r[n] = '\0';
	}
	return r;
}

/* Splits "rest[:tag]" where the tag separator is a ':' after the last '/'. */
static const char *tag_colon(const char *p, size_t n)
{
	const char *colon = NULL;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '/') {
			colon = NULL;
		} else if (p[i] == ':' && !colon) {
			colon = p + i;
		}
	}
	return colon;
}

static int parse_layout(hm_ref *out, const char *s)
{
	const char *path = s + strlen(LAYOUT_PREFIX);
	const char *at = strrchr(path, '@');
	size_t n;
	const char *colon;
	int err;

	out->kind = HM_REF_LAYOUT;
	/* an '@' followed by no '/' is the digest; elsewhere it is part of PATH */
	if (at && strchr(at, '/'))
		at = NULL;
	n = at ? (size_t)(at - path) : strlen(path);
	if (at) {
		if ((err = check_digest(s, at + 1)))
			return err;
		if (!(out->digest = strdup(at + 1)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	colon = tag_colon(path, n);
	if (colon) {
		size_t tl = n - (size_t)(colon - path) - 1;

		if ((err = check_tag(s, colon + 1, tl)))
			return err;
		if (!(out->tag = dup_n(colon + 1, tl)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		n = (size_t)(colon - path);
	}
	if (n == 0)
		return refuse(s, "empty layout path");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20)
			return refuse(s, "control character in layout path");
	if (!(out->repository = dup_n(path, n)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

static int parse_registry(hm_ref *out, const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	const char *colon;
	char *name = NULL, *slash;
	char why[HM_REF_WHY_MAX];
	int err;

	out->kind = HM_REF_REGISTRY;
	if (at) {
		if ((err = check_digest(s, at + 1)))
			return err;
		if (!(out->digest = strdup(at + 1)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
	}
	colon = tag_colon(s, n);
	if (colon) {
		size_t tl = n - (size_t)(colon - s) - 1;

		if ((err = check_tag(s, colon + 1, tl)))
			return err;
		if (!(out->tag = dup_n(colon + 1, tl)))
			return hm_error_set(HM_E_NOMEM, "out of memory");
		n = (size_t)(colon - s);
	}
	if ((err = hm_ref_normalise_name(&name, s, n, 0, why)))
		return err == HM_E_USAGE ? refuse(s, why) : err;
	/* "registry/repository": a registry never holds '/' */
	slash = strchr(name, '/');
	*slash = '\0';
	out->registry = name;
	if (!(out->repository = strdup(slash + 1)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	if (!out->tag && !out->digest && !(out->tag = strdup("latest")))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

int hm_ref_parse(hm_ref *out, const char *s)
{
	hm_ref r = HM_REF_INIT;
	int err;

	*out = r;
	if (!s || !*s)
		return refuse(s ? s : "", "empty");
	if (strncmp(s, LAYOUT_PREFIX, strlen(LAYOUT_PREFIX)) == 0)
		err = parse_layout(&r, s);
	else if (strncmp(s, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) == 0)
		/* skopeo's spelling of a registry reference */
		err = s[strlen(DOCKER_PREFIX)] ? parse_registry(&r, s + strlen(DOCKER_PREFIX))
					       : refuse(s, "nothing after docker://");
	else
		err = parse_registry(&r, s);
	if (err) {
		hm_ref_free(&r);
		return err;
	}
	*out = r;
	return HM_OK;
}

void hm_ref_free(hm_ref *r)
{
	hm_ref none = HM_REF_INIT;

	if (!r)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	*r = none;
}

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	return HM_OK;
}

int hm_ref_copy(hm_ref *out, const hm_ref *in)
{
	hm_ref r = HM_REF_INIT;
	int err;

	r.kind = in->kind;
	if ((err = dup_opt(&r.registry, in->registry)) || (err = dup_opt(&r.repository, in->repository)) ||
	    (err = dup_opt(&r.tag, in->tag)) || (err = dup_opt(&r.digest, in->digest))) {
		hm_ref_free(&r);
		*out = r;
		return err;
	}
	*out = r;
	return HM_OK;
}

/* name, then ":tag" and "@digest" when present; NULL when out of memory. */
static char *with_suffixes(hm_buf *b, const hm_ref *r)
{
	int err = HM_OK;

	if (r->tag)
		err = hm_buf_addf(b, ":%s", r->tag);
	if (!err && r->digest)
		err = hm_buf_addf(b, "@%s", r->digest);
	if (err) {
		hm_buf_release(b);
		return NULL;
	}
	return hm_buf_detach(b, NULL);
}

static int add_name(hm_buf *b, const hm_ref *r)
{
	const char *repo = r->repository ? r->repository : "";

	if (r->kind == HM_REF_LAYOUT)
		return hm_buf_addf(b, LAYOUT_PREFIX "%s", repo);
	return hm_buf_addf(b, "%s/%s", r->registry ? r->registry : HUB, repo);
}

char *hm_ref_name(const hm_ref *r)
{
	hm_buf b = HM_BUF_INIT;

	if (add_name(&b, r)) {
		hm_buf_release(&b);
		return NULL;
	}
	return hm_buf_detach(&b, NULL);
}

char *hm_ref_string(const hm_ref *r)
{
	hm_buf b = HM_BUF_INIT;

	if (add_name(&b, r)) {
		hm_buf_release(&b);
		return NULL;
	}
	return with_suffixes(&b, r);
}

char *hm_ref_familiar(const hm_ref *r)
{
	hm_buf b = HM_BUF_INIT;
	const char *repo = r->repository ? r->repository : "";
	int err;

	if (r->kind == HM_REF_LAYOUT || (r->registry && strcmp(r->registry, HUB) != 0)) {
		err = add_name(&b, r);
	} else {
		if (strncmp(repo, "library/", 8) == 0 && !strchr(repo + 8, '/'))
			repo += 8;
		err = hm_buf_addstr(&b, repo);
	}
	if (err) {
		hm_buf_release(&b);
		return NULL;
	}
	return with_suffixes(&b, r);
}
