// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: a module whose kthread is CPU-bound.  The kthread
 * "test_klp_spin" burns about 100 us of CPU at a time and calls
 * cond_resched() in between, nothing else: it never sleeps and does not
 * call kthread_should_stop() in its loop.  While a live patch transition
 * is in progress, cond_resched() is therefore the only safe point where it
 * can switch by itself.  With freezable=1 the kthread is freezable and
 * calls try_to_freeze() instead: the module then also shows that modules
 * which call try_to_freeze() link on a kernel with CONFIG_FREEZER.
 *
 * Parameters: "freezable" (bool, at load time only); read-only, "pid" is
 * the pid of the kthread, "loops" counts the rounds of its loop, and
 * "freezer" tells whether the kernel has CONFIG_FREEZER (without it,
 * try_to_freeze() does nothing at all).
 *
 * The module's exit stops the loop through a flag of its own, then waits
 * for the kthread with kthread_stop().  The kthread may have returned by
 * then: the module holds a reference to its task_struct.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/freezer.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#define TEST_KLP_SPIN_BURN_NS	(100 * NSEC_PER_USEC)

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "Pid of the kthread");

static bool freezable;
module_param(freezable, bool, 0444);
MODULE_PARM_DESC(freezable, "Call try_to_freeze() instead of cond_resched()");

static bool freezer = IS_ENABLED(CONFIG_FREEZER);
module_param(freezer, bool, 0444);
MODULE_PARM_DESC(freezer, "The kernel has CONFIG_FREEZER");

static unsigned long loops;
module_param(loops, ulong, 0444);
MODULE_PARM_DESC(loops, "Rounds of the loop of the kthread");

static bool stop_flag;
static struct task_struct *test_klp_spin_task;

/* Keep the CPU busy for about 100 us. */
static noinline void test_klp_spin_burn(void)
{
	u64 end = ktime_get_ns() + TEST_KLP_SPIN_BURN_NS;

	while (ktime_get_ns() < end)
		cpu_relax();
}

static int test_klp_spin_fn(void *data)
{
	if (freezable)
		set_freezable();
	while (!READ_ONCE(stop_flag)) {
		test_klp_spin_burn();
		WRITE_ONCE(loops, loops + 1);
		if (freezable)
			try_to_freeze();
		else
			cond_resched();
	}
	return 0;
}

static int __init test_klp_spin_init(void)
{
	struct task_struct *task;

	task = kthread_run(test_klp_spin_fn, NULL, KBUILD_MODNAME);
	if (IS_ERR(task))
		return PTR_ERR(task);
	/* Dropped by kthread_stop_put(): the kthread may return first. */
	get_task_struct(task);
	test_klp_spin_task = task;
	pid = task_pid_nr(task);
	return 0;
}

static void __exit test_klp_spin_exit(void)
{
	WRITE_ONCE(stop_flag, true);
	kthread_stop_put(test_klp_spin_task);
}

module_init(test_klp_spin_init);
module_exit(test_klp_spin_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: CPU-bound kthread that only calls cond_resched() or try_to_freeze()");
