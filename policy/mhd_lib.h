/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd, loaded when the webhook server starts rather than linked,
 * so that every other command does not pay for it (and its TLS library)
 * at its start.  policy/mhd_lib.c defines the MHD_* functions the webhook
 * calls, each forwarding to the library opened with dlopen (soname found
 * at build time, HM_LIBMICROHTTPD_SONAME); while it cannot be loaded they
 * fail as libmicrohttpd's own do (NULL, MHD_NO).  hm_mhd_load() loads it
 * and says clearly why it could not (HM_E_IO). */
#ifndef HM_POLICY_MHD_LIB_H
#define HM_POLICY_MHD_LIB_H

int hm_mhd_load(void);

#endif
