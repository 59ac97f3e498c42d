// SPDX-License-Identifier: GPL-2.0
/*
 * klp-sleepers N: start N threads that sleep in the kernel (nanosleep)
 * until the process is killed; prints "ready" when all are asleep.
 * For the benchmark's scale scenario (P5).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1000);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	pthread_attr_t attr;
	pthread_t t;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		if (pthread_create(&t, &attr, sleeper, NULL)) {
			fprintf(stderr, "klp-sleepers: only %d threads\n", i);
			break;
		}
	}
	printf("ready %d\n", i);
	fflush(stdout);
	for (;;)
		pause();
}
