// SPDX-License-Identifier: GPL-2.0
/*
 * Feeds /dev/efd_notify garbage and awkward timing; prints one
 * "ok - NAME" or "not ok - NAME: ..." line per check and exits non-zero if
 * any failed. The kernel log must stay free of WARN/BUG: the VM test checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "efd_notify.h"

#define DEV "/dev/" EFD_NOTIFY_NAME

/* 65 zeros, "1", junk: the first 66 bytes alone would parse as 1. */
#define LONG_WRITE \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"01junk"

static int failures;
/* An inaccessible page, for the -EFAULT checks. */
static void *bad_ptr;

static void check(const char *name, int ok, const char *detail)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		printf("not ok - %s: %s\n", name, detail);
		failures++;
	}
}

/* ret/errno of one call against the errno it must fail with. */
static void expect_errno(const char *name, long ret, int want)
{
	char detail[96];
	int got = ret < 0 ? errno : 0;

	snprintf(detail, sizeof(detail), "got %s, want %s",
		 got ? strerrorname_np(got) : "success", strerrorname_np(want));
	check(name, ret < 0 && got == want, detail);
}

static int open_dev(void)
{
	int dev = open(DEV, O_RDWR | O_CLOEXEC);

	if (dev < 0) {
		fprintf(stderr, "efd_abuse: open %s: %s\n", DEV, strerror(errno));
		exit(EXIT_FAILURE);
	}
	return dev;
}

static int attach_new(int dev, int flags)
{
	struct efd_notify_attach a = {
		.fd = eventfd(0, flags | EFD_NONBLOCK | EFD_CLOEXEC),
	};

	if (a.fd < 0 || ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a)) {
		perror("efd_abuse: attach");
		exit(EXIT_FAILURE);
	}
	return a.fd;
}

static struct efd_notify_stats stats(int dev)
{
	struct efd_notify_stats st = { 0 };

	if (ioctl(dev, EFD_NOTIFY_IOC_STATS, &st))
		perror("efd_abuse: EFD_NOTIFY_IOC_STATS");
	return st;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Both firing paths at once, with budgets far beyond the test's lifetime that
 * together fill the backlog.
 */
static void fire_forever(int dev)
{
	struct efd_notify_periodic p = {
		.period_ns = 100000,
		.count = EFD_NOTIFY_MAX_COUNT / 2, .per_tick = 4,
	};
	struct efd_notify_fire f = { .count = EFD_NOTIFY_MAX_COUNT / 2 };

	if (ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p) ||
	    ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f))
		perror("efd_abuse: start firing");
	usleep(50000);
}

static void garbage(void)
{
	struct efd_notify_periodic p = { .period_ns = 1000000, .count = 1,
					 .per_tick = 1 };
	struct efd_notify_attach a = { .fd = -1 };
	struct efd_notify_fire f = { .count = 1 };
	int dev = open_dev(), efd;

	expect_errno("unknown ioctl", ioctl(dev, _IO(EFD_NOTIFY_IOC_MAGIC, 99)),
		     ENOTTY);
	expect_errno("foreign ioctl", ioctl(dev, 0x5401 /* TCGETS */, &a),
		     ENOTTY);
	expect_errno("fire before attach", ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f),
		     ENOTCONN);
	expect_errno("detach before attach",
		     ioctl(dev, EFD_NOTIFY_IOC_DETACH), ENOTCONN);
	expect_errno("attach fd -1", ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a),
		     EBADF);
	a.fd = 4000;
	expect_errno("attach closed fd", ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a),
		     EBADF);
	a.fd = dev;
	expect_errno("attach non-eventfd",
		     ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a), EINVAL);
	a.fd = eventfd(0, EFD_CLOEXEC);
	a.flags = 1;
	expect_errno("attach flags", ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a),
		     EINVAL);
	expect_errno("attach bad pointer",
		     ioctl(dev, EFD_NOTIFY_IOC_ATTACH, bad_ptr), EFAULT);
	close(a.fd);

	efd = attach_new(dev, EFD_SEMAPHORE);
	a.fd = efd;
	a.flags = 0;
	expect_errno("attach twice", ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a),
		     EBUSY);
	f.count = 0;
	expect_errno("fire 0", ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f), EINVAL);
	f.count = EFD_NOTIFY_MAX_COUNT + 1;
	expect_errno("fire too many", ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f),
		     EINVAL);
	f.count = UINT64_MAX;
	expect_errno("fire 2^64-1", ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f),
		     EINVAL);
	expect_errno("fire bad pointer",
		     ioctl(dev, EFD_NOTIFY_IOC_FIRE, bad_ptr), EFAULT);
	expect_errno("stats bad pointer",
		     ioctl(dev, EFD_NOTIFY_IOC_STATS, bad_ptr), EFAULT);
	p.period_ns = EFD_NOTIFY_MIN_PERIOD_NS - 1;
	expect_errno("period too short",
		     ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p), EINVAL);
	p.period_ns = EFD_NOTIFY_MAX_PERIOD_NS + 1;
	expect_errno("period too long",
		     ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p), EINVAL);
	p.period_ns = 1000000;
	p.per_tick = 0;
	expect_errno("per_tick 0", ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p),
		     EINVAL);
	p.per_tick = EFD_NOTIFY_MAX_PER_TICK + 1;
	expect_errno("per_tick too many",
		     ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p), EINVAL);
	p.per_tick = 1;
	p.flags = 2;
	expect_errno("periodic flags", ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p),
		     EINVAL);
	p.flags = 0;
	p.count = 1000;
	check("periodic", !ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p),
	      strerror(errno));
	expect_errno("periodic while periodic",
		     ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p), EBUSY);
	/* The backlog is burst and periodic units together. */
	f.count = EFD_NOTIFY_MAX_COUNT;
	expect_errno("fire past the backlog while periodic",
		     ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f), EBUSY);
	expect_errno("write text", write(dev, "lots", 4), EINVAL);
	expect_errno("write 0", write(dev, "0\n", 2), EINVAL);
	expect_errno("write bad pointer", write(dev, bad_ptr, 4), EFAULT);
	check("write count", write(dev, "7\n", 2) == 2, strerror(errno));
	/* Parsed whole or refused: never one unit fired for 70 bytes taken. */
	expect_errno("write longer than a count",
		     write(dev, LONG_WRITE, strlen(LONG_WRITE)), EINVAL);
	check("stop", !ioctl(dev, EFD_NOTIFY_IOC_STOP), strerror(errno));
	check("stopped: nothing pending", !stats(dev).pending, "pending > 0");
	check("detach", !ioctl(dev, EFD_NOTIFY_IOC_DETACH), strerror(errno));
	check("detached: state 0", !stats(dev).state, "state != 0");
	close(efd);
	close(dev);
}

/* Not EFD_SEMAPHORE: one read() takes everything fired, however much. */
static void stop_while_firing(void)
{
	int dev = open_dev(), efd = attach_new(dev, 0);
	struct efd_notify_stats a, b;
	char detail[96];
	uint64_t v;

	fire_forever(dev);
	check("firing: state", stats(dev).state == (EFD_NOTIFY_STATE_ATTACHED |
		EFD_NOTIFY_STATE_BURST | EFD_NOTIFY_STATE_PERIODIC), "state");
	check("stop while firing", !ioctl(dev, EFD_NOTIFY_IOC_STOP),
	      strerror(errno));
	a = stats(dev);
	usleep(20000);
	b = stats(dev);
	snprintf(detail, sizeof(detail), "fired %llu then %llu, pending %llu",
		 (unsigned long long)a.fired, (unsigned long long)b.fired,
		 (unsigned long long)b.pending);
	check("stop: nothing fires after", a.fired == b.fired && !b.pending &&
	      b.state == EFD_NOTIFY_STATE_ATTACHED, detail);
	/* Units in the eventfd are exactly the units the channel reports. */
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	snprintf(detail, sizeof(detail), "read %llu, fired %llu",
		 (unsigned long long)v, (unsigned long long)b.fired);
	check("stop: units read == fired", v == b.fired, detail);
	close(efd);
	close(dev);
}

/*
 * A counter pinned at its maximum drops units on every kernel; "fired"
 * counts what the module handed to eventfd_signal() on every kernel too.
 */
static void pinned_counter(void)
{
	int dev = open_dev(), efd = attach_new(dev, 0), i;
	struct efd_notify_fire f = { .count = 10 };
	uint64_t v = UINT64_MAX - 1;
	struct efd_notify_stats st;
	char detail[96];

	if (write(efd, &v, sizeof(v)) != sizeof(v) ||
	    ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f))
		perror("efd_abuse: saturate");
	for (i = 0; i < 200; i++) {
		st = stats(dev);
		if (!st.pending)
			break;
		usleep(10000);
	}
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	snprintf(detail, sizeof(detail), "fired %llu, pending %llu, read %#llx",
		 (unsigned long long)st.fired, (unsigned long long)st.pending,
		 (unsigned long long)v);
	check("pinned counter: fired counts every unit",
	      st.fired == 10 && !st.pending && v == UINT64_MAX, detail);
	close(efd);
	close(dev);
}

static void close_channel_while_firing(void)
{
	int dev = open_dev(), efd = attach_new(dev, EFD_SEMAPHORE);
	char detail[64];
	double t0, ms;

	fire_forever(dev);
	t0 = now_ms();
	close(dev);
	ms = now_ms() - t0;
	snprintf(detail, sizeof(detail), "close took %.1f ms", ms);
	check("close channel while firing", ms < 2000, detail);
	close(efd);
}

static void close_eventfd_while_firing(void)
{
	int dev = open_dev(), efd = attach_new(dev, EFD_SEMAPHORE);
	struct efd_notify_stats st;
	char detail[96];
	int i;

	fire_forever(dev);
	close(efd);
	for (i = 0; i < 200; i++) {
		st = stats(dev);
		if (st.state == EFD_NOTIFY_STATE_HUP)
			break;
		usleep(10000);
	}
	snprintf(detail, sizeof(detail), "state %#x pending %llu", st.state,
		 (unsigned long long)st.pending);
	check("close eventfd while firing: channel detaches",
	      st.state == EFD_NOTIFY_STATE_HUP && !st.pending, detail);
	/* The channel is reusable after the HUP. */
	efd = attach_new(dev, EFD_SEMAPHORE);
	check("attach after HUP", stats(dev).state == EFD_NOTIFY_STATE_ATTACHED,
	      "state");
	close(efd);
	close(dev);
}

static void unload_while_open(void)
{
	int dev = open_dev(), efd = attach_new(dev, EFD_SEMAPHORE);
	long ret;

	fire_forever(dev);
	ret = syscall(SYS_delete_module, EFD_NOTIFY_NAME, O_NONBLOCK);
	expect_errno("rmmod refused while a channel fires", ret, EAGAIN);
	close(dev);
	close(efd);
}

static void permissions(void)
{
	struct stat sb;
	char detail[32];

	if (stat(DEV, &sb)) {
		check("device mode 0600", 0, strerror(errno));
		return;
	}
	snprintf(detail, sizeof(detail), "mode %04o", sb.st_mode & 07777);
	check("device mode 0600", S_ISCHR(sb.st_mode) &&
	      (sb.st_mode & 07777) == 0600, detail);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bad_ptr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_ptr == MAP_FAILED) {
		perror("efd_abuse: mmap");
		return EXIT_FAILURE;
	}
	permissions();
	garbage();
	stop_while_firing();
	pinned_counter();
	close_channel_while_firing();
	close_eventfd_while_firing();
	unload_while_open();
	printf("efd_abuse: %d failure(s)\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
