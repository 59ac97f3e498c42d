// SPDX-License-Identifier: GPL-2.0
/*
 * Target of test_klp_rela_mod: a module whose symbols a live patch can
 * reach only through .klp.rela relocations.  test_klp_rela_target_value()
 * returns the parameter "seed"; /sys/kernel/test_klp_rela_target/value
 * shows the result.  Neither the variable behind "seed" nor the static
 * function test_klp_rela_target_scale() is exported.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>

int test_klp_rela_target_value(void);

static int test_klp_rela_target_seed = 1;
module_param_named(seed, test_klp_rela_target_seed, int, 0444);
MODULE_PARM_DESC(seed, "what test_klp_rela_target_value() returns");

static struct kobject *test_klp_rela_target_kobj;

/* Used by the live patch only; __used keeps it, noinline its symbol. */
static noinline __used int test_klp_rela_target_scale(int value)
{
	return value * 10;
}

/* Global and never inlined: one symbol and one ftrace location. */
noinline int test_klp_rela_target_value(void)
{
	return READ_ONCE(test_klp_rela_target_seed);
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", test_klp_rela_target_value());
}

static struct kobj_attribute test_klp_rela_target_value_attr = __ATTR_RO(value);

static int __init test_klp_rela_target_init(void)
{
	int ret;

	test_klp_rela_target_kobj = kobject_create_and_add(KBUILD_MODNAME,
							   kernel_kobj);
	if (!test_klp_rela_target_kobj)
		return -ENOMEM;

	ret = sysfs_create_file(test_klp_rela_target_kobj,
				&test_klp_rela_target_value_attr.attr);
	if (ret) {
		kobject_put(test_klp_rela_target_kobj);
		return ret;
	}
	return 0;
}

static void __exit test_klp_rela_target_exit(void)
{
	kobject_put(test_klp_rela_target_kobj);
}

module_init(test_klp_rela_target_init);
module_exit(test_klp_rela_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: module with symbols reached by .klp.rela relocations");
