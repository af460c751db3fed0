/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * efd_notify: signal user-space eventfds from kernel context.
 *
 * Each open file of /dev/efd_notify is a channel. A channel holds at most one
 * eventfd (attached by file descriptor) and fires "units" into it: one unit is
 * one increment of the eventfd counter, so a reader that opened the eventfd
 * with EFD_SEMAPHORE gets each unit exactly once.
 *
 * kernel/constants.ts mirrors these numbers and layouts for the Deno client;
 * change both together.
 */
#ifndef _UAPI_LINUX_EFD_NOTIFY_H
#define _UAPI_LINUX_EFD_NOTIFY_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define EFD_NOTIFY_NAME		"efd_notify"

/*
 * 0xDA: unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst of
 * 6.12 and used by no _IO*() in that tree (0xEF, the first choice, has since
 * been claimed upstream).
 */
#define EFD_NOTIFY_IOC_MAGIC	0xDA

/* Upper bounds that the driver enforces; larger requests get -EINVAL. */
#define EFD_NOTIFY_MAX_COUNT		1000000000ULL
#define EFD_NOTIFY_MIN_PERIOD_NS	10000ULL
#define EFD_NOTIFY_MAX_PERIOD_NS	60000000000ULL
#define EFD_NOTIFY_MAX_PER_TICK		1024U

/**
 * struct efd_notify_attach - argument of EFD_NOTIFY_IOC_ATTACH
 * @fd:    eventfd file descriptor in the caller's file table
 * @flags: must be zero
 */
struct efd_notify_attach {
	__s32 fd;
	__u32 flags;
};

/**
 * struct efd_notify_fire - argument of EFD_NOTIFY_IOC_FIRE
 * @count: units to signal from a workqueue, 1..EFD_NOTIFY_MAX_COUNT
 */
struct efd_notify_fire {
	__u64 count;
};

/**
 * struct efd_notify_periodic - argument of EFD_NOTIFY_IOC_PERIODIC
 * @period_ns: hrtimer period, EFD_NOTIFY_MIN_PERIOD_NS..EFD_NOTIFY_MAX_PERIOD_NS
 * @count:     units to signal in total, 1..EFD_NOTIFY_MAX_COUNT
 * @per_tick:  units signalled on each expiry, 1..EFD_NOTIFY_MAX_PER_TICK
 * @flags:     must be zero
 */
struct efd_notify_periodic {
	__u64 period_ns;
	__u64 count;
	__u32 per_tick;
	__u32 flags;
};

/* Bits of efd_notify_stats.state */
#define EFD_NOTIFY_STATE_ATTACHED	0x1U
#define EFD_NOTIFY_STATE_BURST		0x2U
#define EFD_NOTIFY_STATE_PERIODIC	0x4U
/* The eventfd was closed by user space, so the channel detached itself. */
#define EFD_NOTIFY_STATE_HUP		0x8U

/**
 * struct efd_notify_stats - result of EFD_NOTIFY_IOC_STATS
 * @state:    EFD_NOTIFY_STATE_* bits
 * @reserved: zero
 * @fired:    units signalled since the last attach
 * @pending:  units requested but not yet signalled (burst and periodic)
 */
struct efd_notify_stats {
	__u32 state;
	__u32 reserved;
	__u64 fired;
	__u64 pending;
};

#define EFD_NOTIFY_IOC_ATTACH \
	_IOW(EFD_NOTIFY_IOC_MAGIC, 1, struct efd_notify_attach)
#define EFD_NOTIFY_IOC_DETACH	_IO(EFD_NOTIFY_IOC_MAGIC, 2)
#define EFD_NOTIFY_IOC_FIRE \
	_IOW(EFD_NOTIFY_IOC_MAGIC, 3, struct efd_notify_fire)
#define EFD_NOTIFY_IOC_PERIODIC \
	_IOW(EFD_NOTIFY_IOC_MAGIC, 4, struct efd_notify_periodic)
#define EFD_NOTIFY_IOC_STOP	_IO(EFD_NOTIFY_IOC_MAGIC, 5)
#define EFD_NOTIFY_IOC_STATS \
	_IOR(EFD_NOTIFY_IOC_MAGIC, 6, struct efd_notify_stats)

#endif /* _UAPI_LINUX_EFD_NOTIFY_H */
