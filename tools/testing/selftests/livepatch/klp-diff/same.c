// SPDX-License-Identifier: GPL-2.0
/* The fix only changes comments and white space. */
extern int log_msg(const char *fmt, ...);

static int counter;

int bump(int by)
{
	counter += by;
	log_msg("counter: %d\n", counter);
	return counter;
}
