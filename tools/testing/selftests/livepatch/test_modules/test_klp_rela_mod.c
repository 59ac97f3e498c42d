// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch that reaches symbols its target module does not export:
 * test_klp_rela_target_value() of test_klp_rela_target, which returns the
 * target's "seed", is replaced by a function that returns
 * test_klp_rela_target_scale(seed) + 1, both symbols being static in the
 * target.  The Makefile turns the references into .klp.rela relocations
 * against .klp.sym.test_klp_rela_target.<symbol>,0, which the live patch
 * core writes whenever the target comes and clears when it goes or is
 * refused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

/*
 * Not exported by the target: weak, so that modpost lets the module build,
 * until the Makefile turns them into live patch symbols.
 */
extern int test_klp_rela_target_seed;
extern int test_klp_rela_target_scale(int value);
asm(".weak test_klp_rela_target_seed");
asm(".weak test_klp_rela_target_scale");

/*
 * With fail_pre_patch set, the target is refused as it comes, after the
 * core wrote the relocations against it: they must be cleared again.
 */
static bool test_klp_rela_mod_fail;
module_param_named(fail_pre_patch, test_klp_rela_mod_fail, bool, 0644);
MODULE_PARM_DESC(fail_pre_patch, "refuse test_klp_rela_target as it comes");

static int test_klp_rela_mod_pre_patch(struct klp_object *obj)
{
	return READ_ONCE(test_klp_rela_mod_fail) ? -EPERM : 0;
}

static int test_klp_rela_mod_value(void)
{
	return test_klp_rela_target_scale(READ_ONCE(test_klp_rela_target_seed)) + 1;
}

static struct klp_func test_klp_rela_mod_funcs[] = {
	{
		.old_name = "test_klp_rela_target_value",
		.new_func = test_klp_rela_mod_value,
	},
	{ }
};

static struct klp_object test_klp_rela_mod_objs[] = {
	{
		.name = "test_klp_rela_target",
		.funcs = test_klp_rela_mod_funcs,
		.callbacks = {
			.pre_patch = test_klp_rela_mod_pre_patch,
		},
	},
	{ }
};

static struct klp_patch test_klp_rela_mod_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_rela_mod_objs,
};

static int __init test_klp_rela_mod_init(void)
{
	return klp_enable_patch(&test_klp_rela_mod_patch);
}

static void __exit test_klp_rela_mod_exit(void)
{
}

module_init(test_klp_rela_mod_init);
module_exit(test_klp_rela_mod_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: reach static symbols of a module through .klp.rela relocations");
