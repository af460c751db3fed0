/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _EFD_INTERNAL_H
#define _EFD_INTERNAL_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

#include "efd_notify.h"
/* Written by the Kbuild probes in probes/: one macro per API that compiled. */
#include "efd_compat.h"

/*
 * Add @n to the eventfd counter. Before 6.8 (6.7.y by backport)
 * eventfd_signal() took the increment; since then it always adds one, so the
 * loop is the only exported way to add n (eventfd_signal_mask() is not exported
 * on 6.1). A counter pinned at ULLONG_MAX drops units on both: before 6.8 the
 * return value says how many, since then nothing does, so callers count @n
 * either way. Callers must not run inside an eventfd wakeup
 * (current->in_eventfd): workqueue, hrtimer and module-init contexts never are.
 */
static inline void efd_signal_units(struct eventfd_ctx *ctx, u64 n)
{
#ifdef EFD_HAVE_EVENTFD_SIGNAL_COUNT
	eventfd_signal(ctx, n);
#else
	u64 i;

	for (i = 0; i < n; i++)
		eventfd_signal(ctx);
#endif
}

/* eventfd_signal() calls needed to add @n units. */
static inline u64 efd_signal_calls(u64 n)
{
#ifdef EFD_HAVE_EVENTFD_SIGNAL_COUNT
	return n ? 1 : 0;
#else
	return n;
#endif
}

/*
 * Soft mode: the callback runs in softirq context (in a thread on
 * PREEMPT_RT, where eventfd's spinlock sleeps), never in hard-irq.
 */
#define EFD_HRTIMER_MODE HRTIMER_MODE_REL_SOFT

static inline void efd_hrtimer_setup(struct hrtimer *timer,
				     enum hrtimer_restart (*fn)(struct hrtimer *))
{
#ifdef EFD_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, EFD_HRTIMER_MODE);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, EFD_HRTIMER_MODE);
	timer->function = fn;
#endif
}

/* Channels: efd_main.c. The seed mode drives one without a file. */
struct efd_chan;

struct efd_chan *efd_chan_new(void);
void efd_chan_free(struct efd_chan *chan);
int efd_chan_attach_file(struct efd_chan *chan, struct file *file);
int efd_chan_periodic(struct efd_chan *chan,
		      const struct efd_notify_periodic *p);
void efd_chan_stop(struct efd_chan *chan);
void efd_chan_stats(struct efd_chan *chan, struct efd_notify_stats *st);

int efd_seed_start(void);
void efd_seed_stop(void);

#endif /* _EFD_INTERNAL_H */
