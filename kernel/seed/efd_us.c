// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's user program, modernised: create an eventfd, print its
 * descriptor and our pid, wait in select() until someone signals it (e.g.
 * "insmod efd_notify.ko pid=PID efd=EFD"), then read and print the counter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

int main(void)
{
	uint64_t value;
	fd_set rfds;
	int efd, ret;

	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		perror("eventfd");
		return EXIT_FAILURE;
	}
	printf("efd=%d pid=%d\n", efd, (int)getpid());
	printf("waiting in select()...\n");
	fflush(stdout);

	do {
		FD_ZERO(&rfds);
		FD_SET(efd, &rfds);
		ret = select(efd + 1, &rfds, NULL, NULL, NULL);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		perror("select");
		return EXIT_FAILURE;
	}

	if (read(efd, &value, sizeof(value)) != sizeof(value)) {
		perror("read");
		return EXIT_FAILURE;
	}
	printf("select() returned, read value=%" PRIu64 "\n", value);
	return EXIT_SUCCESS;
}
