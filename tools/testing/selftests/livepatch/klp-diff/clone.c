// SPDX-License-Identifier: GPL-2.0
/* The fix changes a function that gcc only emits as a .constprop clone. */
extern int log_msg(const char *fmt, ...);

static int __attribute__((noinline)) scale(int value, int factor, int unused)
{
	if (value > 1000)
		log_msg("large value %d\n", value);
	return value * factor + 3;
}

int scale_small(int v)
{
	return scale(v, 3, 0);
}

int scale_big(int v)
{
	return scale(v + 7, 3, 0);
}
