// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the key-to-index map (hmap.c), against a plain list. KTAP. */
#include <stdlib.h>
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "hmap.h"

#define MODEL 4096

static struct { uint64_t key; uint32_t val; } model[MODEL];
static size_t nmodel;

/* Every value of key in the map, as a bit set of the model's values. */
static bool same_values(const struct hmap *m, uint64_t key)
{
	static uint8_t seen[MODEL];
	size_t pos = 0, i, want = 0, got = 0;
	uint32_t v;

	memset(seen, 0, sizeof(seen));
	while (hmap_next(m, key, &pos, &v)) {
		if (v >= MODEL || seen[v])
			return false;
		seen[v] = 1;
		got++;
	}
	for (i = 0; i < nmodel; i++)
		if (model[i].key == key) {
			if (!seen[model[i].val])
				return false;
			want++;
		}
	return got == want;
}

/* 200 000 random puts, deletes and moves over few keys (so that runs
 * are long and a key has several values), each lookup checked. */
static bool test_random_against_model(void)
{
	struct hmap m = { 0 };
	uint32_t next_val = 0;
	size_t i, j;

	srand(7);
	for (i = 0; i < 200000; i++) {
		uint64_t key = (uint64_t)(rand() % 512) << (rand() % 2 ? 0 : 40);
		int op = rand() % 3;

		if (op == 0 && nmodel < MODEL) {
			uint32_t v = next_val++ % MODEL;

			for (j = 0; j < nmodel && model[j].val != v; j++)
				;
			if (j < nmodel)
				continue;	/* values stay unique, as array indexes are */
			KTAP_EXPECT(!hmap_put(&m, key, v));
			model[nmodel].key = key;
			model[nmodel++].val = v;
		} else if (op == 1 && nmodel) {
			j = rand() % nmodel;
			KTAP_EXPECT(!hmap_del(&m, model[j].key, model[j].val));
			KTAP_EXPECT(hmap_del(&m, model[j].key, model[j].val) == -1);
			model[j] = model[--nmodel];
		} else if (nmodel) {
			j = rand() % nmodel;
			key = model[j].key;
			if (!same_values(&m, key))
				ktap_diag("key %llx differs at step %zu", (unsigned long long)key, i);
			KTAP_EXPECT(same_values(&m, key));
		}
		KTAP_EXPECT(m.n == nmodel && 2 * m.n <= m.cap);
	}
	for (i = 0; i < nmodel; i++)
		KTAP_EXPECT(same_values(&m, model[i].key));
	hmap_free(&m);
	nmodel = 0;
	return true;
}

static bool test_move_and_clear(void)
{
	struct hmap m = { 0 };
	size_t pos = 0;
	uint32_t v;

	KTAP_EXPECT(!hmap_next(&m, 5, &pos, &v));
	KTAP_EXPECT(!hmap_put(&m, 5, 1) && !hmap_put(&m, 5, 2));
	KTAP_EXPECT(!hmap_move(&m, 5, 2, 9) && hmap_move(&m, 5, 2, 9) == -1);
	pos = 0;
	KTAP_EXPECT(hmap_next(&m, 5, &pos, &v) && (v == 1 || v == 9));
	KTAP_EXPECT(hmap_next(&m, 5, &pos, &v) && (v == 1 || v == 9));
	KTAP_EXPECT(!hmap_next(&m, 5, &pos, &v));
	hmap_clear(&m);
	pos = 0;
	KTAP_EXPECT(!hmap_next(&m, 5, &pos, &v) && m.n == 0);
	hmap_free(&m);
	KTAP_EXPECT(hmap_hash("a", 1) != hmap_hash("b", 1) && hmap_hash("", 0) == 0xcbf29ce484222325ull);
	return true;
}

static const struct ktap_test tests[] = {
	{ "random_against_model", test_random_against_model },
	{ "move_and_clear", test_move_and_clear },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
