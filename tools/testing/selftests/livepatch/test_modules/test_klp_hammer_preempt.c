// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: holds a task preempted in ftrace's trampoline of
 * test_klp_hammer_outer(), after the live patch handler chose the variant
 * the task is to run and before the task got there (test-trampoline.sh).
 *
 * An ftrace_ops of this module shares the call site of the function with
 * the live patch, so ftrace calls the callbacks of both through its list
 * function, which runs them with preemption disabled and enables it
 * after the last one.  Once "arm" is written, the first call of the
 * function by a task on CPU "cpu" wakes a SCHED_FIFO kthread bound to that
 * CPU: the task is preempted where the list function enables preemption,
 * its variant chosen, and stays there while the kthread keeps the CPU,
 * until "release" is written or "hold_ms" milliseconds have passed.
 * The fair server of that CPU must be off for the hold to last (debugfs
 * sched/fair_server/cpuN/runtime): it would run the task within a second.
 *
 * "state" reads "idle", "armed", "held PID" or "released PID", PID being
 * the task that was held.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/ftrace.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>

#define TEST_KLP_PREEMPT_FUNC	"test_klp_hammer_outer"

enum test_klp_preempt_state {
	TEST_KLP_PREEMPT_IDLE,
	TEST_KLP_PREEMPT_ARMING,	/* "arm" is resetting the hold */
	TEST_KLP_PREEMPT_ARMED,		/* the next call on @cpu is held */
	TEST_KLP_PREEMPT_FIRED,		/* the holder is woken */
	TEST_KLP_PREEMPT_HELD,		/* the holder keeps the CPU */
	TEST_KLP_PREEMPT_RELEASED,
};

static int cpu = 1;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "CPU whose callers are held (load time)");

static unsigned int hold_ms = 30000;
module_param(hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms, "Longest hold in ms, if release is not written");

static atomic_t test_klp_preempt_state = ATOMIC_INIT(TEST_KLP_PREEMPT_IDLE);
static pid_t test_klp_preempt_pid;
static bool test_klp_preempt_release;
static struct task_struct *test_klp_preempt_holder;

static void notrace test_klp_preempt_call(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *op,
					  struct ftrace_regs *fregs)
{
	int this_cpu;

	if (!in_task())
		return;
	preempt_disable_notrace();
	this_cpu = smp_processor_id();
	if (this_cpu == cpu &&
	    atomic_cmpxchg(&test_klp_preempt_state, TEST_KLP_PREEMPT_ARMED,
			   TEST_KLP_PREEMPT_FIRED) == TEST_KLP_PREEMPT_ARMED) {
		WRITE_ONCE(test_klp_preempt_pid, task_pid_nr(current));
		wake_up_process(test_klp_preempt_holder);
	}
	preempt_enable_notrace();
}

static struct ftrace_ops test_klp_preempt_ops = {
	.func	= test_klp_preempt_call,
};

/* Keeps @cpu from the held task: a busy loop at a real-time priority. */
static int test_klp_preempt_hold(void *data)
{
	unsigned long until;

	sched_set_fifo(current);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (atomic_read(&test_klp_preempt_state) != TEST_KLP_PREEMPT_FIRED) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		atomic_set(&test_klp_preempt_state, TEST_KLP_PREEMPT_HELD);
		until = jiffies + msecs_to_jiffies(READ_ONCE(hold_ms));
		while (!READ_ONCE(test_klp_preempt_release) &&
		       time_before(jiffies, until) && !kthread_should_stop())
			cpu_relax();
		atomic_set(&test_klp_preempt_state, TEST_KLP_PREEMPT_RELEASED);
	}
	return 0;
}

static int test_klp_preempt_arm(const char *val, const struct kernel_param *kp)
{
	/* A hold in progress keeps its PID and a release written for it. */
	if (atomic_cmpxchg(&test_klp_preempt_state, TEST_KLP_PREEMPT_IDLE,
			   TEST_KLP_PREEMPT_ARMING) != TEST_KLP_PREEMPT_IDLE &&
	    atomic_cmpxchg(&test_klp_preempt_state, TEST_KLP_PREEMPT_RELEASED,
			   TEST_KLP_PREEMPT_ARMING) != TEST_KLP_PREEMPT_RELEASED)
		return -EBUSY;
	WRITE_ONCE(test_klp_preempt_release, false);
	WRITE_ONCE(test_klp_preempt_pid, 0);
	/*
	 * Orders the two writes above before the state: pairs with the
	 * cmpxchg of the callback, which sees ARMED only after them.
	 */
	atomic_set_release(&test_klp_preempt_state, TEST_KLP_PREEMPT_ARMED);
	return 0;
}

static const struct kernel_param_ops test_klp_preempt_arm_ops = {
	.set = test_klp_preempt_arm,
};
module_param_cb(arm, &test_klp_preempt_arm_ops, NULL, 0200);
MODULE_PARM_DESC(arm, "Writing holds the next caller on the CPU");

static int test_klp_preempt_do_release(const char *val,
				       const struct kernel_param *kp)
{
	WRITE_ONCE(test_klp_preempt_release, true);
	return 0;
}

static const struct kernel_param_ops test_klp_preempt_release_ops = {
	.set = test_klp_preempt_do_release,
};
module_param_cb(release, &test_klp_preempt_release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "Writing lets the held task run");

static int test_klp_preempt_state_get(char *buf, const struct kernel_param *kp)
{
	static const char * const names[] = {
		[TEST_KLP_PREEMPT_IDLE] = "idle",
		[TEST_KLP_PREEMPT_ARMING] = "idle",
		[TEST_KLP_PREEMPT_ARMED] = "armed",
		[TEST_KLP_PREEMPT_FIRED] = "armed",
		[TEST_KLP_PREEMPT_HELD] = "held",
		[TEST_KLP_PREEMPT_RELEASED] = "released",
	};
	int state = atomic_read(&test_klp_preempt_state);

	if (state < TEST_KLP_PREEMPT_HELD)
		return scnprintf(buf, PAGE_SIZE, "%s\n", names[state]);
	return scnprintf(buf, PAGE_SIZE, "%s %d\n", names[state],
			 READ_ONCE(test_klp_preempt_pid));
}

static const struct kernel_param_ops test_klp_preempt_state_ops = {
	.get = test_klp_preempt_state_get,
};
module_param_cb(state, &test_klp_preempt_state_ops, NULL, 0444);
MODULE_PARM_DESC(state, "idle, armed, held PID or released PID");

static int __init test_klp_preempt_init(void)
{
	int ret;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		pr_err("cpu: CPU %d is not online\n", cpu);
		return -EINVAL;
	}
	test_klp_preempt_holder = kthread_create_on_cpu(test_klp_preempt_hold,
							NULL, cpu,
							KBUILD_MODNAME "/%u");
	if (IS_ERR(test_klp_preempt_holder))
		return PTR_ERR(test_klp_preempt_holder);
	wake_up_process(test_klp_preempt_holder);

	ret = ftrace_set_filter(&test_klp_preempt_ops,
				(unsigned char *)TEST_KLP_PREEMPT_FUNC,
				strlen(TEST_KLP_PREEMPT_FUNC), 1);
	if (ret) {
		pr_err("no ftrace filter on %s: %d\n", TEST_KLP_PREEMPT_FUNC, ret);
		goto err_holder;
	}
	ret = register_ftrace_function(&test_klp_preempt_ops);
	if (ret) {
		pr_err("cannot trace %s: %d\n", TEST_KLP_PREEMPT_FUNC, ret);
		goto err_filter;
	}
	return 0;

err_filter:
	ftrace_free_filter(&test_klp_preempt_ops);
err_holder:
	kthread_stop(test_klp_preempt_holder);
	return ret;
}

static void __exit test_klp_preempt_exit(void)
{
	/* First: a held task would hold up the unregistration. */
	WRITE_ONCE(test_klp_preempt_release, true);
	unregister_ftrace_function(&test_klp_preempt_ops);
	ftrace_free_filter(&test_klp_preempt_ops);
	kthread_stop(test_klp_preempt_holder);
}

module_init(test_klp_preempt_init);
module_exit(test_klp_preempt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: a task preempted in ftrace's trampoline after the live patch handler");
