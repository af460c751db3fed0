// SPDX-License-Identifier: GPL-2.0
/*
 * efd_notify: signal user-space eventfds from kernel context.
 *
 * Every open file of /dev/efd_notify is a channel that holds at most one
 * eventfd context. Units are fired from a workqueue (burst) or from a softirq
 * hrtimer (periodic). The eventfd is looked up in the caller's file table at
 * attach time and its context is referenced until detach, the way VFIO, KVM
 * irqfd and io_uring hold the eventfds user space hands them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "efd_notify.h"
#include "efd_internal.h"

/* Units the burst worker claims at a time; it may reschedule between claims. */
#define EFD_BURST_BATCH 256

/*
 * eventfd_signal() calls one timer expiry makes itself; the rest of its
 * per_tick goes to the workqueue, so an expiry's work stays small however
 * large per_tick is (since 6.8 every unit is a call, each taking the
 * eventfd's lock with irqs off).
 */
#define EFD_TICK_CALLS 16

/* A write() carries a decimal count; longer input is refused, not cut. */
#define EFD_WRITE_MAX 32

/* efd_chan.flags: an EPOLLHUP from the attached eventfd awaits hup_work. */
#define EFD_CHAN_HUP_PENDING 0

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of /dev/efd_notify (default 0600)");

static uint max_channels = 128;
module_param(max_channels, uint, 0444);
MODULE_PARM_DESC(max_channels,
		 "open channels allowed at once, all users (default 128)");

static atomic_t efd_channels = ATOMIC_INIT(0);

struct efd_chan {
	/* Serialises attach, detach, fire, periodic, stop and stats. */
	struct mutex lock;
	/* Set only under @lock; stable while burst work or timer can run. */
	struct eventfd_ctx *ctx;
	bool hup;

	/* Notices the eventfd's release (EPOLLHUP), as KVM's irqfd does. */
	poll_table pt;
	wait_queue_head_t *wqh;
	wait_queue_entry_t wait;
	unsigned long flags;
	struct work_struct hup_work;

	/* Bursts, and the units of a tick beyond EFD_TICK_CALLS calls. */
	struct work_struct burst_work;
	atomic64_t burst_left;

	struct hrtimer timer;
	ktime_t period;
	u64 per_tick;
	atomic64_t tick_left;

	atomic64_t fired;
};

static void efd_burst_work(struct work_struct *work)
{
	struct efd_chan *chan = container_of(work, struct efd_chan, burst_work);
	s64 left, n;

	/* Claiming with cmpxchg lets efd_stop() zero the budget at any time. */
	while ((left = atomic64_read(&chan->burst_left)) > 0) {
		n = min_t(s64, left, EFD_BURST_BATCH);
		if (atomic64_cmpxchg(&chan->burst_left, left, left - n) != left)
			continue;
		efd_signal_units(chan->ctx, n);
		atomic64_add(n, &chan->fired);
		cond_resched();
	}
}

static enum hrtimer_restart efd_tick(struct hrtimer *timer)
{
	struct efd_chan *chan = container_of(timer, struct efd_chan, timer);
	s64 left = atomic64_read(&chan->tick_left);
	u64 n, now;

	if (left <= 0)
		return HRTIMER_NORESTART;
	n = min_t(u64, left, chan->per_tick);
	now = efd_signal_calls(n) > EFD_TICK_CALLS ? EFD_TICK_CALLS : n;
	efd_signal_units(chan->ctx, now);
	atomic64_add(now, &chan->fired);
	if (n > now) {
		/* efd_stop() cancels this timer before it zeroes burst_left. */
		atomic64_add(n - now, &chan->burst_left);
		queue_work(system_unbound_wq, &chan->burst_work);
	}
	if (atomic64_sub_return(n, &chan->tick_left) <= 0)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, chan->period);
	return HRTIMER_RESTART;
}

/* Runs under the eventfd's wait-queue lock, possibly with irqs off. */
static int efd_wake(wait_queue_entry_t *wait, unsigned int wake_mode,
		    int sync, void *key)
{
	struct efd_chan *chan = container_of(wait, struct efd_chan, wait);

	if (key_to_poll(key) & EPOLLHUP) {
		set_bit(EFD_CHAN_HUP_PENDING, &chan->flags);
		schedule_work(&chan->hup_work);
	}
	return 0;
}

static void efd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			   poll_table *pt)
{
	struct efd_chan *chan = container_of(pt, struct efd_chan, pt);

	chan->wqh = wqh;
	add_wait_queue(wqh, &chan->wait);
}

/* The timer goes first: while it runs it may hand units to the worker. */
static void efd_stop(struct efd_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	atomic64_set(&chan->tick_left, 0);
	hrtimer_cancel(&chan->timer);
	atomic64_set(&chan->burst_left, 0);
	cancel_work_sync(&chan->burst_work);
}

/* Work and timer are cancelled before the context reference is dropped. */
static int efd_detach(struct efd_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	if (!chan->ctx)
		return -ENOTCONN;
	efd_stop(chan);
	if (chan->wqh)
		remove_wait_queue(chan->wqh, &chan->wait);
	chan->wqh = NULL;
	/* No wakeup can run now; forget one that raced with the removal. */
	clear_bit(EFD_CHAN_HUP_PENDING, &chan->flags);
	eventfd_ctx_put(chan->ctx);
	chan->ctx = NULL;
	return 0;
}

static void efd_hup_work(struct work_struct *work)
{
	struct efd_chan *chan = container_of(work, struct efd_chan, hup_work);

	mutex_lock(&chan->lock);
	if (test_and_clear_bit(EFD_CHAN_HUP_PENDING, &chan->flags) &&
	    !efd_detach(chan))
		chan->hup = true;
	mutex_unlock(&chan->lock);
}

/* Takes its own reference to @file's eventfd context; @file stays the caller's. */
static int efd_attach(struct efd_chan *chan, struct file *file)
{
	struct eventfd_ctx *ctx;

	lockdep_assert_held(&chan->lock);
	if (chan->ctx)
		return -EBUSY;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	clear_bit(EFD_CHAN_HUP_PENDING, &chan->flags);
	vfs_poll(file, &chan->pt);
	chan->ctx = ctx;
	chan->hup = false;
	atomic64_set(&chan->fired, 0);
	return 0;
}

/*
 * This is eventfd_ctx_fdget() opened up: the file is needed once more to
 * register for its EPOLLHUP.
 */
static int efd_attach_fd(struct efd_chan *chan, int fd)
{
	struct file *file;
	int ret;

	if (fd < 0)
		return -EBADF;
	file = fget(fd);
	if (!file)
		return -EBADF;
	mutex_lock(&chan->lock);
	ret = efd_attach(chan, file);
	mutex_unlock(&chan->lock);
	fput(file);
	return ret;
}

int efd_chan_attach_file(struct efd_chan *chan, struct file *file)
{
	int ret;

	mutex_lock(&chan->lock);
	ret = efd_attach(chan, file);
	mutex_unlock(&chan->lock);
	return ret;
}

static int efd_check_count(u64 count)
{
	return count && count <= EFD_NOTIFY_MAX_COUNT ? 0 : -EINVAL;
}

/* Units requested and not yet signalled, burst and periodic together. */
static u64 efd_pending(struct efd_chan *chan)
{
	return max_t(s64, atomic64_read(&chan->burst_left), 0) +
	       max_t(s64, atomic64_read(&chan->tick_left), 0);
}

static int efd_fire(struct efd_chan *chan, u64 count)
{
	int ret = efd_check_count(count);

	if (ret)
		return ret;
	mutex_lock(&chan->lock);
	if (!chan->ctx)
		ret = -ENOTCONN;
	else if (efd_pending(chan) + count > EFD_NOTIFY_MAX_COUNT)
		ret = -EBUSY;
	if (!ret) {
		atomic64_add(count, &chan->burst_left);
		queue_work(system_unbound_wq, &chan->burst_work);
	}
	mutex_unlock(&chan->lock);
	return ret;
}

int efd_chan_periodic(struct efd_chan *chan,
		      const struct efd_notify_periodic *p)
{
	int ret = efd_check_count(p->count);

	if (!ret && (p->flags || !p->per_tick ||
		     p->per_tick > EFD_NOTIFY_MAX_PER_TICK ||
		     p->period_ns < EFD_NOTIFY_MIN_PERIOD_NS ||
		     p->period_ns > EFD_NOTIFY_MAX_PERIOD_NS))
		ret = -EINVAL;
	if (ret)
		return ret;
	mutex_lock(&chan->lock);
	if (!chan->ctx) {
		ret = -ENOTCONN;
	} else if (atomic64_read(&chan->tick_left) > 0 ||
		   efd_pending(chan) + p->count > EFD_NOTIFY_MAX_COUNT) {
		ret = -EBUSY;
	} else {
		/* The last expiry of a finished run may still be returning. */
		hrtimer_cancel(&chan->timer);
		chan->period = ns_to_ktime(p->period_ns);
		chan->per_tick = p->per_tick;
		atomic64_set(&chan->tick_left, p->count);
		hrtimer_start(&chan->timer, chan->period, EFD_HRTIMER_MODE);
	}
	mutex_unlock(&chan->lock);
	return ret;
}

void efd_chan_stop(struct efd_chan *chan)
{
	mutex_lock(&chan->lock);
	efd_stop(chan);
	mutex_unlock(&chan->lock);
}

void efd_chan_stats(struct efd_chan *chan, struct efd_notify_stats *st)
{
	s64 burst, ticks;

	memset(st, 0, sizeof(*st));
	mutex_lock(&chan->lock);
	burst = max_t(s64, atomic64_read(&chan->burst_left), 0);
	ticks = max_t(s64, atomic64_read(&chan->tick_left), 0);
	if (chan->ctx)
		st->state |= EFD_NOTIFY_STATE_ATTACHED;
	if (burst)
		st->state |= EFD_NOTIFY_STATE_BURST;
	if (ticks)
		st->state |= EFD_NOTIFY_STATE_PERIODIC;
	if (chan->hup)
		st->state |= EFD_NOTIFY_STATE_HUP;
	st->fired = atomic64_read(&chan->fired);
	st->pending = burst + ticks;
	mutex_unlock(&chan->lock);
}

static long efd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct efd_chan *chan = file->private_data;
	void __user *argp = (void __user *)arg;
	struct efd_notify_periodic periodic;
	struct efd_notify_attach attach;
	struct efd_notify_stats stats;
	struct efd_notify_fire fire;
	long ret;

	switch (cmd) {
	case EFD_NOTIFY_IOC_ATTACH:
		if (copy_from_user(&attach, argp, sizeof(attach)))
			return -EFAULT;
		if (attach.flags)
			return -EINVAL;
		return efd_attach_fd(chan, attach.fd);
	case EFD_NOTIFY_IOC_DETACH:
		mutex_lock(&chan->lock);
		ret = efd_detach(chan);
		mutex_unlock(&chan->lock);
		return ret;
	case EFD_NOTIFY_IOC_FIRE:
		if (copy_from_user(&fire, argp, sizeof(fire)))
			return -EFAULT;
		return efd_fire(chan, fire.count);
	case EFD_NOTIFY_IOC_PERIODIC:
		if (copy_from_user(&periodic, argp, sizeof(periodic)))
			return -EFAULT;
		return efd_chan_periodic(chan, &periodic);
	case EFD_NOTIFY_IOC_STOP:
		efd_chan_stop(chan);
		return 0;
	case EFD_NOTIFY_IOC_STATS:
		efd_chan_stats(chan, &stats);
		if (copy_to_user(argp, &stats, sizeof(stats)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

/* "echo 1000 >&3" on a channel fd fires a burst of 1000 units. */
static ssize_t efd_write(struct file *file, const char __user *buf,
			 size_t len, loff_t *ppos)
{
	u64 count;
	int ret;

	if (len > EFD_WRITE_MAX)
		return -EINVAL;
	ret = kstrtou64_from_user(buf, len, 10, &count);
	if (!ret)
		ret = efd_fire(file->private_data, count);
	return ret ? ret : len;
}

struct efd_chan *efd_chan_new(void)
{
	/* Charged to the opener's memory cgroup: channels are user-made. */
	struct efd_chan *chan = kzalloc(sizeof(*chan), GFP_KERNEL_ACCOUNT);

	if (!chan)
		return NULL;
	mutex_init(&chan->lock);
	init_poll_funcptr(&chan->pt, efd_queue_proc);
	init_waitqueue_func_entry(&chan->wait, efd_wake);
	INIT_WORK(&chan->hup_work, efd_hup_work);
	INIT_WORK(&chan->burst_work, efd_burst_work);
	efd_hrtimer_setup(&chan->timer, efd_tick);
	return chan;
}

void efd_chan_free(struct efd_chan *chan)
{
	mutex_lock(&chan->lock);
	efd_detach(chan);
	mutex_unlock(&chan->lock);
	/* Detached, so no new HUP can queue it; one already queued finds none. */
	cancel_work_sync(&chan->hup_work);
	mutex_destroy(&chan->lock);
	kfree(chan);
}

static int efd_open(struct inode *inode, struct file *file)
{
	struct efd_chan *chan;

	if (atomic_inc_return(&efd_channels) > max_channels) {
		atomic_dec(&efd_channels);
		return -ENOSPC;
	}
	chan = efd_chan_new();
	if (!chan) {
		atomic_dec(&efd_channels);
		return -ENOMEM;
	}
	file->private_data = chan;
	return stream_open(inode, file);
}

static int efd_release(struct inode *inode, struct file *file)
{
	efd_chan_free(file->private_data);
	atomic_dec(&efd_channels);
	return 0;
}

static const struct file_operations efd_fops = {
	.owner = THIS_MODULE,
	.open = efd_open,
	.release = efd_release,
	.write = efd_write,
	.unlocked_ioctl = efd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice efd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = EFD_NOTIFY_NAME,
	.fops = &efd_fops,
};

/*
 * The device comes last: once it exists an open() pins a module whose init
 * could still fail, and a failed init frees the module under that file.
 */
static int __init efd_init(void)
{
	int ret;

	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits are allowed\n", mode);
		return -EINVAL;
	}
	efd_misc.mode = mode;
	ret = efd_seed_start();
	if (ret)
		return ret;
	ret = misc_register(&efd_misc);
	if (ret)
		efd_seed_stop();
	return ret;
}

/* Open channels pin the module (fops.owner), so only the seed can be firing. */
static void __exit efd_exit(void)
{
	misc_deregister(&efd_misc);
	efd_seed_stop();
}

module_init(efd_init);
module_exit(efd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Signal user-space eventfds from kernel context");
