// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch of a module function: test_klp_target_value() of the module
 * test_klp_target returns 2 instead of 1.  The target may be loaded before
 * or after this patch.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

static int test_klp_mod_value(void)
{
	return 2;
}

static struct klp_func test_klp_mod_funcs[] = {
	{
		.old_name = "test_klp_target_value",
		.new_func = test_klp_mod_value,
	},
	{ }
};

static struct klp_object test_klp_mod_objs[] = {
	{
		.name = "test_klp_target",
		.funcs = test_klp_mod_funcs,
	},
	{ }
};

static struct klp_patch test_klp_mod_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_mod_objs,
};

static int __init test_klp_mod_init(void)
{
	return klp_enable_patch(&test_klp_mod_patch);
}

static void __exit test_klp_mod_exit(void)
{
}

module_init(test_klp_mod_init);
module_exit(test_klp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: replace a function of test_klp_target");
