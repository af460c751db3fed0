// SPDX-License-Identifier: GPL-2.0
/*
 * efd_notify: signal user-space eventfds from kernel context.
 *
 * Every open file of /dev/efd_notify is a channel that holds at most one
 * eventfd context. Units are fired from a workqueue (burst) or from a hard-irq
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

/* efd_chan.flags: an EPOLLHUP from the attached eventfd awaits hup_work. */
#define EFD_CHAN_HUP_PENDING 0

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of /dev/efd_notify (default 0600)");

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
		atomic64_add(efd_signal_units(chan->ctx, n), &chan->fired);
		cond_resched();
	}
}

static enum hrtimer_restart efd_tick(struct hrtimer *timer)
{
	struct efd_chan *chan = container_of(timer, struct efd_chan, timer);
	s64 left = atomic64_read(&chan->tick_left);
	u64 n;

	if (left <= 0)
		return HRTIMER_NORESTART;
	n = min_t(u64, left, chan->per_tick);
	atomic64_add(efd_signal_units(chan->ctx, n), &chan->fired);
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

static void efd_stop(struct efd_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	atomic64_set(&chan->burst_left, 0);
	cancel_work_sync(&chan->burst_work);
	hrtimer_cancel(&chan->timer);
	atomic64_set(&chan->tick_left, 0);
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

static int efd_attach(struct efd_chan *chan, int fd)
{
	struct eventfd_ctx *ctx;
	struct file *file;

	lockdep_assert_held(&chan->lock);
	if (chan->ctx)
		return -EBUSY;
	if (fd < 0)
		return -EBADF;
	/*
	 * This is eventfd_ctx_fdget() opened up: the file is needed once more
	 * to register for its EPOLLHUP.
	 */
	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	clear_bit(EFD_CHAN_HUP_PENDING, &chan->flags);
	vfs_poll(file, &chan->pt);
	fput(file);
	chan->ctx = ctx;
	chan->hup = false;
	atomic64_set(&chan->fired, 0);
	return 0;
}

static int efd_check_count(u64 count)
{
	return count && count <= EFD_NOTIFY_MAX_COUNT ? 0 : -EINVAL;
}

static int efd_fire(struct efd_chan *chan, u64 count)
{
	int ret = efd_check_count(count);

	if (ret)
		return ret;
	mutex_lock(&chan->lock);
	if (!chan->ctx)
		ret = -ENOTCONN;
	else if (atomic64_read(&chan->burst_left) + count > EFD_NOTIFY_MAX_COUNT)
		ret = -EBUSY;
	if (!ret) {
		atomic64_add(count, &chan->burst_left);
		queue_work(system_unbound_wq, &chan->burst_work);
	}
	mutex_unlock(&chan->lock);
	return ret;
}

static int efd_periodic(struct efd_chan *chan,
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
	} else if (atomic64_read(&chan->tick_left) > 0) {
		ret = -EBUSY;
	} else {
		/* The last expiry of a finished run may still be returning. */
		hrtimer_cancel(&chan->timer);
		chan->period = ns_to_ktime(p->period_ns);
		chan->per_tick = p->per_tick;
		atomic64_set(&chan->tick_left, p->count);
		hrtimer_start(&chan->timer, chan->period, HRTIMER_MODE_REL);
	}
	mutex_unlock(&chan->lock);
	return ret;
}

static void efd_stats(struct efd_chan *chan, struct efd_notify_stats *st)
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
		mutex_lock(&chan->lock);
		ret = efd_attach(chan, attach.fd);
		mutex_unlock(&chan->lock);
		return ret;
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
		return efd_periodic(chan, &periodic);
	case EFD_NOTIFY_IOC_STOP:
		mutex_lock(&chan->lock);
		efd_stop(chan);
		mutex_unlock(&chan->lock);
		return 0;
	case EFD_NOTIFY_IOC_STATS:
		efd_stats(chan, &stats);
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

	ret = kstrtou64_from_user(buf, len, 10, &count);
	if (!ret)
		ret = efd_fire(file->private_data, count);
	return ret ? ret : len;
}

static int efd_open(struct inode *inode, struct file *file)
{
	struct efd_chan *chan = kzalloc(sizeof(*chan), GFP_KERNEL);

	if (!chan)
		return -ENOMEM;
	mutex_init(&chan->lock);
	init_poll_funcptr(&chan->pt, efd_queue_proc);
	init_waitqueue_func_entry(&chan->wait, efd_wake);
	INIT_WORK(&chan->hup_work, efd_hup_work);
	INIT_WORK(&chan->burst_work, efd_burst_work);
	efd_hrtimer_setup(&chan->timer, efd_tick);
	file->private_data = chan;
	return stream_open(inode, file);
}

static int efd_release(struct inode *inode, struct file *file)
{
	struct efd_chan *chan = file->private_data;

	mutex_lock(&chan->lock);
	efd_detach(chan);
	mutex_unlock(&chan->lock);
	/* Detached, so no new HUP can queue it; one already queued finds none. */
	cancel_work_sync(&chan->hup_work);
	mutex_destroy(&chan->lock);
	kfree(chan);
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

static int __init efd_init(void)
{
	int ret;

	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits are allowed\n", mode);
		return -EINVAL;
	}
	efd_misc.mode = mode;
	ret = misc_register(&efd_misc);
	if (ret)
		return ret;
	ret = efd_seed_start();
	if (ret)
		misc_deregister(&efd_misc);
	return ret;
}

/* Open channels pin the module (fops.owner), so only the seed can be firing. */
static void __exit efd_exit(void)
{
	efd_seed_stop();
	misc_deregister(&efd_misc);
}

module_init(efd_init);
module_exit(efd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Signal user-space eventfds from kernel context");
