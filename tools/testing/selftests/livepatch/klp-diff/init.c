// SPDX-License-Identifier: GPL-2.0
/* The fix changes boot-time code. */
#define __init __attribute__((section(".init.text"), cold, noinline))

extern int register_driver(const char *name, int flags);

int __init driver_init(void)
{
	return register_driver("demo", 1);
}

int driver_flags(void)
{
	return 1;
}
