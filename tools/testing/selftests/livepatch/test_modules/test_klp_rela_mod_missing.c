// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: a live patch of test_klp_rela_target whose .klp.rela
 * relocation names a symbol the target does not have,
 * .klp.sym.test_klp_rela_target.test_klp_rela_target_missing,0.  The
 * patch is refused while the target is loaded; while the patch is
 * enabled, the target is refused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

/*
 * The target has no such symbol: weak, so that modpost lets the module
 * build, until the Makefile turns it into a live patch symbol.
 */
extern int test_klp_rela_target_missing(void);
asm(".weak test_klp_rela_target_missing");

static int test_klp_rela_mod_missing_value(void)
{
	return test_klp_rela_target_missing();
}

static struct klp_func test_klp_rela_mod_missing_funcs[] = {
	{
		.old_name = "test_klp_rela_target_value",
		.new_func = test_klp_rela_mod_missing_value,
	},
	{ }
};

static struct klp_object test_klp_rela_mod_missing_objs[] = {
	{
		.name = "test_klp_rela_target",
		.funcs = test_klp_rela_mod_missing_funcs,
	},
	{ }
};

static struct klp_patch test_klp_rela_mod_missing_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_rela_mod_missing_objs,
};

static int __init test_klp_rela_mod_missing_init(void)
{
	return klp_enable_patch(&test_klp_rela_mod_missing_patch);
}

static void __exit test_klp_rela_mod_missing_exit(void)
{
}

module_init(test_klp_rela_mod_missing_init);
module_exit(test_klp_rela_mod_missing_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: .klp.rela relocation against a symbol the target module lacks");
