/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU diode counters (enum diode_stat), summed when read over netlink. */
#ifndef _DIODE_STATS_H
#define _DIODE_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/diode.h>

struct diode_pcpu_stats {
	u64_stats_t counter[__DIODE_STAT_MAX];
	struct u64_stats_sync syncp;
};

/*
 * From any context: workers count with bottom halves enabled, so a softirq
 * counting on the same CPU may interrupt them; where the sequence counter
 * is real (32-bit SMP), the irqsave form keeps it consistent.
 */
static inline void diode_stat_add(struct diode_pcpu_stats __percpu *stats,
				  enum diode_stat stat, u64 n)
{
	struct diode_pcpu_stats *s = get_cpu_ptr(stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->counter[stat], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(stats);
}

static inline void diode_stat_inc(struct diode_pcpu_stats __percpu *stats,
				  enum diode_stat stat)
{
	diode_stat_add(stats, stat, 1);
}

static inline void diode_stats_read(struct diode_pcpu_stats __percpu *stats,
				    u64 sum[__DIODE_STAT_MAX])
{
	unsigned int cpu, start, i;
	u64 val[__DIODE_STAT_MAX];

	memset(sum, 0, sizeof(u64) * __DIODE_STAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct diode_pcpu_stats *s = per_cpu_ptr(stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < __DIODE_STAT_MAX; i++)
				val[i] = u64_stats_read(&s->counter[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < __DIODE_STAT_MAX; i++)
			sum[i] += val[i];
	}
}

#endif /* _DIODE_STATS_H */
