// SPDX-License-Identifier: GPL-2.0
/*
 * The fix changes a function with a static local variable: the local keeps
 * its meaning but gcc numbers it count.1 instead of count.0.
 */
extern int log_msg(const char *fmt, ...);

int tick(int x)
{
	static int count;

	count += x;
	return count;
}
