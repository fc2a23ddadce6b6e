/* SPDX-License-Identifier: Apache-2.0 */
/* Times hm_admission_parse on an AdmissionReview file: the median of
 * ROUNDS rounds of N parses each, in microseconds per parse, beside the
 * generic tree parse of the same bytes (hm_yaml_parse, what the review
 * parser used before).  Usage: admission_parse FILE [N]. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/yaml.h"
#include "policy/workload.h"

#define ROUNDS 7

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	hm_buf b = HM_BUF_INIT;
	long n = argc > 2 ? atol(argv[2]) : 2000;
	double fast[ROUNDS], tree[ROUNDS];
	size_t images = 0;

	if (argc < 2 || n < 1 || hm_file_read(&b, argv[1], 64u << 20)) {
		fprintf(stderr, "usage: admission_parse FILE [N]\n");
		return 2;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();

		for (long i = 0; i < n; i++) {
			hm_admission a;

			if (hm_admission_parse(&a, b.data, b.len, argv[1])) {
				fprintf(stderr, "admission_parse: %s does not parse\n", argv[1]);
				return 1;
			}
			images = a.images.n;
			hm_admission_free(&a);
		}
		fast[r] = (now_us() - t0) / (double)n;
		t0 = now_us();
		for (long i = 0; i < n; i++) {
			hm_yaml *y = NULL;

			if (hm_yaml_parse(&y, b.data, b.len, argv[1]) == 0)
				hm_yaml_free(y);
		}
		tree[r] = (now_us() - t0) / (double)n;
	}
	qsort(fast, ROUNDS, sizeof(*fast), cmp);
	qsort(tree, ROUNDS, sizeof(*tree), cmp);
	printf("%-28s %8zu bytes %3zu images   hm_admission_parse %8.1f us   tree parse %8.1f us\n", argv[1], b.len,
	       images, fast[ROUNDS / 2], tree[ROUNDS / 2]);
	hm_buf_release(&b);
	return 0;
}
