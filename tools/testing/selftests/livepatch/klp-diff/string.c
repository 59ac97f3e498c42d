// SPDX-License-Identifier: GPL-2.0
/* The fix changes the text of one string literal. */
extern int printk(const char *fmt, ...);

int dev_open(int minor)
{
	printk("dev_open: minor %d\n", minor);
	return 0;
}

int dev_close(int minor)
{
	printk("dev_close: minor %d\n", minor);
	return 0;
}
