// SPDX-License-Identifier: GPL-2.0
/*
 * The files rx's marks (docs/files.md, Marks): what became of each file it
 * heard of, found by transfer key, the delivered ones also by content key,
 * dropped after MarkAge. Pure: the unit test drives it alone.
 */
#include <stdlib.h>

#include "file.h"

struct file_mark *file_marks_find(struct file_marks *ms, uint64_t key)
{
	size_t pos = 0;
	uint32_t i;

	return hmap_next(&ms->by_key, key, &pos, &i) ? &ms->v[i] : NULL;
}

bool file_marks_delivered(const struct file_marks *ms, uint64_t content)
{
	size_t pos = 0;
	uint32_t i;

	while (hmap_next(&ms->by_content, content, &pos, &i))
		if (ms->v[i].content == content)
			return true;
	return false;
}

int file_marks_set(struct file_marks *ms, uint64_t key, uint64_t content, uint8_t state, int64_t at)
{
	struct file_mark *k = file_marks_find(ms, key);

	if (k && k->content && hmap_del(&ms->by_content, k->content, k - ms->v))
		return -1;
	if (!k) {
		if (ms->n == ms->cap) {
			size_t cap = ms->cap ? 2 * ms->cap : 64;
			struct file_mark *v = realloc(ms->v, cap * sizeof(*v));

			if (!v)
				return -1;
			ms->v = v;
			ms->cap = cap;
		}
		if (hmap_put(&ms->by_key, key, ms->n))
			return -1;
		k = &ms->v[ms->n++];
	}
	*k = (struct file_mark){ key, content, state, at };
	return content && hmap_put(&ms->by_content, content, k - ms->v) ? -1 : 0;
}

size_t file_marks_prune(struct file_marks *ms, int64_t before,
			void (*gone)(const struct file_mark *k, void *arg), void *arg)
{
	size_t i, n = 0;

	/* backwards: the last mark moves into the place of one that goes */
	for (i = ms->n; i > 0; i--) {
		struct file_mark *k = &ms->v[i - 1], *last;

		if (k->at >= before)
			continue;
		gone(k, arg);
		n++;
		hmap_del(&ms->by_key, k->key, i - 1);
		if (k->content)
			hmap_del(&ms->by_content, k->content, i - 1);
		last = &ms->v[--ms->n];
		if (last != k) {
			hmap_move(&ms->by_key, last->key, ms->n, i - 1);
			if (last->content)
				hmap_move(&ms->by_content, last->content, ms->n, i - 1);
			*k = *last;
		}
	}
	return n;
}

void file_marks_free(struct file_marks *ms)
{
	free(ms->v);
	hmap_free(&ms->by_key);
	hmap_free(&ms->by_content);
	ms->v = NULL;
	ms->n = ms->cap = 0;
}
