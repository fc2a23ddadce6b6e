/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: core/yaml.c — parse, then look up the position of every node
 * and serialise the tree. */
#include <stdint.h>
#include <stdlib.h>

#include "core/yaml.h"

static void walk(const hm_yaml *y, const cJSON *n, int depth)
{
	int line, col;

	for (; n; n = n->next) {
		hm_yaml_pos(y, n, &line, &col);
		hm_yaml_key_pos(y, n, &line, &col);
		if (depth < 200)
			walk(y, n->child, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_yaml *y = NULL;
	char *s;

	if (hm_yaml_parse(&y, data, size, "fuzz") != 0)
		return 0;
	walk(y, hm_yaml_docs(y), 0);
	s = cJSON_PrintUnformatted(hm_yaml_docs(y));
	free(s);
	hm_yaml_free(y);
	return 0;
}
