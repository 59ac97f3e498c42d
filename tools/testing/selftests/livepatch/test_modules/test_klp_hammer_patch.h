/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body of the live patches of the hammer, test_klp_hammer_pN.c, which
 * define TEST_KLP_HAMMER_ID (N) and TEST_KLP_HAMMER_REPLACE (whether the
 * patch is cumulative) before they include it.  The patch replaces
 * test_klp_hammer_outer() and test_klp_hammer_inner() of
 * test_klp_hammer_target with test_klp_hammer_pN_outer() and
 * test_klp_hammer_pN_inner(), variant N (test_klp_hammer.h).  The new
 * outer function calls the inner function of the target, whichever
 * variant the calling task's universe gives it: the Makefile turns the
 * reference into a .klp.rela relocation, the target being a module that
 * comes and goes.
 *
 * Parameters: while "hold" is set, a task that calls the new outer
 * function waits in it, before the inner calls, until "hold" is cleared
 * (interrupts do not wait); "holds" counts the tasks that waited.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>

#include "test_klp_hammer.h"

#define TEST_KLP_HAMMER_FN(name) \
	__PASTE(__PASTE(test_klp_hammer_p, TEST_KLP_HAMMER_ID), _##name)

/*
 * Not exported by the target: weak, so that modpost lets the module
 * build, until the Makefile turns it into a live patch symbol.
 */
asm(".weak test_klp_hammer_inner");

static bool hold;
module_param(hold, bool, 0644);
MODULE_PARM_DESC(hold, "Tasks that call the outer function wait in it while set");

static atomic_long_t test_klp_hammer_holds = ATOMIC_LONG_INIT(0);

static int test_klp_hammer_holds_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%ld\n",
			 atomic_long_read(&test_klp_hammer_holds));
}

static const struct kernel_param_ops test_klp_hammer_holds_ops = {
	.get = test_klp_hammer_holds_get,
};
module_param_cb(holds, &test_klp_hammer_holds_ops, NULL, 0444);
MODULE_PARM_DESC(holds, "Tasks that waited in the outer function");

static noinline int TEST_KLP_HAMMER_FN(inner)(void)
{
	test_klp_hammer_hit(TEST_KLP_HAMMER_ID, TEST_KLP_HAMMER_INNER);
	return TEST_KLP_HAMMER_ID;
}

static noinline int TEST_KLP_HAMMER_FN(outer)(void)
{
	int inner1, inner2;

	if (READ_ONCE(hold) && in_task()) {
		atomic_long_inc(&test_klp_hammer_holds);
		while (READ_ONCE(hold))
			usleep_range(1000, 2000);
	}
	inner1 = test_klp_hammer_inner();
	inner2 = test_klp_hammer_inner();
	test_klp_hammer_hit(TEST_KLP_HAMMER_ID, TEST_KLP_HAMMER_OUTER);
	return test_klp_hammer_result(TEST_KLP_HAMMER_ID, inner1, inner2);
}

static struct klp_func test_klp_hammer_funcs[] = {
	{
		.old_name = "test_klp_hammer_outer",
		.new_func = TEST_KLP_HAMMER_FN(outer),
	},
	{
		.old_name = "test_klp_hammer_inner",
		.new_func = TEST_KLP_HAMMER_FN(inner),
	},
	{ }
};

static struct klp_object test_klp_hammer_objs[] = {
	{
		.name = "test_klp_hammer_target",
		.funcs = test_klp_hammer_funcs,
	},
	{ }
};

static struct klp_patch test_klp_hammer_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_hammer_objs,
	.replace = TEST_KLP_HAMMER_REPLACE,
};

static int __init test_klp_hammer_patch_init(void)
{
	return klp_enable_patch(&test_klp_hammer_patch);
}

static void __exit test_klp_hammer_patch_exit(void)
{
}

module_init(test_klp_hammer_patch_init);
module_exit(test_klp_hammer_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
