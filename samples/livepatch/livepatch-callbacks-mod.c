// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-callbacks-mod.c - a module for livepatch-callbacks-demo to
 * patch
 *
 * The module does nothing but answer reads of its parameter "greeting".
 * livepatch-callbacks-demo replaces the function that answers, and runs
 * its callbacks for this module's object when the module comes and goes
 * while the patch is enabled, and when the patch is enabled or disabled
 * while the module is loaded:
 *
 *	# insmod livepatch-callbacks-mod.ko
 *	$ cat /sys/module/livepatch_callbacks_mod/parameters/greeting
 *	hello from livepatch_callbacks_mod
 *	# insmod livepatch-callbacks-demo.ko
 *	$ cat /sys/module/livepatch_callbacks_mod/parameters/greeting
 *	hello from livepatch_callbacks_demo
 *	# rmmod livepatch_callbacks_mod
 *	$ dmesg | tail -2
 *	livepatch_callbacks_demo: pre_unpatch: livepatch_callbacks_mod (going)
 *	livepatch_callbacks_demo: post_unpatch: livepatch_callbacks_mod (going)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

/* The function the demo replaces; its address is taken, it has a symbol. */
static int callbacks_mod_greeting_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "hello from %s\n", KBUILD_MODNAME);
}

static const struct kernel_param_ops callbacks_mod_greeting_ops = {
	.get = callbacks_mod_greeting_get,
};
module_param_cb(greeting, &callbacks_mod_greeting_ops, NULL, 0444);
MODULE_PARM_DESC(greeting, "Says who answers");

static int __init callbacks_mod_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit callbacks_mod_exit(void)
{
	pr_info("unloading\n");
}

module_init(callbacks_mod_init);
module_exit(callbacks_mod_exit);
MODULE_DESCRIPTION("Live patch sample: a module for livepatch-callbacks-demo to patch");
MODULE_LICENSE("GPL");
