// SPDX-License-Identifier: GPL-2.0-only
/*
 * Jump targets of an IPMODIFY ftrace_ops.
 *
 * ftrace_jmp_sample_func() has two alternatives, ftrace_jmp_sample_a()
 * and ftrace_jmp_sample_b().  An ftrace_ops that modifies the instruction
 * pointer sends the calls of the function to the alternative chosen in
 * /sys/kernel/ftrace_jmp_sample/variant (0: none, 1: a, 2: b), and gives
 * ftrace the same alternative as the function's jump target.  While the
 * ops is the function's only ftrace user, its call site jumps straight to
 * the alternative; when another user traces the function too, the calls
 * go through the ops' callback again.  Where the site jumps shows in
 * enabled_functions.
 *
 * Kernel threads (nr_threads at load, "threads" to stop them) call the
 * function in a loop and count the calls; each of the three bodies counts
 * the times it ran.  Once the threads are stopped, "counts" must add up:
 * no call was lost or ran twice, whatever the variant changes and the
 * other ftrace users did meanwhile.  "call" calls the function once and
 * tells which body ran.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

static unsigned int nr_threads = 2;
module_param(nr_threads, uint, 0400);
MODULE_PARM_DESC(nr_threads, "Kernel threads calling the function (default 2)");

enum { BODY_ORIG, BODY_A, BODY_B, NR_BODIES };

static atomic_long_t runs[NR_BODIES];
static atomic_long_t calls;

static noinline int ftrace_jmp_sample_func(void)
{
	atomic_long_inc(&runs[BODY_ORIG]);
	return BODY_ORIG;
}

static noinline int ftrace_jmp_sample_a(void)
{
	atomic_long_inc(&runs[BODY_A]);
	return BODY_A;
}

static noinline int ftrace_jmp_sample_b(void)
{
	atomic_long_inc(&runs[BODY_B]);
	return BODY_B;
}

static const unsigned long bodies[NR_BODIES] = {
	[BODY_ORIG] = 0,
	[BODY_A] = (unsigned long)ftrace_jmp_sample_a,
	[BODY_B] = (unsigned long)ftrace_jmp_sample_b,
};

/* Where the callback sends the calls: 0 or an alternative. */
static unsigned long dest;

static void notrace sample_callback(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	unsigned long to = READ_ONCE(dest);

	if (to)
		ftrace_regs_set_instruction_pointer(fregs, to);
}

static struct ftrace_ops sample_ops = {
	.func	= sample_callback,
	.flags	= FTRACE_OPS_FL_IPMODIFY |
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
		  FTRACE_OPS_FL_SAVE_REGS |
#endif
		  0,
};

static unsigned long sample_ip;
static int variant;		/* under sample_lock */
static DEFINE_MUTEX(sample_lock);

struct caller {
	struct list_head node;
	struct task_struct *task;
};

static LIST_HEAD(callers);	/* under sample_lock */

static int caller_fn(void *unused)
{
	while (!kthread_should_stop()) {
		ftrace_jmp_sample_func();
		atomic_long_inc(&calls);
		cond_resched();
	}
	return 0;
}

static void stop_callers(void)
{
	struct caller *c, *tmp;

	list_for_each_entry_safe(c, tmp, &callers, node) {
		kthread_stop(c->task);
		list_del(&c->node);
		kfree(c);
	}
}

static int start_callers(unsigned int n)
{
	struct caller *c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		c = kzalloc_obj(*c);
		if (!c)
			return -ENOMEM;
		c->task = kthread_run(caller_fn, NULL, "ftrace_jmp/%u", i);
		if (IS_ERR(c->task)) {
			int ret = PTR_ERR(c->task);

			kfree(c);
			return ret;
		}
		list_add(&c->node, &callers);
	}
	return 0;
}

/*
 * The callback answers the new variant first, then the jump follows: a
 * call in between runs the old or the new variant, each of them whole.
 */
static int set_variant(int v)
{
	unsigned long to = bodies[v];
	int ret;

	WRITE_ONCE(dest, to);
	ret = ftrace_set_jmp_targets(&sample_ops, &sample_ip, &to, 1);
	if (ret) {
		WRITE_ONCE(dest, bodies[variant]);
		return ret;
	}
	variant = v;
	return 0;
}

static ssize_t variant_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	guard(mutex)(&sample_lock);
	return sysfs_emit(buf, "%d\n", variant);
}

static ssize_t variant_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	int v, ret;

	ret = kstrtoint(buf, 0, &v);
	if (ret)
		return ret;
	if (v < 0 || v >= NR_BODIES)
		return -EINVAL;
	guard(mutex)(&sample_lock);
	ret = set_variant(v);
	return ret ? ret : count;
}

static ssize_t threads_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	guard(mutex)(&sample_lock);
	return sysfs_emit(buf, "%zu\n", list_count_nodes(&callers));
}

static ssize_t threads_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(buf, 0, &n);
	if (ret)
		return ret;
	guard(mutex)(&sample_lock);
	stop_callers();
	ret = start_callers(n);
	if (ret) {
		stop_callers();
		return ret;
	}
	return count;
}

static ssize_t call_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	int body = ftrace_jmp_sample_func();

	atomic_long_inc(&calls);
	return sysfs_emit(buf, "%d\n", body);
}

static ssize_t counts_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "calls %ld orig %ld a %ld b %ld\n",
			  atomic_long_read(&calls),
			  atomic_long_read(&runs[BODY_ORIG]),
			  atomic_long_read(&runs[BODY_A]),
			  atomic_long_read(&runs[BODY_B]));
}

static struct kobj_attribute variant_attr = __ATTR_RW(variant);
static struct kobj_attribute threads_attr = __ATTR_RW(threads);
static struct kobj_attribute call_attr = __ATTR_RO(call);
static struct kobj_attribute counts_attr = __ATTR_RO(counts);

static struct attribute *sample_attrs[] = {
	&variant_attr.attr,
	&threads_attr.attr,
	&call_attr.attr,
	&counts_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(sample);

static struct kobject *sample_kobj;

static int __init ftrace_jmp_sample_init(void)
{
	int ret;

	sample_ip = (unsigned long)ftrace_jmp_sample_func;
	ret = ftrace_set_filter_ip(&sample_ops, sample_ip, 0, 0);
	if (ret) {
		pr_err("cannot trace ftrace_jmp_sample_func: %d\n", ret);
		return ret;
	}
	ret = register_ftrace_function(&sample_ops);
	if (ret)
		goto out_filter;

	sample_kobj = kobject_create_and_add("ftrace_jmp_sample", kernel_kobj);
	if (!sample_kobj) {
		ret = -ENOMEM;
		goto out_unregister;
	}
	ret = sysfs_create_groups(sample_kobj, sample_groups);
	if (ret)
		goto out_kobj;

	mutex_lock(&sample_lock);
	ret = start_callers(nr_threads);
	if (ret)
		stop_callers();
	mutex_unlock(&sample_lock);
	if (ret)
		goto out_groups;
	return 0;

out_groups:
	sysfs_remove_groups(sample_kobj, sample_groups);
out_kobj:
	kobject_put(sample_kobj);
out_unregister:
	unregister_ftrace_function(&sample_ops);
out_filter:
	ftrace_free_filter(&sample_ops);
	return ret;
}

static void __exit ftrace_jmp_sample_exit(void)
{
	mutex_lock(&sample_lock);
	stop_callers();
	mutex_unlock(&sample_lock);
	sysfs_remove_groups(sample_kobj, sample_groups);
	kobject_put(sample_kobj);
	unregister_ftrace_function(&sample_ops);
	ftrace_free_filter(&sample_ops);
}

module_init(ftrace_jmp_sample_init);
module_exit(ftrace_jmp_sample_exit);
MODULE_DESCRIPTION("Jump targets of an IPMODIFY ftrace_ops");
MODULE_LICENSE("GPL");
