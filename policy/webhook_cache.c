/* SPDX-License-Identifier: Apache-2.0 */
/* The served policy and the webhook's caches around the evaluation.  See
 * policy/webhook_cache.h. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "core/limits.h"
#include "oci/http.h"
#include "policy/webhook_cache.h"

/* ---- the served policy ---- */

/* One policy key as what it trusts: a key by its fingerprint, a keyless
 * identity by its issuer, subject and claims, a notation entry by its name.
 * A trusted root or a notation trust store is read from files that are not
 * the policy's bytes: hm_served_policy_wrap makes such a policy's digest
 * its own at every load, so a reload never keeps verdicts that rested on
 * a certificate since removed. */
static void key_id(hm_buf *b, const hm_policy_key *k)
{
	const hm_identity_policy *id = &k->auth.identity;

	if (k->key) {
		hm_buf_addf(b, " key:%s", hm_key_fingerprint(k->key));
	} else if (k->auth.kind == HM_AUTH_KEYLESS) {
		hm_buf_addf(b, " keyless:[%s|%s|%s|%s", id->issuer ? id->issuer : "", id->issuer_regexp ? id->issuer_regexp : "",
			    id->subject ? id->subject : "", id->subject_regexp ? id->subject_regexp : "");
		for (int arc = 0; arc <= HM_FULCIO_MAX_ARC; arc++)
			if (id->claims[arc])
				hm_buf_addf(b, "|%d=%s", arc, id->claims[arc]);
		hm_buf_addstr(b, "]");
	} else {
		hm_buf_addf(b, " notation:%s", k->name ? k->name : "");
	}
}

static void key_set_id(hm_buf *b, const hm_policy *p, const hm_key_set *ks)
{
	hm_buf_addf(b, "{%zu of", ks->threshold);
	for (size_t i = 0; i < ks->n; i++)
		key_id(b, &p->keys[ks->idx[i]]);
	hm_buf_addstr(b, "}");
}

/* Everything a rule requires, spelled out (keys by fingerprint), hashed. */
static char *rule_identity(const hm_policy *p, const hm_policy_rule *r)
{
	hm_buf b = HM_BUF_INIT;
	char d[HM_DIGEST_SIZE];
	int err;

	hm_buf_addf(&b, "name=%s\nmode=%s\non_error=%d\ndeny=%s\ndigest=%d\n", r->name, hm_mode_name(r->mode),
		    r->on_error_allow, r->deny ? r->deny : "", r->digest);
	for (size_t i = 0; i < r->n_images; i++)
		hm_buf_addf(&b, "image=%s\n", r->images[i].text);
	for (size_t i = 0; i < r->n_exclude; i++)
		hm_buf_addf(&b, "exclude=%s\n", r->exclude[i].text);
	for (size_t i = 0; i < r->n_deny_tags; i++)
		hm_buf_addf(&b, "deny_tag=%s\n", r->deny_tags[i]);
	if (r->has_signatures) {
		hm_buf_addstr(&b, "signatures=");
		key_set_id(&b, p, &r->sig_keys);
		hm_buf_addstr(&b, "\n");
	}
	for (size_t i = 0; i < r->n_annotations; i++)
		hm_buf_addf(&b, "annotation=%s\n", r->annotations[i]);
	for (size_t i = 0; i < r->n_attestations; i++) {
		const hm_attest_req *a = &r->attestations[i];

		hm_buf_addf(&b, "attestation=%s ", a->type);
		key_set_id(&b, p, &a->keys);
		hm_buf_addf(&b, " where=%s\n", a->where ? hm_cond_text(a->where) : "");
	}
	if (r->has_base_images) {
		hm_buf_addf(&b, "base_pinned=%d\n", r->base_pinned);
		for (size_t i = 0; i < r->n_base_allow; i++)
			hm_buf_addf(&b, "base=%s\n", r->base_allow[i].text);
	}
	err = b.data ? HM_OK : HM_E_NOMEM;
	if (!err)
		hm_digest_compute(d, b.data, b.len);
	hm_buf_release(&b);
	return err ? NULL : strdup(hm_digest_hex(d));
}

int hm_served_policy_wrap(hm_served_policy **out, hm_policy *p, const void *data, size_t len)
{
	static atomic_ullong loads;
	hm_served_policy *s = calloc(1, sizeof(*s));
	hm_buf b = HM_BUF_INIT;
	unsigned long long trust_files = 0;
	int err = HM_OK;

	*out = NULL;
	if (!s || !(s->rule_id = calloc(p->n_rules + 1, sizeof(*s->rule_id))) || !(s->path = strdup(p->path)) ||
	    hm_buf_add(&b, data, len)) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto fail;
	}
	/* the bytes of the file and the keys they named, as loaded now; trust
	 * read from other files (trusted roots, notation stores) is not
	 * hashed: a number no other load has makes the digest new */
	for (size_t i = 0; i < p->n_keys; i++) {
		hm_buf_addf(&b, "\nkey %s", p->keys[i].name);
		key_id(&b, &p->keys[i]);
		if (!p->keys[i].key && !trust_files)
			trust_files = atomic_fetch_add(&loads, 1) + 1;
	}
	if (trust_files)
		hm_buf_addf(&b, "\ntrust files read at load %llu", trust_files);
	for (size_t i = 0; i < p->n_rules; i++)
		if (!(s->rule_id[i] = rule_identity(p, &p->rules[i]))) {
			err = hm_error_set(HM_E_NOMEM, "out of memory");
			goto fail;
		}
	if (!b.data) {
		err = hm_error_set(HM_E_NOMEM, "out of memory");
		goto fail;
	}
	hm_digest_compute(s->digest, b.data, b.len);
	hm_digest_compute(s->file_digest, data, len);
	hm_buf_release(&b);
	s->p = p;
	atomic_init(&s->refs, 1);
	*out = s;
	return HM_OK;
fail:
	hm_buf_release(&b);
	if (s) {
		for (size_t i = 0; s->rule_id && i < p->n_rules; i++)
			free(s->rule_id[i]);
		free(s->rule_id);
		free(s->path);
		free(s);
	}
	return err;
}

int hm_served_policy_load(hm_served_policy **out, const char *path, hm_strv *diags)
{
	hm_buf b = HM_BUF_INIT;
	hm_policy *p = NULL;
	char *dir = NULL, *slash;
	int err;

	*out = NULL;
	if ((err = hm_file_read(&b, path, HM_MAX_POLICY)) < 0)
		return err;
	slash = strrchr(path, '/');
	if (!(dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".")))
		err = hm_error_set(HM_E_NOMEM, "out of memory");
	if (!err)
		err = hm_policy_load_mem(&p, hm_buf_cstr(&b), b.len, path, dir, diags);
	if (!err && (err = hm_served_policy_wrap(out, p, hm_buf_cstr(&b), b.len)) < 0)
		hm_policy_free(p);
	free(dir);
	hm_buf_release(&b);
	return err;
}

hm_served_policy *hm_served_policy_ref(hm_served_policy *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void hm_served_policy_unref(hm_served_policy *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->p->n_rules; i++)
		free(s->rule_id[i]);
	free(s->rule_id);
	free(s->path);
	hm_policy_free(s->p);
	free(s);
}

/* ---- checks as bytes: "what\0" "0|1" "detail\0" for each ---- */

int hm_checks_encode(hm_buf *out, const hm_check *v, size_t n)
{
	int err = HM_OK;

	for (size_t i = 0; i < n && !err; i++) {
		const char *w = v[i].what ? v[i].what : "", *d = v[i].detail ? v[i].detail : "";

		if (!(err = hm_buf_add(out, w, strlen(w) + 1)) && !(err = hm_buf_addch(out, v[i].met ? '1' : '0')))
			err = hm_buf_add(out, d, strlen(d) + 1);
	}
	return err < 0 ? hm_error_set(HM_E_NOMEM, "out of memory") : HM_OK;
}

int hm_checks_decode(hm_check **out, size_t *n, const char *data, size_t len)
{
	size_t count = 0, i = 0, k;
	hm_check *v;

	*out = NULL;
	*n = 0;
	/* two NUL-terminated strings and a flag each */
	for (size_t p = 0, nul = 0; p < len; p++)
		if (!data[p] && ++nul % 2 == 0)
			count++;
	if (!(v = calloc(count + 1, sizeof(*v))))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	for (k = 0; k < count; k++) {
		const char *w = data + i, *d;
		size_t wl = strnlen(w, len - i);

		if (i + wl + 2 > len || (w[wl + 1] != '0' && w[wl + 1] != '1'))
			break;
		d = w + wl + 2;
		if (i + wl + 2 + strnlen(d, len - i - wl - 2) >= len)
			break;
		v[k].met = w[wl + 1] == '1';
		if (!(v[k].what = strdup(w)) || !(v[k].detail = strdup(d))) {
			free(v[k].what);
			break;
		}
		i += wl + 2 + strlen(d) + 1;
	}
	if (k < count || i != len) {
		for (size_t j = 0; j < k; j++) {
			free(v[j].what);
			free(v[j].detail);
		}
		free(v);
		return hm_error_set(HM_E_IO, "a cached verdict is not an encoding of checks");
	}
	*out = v;
	*n = count;
	return HM_OK;
}

/* ---- the evaluation's cache interface ---- */

static void verdict_key(hm_buf *b, const hm_review_cache *rc, const char *name, const char *digest, int rule)
{
	hm_buf_addf(b, "%s %d %s %s@%s", rc->pol->digest, rule,
		    rule >= 0 && (size_t)rule < rc->pol->p->n_rules ? rc->pol->rule_id[rule] : "-", name, digest);
}

static int tag_get(void *ctx, const char *name, const char *tag, char digest[HM_DIGEST_SIZE])
{
	hm_review_cache *rc = ctx;
	hm_buf k = HM_BUF_INIT;
	char *val = NULL;
	size_t len;
	int positive, got;

	if (hm_buf_addf(&k, "%s:%s", name, tag))
		return hm_error_set(HM_E_NOMEM, "out of memory");
	got = rc->peek ? hm_vcache_peek(rc->tags, hm_buf_cstr(&k), rc->stale_ok, &val, &len, &positive)
		       : hm_vcache_get(rc->tags, hm_buf_cstr(&k), rc->stale_ok, rc->deadline_ms, &val, &len, &positive);
	if (got == HM_VCACHE_MISS)
		got = HM_EVAL_CACHE_MISS;
	if (got == HM_VCACHE_HIT) {
		if (len < HM_DIGEST_SIZE) {
			memcpy(digest, val, len + 1);
			atomic_fetch_add(&rc->hits, 1);
			atomic_fetch_add(&rc->tag_hits, 1);
		} else {
			got = hm_error_set(HM_E_IO, "a cached digest of '%s:%s' is too long", name, tag);
		}
	} else if (got == HM_VCACHE_LEAD) {
		atomic_fetch_add(&rc->misses, 1);
	}
	free(val);
	hm_buf_release(&k);
	return got;
}

static void tag_put(void *ctx, const char *name, const char *tag, const char *digest)
{
	hm_review_cache *rc = ctx;
	hm_buf k = HM_BUF_INIT;

	if (!hm_buf_addf(&k, "%s:%s", name, tag)) {
		if (digest)
			hm_vcache_put(rc->tags, hm_buf_cstr(&k), digest, strlen(digest), 1);
		else
			hm_vcache_fail(rc->tags, hm_buf_cstr(&k), HM_E_IO, hm_error_message());
	}
	hm_buf_release(&k);
}

static int ver_get(void *ctx, const char *name, const char *digest, int rule, hm_check **out, size_t *n)
{
	hm_review_cache *rc = ctx;
	hm_buf k = HM_BUF_INIT;
	char *val = NULL;
	size_t len;
	int positive, got;

	verdict_key(&k, rc, name, digest, rule);
	if (!k.data)
		return hm_error_set(HM_E_NOMEM, "out of memory");
	got = rc->peek ? hm_vcache_peek(rc->verdicts, hm_buf_cstr(&k), rc->stale_ok, &val, &len, &positive)
		       : hm_vcache_get(rc->verdicts, hm_buf_cstr(&k), rc->stale_ok, rc->deadline_ms, &val, &len,
				       &positive);
	if (got == HM_VCACHE_MISS)
		got = HM_EVAL_CACHE_MISS;
	if (got == HM_VCACHE_HIT) {
		got = hm_checks_decode(out, n, val, len);
		if (!got) {
			got = 1;
			atomic_fetch_add(&rc->hits, 1);
			atomic_fetch_add(&rc->ver_hits, 1);
		}
	} else if (got == HM_VCACHE_LEAD) {
		atomic_fetch_add(&rc->misses, 1);
	}
	free(val);
	hm_buf_release(&k);
	return got;
}

static void ver_done(void *ctx, const char *name, const char *digest, int rule, int err, const hm_check *v, size_t n)
{
	hm_review_cache *rc = ctx;
	hm_buf k = HM_BUF_INIT, val = HM_BUF_INIT;
	int positive = 1;

	verdict_key(&k, rc, name, digest, rule);
	if (!k.data)
		return; /* the pending key cannot be named: its waiters reach their deadline */
	if (!err)
		err = hm_checks_encode(&val, v, n);
	for (size_t i = 0; i < n; i++)
		positive &= !!v[i].met;
	if (err < 0) {
		hm_vcache_fail(rc->verdicts, hm_buf_cstr(&k), err, hm_error_message());
	} else {
		hm_vcache_put(rc->verdicts, hm_buf_cstr(&k), val.data ? val.data : "", val.len, positive);
		if (rc->vsa) {
			hm_buf_reset(&k);
			if (!hm_buf_addf(&k, "%d %s@%s", rule, name, digest)) {
				pthread_mutex_lock(&rc->lock);
				hm_strv_push(&rc->led, hm_buf_cstr(&k));
				pthread_mutex_unlock(&rc->lock);
			}
		}
	}
	hm_buf_release(&val);
	hm_buf_release(&k);
}

void hm_review_cache_init(hm_review_cache *rc, hm_vcache *verdicts, hm_vcache *tags, const hm_served_policy *pol,
			  int stale_ok, int64_t deadline_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->iface.ctx = rc;
	rc->iface.tag_get = tag_get;
	rc->iface.tag_put = tag_put;
	rc->iface.ver_get = ver_get;
	rc->iface.ver_done = ver_done;
	rc->verdicts = verdicts;
	rc->tags = tags;
	rc->pol = pol;
	rc->stale_ok = stale_ok;
	rc->deadline_ms = deadline_ms;
	atomic_init(&rc->hits, 0);
	atomic_init(&rc->misses, 0);
	atomic_init(&rc->tag_hits, 0);
	atomic_init(&rc->ver_hits, 0);
	pthread_mutex_init(&rc->lock, NULL);
}

void hm_review_cache_count(hm_review_cache *rc)
{
	if (rc->tags && atomic_load(&rc->tag_hits))
		hm_vcache_count_hits(rc->tags, atomic_load(&rc->tag_hits));
	if (rc->verdicts && atomic_load(&rc->ver_hits))
		hm_vcache_count_hits(rc->verdicts, atomic_load(&rc->ver_hits));
}

void hm_review_cache_release(hm_review_cache *rc)
{
	hm_strv_free(&rc->led);
	pthread_mutex_destroy(&rc->lock);
}

int hm_review_cache_led(hm_review_cache *rc, const char *name, const char *digest, int rule)
{
	hm_buf k = HM_BUF_INIT;
	int found = 0;

	if (hm_buf_addf(&k, "%d %s@%s", rule, name, digest))
		return 0;
	pthread_mutex_lock(&rc->lock);
	for (size_t i = 0; i < rc->led.n && !found; i++)
		found = !strcmp(rc->led.v[i], hm_buf_cstr(&k));
	pthread_mutex_unlock(&rc->lock);
	hm_buf_release(&k);
	return found;
}
