// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch of test_klp_busy_sleeper() of the module test_klp_busy.  The
 * replacement behaves the same, sleeping while the "block" parameter of
 * test_klp_busy is set, but counts its calls in the read-only parameter
 * "new_calls" of this module: a test can tell which variant the kthread
 * runs.
 *
 * test_klp_busy gives its kthread, the only caller, a pointer to its
 * "block" flag as kthread_data(); this module does not link to it.
 *
 * test_klp_busy_hold(), where user tasks that write to
 * /proc/test_klp_busy_hold sleep, is replaced by a function that sleeps
 * the same way, until a signal other than a fake one is pending (without
 * counting them in "holders").
 *
 * With with_target=1 the patch also replaces test_klp_target_value() of
 * the module test_klp_target, whose replacement returns 2: a test can see
 * in /sys/kernel/test_klp_target/value whether that module is patched.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

static bool with_target;
module_param(with_target, bool, 0400);
MODULE_PARM_DESC(with_target, "Also replace test_klp_target_value() of test_klp_target");

static unsigned long new_calls;
module_param(new_calls, ulong, 0444);
MODULE_PARM_DESC(new_calls, "Calls of the replacement of test_klp_busy_sleeper()");

static noinline void test_klp_busy_patch_sleeper(void)
{
	const bool *block = kthread_data(current);

	WRITE_ONCE(new_calls, new_calls + 1);
	while (READ_ONCE(*block) && !kthread_should_stop())
		usleep_range(5000, 6000);
}

static noinline void test_klp_busy_patch_hold(void)
{
	while (!task_sigpending(current))
		msleep(20);
}

static struct klp_func test_klp_busy_patch_funcs[] = {
	{
		.old_name = "test_klp_busy_sleeper",
		.new_func = test_klp_busy_patch_sleeper,
	},
	{
		.old_name = "test_klp_busy_hold",
		.new_func = test_klp_busy_patch_hold,
	},
	{ }
};

static int test_klp_busy_patch_value(void)
{
	return 2;
}

static struct klp_func test_klp_busy_patch_target_funcs[] = {
	{
		.old_name = "test_klp_target_value",
		.new_func = test_klp_busy_patch_value,
	},
	{ }
};

/* The second object is cut off unless with_target is set. */
static struct klp_object test_klp_busy_patch_objs[] = {
	{
		.name = "test_klp_busy",
		.funcs = test_klp_busy_patch_funcs,
	},
	{
		.name = "test_klp_target",
		.funcs = test_klp_busy_patch_target_funcs,
	},
	{ }
};

static struct klp_patch test_klp_busy_patch_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_busy_patch_objs,
};

static int __init test_klp_busy_patch_init(void)
{
	if (!with_target)
		memset(&test_klp_busy_patch_objs[1], 0,
		       sizeof(test_klp_busy_patch_objs[1]));
	return klp_enable_patch(&test_klp_busy_patch_patch);
}

static void __exit test_klp_busy_patch_exit(void)
{
}

module_init(test_klp_busy_patch_init);
module_exit(test_klp_busy_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: replace test_klp_busy_sleeper()");
