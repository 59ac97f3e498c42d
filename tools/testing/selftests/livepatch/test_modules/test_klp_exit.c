// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch of the exit path: exit_task_stack_account(), which every
 * task calls near the end of do_exit(), after exit_notify().  By then the
 * parent may have reaped the task, which is no longer on the task lists
 * while it still runs the replacement.
 *
 * The replacement does the accounting of the original (vmstat only: it
 * refuses to load on a kernel with memory cgroups) and counts:
 *  - calls:  how many times it ran;
 *  - inside: how many tasks are in it right now.
 *  - inside_unpatched: how many were in it when the transition that
 *    disabled the patch completed (post_unpatch callback); -1 before.
 * With linger_ms set, each exiting task sleeps that long in it.  With
 * hold set to N, the first N exiting tasks to come wait in it until hold
 * is set to 0, so that tests can catch tasks there while the patch is
 * disabled for as long as they need.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

static unsigned int linger_ms;
module_param(linger_ms, uint, 0644);
MODULE_PARM_DESC(linger_ms, "How long an exiting task sleeps in the replacement");

static DECLARE_WAIT_QUEUE_HEAD(test_klp_exit_wq);
static atomic_t test_klp_exit_held = ATOMIC_INIT(0);
static unsigned int hold;

static int test_klp_exit_set_hold(const char *val,
				  const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		wake_up_all(&test_klp_exit_wq);
	return ret;
}

static const struct kernel_param_ops test_klp_exit_hold_ops = {
	.set = test_klp_exit_set_hold,
	.get = param_get_uint,
};

module_param_cb(hold, &test_klp_exit_hold_ops, &hold, 0644);
MODULE_PARM_DESC(hold, "How many exiting tasks wait in the replacement until it is 0");

static atomic_long_t test_klp_exit_calls = ATOMIC_LONG_INIT(0);
static atomic_t test_klp_exit_inside = ATOMIC_INIT(0);

static int inside_unpatched = -1;
module_param(inside_unpatched, int, 0444);
MODULE_PARM_DESC(inside_unpatched, "Tasks in the replacement when it was disabled");

static int test_klp_exit_get_calls(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&test_klp_exit_calls));
}

static int test_klp_exit_get_inside(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&test_klp_exit_inside));
}

static const struct kernel_param_ops test_klp_exit_calls_ops = {
	.get = test_klp_exit_get_calls,
};

static const struct kernel_param_ops test_klp_exit_inside_ops = {
	.get = test_klp_exit_get_inside,
};

module_param_cb(calls, &test_klp_exit_calls_ops, NULL, 0444);
MODULE_PARM_DESC(calls, "Calls of the replacement");
module_param_cb(inside, &test_klp_exit_inside_ops, NULL, 0444);
MODULE_PARM_DESC(inside, "Tasks in the replacement now");

/* What exit_task_stack_account() does on a kernel without memcg. */
static void test_klp_exit_stack_account(struct task_struct *tsk)
{
	unsigned int ms = READ_ONCE(linger_ms);

	atomic_inc(&test_klp_exit_inside);
	atomic_long_inc(&test_klp_exit_calls);

	if (IS_ENABLED(CONFIG_VMAP_STACK)) {
		struct vm_struct *vm = task_stack_vm_area(tsk);
		int i;

		for (i = 0; i < THREAD_SIZE / PAGE_SIZE; i++)
			mod_lruvec_page_state(vm->pages[i], NR_KERNEL_STACK_KB,
					      -(int)(PAGE_SIZE / 1024));
	} else {
		mod_lruvec_kmem_state(task_stack_page(tsk), NR_KERNEL_STACK_KB,
				      -(int)(THREAD_SIZE / 1024));
	}

	/* Only an exiting task lingers, not a fork that failed. */
	if (tsk == current && (tsk->flags & PF_EXITING)) {
		if (ms)
			msleep(ms);
		if (atomic_inc_return(&test_klp_exit_held) <= READ_ONCE(hold))
			wait_event_idle(test_klp_exit_wq, !READ_ONCE(hold));
		atomic_dec(&test_klp_exit_held);
	}

	atomic_dec(&test_klp_exit_inside);
}

/* No task may run the replacement once the transition is done. */
static void test_klp_exit_post_unpatch(struct klp_object *obj)
{
	WRITE_ONCE(inside_unpatched, atomic_read(&test_klp_exit_inside));
}

static struct klp_func test_klp_exit_funcs[] = {
	{
		.old_name = "exit_task_stack_account",
		.new_func = test_klp_exit_stack_account,
	},
	{ }
};

static struct klp_object test_klp_exit_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_exit_funcs,
		.callbacks.post_unpatch = test_klp_exit_post_unpatch,
	},
	{ }
};

static struct klp_patch test_klp_exit_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_exit_objs,
};

static int __init test_klp_exit_init(void)
{
	if (IS_ENABLED(CONFIG_MEMCG)) {
		pr_info("the replacement does not charge memory cgroups\n");
		return -ENODEV;
	}
	return klp_enable_patch(&test_klp_exit_patch);
}

static void __exit test_klp_exit_exit(void)
{
	/* A task still in the replacement would return into freed code. */
	WARN(atomic_read(&test_klp_exit_inside),
	     "%d tasks still run the replacement\n",
	     atomic_read(&test_klp_exit_inside));
}

module_init(test_klp_exit_init);
module_exit(test_klp_exit_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch the end of do_exit()");
