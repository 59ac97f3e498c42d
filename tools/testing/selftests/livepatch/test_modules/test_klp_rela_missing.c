// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: a live patch of cmdline_proc_show() whose .klp.rela
 * relocation names a symbol vmlinux does not have,
 * .klp.sym.vmlinux.test_klp_rela_missing_symbol,0.  The module must be
 * refused at load, before any of its code runs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/*
 * vmlinux has no such symbol: weak, so that modpost lets the module build,
 * until the Makefile turns it into a live patch symbol.
 */
extern int test_klp_rela_missing_symbol(struct seq_file *m);
asm(".weak test_klp_rela_missing_symbol");

static int test_klp_rela_missing_show(struct seq_file *m, void *v)
{
	return test_klp_rela_missing_symbol(m);
}

static struct klp_func test_klp_rela_missing_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_rela_missing_show,
	},
	{ }
};

static struct klp_object test_klp_rela_missing_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_rela_missing_funcs,
	},
	{ }
};

static struct klp_patch test_klp_rela_missing_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_rela_missing_objs,
};

static int __init test_klp_rela_missing_init(void)
{
	return klp_enable_patch(&test_klp_rela_missing_patch);
}

static void __exit test_klp_rela_missing_exit(void)
{
}

module_init(test_klp_rela_missing_init);
module_exit(test_klp_rela_missing_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: .klp.rela relocation against a symbol vmlinux lacks");
