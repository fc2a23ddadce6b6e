/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HM_CORE_FILE_H
#define HM_CORE_FILE_H

#include <sys/types.h>
#include "core/buf.h"

/* Reads a whole file ("-" reads stdin) into out, refusing more than max
 * bytes (0: 64 MiB).  HM_E_IO "reading 'path': why". */
int hm_file_read(hm_buf *out, const char *path, size_t max);

/* Writes data to path atomically: a temporary file in the same directory,
 * created with mode, written, fsync'd, then renamed (or linked, when
 * overwrite is 0, so that an existing file is never replaced: HM_E_IO
 * "'path' exists (use --force to replace it)"). */
int hm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int overwrite);

/* mkdir -p with mode. */
int hm_mkdir_p(const char *path, mode_t mode);

#endif
