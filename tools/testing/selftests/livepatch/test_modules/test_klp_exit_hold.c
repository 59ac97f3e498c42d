// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: a kprobe on do_task_dead(), the last function a
 * task runs, holds a dying task there without patching anything.  While
 * nothing is patched, exiting tasks are only counted by live patching,
 * not put on its list of exiting tasks; the first transition must still
 * wait for such a task, which a walk of the task lists no longer finds
 * once it is reaped.
 *
 * The task whose pid is written to "hold_pid" spins in the probe's
 * handler until another value is written there, or for 10 seconds at
 * most: the handler runs with preemption disabled and cannot sleep.
 * "inside" counts the tasks in the handler.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sysfs.h>

/* Long enough for any test to look, short of the soft lockup detector. */
#define TEST_KLP_EXIT_HOLD_MAX	(10 * HZ)

static atomic_t test_klp_exit_hold_inside = ATOMIC_INIT(0);

static int hold_pid;
module_param(hold_pid, int, 0644);
MODULE_PARM_DESC(hold_pid, "A dying task that spins in do_task_dead() while its pid is here");

static int test_klp_exit_hold_get_inside(char *buf,
					 const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&test_klp_exit_hold_inside));
}

static const struct kernel_param_ops test_klp_exit_hold_inside_ops = {
	.get = test_klp_exit_hold_get_inside,
};

module_param_cb(inside, &test_klp_exit_hold_inside_ops, NULL, 0444);
MODULE_PARM_DESC(inside, "Tasks held in do_task_dead()");

static int test_klp_exit_hold_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long end = jiffies + TEST_KLP_EXIT_HOLD_MAX;

	if (READ_ONCE(hold_pid) != task_pid_nr(current))
		return 0;
	atomic_inc(&test_klp_exit_hold_inside);
	while (READ_ONCE(hold_pid) == task_pid_nr(current) &&
	       time_before(jiffies, end))
		cpu_relax();
	atomic_dec(&test_klp_exit_hold_inside);
	return 0;
}

static struct kprobe test_klp_exit_hold_probe = {
	.symbol_name = "do_task_dead",
	.pre_handler = test_klp_exit_hold_pre,
};

static int __init test_klp_exit_hold_init(void)
{
	return register_kprobe(&test_klp_exit_hold_probe);
}

static void __exit test_klp_exit_hold_exit(void)
{
	unregister_kprobe(&test_klp_exit_hold_probe);
}

module_init(test_klp_exit_hold_init);
module_exit(test_klp_exit_hold_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: hold a dying task while nothing is patched");
