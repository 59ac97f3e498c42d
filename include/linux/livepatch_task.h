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
 * with the rest of its syscall work).
 */
#ifndef _LINUX_LIVEPATCH_TASK_H_
#define _LINUX_LIVEPATCH_TASK_H_

#include <linux/jump_label.h>
#include <linux/sched.h>

#ifdef CONFIG_LIVEPATCH

void klp_update_patch_state(struct task_struct *task);
void klp_copy_process(struct task_struct *child);
void klp_task_exiting(struct task_struct *task);
void klp_exit_task(struct task_struct *task);
int klp_task_patch_state(struct task_struct *task);
void __klp_sched_try_switch(void);

DECLARE_STATIC_KEY_FALSE(klp_sched_try_switch_key);

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
