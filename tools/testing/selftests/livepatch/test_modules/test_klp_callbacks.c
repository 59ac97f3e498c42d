// SPDX-License-Identifier: GPL-2.0
/*
 * A live patch of cmdline_proc_show() with callbacks on its vmlinux
 * object.  Each callback appends its name to the read-only parameter
 * "calls"; with fail_pre=1, pre_patch fails with -EAGAIN and the patch
 * must be refused.  With hold_pre=1, pre_patch waits until 1 is written
 * to the parameter "release" (for at most a minute), and the parameter
 * "in_pre" reads Y meanwhile: a test can look at tasks while the
 * transition is prepared but not started.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static bool fail_pre;
module_param(fail_pre, bool, 0444);
MODULE_PARM_DESC(fail_pre, "make pre_patch fail");

static bool hold_pre;
module_param(hold_pre, bool, 0444);
MODULE_PARM_DESC(hold_pre, "make pre_patch wait until release is set");

static bool release;
module_param(release, bool, 0644);
MODULE_PARM_DESC(release, "let a waiting pre_patch return");

static bool in_pre;
module_param(in_pre, bool, 0444);
MODULE_PARM_DESC(in_pre, "pre_patch is waiting");

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
	int i;

	record("pre_patch");
	if (hold_pre) {
		WRITE_ONCE(in_pre, true);
		for (i = 0; i < 3000 && !READ_ONCE(release); i++)
			msleep(20);
		WRITE_ONCE(in_pre, false);
	}
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
