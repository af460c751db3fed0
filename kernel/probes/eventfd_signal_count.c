// SPDX-License-Identifier: GPL-2.0
/* Compiles where eventfd_signal() still takes the increment (before 6.8). */
#include <linux/eventfd.h>

void efd_probe(struct eventfd_ctx *ctx);
void efd_probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx, 1);
}
