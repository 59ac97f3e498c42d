/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live patching hooks at the safe points of tasks.
 *
 * During a live patch transition every task runs in one of two
 * universes, the old code or the new, and moves to the new one only
 * where no patched function can be on its stack.  The scheduler, the
 * entry code, fork and exit call these hooks at such points; each hook
 * costs a flag test when no transition is in progress (system call entry
 * not even that: a flagged task also has SYSCALL_WORK_LIVEPATCH, tested
 * with the rest of its syscall work); exit a static branch and a per-CPU
 * increment while nothing is patched.
 */
#ifndef _LINUX_LIVEPATCH_TASK_H_
#define _LINUX_LIVEPATCH_TASK_H_

#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#ifdef CONFIG_LIVEPATCH

void klp_update_patch_state(struct task_struct *task);
void klp_copy_process(struct task_struct *child);
void __klp_task_exiting(struct task_struct *task);
void klp_exit_task(struct task_struct *task);
int klp_task_patch_state(struct task_struct *task);
void __klp_sched_try_switch(void);

DECLARE_STATIC_KEY_FALSE(klp_sched_try_switch_key);
DECLARE_STATIC_KEY_FALSE(klp_exit_key);
DECLARE_PER_CPU(unsigned long, klp_untracked_exits);

/* patch_exit_cpu of a task that started exiting while klp_exit_key was off */
#define KLP_EXIT_UNTRACKED	(-1)

/**
 * klp_task_exiting() - a task is about to leave the task lists
 * @task: current, in do_exit() before exit_notify()
 *
 * While live patching is in use (klp_exit_key), @task goes on a list
 * that transitions walk, where they find it also once it is reaped.
 * Otherwise it is only counted, which takes neither a lock nor a
 * barrier: the transition that turns the key on waits until every
 * counted task is dead.  Preemption is off so that it can wait for the
 * count with synchronize_rcu().
 */
static inline void klp_task_exiting(struct task_struct *task)
{
	preempt_disable();
	if (static_branch_unlikely(&klp_exit_key)) {
		__klp_task_exiting(task);
	} else {
		task->patch_exit_cpu = KLP_EXIT_UNTRACKED;
		__this_cpu_inc(klp_untracked_exits);
	}
	preempt_enable();
}

/* The task still has to move to the universe of the current transition. */
static inline bool klp_patch_pending(struct task_struct *task)
{
	return test_tsk_thread_flag(task, TIF_PATCH_PENDING);
}

/*
 * A kernel safe point (cond_resched(), kthread loops): current may switch
 * if its own stack holds no function the transition replaces.
 */
static __always_inline void klp_sched_try_switch(void)
{
	if (static_branch_unlikely(&klp_sched_try_switch_key) &&
	    klp_patch_pending(current))
		__klp_sched_try_switch();
}

#else /* !CONFIG_LIVEPATCH */

static inline void klp_update_patch_state(struct task_struct *task) { }
static inline void klp_copy_process(struct task_struct *child) { }
static inline void klp_task_exiting(struct task_struct *task) { }
static inline void klp_exit_task(struct task_struct *task) { }

static inline bool klp_patch_pending(struct task_struct *task)
{
	return false;
}

static inline void klp_sched_try_switch(void) { }

#endif /* CONFIG_LIVEPATCH */

#endif /* _LINUX_LIVEPATCH_TASK_H_ */
