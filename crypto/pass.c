/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "crypto/pass.h"

int hm_sodium_ready(void)
{
	if (sodium_init() < 0)
		return hm_error_set(HM_E_IO, "libsodium failed to initialise");
	return HM_OK;
}

void hm_pass_free(char *p)
{
	if (p)
		sodium_free(p); /* sodium_free wipes before freeing */
}

/* Copies len bytes of s into a fresh secure allocation. */
static int secure_copy(char **out, const char *s, size_t len)
{
	char *p = sodium_malloc(len + 1);

	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	memcpy(p, s, len);
	p[len] = '\0';
	*out = p;
	return HM_OK;
}

int hm_pass_copy(char **out, size_t *outlen, const char *s)
{
	int err = secure_copy(out, s, strlen(s));

	if (!err)
		*outlen = strlen(s);
	return err;
}

/* The first line of the file, without its line ending. */
int hm_pass_read_file(char **out, size_t *outlen, const char *path)
{
	hm_buf b = HM_BUF_INIT;
	size_t n;
	int err;

	err = hm_file_read(&b, path, 64 * 1024);
	if (err)
		goto done;
	n = strcspn(hm_buf_cstr(&b), "\r\n");
	if (n >= HM_PASS_MAX) {
		err = hm_error_set(HM_E_IO, "reading '%s': passphrase longer than %d bytes", path,
				   HM_PASS_MAX - 1);
		goto done;
	}
	err = secure_copy(out, hm_buf_cstr(&b), n);
	if (!err)
		*outlen = n;
done:
	hm_buf_release_secret(&b);
	return err;
}

/* Echo was off, so the user's Enter did not move the cursor; cosmetic. */
static void newline(int fd)
{
	ssize_t w = write(fd, "\n", 1);

	(void)w;
}

/* Prompts on the terminal fd with echo off and reads one line into a
 * secure allocation.  The terminal settings are restored on every path. */
static int prompt_once(char **out, size_t *outlen, int fd, const char *prompt, const char *noun,
		       const char *what, const char *hint)
{
	struct termios old, quiet;
	char *p = NULL, c = 0;
	size_t n = 0;
	ssize_t r;
	int err = HM_OK;

	if (tcgetattr(fd, &old) < 0)
		return hm_error_set(HM_E_IO, "no %s for '%s': %s", noun, what, hint);
	p = sodium_malloc(HM_PASS_MAX);
	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		err = hm_error_set(HM_E_IO, "reading the %s for '%s': %s", noun, what,
				   strerror(errno));
		goto done;
	}
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = hm_error_set(HM_E_IO, "reading the %s for '%s': %s", noun, what,
					   strerror(errno));
			goto done;
		}
		if (r == 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= HM_PASS_MAX) {
			err = hm_error_set(HM_E_IO, "%s for '%s' longer than %d bytes", noun, what,
					   HM_PASS_MAX - 1);
			goto done;
		}
		p[n++] = c;
	}
	p[n] = '\0';
done:
	sodium_memzero(&c, sizeof(c));
	tcsetattr(fd, TCSAFLUSH, &old);
	newline(fd);
	if (err) {
		sodium_free(p);
		return err;
	}
	*out = p;
	*outlen = n;
	return HM_OK;
}

static int from_terminal(char **out, size_t *outlen, const char *noun, const char *what,
			 const char *hint, int confirm)
{
	char *first = NULL, *second = NULL;
	size_t n1 = 0, n2 = 0;
	char prompt[512];
	int fd, err;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hm_error_set(HM_E_IO, "no %s for '%s': %s", noun, what, hint);
	snprintf(prompt, sizeof(prompt), "Enter %s for '%s': ", noun, what);
	err = prompt_once(&first, &n1, fd, prompt, noun, what, hint);
	if (err || !confirm)
		goto done;
	snprintf(prompt, sizeof(prompt), "Enter %s for '%s' again: ", noun, what);
	err = prompt_once(&second, &n2, fd, prompt, noun, what, hint);
	if (err)
		goto done;
	if (n1 != n2 || sodium_memcmp(first, second, n1) != 0)
		err = hm_error_set(HM_E_USAGE, "%ss for '%s' do not match", noun, what);
done:
	close(fd);
	hm_pass_free(second);
	if (err) {
		hm_pass_free(first);
		return err;
	}
	*out = first;
	*outlen = n1;
	return HM_OK;
}

int hm_pass_prompt(char **out, size_t *outlen, const char *noun, const char *what,
		   const char *hint)
{
	int err = hm_sodium_ready();

	*out = NULL;
	*outlen = 0;
	return err ? err : from_terminal(out, outlen, noun, what, hint, 0);
}

static void set_source(char *source, const char *what, const char *arg)
{
	if (source)
		snprintf(source, HM_PASS_SOURCE_MAX, arg ? "%s '%.256s'" : "%s", what, arg ? arg : "");
}

int hm_pass_read(char **out, size_t *outlen, const char *what, const char *passphrase_file,
		 int confirm, char source[HM_PASS_SOURCE_MAX])
{
	const char *env, *name = "$HALLMARK_PASSWORD";
	int err = hm_sodium_ready();

	*out = NULL;
	*outlen = 0;
	if (err)
		return err;
	/* What the user named on this command line beats what the environment
	 * happens to carry (a CI job's COSIGN_PASSWORD for another key). */
	if (passphrase_file) {
		set_source(source, "--passphrase-file", passphrase_file);
		return hm_pass_read_file(out, outlen, passphrase_file);
	}
	/* Set but empty still counts: cosign allows an empty passphrase. */
	env = getenv(name + 1);
	if (!env)
		env = getenv((name = "$COSIGN_PASSWORD") + 1);
	if (env) {
		set_source(source, name, NULL);
		return hm_pass_copy(out, outlen, env);
	}
	set_source(source, "the terminal", NULL);
	return from_terminal(out, outlen, "passphrase", what,
			     "set HALLMARK_PASSWORD or use --passphrase-file", confirm);
}
