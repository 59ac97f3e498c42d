// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: a kprobe on cmdline_proc_show() with a pre_handler and
 * a post_handler.  With a post_handler, kprobes arm a probe on an ftrace
 * location through ftrace ops that may modify the instruction pointer
 * (FTRACE_OPS_FL_IPMODIFY), like a live patch does.  Only one such user
 * is allowed per function: the probe and a live patch of
 * cmdline_proc_show() exclude each other, whichever comes first.
 *
 * The handlers only count their calls, shown in
 * /sys/kernel/test_klp_kprobe/{hits,post_hits}.  The module fails to load
 * with the error of register_kprobe().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sysfs.h>

static atomic_t test_klp_kprobe_hits = ATOMIC_INIT(0);
static atomic_t test_klp_kprobe_post_hits = ATOMIC_INIT(0);
static struct kobject *test_klp_kprobe_kobj;

static int test_klp_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&test_klp_kprobe_hits);
	return 0;
}

static void test_klp_kprobe_post(struct kprobe *p, struct pt_regs *regs,
				 unsigned long flags)
{
	atomic_inc(&test_klp_kprobe_post_hits);
}

static struct kprobe test_klp_kprobe_probe = {
	.symbol_name = "cmdline_proc_show",
	.pre_handler = test_klp_kprobe_pre,
	.post_handler = test_klp_kprobe_post,
};

static ssize_t hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&test_klp_kprobe_hits));
}

static ssize_t post_hits_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&test_klp_kprobe_post_hits));
}

static struct kobj_attribute test_klp_kprobe_hits_attr = __ATTR_RO(hits);
static struct kobj_attribute test_klp_kprobe_post_hits_attr =
	__ATTR_RO(post_hits);

static struct attribute *test_klp_kprobe_attrs[] = {
	&test_klp_kprobe_hits_attr.attr,
	&test_klp_kprobe_post_hits_attr.attr,
	NULL
};

static const struct attribute_group test_klp_kprobe_group = {
	.attrs = test_klp_kprobe_attrs,
};

static int __init test_klp_kprobe_init(void)
{
	int ret;

	test_klp_kprobe_kobj = kobject_create_and_add(KBUILD_MODNAME,
						      kernel_kobj);
	if (!test_klp_kprobe_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(test_klp_kprobe_kobj, &test_klp_kprobe_group);
	if (ret)
		goto out_put;

	ret = register_kprobe(&test_klp_kprobe_probe);
	if (ret) {
		pr_info("register_kprobe(%s) failed: %d\n",
			test_klp_kprobe_probe.symbol_name, ret);
		goto out_put;
	}

	return 0;

out_put:
	kobject_put(test_klp_kprobe_kobj);
	return ret;
}

static void __exit test_klp_kprobe_exit(void)
{
	unregister_kprobe(&test_klp_kprobe_probe);
	kobject_put(test_klp_kprobe_kobj);
}

module_init(test_klp_kprobe_init);
module_exit(test_klp_kprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: kprobe with a post_handler on cmdline_proc_show()");
