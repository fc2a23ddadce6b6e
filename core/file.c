/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"

#define HM_FILE_DEFAULT_MAX (64u << 20)

int hm_file_read(hm_buf *out, const char *path, size_t max)
{
	int fd, err = HM_OK;
	int is_stdin = strcmp(path, "-") == 0;
	char chunk[65536];
	size_t saved = out->max;
	ssize_t n;

	fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hm_error_set(HM_E_IO, "reading '%s': %s", path, strerror(errno));
	out->max = max ? max : HM_FILE_DEFAULT_MAX;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = hm_error_set(HM_E_IO, "reading '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		err = hm_buf_add(out, chunk, (size_t)n);
		if (err) {
			err = hm_error_wrap(err, "reading '%s'", path);
			break;
		}
	}
	if (!err)
		err = hm_buf_add(out, "", 0);
	out->max = saved;
	if (!is_stdin)
		close(fd);
	return err;
}

int hm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int overwrite)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	const char *p = data;
	int fd, err = HM_OK;

	if (!tmp)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
		free(tmp);
		return err;
	}
	if (fchmod(fd, mode) < 0) {
		err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (overwrite) {
		if (rename(tmp, path) < 0) {
			err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
			goto fail;
		}
	} else {
		/* link() fails with EEXIST instead of replacing: no race with another writer. */
		if (link(tmp, path) < 0) {
			if (errno == EEXIST)
				err = hm_error_set(HM_E_IO, "'%s' exists (use --force to replace it)", path);
			else
				err = hm_error_set(HM_E_IO, "writing '%s': %s", path, strerror(errno));
			goto fail;
		}
		unlink(tmp);
	}
	free(tmp);
	return HM_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return err;
}

int hm_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	int err = HM_OK;

	if (!p)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				err = hm_error_set(HM_E_IO, "creating directory '%s': %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return err;
}
