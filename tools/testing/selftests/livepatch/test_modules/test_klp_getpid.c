// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch of the getpid() system call: __x64_sys_getpid() on x86_64,
 * __s390x_sys_getpid() on s390.
 * The replacement returns the pid plus TEST_KLP_GETPID_MARK, far above
 * any pid, so that user space sees which variant answered each call:
 * test_klp-getpid-watch counts how often that changes in a process.
 *
 * Every process that calls getpid() while the patch is in effect gets the
 * marked value: only load it for a short test.
 *
 * On other architectures the module fails to load with ENODEV.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

#define TEST_KLP_GETPID_MARK	0x10000000L

#if defined(CONFIG_X86_64) || defined(CONFIG_S390)

#ifdef CONFIG_X86_64
#define TEST_KLP_GETPID_OLD	"__x64_sys_getpid"

/* The prototype of __x64_sys_getpid(): it ignores the registers. */
static long test_klp_getpid_sys_getpid(const struct pt_regs *regs)
#else
#define TEST_KLP_GETPID_OLD	"__s390x_sys_getpid"

/* The prototype of __s390x_sys_getpid(): no arguments at all. */
static long test_klp_getpid_sys_getpid(void)
#endif
{
	return task_tgid_vnr(current) + TEST_KLP_GETPID_MARK;
}

static struct klp_func test_klp_getpid_funcs[] = {
	{
		.old_name = TEST_KLP_GETPID_OLD,
		.new_func = test_klp_getpid_sys_getpid,
	},
	{ }
};

static struct klp_object test_klp_getpid_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_getpid_funcs,
	},
	{ }
};

static struct klp_patch test_klp_getpid_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_getpid_objs,
};

static int __init test_klp_getpid_init(void)
{
	return klp_enable_patch(&test_klp_getpid_patch);
}

#else /* !CONFIG_X86_64 && !CONFIG_S390 */

static int __init test_klp_getpid_init(void)
{
	pr_info("no known getpid() system call on this architecture\n");
	return -ENODEV;
}

#endif /* CONFIG_X86_64 || CONFIG_S390 */

static void __exit test_klp_getpid_exit(void)
{
}

module_init(test_klp_getpid_init);
module_exit(test_klp_getpid_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: mark the result of getpid()");
