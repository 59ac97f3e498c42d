// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch of do_task_dead(), the last function a task runs: it marks
 * the task dead and switches away from it for good.  do_exit() calls it
 * with preemption disabled, but interrupts still come, and run in the
 * dying task's universe: a transition must wait for the task until that
 * last switch, and the patch module must stay until then.
 *
 * The replacement does what the original does, with schedule() for the
 * scheduler's own __schedule() (a dying task has no work to submit), and
 * counts:
 *  - calls: how many times it ran;
 *  - inside: tasks that entered it and have not reached their last
 *    switch yet;
 *  - inside_unpatched: how many were in it when the transition that
 *    disabled the patch completed (post_unpatch callback); -1 before.
 * The task whose pid is written to "hold_pid" spins in the replacement
 * until another value is written there, or for 10 seconds at most: it
 * cannot sleep there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/sched.h>

/* Long enough for any test to look, short of the soft lockup detector. */
#define TEST_KLP_EXIT_DEAD_HOLD_MAX	(10 * HZ)

static atomic_t test_klp_exit_dead_inside = ATOMIC_INIT(0);
static atomic_long_t test_klp_exit_dead_calls = ATOMIC_LONG_INIT(0);

static int hold_pid;
module_param(hold_pid, int, 0644);
MODULE_PARM_DESC(hold_pid, "A task that spins in the replacement while its pid is here");

static int test_klp_exit_dead_get_inside(char *buf,
					 const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&test_klp_exit_dead_inside));
}

static int test_klp_exit_dead_get_calls(char *buf,
					const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&test_klp_exit_dead_calls));
}

static const struct kernel_param_ops test_klp_exit_dead_inside_ops = {
	.get = test_klp_exit_dead_get_inside,
};

static const struct kernel_param_ops test_klp_exit_dead_calls_ops = {
	.get = test_klp_exit_dead_get_calls,
};

module_param_cb(calls, &test_klp_exit_dead_calls_ops, NULL, 0444);
MODULE_PARM_DESC(calls, "Calls of the replacement");

module_param_cb(inside, &test_klp_exit_dead_inside_ops, NULL, 0444);
MODULE_PARM_DESC(inside, "Tasks in the replacement before their last switch");

static int inside_unpatched = -1;
module_param(inside_unpatched, int, 0444);
MODULE_PARM_DESC(inside_unpatched, "Tasks in the replacement when it was disabled");

static void __noreturn test_klp_exit_dead_task_dead(void)
{
	unsigned long end = jiffies + TEST_KLP_EXIT_DEAD_HOLD_MAX;

	atomic_inc(&test_klp_exit_dead_inside);
	atomic_long_inc(&test_klp_exit_dead_calls);
	while (READ_ONCE(hold_pid) == task_pid_nr(current) &&
	       time_before(jiffies, end))
		cpu_relax();

	/*
	 * Counted out before the end: nothing runs after the last switch.
	 * The few instructions left keep the module in use until then,
	 * which only the transition can tell.
	 */
	atomic_dec(&test_klp_exit_dead_inside);
	set_special_state(TASK_DEAD);
	current->flags |= PF_NOFREEZE;
	/*
	 * schedule() disables preemption itself, where the original calls
	 * __schedule() with it disabled by do_exit().  With interrupts off
	 * in between, nothing can preempt the dead task before that.
	 */
	local_irq_disable();
	preempt_enable();
	schedule();
	BUG();
	for (;;)
		cpu_relax();
}

/* No task may run the replacement once the transition is done. */
static void test_klp_exit_dead_post_unpatch(struct klp_object *obj)
{
	WRITE_ONCE(inside_unpatched,
		   atomic_read(&test_klp_exit_dead_inside));
}

static struct klp_func test_klp_exit_dead_funcs[] = {
	{
		.old_name = "do_task_dead",
		.new_func = test_klp_exit_dead_task_dead,
	},
	{ }
};

static struct klp_object test_klp_exit_dead_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_exit_dead_funcs,
		.callbacks.post_unpatch = test_klp_exit_dead_post_unpatch,
	},
	{ }
};

static struct klp_patch test_klp_exit_dead_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_exit_dead_objs,
};

static int __init test_klp_exit_dead_init(void)
{
	return klp_enable_patch(&test_klp_exit_dead_patch);
}

static void __exit test_klp_exit_dead_exit(void)
{
	/* A task still in the replacement would run freed code. */
	WARN(atomic_read(&test_klp_exit_dead_inside),
	     "%d tasks still run the replacement\n",
	     atomic_read(&test_klp_exit_dead_inside));
}

module_init(test_klp_exit_dead_init);
module_exit(test_klp_exit_dead_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch do_task_dead(), the end of every task");
