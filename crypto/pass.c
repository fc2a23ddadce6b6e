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

/* The first line of the file, without its line ending. */
static int from_file(char **out, size_t *outlen, const char *path)
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
static int prompt_once(char **out, size_t *outlen, int fd, const char *prompt, const char *what)
{
	struct termios old, quiet;
	char *p = NULL, c = 0;
	size_t n = 0;
	ssize_t r;
	int err = HM_OK;

	if (tcgetattr(fd, &old) < 0)
		return hm_error_set(HM_E_IO,
				    "no passphrase for '%s': set HALLMARK_PASSWORD or use --passphrase-file",
				    what);
	p = sodium_malloc(HM_PASS_MAX);
	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		err = hm_error_set(HM_E_IO, "reading the passphrase for '%s': %s", what,
				   strerror(errno));
		goto done;
	}
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = hm_error_set(HM_E_IO, "reading the passphrase for '%s': %s", what,
					   strerror(errno));
			goto done;
		}
		if (r == 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= HM_PASS_MAX) {
			err = hm_error_set(HM_E_IO, "passphrase for '%s' longer than %d bytes", what,
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

static int from_terminal(char **out, size_t *outlen, const char *what, int confirm)
{
	char *first = NULL, *second = NULL;
	size_t n1 = 0, n2 = 0;
	char prompt[512];
	int fd, err;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hm_error_set(HM_E_IO,
				    "no passphrase for '%s': set HALLMARK_PASSWORD or use --passphrase-file",
				    what);
	snprintf(prompt, sizeof(prompt), "Enter passphrase for '%s': ", what);
	err = prompt_once(&first, &n1, fd, prompt, what);
	if (err || !confirm)
		goto done;
	snprintf(prompt, sizeof(prompt), "Enter passphrase for '%s' again: ", what);
	err = prompt_once(&second, &n2, fd, prompt, what);
	if (err)
		goto done;
	if (n1 != n2 || sodium_memcmp(first, second, n1) != 0)
		err = hm_error_set(HM_E_USAGE, "passphrases for '%s' do not match", what);
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

int hm_pass_read(char **out, size_t *outlen, const char *what, const char *passphrase_file,
		 int confirm)
{
	const char *env;
	int err = hm_sodium_ready();

	*out = NULL;
	*outlen = 0;
	if (err)
		return err;
	/* Set but empty still counts: cosign allows an empty passphrase. */
	env = getenv("HALLMARK_PASSWORD");
	if (!env)
		env = getenv("COSIGN_PASSWORD");
	if (env) {
		err = secure_copy(out, env, strlen(env));
		if (!err)
			*outlen = strlen(env);
		return err;
	}
	if (passphrase_file)
		return from_file(out, outlen, passphrase_file);
	return from_terminal(out, outlen, what, confirm);
}
