/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/ct.h>
#include <openssl/x509v3.h>

#include "core/base64.h"
#include "core/error.h"
#include "sigstore/sct.h"

/* OpenSSL builds a CTLOG_STORE only from a configuration file, so the
 * trusted root's CT logs are written to an anonymous in-memory file in that
 * format ("enabled_logs", then one section per log with its SPKI). */
static CTLOG_STORE *ctlog_store(const hm_trustroot *tr)
{
	hm_buf conf = HM_BUF_INIT;
	CTLOG_STORE *store = NULL;
	char path[64];
	int fd = -1, ok = 1;

	ok = hm_buf_addstr(&conf, "enabled_logs = ") == HM_OK;
	for (size_t i = 0; ok && i < tr->n_ctlogs; i++)
		ok = hm_buf_addf(&conf, "%slog%zu", i ? "," : "", i) == HM_OK;
	ok = ok && hm_buf_addstr(&conf, "\n") == HM_OK;
	for (size_t i = 0; ok && i < tr->n_ctlogs; i++) {
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(tr->ctlogs[i].key, &der);

		ok = n > 0 && hm_buf_addf(&conf, "[log%zu]\ndescription = log%zu\nkey = ", i, i) == HM_OK &&
		     hm_base64_encode(&conf, der, (size_t)n) == HM_OK && hm_buf_addstr(&conf, "\n") == HM_OK;
		OPENSSL_free(der);
	}
	if (!ok)
		goto done;
	if ((fd = memfd_create("hallmark-ctlogs", MFD_CLOEXEC)) < 0 ||
	    write(fd, conf.data, conf.len) != (ssize_t)conf.len)
		goto done;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!(store = CTLOG_STORE_new()))
		goto done;
	if (tr->n_ctlogs && CTLOG_STORE_load_file(store, path) != 1) {
		CTLOG_STORE_free(store);
		store = NULL;
	}
done:
	if (fd >= 0)
		close(fd);
	hm_buf_release(&conf);
	return store;
}

int hm_sct_verify(X509 *leaf, X509 *issuer, const hm_trustroot *tr)
{
	STACK_OF(SCT) *scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	CTLOG_STORE *store = NULL;
	CT_POLICY_EVAL_CTX *ctx = NULL;
	int err, n = scts ? sk_SCT_num(scts) : 0;

	if (n <= 0) {
		err = hm_error_set(HM_E_VERIFY, "signing certificate carries no SCT");
		goto done;
	}
	if (!issuer) {
		err = hm_error_set(HM_E_VERIFY, "no issuer certificate to check the SCT with");
		goto done;
	}
	if (!(store = ctlog_store(tr)) || !(ctx = CT_POLICY_EVAL_CTX_new())) {
		err = hm_error_set(HM_E_IO, "loading the trusted root's CT logs into OpenSSL");
		goto done;
	}
	if (!CT_POLICY_EVAL_CTX_set1_cert(ctx, leaf) || !CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer)) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto done;
	}
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
	err = hm_error_set(HM_E_VERIFY, "signing certificate has no valid SCT from a CT log of the trusted root");
	for (int i = 0; i < n && i < HM_SCT_MAX; i++) {
		SCT *sct = sk_SCT_value(scts, i);
		unsigned char *id = NULL;
		size_t idlen = SCT_get0_log_id(sct, &id);
		const hm_trust_log *log = hm_trustroot_ctlog_by_id(tr, id, idlen);
		int64_t when = (int64_t)(SCT_get_timestamp(sct) / 1000);

		if (!log || !hm_trust_valid_at(log->start, log->end, when))
			continue;
		/* The SCT must not postdate "now"; OpenSSL checks that against the
		 * evaluation time, which stays the current time. */
		if (SCT_validate(sct, ctx) == 1 && SCT_get_validation_status(sct) == SCT_VALIDATION_STATUS_VALID) {
			hm_error_clear();
			err = HM_OK;
			break;
		}
	}
done:
	CT_POLICY_EVAL_CTX_free(ctx);
	CTLOG_STORE_free(store);
	SCT_LIST_free(scts);
	return err;
}
