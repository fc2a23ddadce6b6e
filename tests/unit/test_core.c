/* SPDX-License-Identifier: Apache-2.0 */
/* core/: buffers with caps, base64 (standard and URL-safe), atomic files, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/array.h"
#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/json.h"
#include "crypto/digest.h"

static void buf_cap(void **state)
{
	hm_buf b;

	hm_buf_init(&b, 8);
	assert_int_equal(hm_buf_addstr(&b, "12345678"), HM_OK);
	assert_int_equal(hm_buf_addstr(&b, "9"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "8-byte limit"));
	assert_int_equal(b.len, 8);
	hm_buf_release(&b);
	hm_buf_init(&b, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(hm_buf_addf(&b, "%d,", i), HM_OK);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	hm_buf_release(&b);
}

static void base64_round_trip(void **state)
{
	const char *cases[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		hm_buf e = HM_BUF_INIT, d = HM_BUF_INIT;

		assert_int_equal(hm_base64_encode(&e, cases[i], strlen(cases[i])), HM_OK);
		assert_string_equal(hm_buf_cstr(&e), want[i]);
		assert_int_equal(hm_base64_decode(&d, e.data, e.len), HM_OK);
		assert_int_equal(d.len, strlen(cases[i]));
		assert_memory_equal(hm_buf_cstr(&d), cases[i], d.len);
		hm_buf_release(&e);
		hm_buf_release(&d);
	}
}

static void base64_url_safe_and_invalid(void **state)
{
	hm_buf d = HM_BUF_INIT;

	assert_int_equal(hm_base64_decode(&d, "-_-_", 4), HM_OK);
	assert_int_equal(d.len, 3);
	assert_int_equal((unsigned char)d.data[0], 0xfb);
	hm_buf_reset(&d);
	assert_int_equal(hm_base64_decode(&d, "Zm9vYg", 6), HM_OK); /* unpadded */
	assert_string_equal(d.data, "foob");
	hm_buf_reset(&d);
	assert_int_equal(hm_base64_decode(&d, "Zm9v!", 5), HM_E_IO);
	hm_buf_reset(&d);
	assert_int_equal(hm_base64_decode(&d, "Z", 1), HM_E_IO);
	hm_buf_reset(&d);
	assert_int_equal(hm_base64_decode(&d, "Zm=v", 4), HM_E_IO);
	hm_buf_reset(&d);
	/* wrapped over lines, as Go's decoder accepts (cosign annotations) */
	assert_int_equal(hm_base64_decode(&d, "Zm9v\r\nYmFy\nYg=\n=", 16), HM_OK);
	assert_string_equal(d.data, "foobarb");
	hm_buf_reset(&d);
	assert_int_equal(hm_base64_decode(&d, "Zm9v\n!", 6), HM_E_IO);
	hm_buf_release(&d);
}

static void atomic_write(void **state)
{
	char dir[] = "/tmp/hm-core-XXXXXX", path[64];
	struct stat st;
	hm_buf b = HM_BUF_INIT;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(hm_file_write_atomic(path, "one", 3, 0600, 0), HM_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hm_file_write_atomic(path, "two", 3, 0600, 0), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "exists"));
	assert_int_equal(hm_file_read(&b, path, 0), HM_OK);
	assert_string_equal(b.data, "one");
	hm_buf_reset(&b);
	assert_int_equal(hm_file_write_atomic(path, "two", 3, 0644, 1), HM_OK);
	assert_int_equal(hm_file_read(&b, path, 0), HM_OK);
	assert_string_equal(b.data, "two");
	hm_buf_reset(&b);
	assert_int_equal(hm_file_read(&b, path, 2), HM_E_IO);
	hm_buf_release(&b);
	unlink(path);
	rmdir(dir);
}

static void digests(void **state)
{
	char d[HM_DIGEST_SIZE];

	hm_digest_compute(d, "", 0);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(hm_digest_valid(d));
	assert_false(hm_digest_valid("sha256:E3B0"));
	assert_false(hm_digest_valid("md5:d41d8cd98f00b204e9800998ecf8427e"));
	assert_int_equal(hm_digest_check(d, "", 0, "blob"), HM_OK);
	assert_int_equal(hm_digest_check(d, "x", 1, "blob"), HM_E_IO);
	assert_non_null(strstr(hm_error_message(), "digest mismatch"));
}

static void error_wrap(void **state)
{
	hm_error_set(HM_E_IO, "inner %d", 1);
	assert_int_equal(hm_error_wrap(HM_E_IO, "outer '%s'", "x"), HM_E_IO);
	assert_string_equal(hm_error_message(), "outer 'x': inner 1");
	assert_int_equal(hm_exit_code(HM_E_VERIFY), 1);
	assert_int_equal(hm_exit_code(HM_E_USAGE), 2);
	assert_int_equal(hm_exit_code(HM_E_NOTFOUND), 3);
}

static void array_reserve(void **state)
{
	int *v = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 100; i++) {
		assert_int_equal(hm_array_reserve(&v, n, &cap, sizeof(*v), 4), HM_OK);
		assert_true(cap > n);
		v[n++] = i;
	}
	assert_int_equal(cap, 128);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	free(v);
	v = NULL;
	cap = 0;
	assert_int_equal(hm_array_reserve(&v, 0, &cap, SIZE_MAX / 2, 4), HM_E_NOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
}

/* One JSON value, no duplicate members anywhere: what hallmark reads must
 * mean the same to cJSON (first duplicate wins) and to Go (last wins). */
static void json_one_meaning(void **state)
{
	static const char *const bad[] = {
		"{\"a\":1} {\"a\":2}", "{\"a\":1}x", "[1]]", "{\"a\":1,\"a\":2}",
		"{\"x\":[{\"b\":1,\"c\":2,\"b\":3}]}",
	};
	hm_buf big = HM_BUF_INIT;
	cJSON *j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_null(hm_json_parse(bad[i], strlen(bad[i]), "t"));
		assert_non_null(strstr(hm_error_message(), "t: "));
	}
	assert_non_null(j = hm_json_parse(" {\"a\":{\"a\":1}}\r\n", 16, "t"));
	cJSON_Delete(j);
	/* a large object takes the sorting path: distinct keys pass, one repeat fails */
	assert_int_equal(hm_buf_addstr(&big, "{"), HM_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(hm_buf_addf(&big, "%s\"k%d\":%d", i ? "," : "", i, i), HM_OK);
	assert_int_equal(hm_buf_addstr(&big, "}"), HM_OK);
	assert_non_null(j = hm_json_parse(big.data, big.len, "t"));
	cJSON_Delete(j);
	big.len--;
	assert_int_equal(hm_buf_addstr(&big, ",\"k4321\":0}"), HM_OK);
	assert_null(hm_json_parse(big.data, big.len, "t"));
	assert_non_null(strstr(hm_error_message(), "'k4321' is given twice"));
	hm_buf_release(&big);
}

static void hex_encode(void **state)
{
	const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	hm_hex_encode(out, in, sizeof(in));
	assert_string_equal(out, "000fa5ff");
	hm_hex_encode(out, in, 0);
	assert_string_equal(out, "");
}

/* hm_reason_set replaces the reason, may be given the recorded message,
 * leaves that message alone and cuts at HM_REASON_MAX - 1 bytes. */
static void reason_set(void **state)
{
	char *reason = NULL, big[2 * HM_REASON_MAX];

	(void)state;
	hm_error_set(HM_E_VERIFY, "bad signature");
	assert_int_equal(hm_reason_set(&reason, "layer 2: %s", hm_error_message()), HM_OK);
	assert_string_equal(reason, "layer 2: bad signature");
	assert_string_equal(hm_error_message(), "bad signature");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(hm_reason_set(&reason, "%s", big), HM_OK);
	assert_int_equal(strlen(reason), HM_REASON_MAX - 1);
	free(reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_cap), cmocka_unit_test(hex_encode), cmocka_unit_test(reason_set),         cmocka_unit_test(base64_round_trip),
		cmocka_unit_test(base64_url_safe_and_invalid), cmocka_unit_test(atomic_write),
		cmocka_unit_test(digests),         cmocka_unit_test(error_wrap),
		cmocka_unit_test(array_reserve),   cmocka_unit_test(json_one_meaning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
