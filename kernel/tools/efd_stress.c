// SPDX-License-Identifier: GPL-2.0
/*
 * Stress and lifecycle checks for /dev/efd_notify, run in the VM guest (the
 * kernel log is judged afterwards: KASAN, lockdep, kmemleak, WARN, BUG).
 *
 *   efd_stress loadrace KO N      N failing seed loads, a thread opening the
 *                                 node meanwhile: it must never appear
 *   efd_stress nocap KO           a seed load without CAP_SYS_PTRACE: EPERM
 *   efd_stress limit N            the N+1st open channel gets ENOSPC
 *   efd_stress cycles N           attach, fire, then close the eventfd (HUP),
 *                                 the channel, or detach; N times
 *   efd_stress threads T N        T threads, N random ioctls each, one channel
 *   efd_stress rmmod KO N         rmmod racing the last close, N times
 *   efd_stress channels C MS      C channels, shortest period, largest
 *                                 per_tick, MS ms: units read == fired
 *   efd_stress write PID FD N     N units into PID's eventfd FD (pidfd_getfd)
 *                                 in writes of 256, as the burst worker does
 *
 * Prints "ok - NAME :: DETAIL" or "not ok - NAME: DETAIL"; exits non-zero on
 * failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "efd_notify.h"

#define DEV "/dev/" EFD_NOTIFY_NAME

static int failures;

static void result(const char *name, int ok, const char *detail)
{
	if (ok) {
		printf("ok - %s :: %s\n", name, detail);
	} else {
		printf("not ok - %s: %s\n", name, detail);
		failures++;
	}
}

static void die(const char *what)
{
	fprintf(stderr, "efd_stress: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		die(ko);
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, EFD_NOTIFY_NAME, O_NONBLOCK);
}

static int attach(int dev, int efd)
{
	struct efd_notify_attach a = { .fd = efd };

	return ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a);
}

static struct efd_notify_stats stats(int dev)
{
	struct efd_notify_stats st = { 0 };

	if (ioctl(dev, EFD_NOTIFY_IOC_STATS, &st))
		die("EFD_NOTIFY_IOC_STATS");
	return st;
}

/* The opener thread runs while set. */
static int racing;
static int opened;

static void *open_loop(void *arg)
{
	int dev;

	(void)arg;
	while (__atomic_load_n(&racing, __ATOMIC_RELAXED)) {
		dev = open(DEV, O_RDWR | O_CLOEXEC);
		if (dev >= 0) {
			opened++;
			usleep(1000);
			close(dev);
		}
	}
	return NULL;
}

/* A failing seed load must not publish the node (issue: UAF on failed load). */
static void loadrace(const char *ko, int n)
{
	char buf[4096], detail[128];
	int in, created = 0, refused = 0, i;
	pthread_t opener;
	ssize_t len;
	char *p;

	/* Kernels without inotify (the debug one) have only the opener. */
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in >= 0 && inotify_add_watch(in, "/dev", IN_CREATE) < 0)
		die("inotify_add_watch");
	__atomic_store_n(&racing, 1, __ATOMIC_RELAXED);
	pthread_create(&opener, NULL, open_loop, NULL);
	for (i = 0; i < n; i++) {
		/* pid 1 has no descriptor 999: the seed start fails (EBADF). */
		if (load(ko, "pid=1 efd=999"))
			refused++;
		else
			unload();
	}
	__atomic_store_n(&racing, 0, __ATOMIC_RELAXED);
	pthread_join(opener, NULL);
	while (in >= 0 && (len = read(in, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && !strcmp(ev->name, EFD_NOTIFY_NAME))
				created++;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (in >= 0)
		close(in);
	snprintf(detail, sizeof(detail),
		 "%d loads refused of %d, node created %d times%s, opened %d times",
		 refused, n, created, in < 0 ? " (no inotify)" : "", opened);
	result("failed seed load never shows the device", refused == n &&
	       !created && !opened, detail);
}

/* Without CAP_SYS_PTRACE the seed may not take another process's eventfd. */
static void nocap(const char *ko)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	int efd = eventfd(0, EFD_NONBLOCK), status, err = 0;
	char params[64], detail[96];
	uint64_t v = 0;
	pid_t child;

	if (efd < 0)
		die("eventfd");
	snprintf(params, sizeof(params), "pid=%d efd=%d", (int)getpid(), efd);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		if (syscall(SYS_capget, &h, d))
			_exit(100);
		d[CAP_SYS_PTRACE / 32].effective &= ~(1U << (CAP_SYS_PTRACE % 32));
		d[CAP_SYS_PTRACE / 32].permitted &= ~(1U << (CAP_SYS_PTRACE % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(101);
		if (!load(ko, params)) {
			unload();
			_exit(0);
		}
		_exit(errno);
	}
	if (waitpid(child, &status, 0) == child && WIFEXITED(status))
		err = WEXITSTATUS(status);
	if (read(efd, &v, sizeof(v)) < 0)
		v = 0;
	snprintf(detail, sizeof(detail), "load: %s, eventfd %" PRIu64,
		 err ? strerrorname_np(err) ?: "setup failed" : "success", v);
	result("seed without CAP_SYS_PTRACE refused", err == EPERM && !v,
	       detail);
	close(efd);
}

static void channel_limit(int max)
{
	int *devs = calloc(max + 1, sizeof(int)), n, err = 0, i;
	char detail[96];

	for (n = 0; n <= max; n++) {
		devs[n] = open(DEV, O_RDWR | O_CLOEXEC);
		if (devs[n] < 0) {
			err = errno;
			break;
		}
	}
	snprintf(detail, sizeof(detail), "%d opened, then %s", n,
		 err ? strerrorname_np(err) : "no limit");
	result("channel limit", n == max && err == ENOSPC, detail);
	for (i = 0; i < n; i++)
		close(devs[i]);
	free(devs);
}

/* Attach, fire, end one of three ways; every HUP must detach the channel. */
static void hup_cycles(int n)
{
	struct efd_notify_fire f = { .count = 1000 };
	int i, j, dev, efd, hups = 0, bad = 0;
	struct efd_notify_stats st;
	char detail[96];
	double t0 = now_ms();

	for (i = 0; i < n; i++) {
		dev = open(DEV, O_RDWR | O_CLOEXEC);
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
		if (dev < 0 || efd < 0 || attach(dev, efd) ||
		    ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f))
			die("cycle setup");
		switch (i % 3) {
		case 0:
			close(efd);
			for (j = 0; j < 2000; j++) {
				st = stats(dev);
				if (st.state == EFD_NOTIFY_STATE_HUP)
					break;
				usleep(1000);
			}
			if (st.state == EFD_NOTIFY_STATE_HUP && !st.pending)
				hups++;
			else
				bad++;
			close(dev);
			break;
		case 1:
			close(dev);
			close(efd);
			break;
		default:
			if (ioctl(dev, EFD_NOTIFY_IOC_DETACH))
				bad++;
			close(efd);
			close(dev);
		}
	}
	snprintf(detail, sizeof(detail), "%d cycles in %.0f ms, %d HUPs, %d bad",
		 n, now_ms() - t0, hups, bad);
	result("attach/fire/close/HUP cycles", !bad, detail);
}

struct shared {
	int dev, efd, iters;
	unsigned int seed;
};

static void *ioctl_loop(void *arg)
{
	struct shared *s = arg;
	struct efd_notify_periodic p = {
		.period_ns = EFD_NOTIFY_MIN_PERIOD_NS, .count = 100,
		.per_tick = EFD_NOTIFY_MAX_PER_TICK,
	};
	struct efd_notify_fire f = { .count = 100 };
	unsigned int seed = s->seed;
	int i, ret;

	for (i = 0; i < s->iters; i++) {
		switch (rand_r(&seed) % 7) {
		case 0:
			ret = attach(s->dev, s->efd);
			break;
		case 1:
			ret = ioctl(s->dev, EFD_NOTIFY_IOC_DETACH);
			break;
		case 2:
			ret = ioctl(s->dev, EFD_NOTIFY_IOC_FIRE, &f);
			break;
		case 3:
			ret = ioctl(s->dev, EFD_NOTIFY_IOC_PERIODIC, &p);
			break;
		case 4:
			ret = ioctl(s->dev, EFD_NOTIFY_IOC_STOP);
			break;
		case 5:
			ret = write(s->dev, "3\n", 2) == 2 ? 0 : -1;
			break;
		default:
			stats(s->dev);
			ret = 0;
		}
		if (ret && errno != EBUSY && errno != ENOTCONN)
			die("ioctl");
	}
	return NULL;
}

static void ioctl_threads(int t, int n)
{
	struct shared s[16];
	pthread_t tid[16];
	char detail[64];
	double t0 = now_ms();
	uint64_t v;
	int i;

	t = t > 16 ? 16 : t;
	s[0].dev = open(DEV, O_RDWR | O_CLOEXEC);
	s[0].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s[0].dev < 0 || s[0].efd < 0)
		die("threads setup");
	for (i = 0; i < t; i++) {
		s[i] = s[0];
		s[i].iters = n;
		s[i].seed = i + 1;
		pthread_create(&tid[i], NULL, ioctl_loop, &s[i]);
	}
	for (i = 0; i < t; i++)
		pthread_join(tid[i], NULL);
	if (read(s[0].efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		die("read");
	close(s[0].dev);
	close(s[0].efd);
	snprintf(detail, sizeof(detail), "%d threads x %d ioctls in %.0f ms",
		 t, n, now_ms() - t0);
	result("threads on one channel", 1, detail);
}

static void *unload_loop(void *arg)
{
	int *done = arg;

	while (unload()) {
		if (errno != EAGAIN && errno != EBUSY)
			return NULL;
		sched_yield();
	}
	*done = 1;
	return NULL;
}

static void rmmod_race(const char *ko, int n)
{
	struct efd_notify_fire f = { .count = EFD_NOTIFY_MAX_COUNT };
	int i, dev, efd, gone = 0, done;
	pthread_t tid;
	char detail[64];

	for (i = 0; i < n; i++) {
		if (access(DEV, F_OK) && load(ko, ""))
			die("insmod");
		dev = open(DEV, O_RDWR | O_CLOEXEC);
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev < 0 || efd < 0 || attach(dev, efd) ||
		    ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f))
			die("rmmod setup");
		done = 0;
		pthread_create(&tid, NULL, unload_loop, &done);
		usleep(i % 4 * 250);
		close(dev);
		pthread_join(tid, NULL);
		close(efd);
		gone += done;
	}
	snprintf(detail, sizeof(detail), "%d of %d unloads after the close",
		 gone, n);
	result("rmmod racing the last close", gone == n, detail);
	if (load(ko, ""))
		die("insmod");
}

/* Shortest period, largest per_tick, many channels: nothing lost or made up. */
static void busy_channels(int c, int ms)
{
	struct efd_notify_periodic p = {
		.period_ns = EFD_NOTIFY_MIN_PERIOD_NS,
		.count = EFD_NOTIFY_MAX_COUNT,
		.per_tick = EFD_NOTIFY_MAX_PER_TICK,
	};
	int *dev = calloc(c, sizeof(int)), *efd = calloc(c, sizeof(int));
	uint64_t v, fired = 0, got = 0;
	struct efd_notify_stats st;
	char detail[128];
	int i, bad = 0;

	for (i = 0; i < c; i++) {
		dev[i] = open(DEV, O_RDWR | O_CLOEXEC);
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev[i] < 0 || efd[i] < 0 || attach(dev[i], efd[i]) ||
		    ioctl(dev[i], EFD_NOTIFY_IOC_PERIODIC, &p))
			die("channels setup");
	}
	usleep(ms * 1000);
	for (i = 0; i < c; i++) {
		if (ioctl(dev[i], EFD_NOTIFY_IOC_STOP))
			die("stop");
		st = stats(dev[i]);
		if (read(efd[i], &v, sizeof(v)) < 0)
			v = 0;
		bad += v != st.fired;
		fired += st.fired;
		got += v;
		close(dev[i]);
		close(efd[i]);
	}
	snprintf(detail, sizeof(detail),
		 "%d channels x %d ms: fired %" PRIu64 ", read %" PRIu64 ", %d mismatched",
		 c, ms, fired, got, bad);
	result("channels at the shortest period, largest per_tick",
	       !bad && fired, detail);
	free(dev);
	free(efd);
}

static void user_writer(int pid, int fd, uint64_t n)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), efd;
	uint64_t left = n, k;
	char detail[64];
	double t0;

	efd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (efd < 0)
		die("pidfd_getfd");
	t0 = now_ms();
	while (left) {
		k = left < 256 ? left : 256;
		if (write(efd, &k, sizeof(k)) != sizeof(k))
			die("write");
		left -= k;
	}
	snprintf(detail, sizeof(detail), "%" PRIu64 " units in %.1f ms", n,
		 now_ms() - t0);
	result("user-space writer", 1, detail);
	close(efd);
	close(pidfd);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "loadrace") && argc == 4)
		loadrace(argv[2], atoi(argv[3]));
	else if (!strcmp(cmd, "nocap") && argc == 3)
		nocap(argv[2]);
	else if (!strcmp(cmd, "limit") && argc == 3)
		channel_limit(atoi(argv[2]));
	else if (!strcmp(cmd, "cycles") && argc == 3)
		hup_cycles(atoi(argv[2]));
	else if (!strcmp(cmd, "threads") && argc == 4)
		ioctl_threads(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(cmd, "rmmod") && argc == 4)
		rmmod_race(argv[2], atoi(argv[3]));
	else if (!strcmp(cmd, "channels") && argc == 4)
		busy_channels(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(cmd, "write") && argc == 5)
		user_writer(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 10));
	else {
		fprintf(stderr, "usage: see the comment at the top of efd_stress.c\n");
		return 2;
	}
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
