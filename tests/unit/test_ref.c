/* SPDX-License-Identifier: Apache-2.0 */
/* Image references: grammar, Docker Hub normalisation, string forms, layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "oci/ref.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG "sha256:" HEX64

/* Parses s and checks the normalised string and the familiar form. */
static void ok(const char *s, const char *want, const char *familiar)
{
	hm_ref r = HM_REF_INIT;
	char *str, *fam;
	int err = hm_ref_parse(&r, s);

	if (err)
		fail_msg("'%s' refused: %s", s, hm_error_message());
	str = hm_ref_string(&r);
	fam = hm_ref_familiar(&r);
	if (strcmp(str, want) != 0)
		fail_msg("'%s': got '%s', want '%s'", s, str, want);
	if (familiar && strcmp(fam, familiar) != 0)
		fail_msg("'%s': familiar '%s', want '%s'", s, fam, familiar);
	free(str);
	free(fam);
	hm_ref_free(&r);
}

/* s must be refused with HM_E_USAGE and a message containing why. */
static void bad(const char *s, const char *why)
{
	hm_ref r = HM_REF_INIT;
	int err = hm_ref_parse(&r, s);

	if (err != HM_E_USAGE)
		fail_msg("'%s' accepted (err %d)", s, err);
	if (!strstr(hm_error_message(), why))
		fail_msg("'%s': message '%s' lacks '%s'", s, hm_error_message(), why);
	if (strncmp(hm_error_message(), "invalid reference '", 19) != 0)
		fail_msg("'%s': message '%s' does not start with invalid reference", s, hm_error_message());
	assert_null(r.repository);
	assert_null(r.tag);
}

static void test_hub_normalisation(void **state)
{
	ok("alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("alpine:3.19", "docker.io/library/alpine:3.19", "alpine:3.19");
	ok("library/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("docker.io/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("index.docker.io/library/alpine:1", "docker.io/library/alpine:1", "alpine:1");
	ok("index.docker.io/foo/bar", "docker.io/foo/bar:latest", "foo/bar:latest");
	ok("bitnami/redis:7", "docker.io/bitnami/redis:7", "bitnami/redis:7");
	ok("library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest");
	/* "example.com" alone has no '/': it is a Hub repository */
	ok("example.com", "docker.io/library/example.com:latest", "example.com:latest");
	ok("localhost", "docker.io/library/localhost:latest", NULL);
	/* "localhost:5000" alone: repository localhost, tag 5000, as docker reads it */
	ok("localhost:5000", "docker.io/library/localhost:5000", NULL);
}

static void test_domains(void **state)
{
	ok("localhost/x", "localhost/x:latest", "localhost/x:latest");
	ok("localhost:5000/team/app:1.4", "localhost:5000/team/app:1.4", "localhost:5000/team/app:1.4");
	ok("registry.example.com/team/app:1.4", "registry.example.com/team/app:1.4", NULL);
	ok("ghcr.io/x/y@" DIG, "ghcr.io/x/y@" DIG, "ghcr.io/x/y@" DIG);
	ok("[::1]:5000/foo", "[::1]:5000/foo:latest", NULL);
	ok("[2001:db8::1]/foo:v", "[2001:db8::1]/foo:v", NULL);
	ok("127.0.0.1:5000/foo", "127.0.0.1:5000/foo:latest", NULL);
	ok("my-host.Example.COM/foo", "my-host.example.com/foo:latest", NULL);
	ok("a.b.c:443/d/e/f/g", "a.b.c/d/e/f/g:latest", NULL);
	bad("-bad.com/foo", "invalid registry host");
	bad("bad-.com/foo", "invalid registry host");
	bad("a..b/foo", "invalid registry host");
	bad("host:/foo", "port must be a number");
	bad("host:12x/foo", "port must be a number");
	bad("[::1/foo", "unterminated '['");
	bad("[zz::1]/foo", "invalid IPv6");
	bad("[::1]x/foo", "after ']'");
	bad("ex_ample.com/foo", "invalid registry host");
}

/* One registry, one spelling: whatever spelling of a host a reference
 * uses, its normalised name is the same, so no spelling escapes a rule. */
static void test_one_spelling(void **state)
{
	/* host names are case-insensitive */
	ok("REGISTRY.example.com/prod/app", "registry.example.com/prod/app:latest", NULL);
	ok("Registry.Example.Com:5000/prod/app:V1", "registry.example.com:5000/prod/app:V1", NULL);
	/* ":443" is the https default: the host itself */
	ok("registry.example.com:443/prod/app", "registry.example.com/prod/app:latest", NULL);
	ok("10.1.2.3:443/a", "10.1.2.3/a:latest", NULL);
	ok("[2001:db8::1]:443/a", "[2001:db8::1]/a:latest", NULL);
	ok("registry.example.com:80/prod/app", "registry.example.com:80/prod/app:latest", NULL);
	/* without its port, "intranet/app" would be Docker Hub's intranet/app */
	ok("intranet:443/app", "intranet:443/app:latest", NULL);
	/* loopback hosts are reached over plain HTTP: ":80" is theirs, ":443" another server */
	ok("localhost:80/a", "localhost/a:latest", NULL);
	ok("127.0.0.1:80/a", "127.0.0.1/a:latest", NULL);
	ok("[::1]:80/a", "[::1]/a:latest", NULL);
	ok("localhost:443/a", "localhost:443/a:latest", NULL);
	ok("LOCALHOST:5000/a", "localhost:5000/a:latest", NULL);
	/* Docker Hub's spellings */
	ok("docker.io/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("index.docker.io/library/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("registry-1.docker.io/library/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("registry-1.docker.io/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("registry.hub.docker.com/library/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("DOCKER.IO:443/alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("Index.Docker.Io:443/bitnami/redis", "docker.io/bitnami/redis:latest", "bitnami/redis:latest");
	bad("docker.io:5000/alpine", "Docker Hub ('docker.io') has no registry on port 5000");
	bad("registry-1.docker.io:80/alpine", "no registry on port 80");
	/* IPv6: the RFC 5952 spelling */
	ok("[0:0:0:0:0:0:0:1]:5000/a", "[::1]:5000/a:latest", NULL);
	ok("[2001:DB8:0::0:1]/a", "[2001:db8::1]/a:latest", NULL);
	bad("[fe80::1%25eth0]/a", "invalid IPv6");
	/* trailing dots are refused, not folded: outside the grammar */
	bad("registry.example.com./prod/app", "trailing '.'");
	bad("localhost./a", "trailing '.'");
	/* IPv4 has one spelling: other numeric forms reach the same address */
	ok("10.0.0.1:5000/a", "10.0.0.1:5000/a:latest", NULL);
	bad("127.1:5000/a", "IPv4 address");
	bad("2130706433:5000/a", "IPv4 address");
	bad("0x7f.0.0.1:5000/a", "IPv4 address");
	bad("0177.0.0.1:5000/a", "IPv4 address");
	bad("127.0.0.01:5000/a", "IPv4 address");
	bad("1.2.3.4.5/a", "IPv4 address");
	/* ports: one spelling, in range */
	bad("registry.example.com:0443/a", "without leading zeros");
	bad("registry.example.com:0/a", "from 1 to 65535");
	bad("registry.example.com:65536/a", "from 1 to 65535");
	ok("registry.example.com:65535/a", "registry.example.com:65535/a:latest", NULL);
	/* the path is lowercase by the grammar: no folding, a refusal */
	bad("registry.example.com/Prod/app", "repository must be lowercase");
	bad("docker.io/Library/alpine", "repository must be lowercase");
}

static void test_paths(void **state)
{
	ok("a/b-c/d__e/f.g/h---i", "docker.io/a/b-c/d__e/f.g/h---i:latest", NULL);
	ok("x/a0_b1", "docker.io/x/a0_b1:latest", NULL);
	bad("Foo/bar", "repository must be lowercase");
	bad("foo/Bar", "repository must be lowercase");
	bad("ALPINE", "repository must be lowercase");
	bad("foo//bar", "empty path component");
	bad("foo/", "empty path component");
	bad("/foo", "empty path component");
	bad("localhost/", "empty repository");
	bad("foo/-bar", "must start and end with a letter or digit");
	bad("foo/bar.", "must start and end with a letter or digit");
	bad("foo/a..b", "invalid separator");
	bad("foo/a___b", "invalid separator");
	bad("foo/a._b", "invalid separator");
	bad("foo/a-_b", "invalid separator");
	bad("foo/b@r", "digest must be");
	bad("foo/b r", "invalid character ' ' in repository");
	bad("foo/b\x01r", "invalid byte 0x01");
	bad("", "empty");
	bad(":tag", "empty name");
	bad("@" DIG, "empty name");
}

static void test_tags_and_digests(void **state)
{
	char tag[200], ref[300], want[300];

	ok("foo:_x.Y-z", "docker.io/library/foo:_x.Y-z", NULL);
	ok("foo@" DIG, "docker.io/library/foo@" DIG, "foo@" DIG);
	ok("foo:v1@" DIG, "docker.io/library/foo:v1@" DIG, "foo:v1@" DIG);
	ok("foo@sha512:" HEX64 HEX64, "docker.io/library/foo@sha512:" HEX64 HEX64, NULL);
	bad("foo:", "empty tag");
	bad("foo:.x", "tag must start with");
	bad("foo:-x", "tag must start with");
	/* a ':' before the last '/' is no tag separator: "foo:a" is a host */
	bad("foo:a/b", "port must be a number");
	bad("foo:a+b", "invalid character '+' in tag");
	bad("foo@sha256:abc", "digest must be sha256:<64 lowercase hex>");
	bad("foo@sha256:"
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	    "digest must be");
	bad("foo@md5:" HEX64, "digest must be");
	bad("foo@", "digest must be");
	bad("foo:v1@sha256:" HEX64 "0", "digest must be");

	memset(tag, 'a', 128);
	tag[128] = '\0';
	snprintf(ref, sizeof(ref), "foo:%s", tag);
	snprintf(want, sizeof(want), "docker.io/library/foo:%s", tag);
	ok(ref, want, NULL);
	tag[128] = 'a';
	tag[129] = '\0';
	snprintf(ref, sizeof(ref), "foo:%s", tag);
	bad(ref, "tag too long (max 128)");
}

static void test_name_length(void **state)
{
	char ref[400];
	size_t n;

	/* "example.com/" is 12 bytes: 243 more make exactly 255 */
	n = (size_t)snprintf(ref, sizeof(ref), "example.com/");
	memset(ref + n, 'a', 243);
	ref[n + 243] = '\0';
	{
		hm_ref r = HM_REF_INIT;

		assert_int_equal(hm_ref_parse(&r, ref), HM_OK);
		hm_ref_free(&r);
	}
	ref[n + 243] = 'a';
	ref[n + 244] = '\0';
	bad(ref, "name too long (max 255)");
	/* Hub names count their normalised form: docker.io/library/ is 18 bytes */
	memset(ref, 'a', 238);
	ref[238] = '\0';
	bad(ref, "name too long (max 255)");
	ref[237] = '\0';
	{
		hm_ref r = HM_REF_INIT;

		assert_int_equal(hm_ref_parse(&r, ref), HM_OK);
		hm_ref_free(&r);
	}
}

static void test_fields(void **state)
{
	hm_ref r = HM_REF_INIT, c = HM_REF_INIT;
	char *name;

	assert_int_equal(hm_ref_parse(&r, "localhost:5000/a/b:t@" DIG), HM_OK);
	assert_int_equal(r.kind, HM_REF_REGISTRY);
	assert_string_equal(r.registry, "localhost:5000");
	assert_string_equal(r.repository, "a/b");
	assert_string_equal(r.tag, "t");
	assert_string_equal(r.digest, DIG);
	name = hm_ref_name(&r);
	assert_string_equal(name, "localhost:5000/a/b");
	free(name);
	assert_int_equal(hm_ref_copy(&c, &r), HM_OK);
	hm_ref_free(&r);
	assert_null(r.repository);
	assert_string_equal(c.repository, "a/b");
	assert_string_equal(c.digest, DIG);
	hm_ref_free(&c);
	hm_ref_free(&c); /* twice is harmless */

	/* a digest-only reference gets no "latest" */
	assert_int_equal(hm_ref_parse(&r, "alpine@" DIG), HM_OK);
	assert_null(r.tag);
	hm_ref_free(&r);
}

static void test_layouts(void **state)
{
	hm_ref r = HM_REF_INIT;
	char *name;

	ok("oci:dir", "oci:dir", "oci:dir");
	ok("oci:./dir:v1", "oci:./dir:v1", "oci:./dir:v1");
	ok("oci:/tmp/a.b/Dir:v1", "oci:/tmp/a.b/Dir:v1", NULL);
	ok("oci:/tmp/x:y/dir", "oci:/tmp/x:y/dir", NULL); /* a ':' before the last '/' is part of PATH */
	ok("oci:/tmp/dir@" DIG, "oci:/tmp/dir@" DIG, NULL);
	ok("oci:/tmp/dir:v1@" DIG, "oci:/tmp/dir:v1@" DIG, NULL);
	ok("oci:/tmp/us@r/dir", "oci:/tmp/us@r/dir", NULL);
	bad("oci:", "empty layout path");
	bad("oci::v1", "empty layout path");
	bad("oci:dir:", "empty tag");
	bad("oci:dir:bad+tag", "invalid character '+' in tag");
	bad("oci:dir@sha256:xyz", "digest must be");

	assert_int_equal(hm_ref_parse(&r, "oci:../some dir"), HM_OK);
	assert_int_equal(r.kind, HM_REF_LAYOUT);
	assert_null(r.registry);
	assert_null(r.tag);
	assert_null(r.digest);
	assert_string_equal(r.repository, "../some dir");
	name = hm_ref_name(&r);
	assert_string_equal(name, "oci:../some dir");
	free(name);
	hm_ref_free(&r);

	assert_int_equal(hm_ref_parse(&r, "oci:x:v2"), HM_OK);
	assert_string_equal(r.repository, "x");
	assert_string_equal(r.tag, "v2");
	hm_ref_free(&r);
}

/* skopeo's transport prefix: the same reference, normalised the same way;
 * never a way to reach a layout or to smuggle another spelling in. */
static void test_docker_prefix(void **state)
{
	(void)state;
	ok("docker://alpine", "docker.io/library/alpine:latest", "alpine:latest");
	ok("docker://LOCALHOST:80/app:v1", "localhost/app:v1", NULL);
	ok("docker://registry.example.com:443/prod/app@" DIG, "registry.example.com/prod/app@" DIG, NULL);
	ok("docker://[0:0::1]:5000/app", "[::1]:5000/app:latest", NULL);
	bad("docker://", "nothing after docker://");
	bad("docker://oci:/tmp/dir", "invalid reference 'oci:/tmp/dir'");
	bad("docker://docker://alpine", "invalid reference");
	bad("docker://Team/App", "must be lowercase");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hub_normalisation),
	    cmocka_unit_test(test_domains),
	    cmocka_unit_test(test_one_spelling),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_tags_and_digests),
	    cmocka_unit_test(test_name_length),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_layouts), cmocka_unit_test(test_docker_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
