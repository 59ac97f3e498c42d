// SPDX-License-Identifier: GPL-2.0
/* The fix only changes comments and white space. */
extern int printk(const char *fmt, ...);

static int counter;

int bump(int by)
{
	counter += by;
	printk("bump: %d\n", counter);
	return counter;
}
