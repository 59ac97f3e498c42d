// SPDX-License-Identifier: GPL-2.0
/*
 * Live patches for the atomic replace tests.  Each replaces a chosen set
 * of functions whose effect user space can read: cmdline_proc_show()
 * (/proc/cmdline) and version_proc_show() (/proc/version) in vmlinux,
 * test_klp_target_value() in the module test_klp_target.  The replacements
 * print or return something that names the patch, so a test sees which
 * patch serves each function.
 *
 * test_klp_replace_a replaces /proc/cmdline and /proc/version; the other
 * test_klp_replace_* modules are built from this file with other choices.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#define TEST_CMDLINE	BIT(0)
#define TEST_VERSION	BIT(1)
#define TEST_TARGET	BIT(2)

#ifndef TEST_FUNCS
#define TEST_FUNCS	(TEST_CMDLINE | TEST_VERSION)
#endif
#ifndef TEST_REPLACE
#define TEST_REPLACE	false
#endif
/* What the replacement of test_klp_target_value() returns. */
#ifndef TEST_VALUE
#define TEST_VALUE	10
#endif

/* A variant may leave any of the replacements out. */
static int __maybe_unused
test_klp_replace_cmdline_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: cmdline\n", KBUILD_MODNAME);
	return 0;
}

static int __maybe_unused
test_klp_replace_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: version\n", KBUILD_MODNAME);
	return 0;
}

static int __maybe_unused test_klp_replace_value(void)
{
	return TEST_VALUE;
}

static struct klp_func test_klp_replace_vmlinux_funcs[] = {
#if TEST_FUNCS & TEST_CMDLINE
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_replace_cmdline_show,
	},
#endif
#if TEST_FUNCS & TEST_VERSION
	{
		.old_name = "version_proc_show",
		.new_func = test_klp_replace_version_show,
	},
#endif
	{ }
};

static struct klp_func test_klp_replace_target_funcs[] __maybe_unused = {
	{
		.old_name = "test_klp_target_value",
		.new_func = test_klp_replace_value,
	},
	{ }
};

static struct klp_object test_klp_replace_objs[] = {
#if TEST_FUNCS & (TEST_CMDLINE | TEST_VERSION)
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_replace_vmlinux_funcs,
	},
#endif
#if TEST_FUNCS & TEST_TARGET
	{
		.name = "test_klp_target",
		.funcs = test_klp_replace_target_funcs,
	},
#endif
	{ }
};

static struct klp_patch test_klp_replace_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_replace_objs,
	.replace = TEST_REPLACE,
};

static int __init test_klp_replace_init(void)
{
	return klp_enable_patch(&test_klp_replace_patch);
}

static void __exit test_klp_replace_exit(void)
{
}

module_init(test_klp_replace_init);
module_exit(test_klp_replace_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patches for the atomic replace tests");
