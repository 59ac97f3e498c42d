// SPDX-License-Identifier: GPL-2.0
/*
 * A well-formed patch of cmdline_proc_show() in a module that lacks the
 * "livepatch" modinfo tag: klp_enable_patch() must refuse it, and the
 * module fails to load with the error it returns.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_klp_nomodinfo_cmdline_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: this has been live patched\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func test_klp_nomodinfo_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_nomodinfo_cmdline_show,
	},
	{ }
};

static struct klp_object test_klp_nomodinfo_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_nomodinfo_funcs,
	},
	{ }
};

static struct klp_patch test_klp_nomodinfo_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_nomodinfo_objs,
};

static int __init test_klp_nomodinfo_init(void)
{
	return klp_enable_patch(&test_klp_nomodinfo_patch);
}

static void __exit test_klp_nomodinfo_exit(void)
{
}

module_init(test_klp_nomodinfo_init);
module_exit(test_klp_nomodinfo_exit);
MODULE_LICENSE("GPL");
/* No MODULE_INFO(livepatch, "Y"): that is the point of this module. */
MODULE_DESCRIPTION("Livepatch selftest: live patch without the livepatch modinfo tag");
