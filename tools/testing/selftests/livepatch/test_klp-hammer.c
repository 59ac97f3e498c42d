// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp-hammer [SECONDS [FILE]]: call getpid() in a tight loop, through
 * syscall() so that no C library cache avoids the kernel, until killed or
 * until SECONDS (default 60) have passed.  Each call enters and leaves
 * the kernel, where a live patch transition can switch the process.
 *
 * With FILE, read FILE from its start instead of calling getpid(): the
 * calls of a function behind a file of a test module, made from user
 * space.  A read that fails ends the program with status 1.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	long seconds = 60;
	unsigned long n;
	char buf[64];
	int fd = -1;
	time_t end;

	if (argc >= 2)
		seconds = atol(argv[1]);
	if (argc > 3 || seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS [FILE]]\n", argv[0]);
		return 2;
	}
	if (argc == 3) {
		fd = open(argv[2], O_RDONLY);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
	}

	end = time(NULL) + seconds;
	for (n = 0; ; n++) {
		if (fd < 0) {
			syscall(SYS_getpid);
		} else if (pread(fd, buf, sizeof(buf), 0) < 0) {
			perror(argv[2]);
			return 1;
		}
		/* time() is cheap (vDSO): look at the clock now and then. */
		if (!(n & 0xfff) && time(NULL) >= end)
			break;
	}
	return 0;
}
