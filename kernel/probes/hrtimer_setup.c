// SPDX-License-Identifier: GPL-2.0
/* Compiles on 6.13+, which replaced hrtimer_init() with hrtimer_setup(). */
#include <linux/hrtimer.h>

static enum hrtimer_restart efd_probe_fn(struct hrtimer *timer)
{
	return HRTIMER_NORESTART;
}

void efd_probe(struct hrtimer *timer);
void efd_probe(struct hrtimer *timer)
{
	hrtimer_setup(timer, efd_probe_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL);
}
