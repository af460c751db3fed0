// SPDX-License-Identifier: GPL-2.0
/*
 * The C baseline: one thread reading units that /dev/efd_notify fires.
 *
 *   efd_reader burst N             fire N by ioctl, read them one by one
 *   efd_reader write N             the same, fired by write("N") on the channel
 *   efd_reader periodic N PERIOD   fire N by hrtimer, one per PERIOD ns
 *   efd_reader hold SECONDS        print "efd=F pid=P", sleep, print the count
 *
 * Reads use an EFD_SEMAPHORE eventfd, so each read() takes exactly one unit;
 * a unit read twice or lost shows up as a count mismatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "efd_notify.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "efd_reader: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

static int hold(unsigned int seconds)
{
	uint64_t value = 0;
	int efd = eventfd(0, EFD_NONBLOCK);

	if (efd < 0)
		die("eventfd");
	printf("efd=%d pid=%d\n", efd, (int)getpid());
	fflush(stdout);
	sleep(seconds);
	if (read(efd, &value, sizeof(value)) < 0 && errno != EAGAIN)
		die("read");
	printf("held value=%" PRIu64 "\n", value);
	return EXIT_SUCCESS;
}

static void start(int dev, const char *mode, uint64_t n, uint64_t period)
{
	struct efd_notify_periodic p = {
		.period_ns = period, .count = n, .per_tick = 1,
	};
	struct efd_notify_fire f = { .count = n };
	char text[32];
	int len;

	if (!strcmp(mode, "burst")) {
		if (ioctl(dev, EFD_NOTIFY_IOC_FIRE, &f))
			die("EFD_NOTIFY_IOC_FIRE");
	} else if (!strcmp(mode, "write")) {
		len = snprintf(text, sizeof(text), "%" PRIu64 "\n", n);
		if (write(dev, text, len) != len)
			die("write");
	} else if (!strcmp(mode, "periodic")) {
		if (ioctl(dev, EFD_NOTIFY_IOC_PERIODIC, &p))
			die("EFD_NOTIFY_IOC_PERIODIC");
	} else {
		errno = EINVAL;
		die(mode);
	}
}

int main(int argc, char **argv)
{
	struct efd_notify_attach a = { 0 };
	struct efd_notify_stats st;
	uint64_t n, got = 0, value, period;
	double t0, ms;
	int dev;

	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(strtoul(argv[2], NULL, 10));
	if (argc < 3) {
		fprintf(stderr, "usage: efd_reader burst|write|periodic N [PERIOD_NS] | hold SECONDS\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	period = argc > 3 ? strtoull(argv[3], NULL, 10) : 100000;

	dev = open("/dev/" EFD_NOTIFY_NAME, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/" EFD_NOTIFY_NAME);
	a.fd = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
	if (a.fd < 0)
		die("eventfd");
	if (ioctl(dev, EFD_NOTIFY_IOC_ATTACH, &a))
		die("EFD_NOTIFY_IOC_ATTACH");

	t0 = now_ms();
	start(dev, argv[1], n, period);
	while (got < n) {
		if (read(a.fd, &value, sizeof(value)) != sizeof(value))
			die("read");
		got += value;
	}
	ms = now_ms() - t0;

	/* The worker counts a batch after signalling it: allow it to catch up. */
	for (int i = 0; i < 100; i++) {
		if (ioctl(dev, EFD_NOTIFY_IOC_STATS, &st))
			die("EFD_NOTIFY_IOC_STATS");
		if (st.fired >= n)
			break;
		usleep(10000);
	}
	/* Nothing may be left over: one more unit would block forever. */
	if (fcntl(a.fd, F_SETFL, O_NONBLOCK) ||
	    read(a.fd, &value, sizeof(value)) >= 0 || errno != EAGAIN) {
		fprintf(stderr, "efd_reader: a unit beyond %" PRIu64 "\n", n);
		return EXIT_FAILURE;
	}
	printf("reader mode=%s units=%" PRIu64 " fired=%llu pending=%llu ms=%.1f rate=%.0f\n",
	       argv[1], got, (unsigned long long)st.fired,
	       (unsigned long long)st.pending, ms, got / (ms / 1e3));
	return st.fired == n && !st.pending ? EXIT_SUCCESS : EXIT_FAILURE;
}
