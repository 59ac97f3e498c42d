// SPDX-License-Identifier: GPL-2.0
/* The fix changes the text of one string literal. */
extern int log_msg(const char *fmt, ...);

int dev_open(int minor)
{
	log_msg("open: minor %d\n", minor);
	return 0;
}

int dev_close(int minor)
{
	log_msg("close: minor %d\n", minor);
	return 0;
}
