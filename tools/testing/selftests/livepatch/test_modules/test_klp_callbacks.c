// SPDX-License-Identifier: GPL-2.0
/*
 * A live patch of cmdline_proc_show() with callbacks on its vmlinux
 * object.  Each callback appends its name to the read-only parameter
 * "calls"; with fail_pre=1, pre_patch fails with -EAGAIN and the patch
 * must be refused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static bool fail_pre;
module_param(fail_pre, bool, 0444);
MODULE_PARM_DESC(fail_pre, "make pre_patch fail");

static char calls_buf[128];
module_param_string(calls, calls_buf, sizeof(calls_buf), 0444);
MODULE_PARM_DESC(calls, "the callbacks that ran, in order");

static void record(const char *name)
{
	if (calls_buf[0])
		strlcat(calls_buf, ",", sizeof(calls_buf));
	strlcat(calls_buf, name, sizeof(calls_buf));
}

static int pre_patch(struct klp_object *obj)
{
	record("pre_patch");
	return fail_pre ? -EAGAIN : 0;
}

static void post_patch(struct klp_object *obj)
{
	record("post_patch");
}

static void pre_unpatch(struct klp_object *obj)
{
	record("pre_unpatch");
}

static void post_unpatch(struct klp_object *obj)
{
	record("post_unpatch");
}

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: this has been live patched\n", THIS_MODULE->name);
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.funcs = funcs,
		.callbacks = {
			.pre_patch = pre_patch,
			.post_patch = post_patch,
			.pre_unpatch = pre_unpatch,
			.post_unpatch = post_unpatch,
		},
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int test_klp_callbacks_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_callbacks_exit(void)
{
}

module_init(test_klp_callbacks_init);
module_exit(test_klp_callbacks_exit);
MODULE_DESCRIPTION("Live patching selftest: callbacks of a vmlinux object");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
