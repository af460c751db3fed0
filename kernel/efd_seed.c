// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's mode: "insmod efd_notify.ko pid=P efd=F [count=N] [period_us=U]"
 * signals the eventfd that process P has open as descriptor F, as the original
 * demo did. Reaching into another process's file table is what the seed
 * showed; real drivers (VFIO, KVM irqfd, io_uring) instead take the eventfd
 * from the owner's own ioctl, which /dev/efd_notify does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "efd_notify.h"
#include "efd_internal.h"

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "seed mode: process whose eventfd to signal at load");

static int efd = -1;
module_param(efd, int, 0444);
MODULE_PARM_DESC(efd, "seed mode: that process's eventfd descriptor");

static uint count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "seed mode: units to signal (default 1)");

static uint period_us;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us,
		 "seed mode: 0 signals all units at load, else one per period");

static struct eventfd_ctx *seed_ctx;
static struct hrtimer seed_timer;
static ktime_t seed_period;
static u64 seed_fired;

/* A referenced file at exactly descriptor @fd of @task, or NULL. */
static struct file *efd_task_fget(struct task_struct *task, unsigned int fd)
{
	unsigned int found = fd;
	struct file *file;

#if defined(EFD_HAVE_FGET_TASK_NEXT)
	file = fget_task_next(task, &found);
#elif defined(EFD_HAVE_TASK_LOOKUP_NEXT_FDGET_RCU)
	rcu_read_lock();
	file = task_lookup_next_fdget_rcu(task, &found);
	rcu_read_unlock();
#else
	/* 6.1..6.6: fget_task() is not exported, this lookup is. */
	rcu_read_lock();
	file = task_lookup_next_fd_rcu(task, &found);
	if (file && !get_file_rcu(file))
		file = NULL;
	rcu_read_unlock();
#endif
	if (file && found != fd) {
		fput(file);
		file = NULL;
	}
	return file;
}

static struct eventfd_ctx *efd_seed_ctx_get(pid_t nr, unsigned int fd)
{
	struct eventfd_ctx *ctx;
	struct task_struct *task;
	struct file *file;
	struct pid *p;

	p = find_get_pid(nr);
	task = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	file = efd_task_fget(task, fd);
	put_task_struct(task);
	if (!file)
		return ERR_PTR(-EBADF);
	ctx = eventfd_ctx_fileget(file);
	fput(file);
	return ctx;
}

static enum hrtimer_restart efd_seed_tick(struct hrtimer *timer)
{
	seed_fired += efd_signal_units(seed_ctx, 1);
	if (seed_fired >= count)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, seed_period);
	return HRTIMER_RESTART;
}

int efd_seed_start(void)
{
	struct eventfd_ctx *ctx;
	u64 period_ns = (u64)period_us * NSEC_PER_USEC;

	if (!pid && efd < 0)
		return 0;
	if (pid <= 0 || efd < 0 || !count || count > EFD_NOTIFY_MAX_COUNT ||
	    (period_us && period_ns < EFD_NOTIFY_MIN_PERIOD_NS) ||
	    period_ns > EFD_NOTIFY_MAX_PERIOD_NS) {
		pr_err("seed: need pid>0, efd>=0, count 1..%llu, period_us 0 or %llu..%llu\n",
		       EFD_NOTIFY_MAX_COUNT,
		       EFD_NOTIFY_MIN_PERIOD_NS / NSEC_PER_USEC,
		       EFD_NOTIFY_MAX_PERIOD_NS / NSEC_PER_USEC);
		return -EINVAL;
	}
	ctx = efd_seed_ctx_get(pid, efd);
	if (IS_ERR(ctx)) {
		pr_err("seed: pid %d fd %d: %s\n", pid, efd,
		       PTR_ERR(ctx) == -EINVAL ? "not an eventfd" :
		       PTR_ERR(ctx) == -ESRCH ? "no such process" :
		       "no such descriptor");
		return PTR_ERR(ctx);
	}
	if (!period_us) {
		seed_fired = efd_signal_units(ctx, count);
		eventfd_ctx_put(ctx);
		pr_info("seed: signalled %llu unit(s) to pid %d fd %d\n",
			seed_fired, pid, efd);
		return 0;
	}
	seed_ctx = ctx;
	seed_period = ns_to_ktime(period_ns);
	efd_hrtimer_setup(&seed_timer, efd_seed_tick);
	hrtimer_start(&seed_timer, seed_period, HRTIMER_MODE_REL);
	pr_info("seed: signalling %u unit(s) to pid %d fd %d every %u us\n",
		count, pid, efd, period_us);
	return 0;
}

void efd_seed_stop(void)
{
	if (!seed_ctx)
		return;
	hrtimer_cancel(&seed_timer);
	pr_info("seed: stopped after %llu of %u unit(s)\n", seed_fired, count);
	eventfd_ctx_put(seed_ctx);
	seed_ctx = NULL;
}
