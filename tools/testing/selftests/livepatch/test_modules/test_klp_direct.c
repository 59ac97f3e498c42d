// SPDX-License-Identifier: GPL-2.0
/*
 * A direct call on cmdline_proc_show(): the function's ftrace call site
 * calls a trampoline of this module, which counts the call in
 * /sys/kernel/test_klp_direct/hits and returns to the function.  It is
 * what a BPF trampoline looks like to ftrace, without BPF, and it cannot
 * share the function with an ftrace_ops that modifies the instruction
 * pointer (it has no ops_func): a live patch of cmdline_proc_show() must
 * be refused while it is there.  x86_64 only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#define FUNC "cmdline_proc_show"

static atomic_long_t hits;

/* Called from the trampoline below, by name. */
static __used void test_klp_direct_hit(void)
{
	atomic_long_inc(&hits);
}

#if defined(CONFIG_X86_64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>

void test_klp_direct_tramp(void);

/*
 * Called from the call site at the entry of the function, with the
 * function's arguments in their registers and its return address on the
 * stack: keep the argument registers, count, and return into the body.
 */
asm("	.pushsection	.text, \"ax\", @progbits\n"
"	.type		test_klp_direct_tramp, @function\n"
"	.globl		test_klp_direct_tramp\n"
"test_klp_direct_tramp:\n"
	ASM_ENDBR
"	pushq	%rbp\n"
"	movq	%rsp, %rbp\n"
	CALL_DEPTH_ACCOUNT
"	pushq	%rdi\n"
"	pushq	%rsi\n"
"	pushq	%rdx\n"
"	pushq	%rcx\n"
"	pushq	%r8\n"
"	pushq	%r9\n"
"	call	test_klp_direct_hit\n"
"	popq	%r9\n"
"	popq	%r8\n"
"	popq	%rcx\n"
"	popq	%rdx\n"
"	popq	%rsi\n"
"	popq	%rdi\n"
"	leave\n"
	ASM_RET
"	.size		test_klp_direct_tramp, .-test_klp_direct_tramp\n"
"	.popsection\n"
);

#define TRAMP ((unsigned long)test_klp_direct_tramp)
#else
#define TRAMP 0UL
#endif

static struct ftrace_ops direct_ops;

static ssize_t hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&hits));
}

static struct kobj_attribute hits_attr = __ATTR_RO(hits);
static struct kobject *kobj;

static int __init test_klp_direct_init(void)
{
	int ret;

	if (!TRAMP)
		return -EOPNOTSUPP;

	ret = ftrace_set_filter(&direct_ops, FUNC, strlen(FUNC), 0);
	if (ret) {
		pr_err("no ftrace location for %s: %d\n", FUNC, ret);
		return ret;
	}
	ret = register_ftrace_direct(&direct_ops, TRAMP);
	if (ret) {
		pr_err("direct call on %s: %d\n", FUNC, ret);
		goto out_filter;
	}
	kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!kobj) {
		ret = -ENOMEM;
		goto out_direct;
	}
	ret = sysfs_create_file(kobj, &hits_attr.attr);
	if (ret)
		goto out_kobj;
	return 0;

out_kobj:
	kobject_put(kobj);
out_direct:
	unregister_ftrace_direct(&direct_ops, TRAMP, false);
out_filter:
	ftrace_free_filter(&direct_ops);
	return ret;
}

static void __exit test_klp_direct_exit(void)
{
	sysfs_remove_file(kobj, &hits_attr.attr);
	kobject_put(kobj);
	unregister_ftrace_direct(&direct_ops, TRAMP, true);
}

module_init(test_klp_direct_init);
module_exit(test_klp_direct_exit);
MODULE_DESCRIPTION("A direct ftrace call on cmdline_proc_show()");
MODULE_LICENSE("GPL");
