/* SPDX-License-Identifier: Apache-2.0 */
/* Dockerfile parsing: stages, external images, ARGs, platforms, comments,
 * continuations, heredocs, errors with line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attest/dockerfile.h"
#include "core/error.h"

static hm_dockerfile parse_ok(const char *text, const char *const *args, size_t n)
{
	hm_dockerfile df;
	int err = hm_dockerfile_parse(&df, text, strlen(text), args, n, NULL);

	if (err)
		fail_msg("parse failed: %s", hm_error_message());
	return df;
}

static void parse_err(const char *text, const char *want)
{
	hm_dockerfile df;
	int err = hm_dockerfile_parse(&df, text, strlen(text), NULL, 0, NULL);

	assert_int_not_equal(err, HM_OK);
	if (!strstr(hm_error_message(), want))
		fail_msg("error '%s' lacks '%s'", hm_error_message(), want);
	assert_int_equal(df.n_stages, 0);
	assert_null(df.stages);
}

static void test_single(void **state)
{
	hm_dockerfile df = parse_ok("FROM alpine:3.19\nRUN echo hi\n", NULL, 0);

	assert_int_equal(df.n_stages, 1);
	assert_string_equal(df.stages[0].base, "alpine:3.19");
	assert_null(df.stages[0].name);
	assert_int_equal(df.stages[0].parent, -1);
	assert_int_equal(df.n_images, 1);
	assert_string_equal(df.images[0].ref, "alpine:3.19");
	assert_int_equal(df.images[0].line, 1);
	hm_dockerfile_free(&df);
}

static void test_multistage(void **state)
{
	const char *text = "FROM golang:1.22 AS Build\n"
			   "RUN go build\n"
			   "from build as test\n"
			   "FROM --platform=linux/arm64 gcr.io/distroless/static@sha256:"
			   "0000000000000000000000000000000000000000000000000000000000000000\n"
			   "COPY --from=BUILD /out /app\n"
			   "COPY --from=0 /x /y\n"
			   "COPY --from=busybox:1.36 /bin/sh /sh\n"
			   "COPY --chown=1:1 --from=golang:1.22 /a /b\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);

	assert_int_equal(df.n_stages, 3);
	assert_string_equal(df.stages[0].name, "build");
	assert_string_equal(df.stages[1].name, "test");
	assert_int_equal(df.stages[1].parent, 0);
	assert_int_equal(df.stages[1].line, 3);
	assert_string_equal(df.stages[2].platform, "linux/arm64");
	assert_int_equal(df.n_images, 3); /* golang:1.22 once */
	assert_string_equal(df.images[0].ref, "golang:1.22");
	assert_string_equal(df.images[1].ref, "gcr.io/distroless/static@sha256:"
					      "0000000000000000000000000000000000000000000000000000000000000000");
	assert_string_equal(df.images[1].platform, "linux/arm64");
	assert_int_equal(df.images[1].line, 4);
	assert_string_equal(df.images[2].ref, "busybox:1.36");
	assert_int_equal(df.images[2].line, 7);
	hm_dockerfile_free(&df);
}

static void test_scratch_and_dedup(void **state)
{
	hm_dockerfile df = parse_ok("FROM scratch\nFROM alpine\nFROM alpine AS a2\nFROM SCRATCH\n"
				    "FROM --platform=linux/arm64 alpine\n", NULL, 0);

	assert_int_equal(df.n_stages, 5);
	assert_int_equal(df.n_images, 2); /* the same image for another platform is another one */
	assert_string_equal(df.images[0].ref, "alpine");
	assert_null(df.images[0].platform);
	assert_string_equal(df.images[1].platform, "linux/arm64");
	hm_dockerfile_free(&df);
}

static void test_args(void **state)
{
	const char *text = "ARG REGISTRY=docker.io\n"
			   "ARG VERSION=3.18 FLAVOUR\n"
			   "ARG BASE=${REGISTRY}/library/alpine\n"
			   "FROM $BASE:${VERSION}\n"
			   "FROM ${MISSING:-debian}:${FLAVOUR:-bookworm}${FLAVOUR:+-x}\n"
			   "FROM ${REGISTRY:+mirror.example/}python:3\n"
			   "ARG VERSION=ignored-in-stage\n"
			   "FROM \"quoted:1\"\n"
			   "FROM 'single$NOPE'\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);

	assert_int_equal(df.n_images, 5);
	assert_string_equal(df.images[0].ref, "docker.io/library/alpine:3.18");
	assert_string_equal(df.images[1].ref, "debian:bookworm");
	assert_string_equal(df.images[2].ref, "mirror.example/python:3");
	assert_string_equal(df.images[3].ref, "quoted:1");
	assert_string_equal(df.images[4].ref, "single$NOPE");
	hm_dockerfile_free(&df);
}

static void test_build_args(void **state)
{
	const char *text = "ARG VERSION=3.18\nARG FLAVOUR\nARG TARGETARCH\n"
			   "FROM --platform=$BUILDPLATFORM alpine:${VERSION}${FLAVOUR:+-$FLAVOUR}\n"
			   "FROM debian-$TARGETARCH\n";
	const char *args[] = {"VERSION=3.20", "FLAVOUR=slim", "BUILDPLATFORM=linux/amd64",
			      "TARGETARCH=arm64", "UNUSED=1"};
	hm_dockerfile df = parse_ok(text, args, 5);

	assert_string_equal(df.images[0].ref, "alpine:3.20-slim");
	assert_string_equal(df.images[0].platform, "linux/amd64");
	assert_string_equal(df.images[1].ref, "debian-arm64");
	hm_dockerfile_free(&df);

	/* without the build args: defaults, empty platform is none */
	df = parse_ok(text, NULL, 0);
	assert_string_equal(df.images[0].ref, "alpine:3.18");
	assert_null(df.images[0].platform);
	hm_dockerfile_free(&df);
}

static void test_comments_continuations(void **state)
{
	const char *text = "# syntax=docker/dockerfile:1\n"
			   "# a comment\n"
			   "\n"
			   "   # indented comment\n"
			   "FROM \\\n"
			   "  # comment inside a continuation\n"
			   "\n"
			   "  --platform=linux/amd64 \\  \n"
			   "  alpine:3.19 \\\n"
			   "  AS base\r\n"
			   "RUN apk add \\\n"
			   "    curl\n"
			   "FROM base\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);

	assert_int_equal(df.n_stages, 2);
	assert_string_equal(df.stages[0].name, "base");
	assert_string_equal(df.stages[0].platform, "linux/amd64");
	assert_int_equal(df.stages[0].line, 5);
	assert_int_equal(df.stages[1].line, 13);
	assert_int_equal(df.stages[1].parent, 0);
	/* the # syntax= frontend is an image the build uses */
	assert_int_equal(df.n_images, 2);
	assert_string_equal(df.images[0].ref, "docker/dockerfile:1");
	assert_string_equal(df.images[1].ref, "alpine:3.19");
	hm_dockerfile_free(&df);
}

/* Every image a build pulls is recorded: the frontend, RUN --mount
 * from= (not an earlier stage), COPY --from=, FROM.  An image hidden in a
 * mount used to be left out of the provenance, so a base-image allowlist
 * never saw it. */
static void test_every_image_the_build_uses(void **state)
{
	const char *text = "# syntax = registry.example.com/frontend:1.7\n"
			   "ARG TOOLS=ghcr.io/x/tools:2\n"
			   "FROM alpine:3.19 AS build\n"
			   "RUN --mount=type=cache,target=/root/.cache,from=build \\\n"
			   "    --mount=type=bind,from=evil.io/payload:1,source=/x,target=/y \\\n"
			   "    --mount=\"type=bind,\"\"from=${TOOLS}\"\"\" \\\n"
			   "    --mount=type=secret,id=npm \\\n"
			   "    --mount=type=bind,from=0,target=/z make\n"
			   "FROM build\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);
	const char *bargs[] = {"BUILDKIT_SYNTAX=docker/dockerfile:1.9"};

	assert_int_equal(df.n_images, 4);
	assert_string_equal(df.images[0].ref, "registry.example.com/frontend:1.7");
	assert_string_equal(df.images[1].ref, "alpine:3.19");
	assert_string_equal(df.images[2].ref, "evil.io/payload:1");
	assert_string_equal(df.images[3].ref, "ghcr.io/x/tools:2");
	assert_int_equal(df.images[2].line, 4);
	hm_dockerfile_free(&df);

	/* BUILDKIT_SYNTAX replaces the directive, as BuildKit does */
	df = parse_ok(text, bargs, 1);
	assert_string_equal(df.images[0].ref, "docker/dockerfile:1.9");
	for (size_t i = 0; i < df.n_images; i++)
		assert_string_not_equal(df.images[i].ref, "registry.example.com/frontend:1.7");
	hm_dockerfile_free(&df);

	parse_err("FROM a\nRUN --mount=type=bind,from= true\n", "RUN --mount from needs a stage or an image");
	parse_err("FROM a\nRUN --mount=type=bind,from=a\\$b true\n", "is neither a stage nor an image");
	parse_err("# syntax=\nFROM a\n", "syntax '' is not an image reference");
}

static void test_escape_directive(void **state)
{
	const char *text = "# escape=`\n"
			   "FROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n"
			   "  AS win\n"
			   "RUN dir c:\\\n"
			   "FROM win\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);

	assert_int_equal(df.n_stages, 2);
	assert_string_equal(df.stages[0].name, "win");
	assert_int_equal(df.n_images, 1);
	hm_dockerfile_free(&df);

	/* after a comment, "# escape=" is just a comment */
	df = parse_ok("# hello\n# escape=`\nFROM a \\\n AS b\n", NULL, 0);
	assert_string_equal(df.stages[0].name, "b");
	hm_dockerfile_free(&df);
}

static void test_heredocs(void **state)
{
	const char *text = "FROM alpine\n"
			   "RUN <<EOF\n"
			   "FROM evil:1\n"
			   "EOF\n"
			   "RUN <<-'END' cat >/x && 3<<\"TWO\" cat\n"
			   "\t\tFROM evil:2\n"
			   "\tEND\n"
			   "FROM evil:3\n"
			   "TWO\n"
			   "COPY <<FILE /etc/conf\n"
			   "FROM evil:4\n"
			   "FILE\n"
			   "RUN echo \"<<NOT a heredoc\"\n"
			   "FROM debian\n";
	hm_dockerfile df = parse_ok(text, NULL, 0);

	assert_int_equal(df.n_stages, 2);
	assert_int_equal(df.n_images, 2);
	assert_string_equal(df.images[1].ref, "debian");
	assert_int_equal(df.images[1].line, 14);
	hm_dockerfile_free(&df);
}

static void test_errors(void **state)
{
	parse_err("", "Dockerfile: no FROM instruction");
	parse_err("ARG A=1\n# only args\n", "no FROM");
	parse_err("FROM alpine\nFROM\n", "Dockerfile:2: FROM needs an image");
	parse_err("\n\nFROM --platform=x\n", "Dockerfile:3: FROM needs an image");
	parse_err("RUN true\nFROM alpine\n", "Dockerfile:1: 'RUN' before the first FROM");
	parse_err("FROM a b\n", "Dockerfile:1: FROM takes an image");
	parse_err("FROM a AS b c\n", "FROM takes an image");
	parse_err("FROM --pull=always a\n", "unknown flag '--pull=always'");
	parse_err("FROM $NOTHING\n", "Dockerfile:1: FROM image '$NOTHING' is empty");
	parse_err("FROM a AS 1x\n", "invalid stage name '1x'");
	parse_err("FROM a AS x\nFROM b AS X\n", "Dockerfile:2: duplicate stage name 'x'");
	parse_err("FROM a\nRUN <<EOF\nno end\n", "Dockerfile:2: heredoc 'EOF' is not terminated");
	parse_err("FROM ${A\n", "missing '}'");
	parse_err("FROM ${A:?x}\n", "unsupported substitution");
	parse_err("FROM ${A/x/y}\n", "unsupported substitution");
	parse_err("FROM \"abc\n", "unterminated quote");
	parse_err("ARG\nFROM a\n", "ARG needs a name");
	parse_err("# escape=x\nFROM a\n", "escape directive");
}

static void test_error_names_file(void **state)
{
	hm_dockerfile df;
	const char *bad[] = {"=x"};

	assert_int_equal(hm_dockerfile_parse(&df, "FROM\n", 5, NULL, 0, "build/Dockerfile.prod"),
			 HM_E_IO);
	assert_string_equal(hm_error_message(), "build/Dockerfile.prod:1: FROM needs an image");
	assert_int_equal(hm_dockerfile_parse(&df, "FROM a\n", 7, bad, 1, NULL), HM_E_USAGE);
	assert_non_null(strstr(hm_error_message(), "invalid build argument '=x'"));
}

static void test_limits(void **state)
{
	hm_dockerfile df;
	size_t n = HM_DOCKERFILE_MAX + 1;
	char *big = malloc(n);
	/* each ARG doubles the value: must stop at the per-word cap */
	const char *bomb = "ARG A=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
			   "ARG B=$A$A$A$A$A$A$A$A$A$A$A$A$A$A$A$A\n"
			   "ARG C=$B$B$B$B$B$B$B$B$B$B$B$B$B$B$B$B\n"
			   "ARG D=$C$C$C$C$C$C$C$C$C$C$C$C$C$C$C$C\n"
			   "FROM $D\n";

	assert_non_null(big);
	memset(big, '\n', n);
	assert_int_equal(hm_dockerfile_parse(&df, big, n, NULL, 0, NULL), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "limit"));
	free(big);
	assert_int_equal(hm_dockerfile_parse(&df, "FROM a\0b\n", 9, NULL, 0, NULL), HM_E_IO);
	assert_int_equal(hm_dockerfile_parse(&df, bomb, strlen(bomb), NULL, 0, NULL), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "Dockerfile:4: a value is longer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_multistage),
		cmocka_unit_test(test_scratch_and_dedup),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_build_args),
		cmocka_unit_test(test_comments_continuations),
		cmocka_unit_test(test_every_image_the_build_uses),
		cmocka_unit_test(test_escape_directive),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_names_file),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("dockerfile", tests, NULL, NULL);
}
