// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: the target of the live patching hammer
 * (test_klp_hammer.h).  test_klp_hammer_outer() calls
 * test_klp_hammer_inner() twice; both are variant 0.  The module attaches
 * the outer function to the callers of test_klp_hammer as it loads, and
 * detaches it, waiting for the calls in flight, as it goes: the hammer
 * loads and unloads it while live patches of both functions are enabled.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/module.h>

#include "test_klp_hammer.h"

/* Read, not a constant: the compiler cannot use it in place of a call. */
static int test_klp_hammer_id;

noinline int test_klp_hammer_inner(void)
{
	test_klp_hammer_hit(READ_ONCE(test_klp_hammer_id), TEST_KLP_HAMMER_INNER);
	return READ_ONCE(test_klp_hammer_id);
}

noinline int test_klp_hammer_outer(void)
{
	int inner1, inner2;

	inner1 = test_klp_hammer_inner();
	inner2 = test_klp_hammer_inner();
	test_klp_hammer_hit(READ_ONCE(test_klp_hammer_id), TEST_KLP_HAMMER_OUTER);
	return test_klp_hammer_result(READ_ONCE(test_klp_hammer_id), inner1, inner2);
}

static int __init test_klp_hammer_target_init(void)
{
	return test_klp_hammer_attach(test_klp_hammer_outer);
}

static void __exit test_klp_hammer_target_exit(void)
{
	test_klp_hammer_detach();
}

module_init(test_klp_hammer_target_init);
module_exit(test_klp_hammer_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: the functions the live patching hammer patches");
