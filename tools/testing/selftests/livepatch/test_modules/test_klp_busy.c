// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: a module whose kthread can hold up a live patch
 * transition.  The kthread "test_klp_busy" calls test_klp_busy_sleeper()
 * in a loop; the function sleeps as long as the parameter "block" is set,
 * so the kthread then has it on its stack and cannot switch to a patch
 * that replaces it.  Writing 0 to /sys/module/test_klp_busy/parameters/block
 * lets it return.
 *
 * Read-only parameters: "calls" counts the calls of this variant of the
 * function (a live patch of it counts its own), "pid" is the pid of the
 * kthread.
 *
 * A user task can hold up a transition too: a write to
 * /proc/test_klp_busy_hold sleeps in test_klp_busy_hold() until a signal
 * is pending for the writer; the parameter "holders" counts the tasks in
 * there.  The fake signal of a live patch transition (TIF_NOTIFY_SIGNAL)
 * does not end the sleep, so that the task holds up transitions for as
 * long as a test wants.
 *
 * A write to /proc/test_klp_busy_vcpu stays in the kernel the way a KVM
 * vCPU thread in KVM_RUN does: it "runs the guest" with preemption
 * disabled for a while, then does what KVM does between two guest
 * entries: it reschedules if asked to, and returns -EINTR to user space
 * if a signal, a fake one included, is pending.  It never goes back to
 * user space otherwise.  The parameter "vcpus" counts the tasks in there.
 *
 * The kthread gets a pointer to "block" as its kthread_data(), so that a
 * replacement of test_klp_busy_sleeper() can honour the same flag without
 * linking to this module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sysfs.h>

void test_klp_busy_sleeper(void);

static bool block = true;
module_param(block, bool, 0644);
MODULE_PARM_DESC(block, "test_klp_busy_sleeper() sleeps while this is set (default: 1)");

static unsigned long calls;
module_param(calls, ulong, 0444);
MODULE_PARM_DESC(calls, "Calls of test_klp_busy_sleeper() of this module");

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "Pid of the kthread");

static struct task_struct *test_klp_busy_task;

/*
 * Global and never inlined: a symbol of its own, unique in kallsyms, and
 * an ftrace location for a live patch.  Only the kthread calls it.
 */
noinline void test_klp_busy_sleeper(void)
{
	WRITE_ONCE(calls, calls + 1);
	while (READ_ONCE(block) && !kthread_should_stop())
		usleep_range(5000, 6000);
}

static atomic_t holders = ATOMIC_INIT(0);

static int test_klp_busy_holders_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&holders));
}

static const struct kernel_param_ops test_klp_busy_holders_ops = {
	.get = test_klp_busy_holders_get,
};

module_param_cb(holders, &test_klp_busy_holders_ops, NULL, 0444);
MODULE_PARM_DESC(holders, "Tasks sleeping in test_klp_busy_hold()");

/* Like test_klp_busy_sleeper(), for the user tasks that write to "hold". */
static noinline void test_klp_busy_hold(void)
{
	atomic_inc(&holders);
	while (!task_sigpending(current))
		msleep(20);
	atomic_dec(&holders);
}

static ssize_t test_klp_busy_hold_write(struct file *file,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	test_klp_busy_hold();
	return count;
}

static const struct proc_ops test_klp_busy_hold_ops = {
	.proc_write = test_klp_busy_hold_write,
	.proc_lseek = noop_llseek,
};

static struct proc_dir_entry *test_klp_busy_hold_entry;

static atomic_t vcpus = ATOMIC_INIT(0);

static int test_klp_busy_vcpus_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&vcpus));
}

static const struct kernel_param_ops test_klp_busy_vcpus_ops = {
	.get = test_klp_busy_vcpus_get,
};

module_param_cb(vcpus, &test_klp_busy_vcpus_ops, NULL, 0444);
MODULE_PARM_DESC(vcpus, "Tasks looping in test_klp_busy_vcpu_run()");

/*
 * The loop of KVM_RUN: guest mode, where the host does not preempt the
 * task, then the work before the next entry (xfer_to_guest_mode_work()).
 */
static noinline int test_klp_busy_vcpu_run(void)
{
	atomic_inc(&vcpus);
	for (;;) {
		u64 exit = local_clock() + 200 * NSEC_PER_USEC;

		preempt_disable();
		while (local_clock() < exit)
			cpu_relax();	/* the guest runs */
		preempt_enable();
		if (signal_pending(current))
			break;
		if (need_resched())
			schedule();
	}
	atomic_dec(&vcpus);
	return -EINTR;
}

static ssize_t test_klp_busy_vcpu_write(struct file *file,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	return test_klp_busy_vcpu_run();
}

static const struct proc_ops test_klp_busy_vcpu_ops = {
	.proc_write = test_klp_busy_vcpu_write,
	.proc_lseek = noop_llseek,
};

static struct proc_dir_entry *test_klp_busy_vcpu_entry;

static int test_klp_busy_fn(void *data)
{
	while (!kthread_should_stop()) {
		test_klp_busy_sleeper();
		usleep_range(1000, 2000);
	}
	return 0;
}

static int __init test_klp_busy_init(void)
{
	int ret;

	test_klp_busy_hold_entry = proc_create("test_klp_busy_hold", 0200, NULL,
					       &test_klp_busy_hold_ops);
	if (!test_klp_busy_hold_entry)
		return -ENOMEM;
	test_klp_busy_vcpu_entry = proc_create("test_klp_busy_vcpu", 0200, NULL,
					       &test_klp_busy_vcpu_ops);
	if (!test_klp_busy_vcpu_entry) {
		ret = -ENOMEM;
		goto remove_hold;
	}
	test_klp_busy_task = kthread_run(test_klp_busy_fn, &block,
					 KBUILD_MODNAME);
	if (IS_ERR(test_klp_busy_task)) {
		ret = PTR_ERR(test_klp_busy_task);
		goto remove_vcpu;
	}
	pid = task_pid_nr(test_klp_busy_task);
	return 0;

remove_vcpu:
	proc_remove(test_klp_busy_vcpu_entry);
remove_hold:
	proc_remove(test_klp_busy_hold_entry);
	return ret;
}

/* proc_remove() waits for the writers still in the module. */
static void __exit test_klp_busy_exit(void)
{
	proc_remove(test_klp_busy_vcpu_entry);
	proc_remove(test_klp_busy_hold_entry);
	kthread_stop(test_klp_busy_task);
}

module_init(test_klp_busy_init);
module_exit(test_klp_busy_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: kthread that sleeps in a function to be patched");
