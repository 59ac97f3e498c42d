// SPDX-License-Identifier: GPL-2.0
/*
 * A second live patch of cmdline_proc_show(), to be stacked with
 * test_klp_vmlinux: /proc/cmdline names the patch whose replacement runs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_klp_vmlinux2_cmdline_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: this has been live patched\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func test_klp_vmlinux2_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_vmlinux2_cmdline_show,
	},
	{ }
};

static struct klp_object test_klp_vmlinux2_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_vmlinux2_funcs,
	},
	{ }
};

static struct klp_patch test_klp_vmlinux2_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_vmlinux2_objs,
};

static int __init test_klp_vmlinux2_init(void)
{
	return klp_enable_patch(&test_klp_vmlinux2_patch);
}

static void __exit test_klp_vmlinux2_exit(void)
{
}

module_init(test_klp_vmlinux2_init);
module_exit(test_klp_vmlinux2_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: replace cmdline_proc_show() again, for stacking");
