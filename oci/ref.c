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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "oci/digest.h"
#include "oci/ref.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define LAYOUT_PREFIX "oci:"
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

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, over t[0..n). */
static int check_tag(const char *s, const char *t, size_t n)
{
	char why[64];

	if (n == 0)
		return refuse(s, "empty tag");
	if (n > TAG_MAX_LEN)
		return refuse(s, "tag too long (max 128)");
	if (!is_alnum(t[0]) && t[0] != '_')
		return refuse(s, "tag must start with a letter, digit or '_'");
	for (size_t i = 1; i < n; i++) {
		if (!is_alnum(t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-') {
			snprintf(why, sizeof(why), "invalid character '%c' in tag", t[i]);
			if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] >= 0x7f)
				snprintf(why, sizeof(why), "invalid byte 0x%02x in tag", (unsigned char)t[i]);
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

/* One path component, p[0..n). */
static int check_component(const char *s, const char *p, size_t n)
{
	char why[64];

	if (n == 0)
		return refuse(s, "empty path component");
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			return refuse(s, "repository must be lowercase");
		if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') {
			if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
				snprintf(why, sizeof(why), "invalid byte 0x%02x in repository",
				         (unsigned char)c);
			else
				snprintf(why, sizeof(why), "invalid character '%c' in repository", c);
			return refuse(s, why);
		}
	}
	if (!is_lower_alnum(p[0]) || !is_lower_alnum(p[n - 1]))
		return refuse(s, "path components must start and end with a letter or digit");
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
		      (j - i == 2 && p[i] == '_' && p[i + 1] == '_') || strspn(p + i, "-") >= j - i)) {
			snprintf(why, sizeof(why), "invalid separator '%.*s' in repository",
			         (int)(j - i > 8 ? 8 : j - i), p + i);
			return refuse(s, why);
		}
		i = j;
	}
	return HM_OK;
}

static int check_path(const char *s, const char *p, size_t n)
{
	size_t start = 0;
	int err;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if ((err = check_component(s, p + start, i - start)))
				return err;
			start = i + 1;
		}
	}
	return HM_OK;
}

static int check_port(const char *s, const char *p, size_t n)
{
	if (n == 0 || n > 5 || strspn(p, "0123456789") < n)
		return refuse(s, "port must be a number");
	return HM_OK;
}

/* domain := host [":" port], d[0..n). */
static int check_domain(const char *s, const char *d, size_t n)
{
	const char *colon;
	size_t hlen;

	if (d[0] == '[') {
		const char *close = memchr(d, ']', n);
		char addr[INET6_ADDRSTRLEN + 1];
		unsigned char bin[16];
		size_t alen;

		if (!close)
			return refuse(s, "unterminated '[' in registry host");
		alen = (size_t)(close - d - 1);
		if (alen == 0 || alen >= sizeof(addr))
			return refuse(s, "invalid IPv6 address in registry host");
		memcpy(addr, d + 1, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return refuse(s, "invalid IPv6 address in registry host");
		hlen = (size_t)(close - d) + 1;
		if (hlen == n)
			return HM_OK;
		if (d[hlen] != ':')
			return refuse(s, "unexpected characters after ']' in registry host");
		return check_port(s, d + hlen + 1, n - hlen - 1);
	}
	colon = memchr(d, ':', n);
	hlen = colon ? (size_t)(colon - d) : n;
	if (hlen == 0)
		return refuse(s, "empty registry host");
	for (size_t i = 0, start = 0; i <= hlen; i++) {
		if (i < hlen && d[i] != '.') {
			if (!is_alnum(d[i]) && d[i] != '-')
				return refuse(s, "invalid registry host");
			continue;
		}
		/* label d[start..i) */
		if (i == start || d[start] == '-' || d[i - 1] == '-')
			return refuse(s, "invalid registry host");
		start = i + 1;
	}
	return colon ? check_port(s, colon + 1, n - hlen - 1) : HM_OK;
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
	const char *colon, *slash, *repo;
	size_t dlen = 0, rlen;
	const char *domain = HUB;
	int hub, library, err;

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
	if (n == 0)
		return refuse(s, "empty name");

	slash = memchr(s, '/', n);
	repo = s;
	if (slash) {
		size_t fl = (size_t)(slash - s);

		if (memchr(s, '.', fl) || memchr(s, ':', fl) || (fl == 9 && memcmp(s, "localhost", 9) == 0)) {
			if ((err = check_domain(s, s, fl)))
				return err;
			domain = s;
			dlen = fl;
			repo = slash + 1;
		}
	}
	rlen = n - (size_t)(repo - s);
	if (rlen == 0)
		return refuse(s, "empty repository");
	if ((err = check_path(s, repo, rlen)))
		return err;

	if (dlen == 0 || (dlen == 15 && memcmp(domain, "index.docker.io", 15) == 0)) {
		domain = HUB;
		dlen = strlen(HUB);
	}
	hub = dlen == strlen(HUB) && memcmp(domain, HUB, dlen) == 0;
	library = hub && !memchr(repo, '/', rlen);
	if (dlen + 1 + (library ? 8 : 0) + rlen > NAME_MAX_LEN)
		return refuse(s, "name too long (max 255)");
	out->registry = dup_n(domain, dlen);
	out->repository = malloc(rlen + 9);
	if (!out->registry || !out->repository)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	snprintf(out->repository, rlen + 9, "%s%.*s", library ? "library/" : "", (int)rlen, repo);
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
