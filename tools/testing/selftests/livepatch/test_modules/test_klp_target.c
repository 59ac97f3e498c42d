// SPDX-License-Identifier: GPL-2.0
/*
 * Target of test_klp_mod: an ordinary module whose function
 * test_klp_target_value() returns 1 until a live patch replaces it.  The
 * result is shown in /sys/kernel/test_klp_target/value, so that a test can
 * tell from user space whether the replacement is in effect.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/sysfs.h>

int test_klp_target_value(void);

static struct kobject *test_klp_target_kobj;

/* The value is read, never folded in: every call really runs the function. */
static int test_klp_target_result = 1;

/*
 * Global and never inlined, so that it has a symbol of its own, unique in
 * kallsyms, and an ftrace location that a live patch can use.
 */
noinline int test_klp_target_value(void)
{
	return READ_ONCE(test_klp_target_result);
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", test_klp_target_value());
}

static struct kobj_attribute test_klp_target_value_attr = __ATTR_RO(value);

static int __init test_klp_target_init(void)
{
	int ret;

	test_klp_target_kobj = kobject_create_and_add(KBUILD_MODNAME,
						      kernel_kobj);
	if (!test_klp_target_kobj)
		return -ENOMEM;

	ret = sysfs_create_file(test_klp_target_kobj,
				&test_klp_target_value_attr.attr);
	if (ret) {
		kobject_put(test_klp_target_kobj);
		return ret;
	}

	return 0;
}

static void __exit test_klp_target_exit(void)
{
	kobject_put(test_klp_target_kobj);
}

module_init(test_klp_target_init);
module_exit(test_klp_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: module with a function to be patched");
