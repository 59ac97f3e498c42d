// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp-getpid-watch FILE: call getpid() in a loop, through syscall()
 * so that no C library cache avoids the kernel, until SIGTERM arrives or
 * 60 s have passed, and tell which variant of the system call answered
 * each call: the kernel's ("old"), which returns the pid, or the one of
 * the live patch test_klp_getpid ("new"), which returns the pid plus
 * 0x10000000.
 *
 * FILE is created once the first call has returned.  On exit one line is
 * written to it:
 *
 *	<pid> changes=<n> first=<old|new> last=<old|new> errors=<n>
 *
 * changes counts the calls answered by another variant than the call
 * before, first and last name the variants of the first and of the last
 * call, errors counts the results that are neither.  Under the
 * consistency model a process switches at most once per transition: one
 * transition that enables the patch and one that disables it give
 * "changes=2 first=old last=old errors=0".
 *
 * The direction of each change goes to standard error as well when the
 * changes do not come in that pair, or when a result was wrong.
 */

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MARK		0x10000000L
#define SECONDS		60
#define MAX_LOGGED	16

enum variant { OLD, NEW };

static const char * const variant_name[] = { "old", "new" };

/* Set by the SIGTERM handler: lock-free, so safe in a handler. */
static atomic_int stop;

/* The first changes: after which call, and to which variant. */
static struct {
	unsigned long call;
	enum variant to;
} changes_log[MAX_LOGGED];

static void on_sigterm(int sig)
{
	atomic_store(&stop, 1);
}

int main(int argc, char *argv[])
{
	unsigned long n, changes = 0, errors = 0, i;
	enum variant first, last, v;
	long pid, ret, bad = 0;
	struct sigaction sa;
	FILE *out;
	time_t end;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL)) {
		perror("sigaction");
		return 1;
	}

	/*
	 * The real pid, from a system call the patch does not replace: the
	 * only thread of a process has the pid as its thread id.
	 */
	pid = syscall(SYS_gettid);
	end = time(NULL) + SECONDS;

	ret = syscall(SYS_getpid);
	if (ret == pid) {
		first = OLD;
	} else if (ret == pid + MARK) {
		first = NEW;
	} else {
		fprintf(stderr, "%ld: getpid() returned %ld\n", pid, ret);
		return 1;
	}
	last = first;

	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}

	for (n = 1; !atomic_load(&stop); n++) {
		ret = syscall(SYS_getpid);
		if (ret == pid || ret == pid + MARK) {
			v = ret == pid ? OLD : NEW;
			if (v != last) {
				if (changes < MAX_LOGGED) {
					changes_log[changes].call = n;
					changes_log[changes].to = v;
				}
				changes++;
				last = v;
			}
		} else if (!errors++) {
			bad = ret;
		}
		/* time() is cheap (vDSO): look at the clock now and then. */
		if (!(n & 0xfff) && time(NULL) >= end)
			break;
	}

	if (errors || changes != 2 || first != OLD) {
		fprintf(stderr, "%ld: %lu calls, first %s\n", pid, n,
			variant_name[first]);
		for (i = 0; i < changes && i < MAX_LOGGED; i++)
			fprintf(stderr, "%ld: call %lu: %s -> %s\n", pid,
				changes_log[i].call,
				variant_name[!changes_log[i].to],
				variant_name[changes_log[i].to]);
		if (errors)
			fprintf(stderr, "%ld: %lu wrong results, first %ld\n",
				pid, errors, bad);
	}

	fprintf(out, "%ld changes=%lu first=%s last=%s errors=%lu\n", pid,
		changes, variant_name[first], variant_name[last], errors);
	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
