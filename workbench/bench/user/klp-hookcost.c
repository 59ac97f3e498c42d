// SPDX-License-Identifier: GPL-2.0
/*
 * klp-hookcost syscall|fork N: what the paths that live patching hooks
 * cost, measured from user space:
 *   syscall  N calls of getppid(), a system call that does nearly
 *            nothing: prints picoseconds per call;
 *   fork     N times fork(), _exit() in the child, waitpid() in the
 *            parent: prints nanoseconds per round.
 * For the benchmark's hook cost scenario (P7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n, i;
	long long t0, dt;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s syscall|fork N\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "syscall")) {
		t0 = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		dt = now_ns() - t0;
		printf("%lld\n", dt * 1000 / n);
		return 0;
	}
	if (!strcmp(argv[1], "fork")) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (!pid)
				_exit(0);
			if (waitpid(pid, NULL, 0) != pid) {
				perror("waitpid");
				return 1;
			}
		}
		dt = now_ns() - t0;
		printf("%lld\n", dt / n);
		return 0;
	}
	fprintf(stderr, "usage: %s syscall|fork N\n", argv[0]);
	return 2;
}
