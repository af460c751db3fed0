/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _EFD_INTERNAL_H
#define _EFD_INTERNAL_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

/* Written by the Kbuild probes in probes/: one macro per API that compiled. */
#include "efd_compat.h"

/*
 * Add @n to the eventfd counter. Before 6.8 (6.7.y by backport)
 * eventfd_signal() took the increment; since then it always adds one, so the
 * loop is the only exported way to add n (eventfd_signal_mask() is not exported
 * on 6.1). Callers must not run inside an eventfd wakeup (current->in_eventfd):
 * workqueue, hrtimer and module-init contexts never are.
 */
static inline u64 efd_signal_units(struct eventfd_ctx *ctx, u64 n)
{
#ifdef EFD_HAVE_EVENTFD_SIGNAL_COUNT
	return eventfd_signal(ctx, n);
#else
	u64 i;

	for (i = 0; i < n; i++)
		eventfd_signal(ctx);
	return n;
#endif
}

/*
 * Plain (not _HARD) mode: the callback runs in hard-irq context, except on
 * PREEMPT_RT, where eventfd's spinlock sleeps and the timer must expire in
 * softirq context instead.
 */
static inline void efd_hrtimer_setup(struct hrtimer *timer,
				     enum hrtimer_restart (*fn)(struct hrtimer *))
{
#ifdef EFD_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	timer->function = fn;
#endif
}

int efd_seed_start(void);
void efd_seed_stop(void);

#endif /* _EFD_INTERNAL_H */
