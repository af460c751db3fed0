// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's mode: "insmod efd_notify.ko pid=P efd=F [count=N] [period_us=U]"
 * signals the eventfd that process P has open as descriptor F, as the original
 * demo did. Reaching into another process's file table is what the seed
 * showed; real drivers (VFIO, KVM irqfd, io_uring) instead take the eventfd
 * from the owner's own ioctl, which /dev/efd_notify does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "efd_notify.h"
#include "efd_internal.h"

/* Units signalled at load between rescheduling points. */
#define EFD_SEED_BATCH 256

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

/* With period_us: a channel owned by the module, as if opened by a user. */
static struct efd_chan *seed_chan;

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

/*
 * pidfd_getfd() asks ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS), which
 * modules cannot call (it compiles, but is not exported). Its answer for a
 * loader that holds CAP_SYS_PTRACE over the task's user namespace is yes
 * (short of an LSM's veto), so that capability is the rule here.
 */
static bool efd_may_take(struct task_struct *task)
{
	const struct cred *cred = get_task_cred(task);
	bool ok = ns_capable(cred->user_ns, CAP_SYS_PTRACE);

	put_cred(cred);
	return ok;
}

/* Takes descriptor @fd of process @nr the way pidfd_getfd() does. */
static struct file *efd_seed_fget(pid_t nr, unsigned int fd)
{
	struct task_struct *task;
	struct file *file;
	struct pid *p;
	int ret;

	p = find_get_pid(nr);
	task = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	/* An exec may not swap the file table or credentials meanwhile. */
	ret = down_read_killable(&task->signal->exec_update_lock);
	if (ret) {
		file = ERR_PTR(ret);
	} else {
		if (!efd_may_take(task))
			file = ERR_PTR(-EPERM);
		else
			file = efd_task_fget(task, fd) ?: ERR_PTR(-EBADF);
		up_read(&task->signal->exec_update_lock);
	}
	put_task_struct(task);
	return file;
}

/*
 * All units at load, with rescheduling points (since 6.8 every unit is a
 * call) and a way out for a killed insmod.
 */
static int efd_seed_burst(struct file *file)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);
	u64 done = 0, n;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	while (done < count && !fatal_signal_pending(current)) {
		n = min_t(u64, count - done, EFD_SEED_BATCH);
		efd_signal_units(ctx, n);
		done += n;
		cond_resched();
	}
	eventfd_ctx_put(ctx);
	if (done < count) {
		pr_info("seed: killed after %llu of %u unit(s)\n", done, count);
		return -EINTR;
	}
	pr_info("seed: signalled %llu unit(s) to pid %d fd %d\n", done, pid,
		efd);
	return 0;
}

static int efd_seed_periodic(struct file *file)
{
	struct efd_notify_periodic p = {
		.period_ns = (u64)period_us * NSEC_PER_USEC,
		.count = count,
		.per_tick = 1,
	};
	struct efd_chan *chan = efd_chan_new();
	int ret;

	if (!chan)
		return -ENOMEM;
	ret = efd_chan_attach_file(chan, file);
	if (!ret)
		ret = efd_chan_periodic(chan, &p);
	if (ret) {
		efd_chan_free(chan);
		return ret;
	}
	seed_chan = chan;
	pr_info("seed: signalling %u unit(s) to pid %d fd %d every %u us\n",
		count, pid, efd, period_us);
	return 0;
}

int efd_seed_start(void)
{
	u64 period_ns = (u64)period_us * NSEC_PER_USEC;
	struct file *file;
	int ret;

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
	file = efd_seed_fget(pid, efd);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
	} else {
		ret = period_us ? efd_seed_periodic(file) : efd_seed_burst(file);
		fput(file);
	}
	if (ret && ret != -EINTR)
		pr_err("seed: pid %d fd %d: %s\n", pid, efd,
		       ret == -EINVAL ? "not an eventfd" :
		       ret == -ESRCH ? "no such process" :
		       ret == -EPERM ? "not allowed to take its files" :
		       ret == -EBADF ? "no such descriptor" : "failed");
	return ret;
}

void efd_seed_stop(void)
{
	struct efd_notify_stats st;

	if (!seed_chan)
		return;
	efd_chan_stop(seed_chan);
	efd_chan_stats(seed_chan, &st);
	pr_info("seed: stopped after %llu of %u unit(s)%s\n", st.fired, count,
		st.state & EFD_NOTIFY_STATE_HUP ? ", its eventfd was closed" : "");
	efd_chan_free(seed_chan);
	seed_chan = NULL;
}
