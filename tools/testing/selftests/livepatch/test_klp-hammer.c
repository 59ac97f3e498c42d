// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp-hammer [SECONDS]: call getpid() in a tight loop, through
 * syscall() so that no C library cache avoids the kernel, until killed or
 * until SECONDS (default 60) have passed.  Each call enters and leaves
 * the kernel, where a live patch transition can switch the process.
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	long seconds = 60;
	unsigned long n;
	time_t end;

	if (argc == 2)
		seconds = atol(argv[1]);
	if (argc > 2 || seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
		return 2;
	}

	end = time(NULL) + seconds;
	for (n = 0; ; n++) {
		syscall(SYS_getpid);
		/* time() is cheap (vDSO): look at the clock now and then. */
		if (!(n & 0xfff) && time(NULL) >= end)
			break;
	}
	return 0;
}
