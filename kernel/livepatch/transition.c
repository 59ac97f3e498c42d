// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The consistency model: kGraft's per-task universes.
 *
 * While a patch is enabled or disabled, each task runs either the code
 * before the change (the initial universe) or the code after it (the
 * target universe), never a mix.  The ftrace handler sends each call to
 * the variant of the calling task's universe; an interrupt uses the
 * universe of the task it interrupted.
 *
 * A task moves to the target universe only where none of the functions
 * the transition replaces can be on its stack:
 *  - at the kernel/user boundary, on syscall entry and on the way out;
 *  - in the idle loop;
 *  - at kernel safe points (cond_resched(), kthread_should_stop(),
 *    try_to_freeze()), when its own reliable stack trace is clean;
 *  - while it is not running, when its reliable stack trace is clean;
 *  - a child is born in its parent's universe; a dead task leaves at its
 *    last context switch, when it no longer runs any code.
 *
 * An exiting task may be reaped, and taken off the task lists, while it
 * still runs the end of do_exit() and do_task_dead(), which can call or
 * be patched functions.  From klp_task_exiting(), before exit_notify(),
 * to klp_exit_task(), called by the scheduler once the task switched away
 * for good, it is also on a list of exiting tasks, which every walk of
 * the tasks visits: the transition waits for it like for any other task.
 *
 * Universes are kept without visiting every task at the start: a task's
 * patch_state is only valid while its patch_epoch equals klp_epoch, which
 * each transition increments; any other task is in klp_initial_state.
 * TIF_PATCH_PENDING marks the tasks that still have to switch.
 *
 * The transition is driven by events, not polled: the task that clears
 * the last pending flag queues klp_transition_work, which checks that
 * every task has switched and completes the transition.  Tasks that did
 * not switch by themselves are retried with a short backoff; after
 * KLP_NUDGE_MS a user task sleeping in the kernel gets a fake signal, a
 * kthread a wake-up.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/kallsyms.h>
#include <linux/list.h>
#include <linux/livepatch_task.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>

#include "internal.h"

/*
 * Retries back off from 1 ms, doubling, to one a second: the first ones
 * catch sleeping tasks whose stacks became clean within milliseconds,
 * while a transition held up for long costs one walk of the tasks under
 * klp_mutex, and one nudge of each blocker, a second, as mainline's poll.
 * Stragglers are nudged from 20 ms on: a fake signal costs a restarted
 * system call, which beats a transition held up for seconds.
 */
#define KLP_RETRY_MIN_MS	1
#define KLP_RETRY_MAX_MS	1024
#define KLP_NUDGE_MS		20
#define KLP_MAX_STACK_ENTRIES	128

/* A task that switched away for good: it runs no code any more. */
#define KLP_EPOCH_DEAD		ULONG_MAX

/*
 * The transition in progress.  Changed under klp_mutex; klp_epoch,
 * klp_initial_state and klp_target_state are also written under
 * tasklist_lock, so that a fork sees them consistently with its parent.
 * Tasks and the handler read them without locks: the writer orders them
 * before it sets func->transition and before it sets any
 * TIF_PATCH_PENDING (smp_wmb() in klp_transition_prepare(), the barrier
 * in test_and_set_bit() in klp_flag_task()).
 */
unsigned long klp_epoch;
int klp_initial_state = KLP_TRANSITION_IDLE;
int klp_target_state = KLP_TRANSITION_IDLE;

static struct klp_patch *klp_transition_patch;
/* The patch in transition is cumulative and replaces the enabled ones. */
static bool klp_transition_replaces;
static klp_transition_done_t klp_transition_done;
static u64 klp_transition_start_ns;
static unsigned int klp_retry_ms;

/* Pending tasks, a hint that tells the last switch to kick the work. */
static atomic_t klp_pending;

/*
 * On while a transition runs.  Exported with __klp_sched_try_switch()
 * because try_to_freeze(), which modules of any license call, inlines
 * the safe point, as freezer.c exports freezer_active for the same
 * function.
 */
DEFINE_STATIC_KEY_FALSE(klp_sched_try_switch_key);
EXPORT_SYMBOL(klp_sched_try_switch_key);

/*
 * The tasks between klp_task_exiting() and klp_exit_task(), on the list
 * of the CPU they started exiting on (task->patch_exit_cpu).  The lock
 * serializes the adds of exiting tasks and the removals by the scheduler,
 * which runs klp_exit_task() with preemption disabled: a raw spinlock.
 * Walks of the list use RCU, which keeps a task_struct until it is off
 * all lists.
 */
struct klp_exit_list {
	raw_spinlock_t lock;		/* serializes changes of tasks */
	struct hlist_head tasks;
};

static DEFINE_PER_CPU(struct klp_exit_list, klp_exiting) = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(klp_exiting.lock),
};

static struct hlist_head *klp_exiting_tasks(int cpu)
{
	return &per_cpu_ptr(&klp_exiting, cpu)->tasks;
}

/*
 * Exiting tasks go on the lists above while klp_exit_key is on: from the
 * start of a transition for as long as some call is redirected.  While
 * it is off, nothing is patched and klp_task_exiting() only counts the
 * task in klp_untracked_exits, klp_exit_task() counts its death in
 * klp_untracked_dead.  Such a task runs unpatched code, but once reaped
 * no walk finds it: the transition that turns the key on waits for the
 * deaths to catch up with the exits counted until then
 * (klp_untracked_begun), without naming the tasks.
 */
DEFINE_STATIC_KEY_FALSE(klp_exit_key);
DEFINE_PER_CPU(unsigned long, klp_untracked_exits);
static DEFINE_PER_CPU(unsigned long, klp_untracked_dead);
static unsigned long klp_untracked_begun;	/* under klp_mutex */
static bool klp_untracked_wait;			/* under klp_mutex */

static void klp_transition_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(klp_transition_work, klp_transition_fn);

/* Code a task must not have on its stack to switch: see klp_add_range(). */
struct klp_range {
	unsigned long start, end;
};

/*
 * The ranges of the transition to @target, sorted and merged where they
 * overlap, for bsearch().  Built under klp_mutex and published with RCU:
 * tasks that switch themselves read them with preemption disabled, and
 * take no lock the transition work holds.
 */
struct klp_ranges {
	struct rcu_head rcu;
	int target;
	unsigned int nr;
	struct klp_range range[];
};

/* Where a stack trace is taken, with preemption disabled. */
struct klp_stack {
	unsigned long entries[KLP_MAX_STACK_ENTRIES];
};

static struct klp_ranges __rcu *klp_ranges;
static DEFINE_PER_CPU(struct klp_stack, klp_stacks);

/*
 * The grace period that started when the last transition ended.  The
 * next one does not start before it is over: until then a handler or a
 * task switching itself may still read the universes of the last one.
 */
static unsigned long klp_end_gp;
static bool klp_ended;

/* In which universe is @task?  KLP_TRANSITION_IDLE outside transitions. */
int klp_task_patch_state(struct task_struct *task)
{
	if (READ_ONCE(klp_target_state) == KLP_TRANSITION_IDLE)
		return KLP_TRANSITION_IDLE;
	return klp_universe(task);
}

/*
 * Move @task to the universe @target.  @task is current, or does not run
 * (task_call_func()), or a transition is being forced (with the task's
 * pi_lock held, against klp_exit_task()).  The state is
 * written before the epoch, so that a reader that sees the new epoch sees
 * the new state; pairs with smp_rmb() in klp_universe().
 */
static void klp_switch(struct task_struct *task, int target)
{
	WRITE_ONCE(task->patch_state, target);
	smp_wmb();	/* state before epoch: pairs with klp_universe() */
	WRITE_ONCE(task->patch_epoch, READ_ONCE(klp_epoch));
}

static void klp_kick(void)
{
	if (atomic_dec_return(&klp_pending) <= 0)
		mod_delayed_work(system_percpu_wq, &klp_transition_work, 0);
}

/**
 * klp_update_patch_state() - switch current at a safe point
 * @task: current
 *
 * Called where no patched function can be on the stack: the kernel/user
 * boundary and the idle loop.  Runs with preemption disabled, so that
 * klp_reverse_transition() can wait for it with synchronize_rcu().
 */
void klp_update_patch_state(struct task_struct *task)
{
	preempt_disable_notrace();
	/*
	 * The syscall work bit goes first: a transition that flags @task
	 * after the test below sets it again.  Pairs with the order of
	 * klp_flag_task(); test_and_clear_bit() is a full barrier.
	 */
	clear_task_syscall_work(task, LIVEPATCH);
	if (test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING)) {
		klp_switch(task, READ_ONCE(klp_target_state));
		klp_kick();
	}
	preempt_enable_notrace();
}

/* Is @addr in code a task must leave before it switches? */
static int klp_range_cmp(const void *key, const void *elt)
{
	unsigned long addr = *(const unsigned long *)key;
	const struct klp_range *r = elt;

	if (addr < r->start)
		return -1;
	return addr >= r->end ? 1 : 0;
}

/*
 * Check @task's stack against @ranges.  Returns 0 when it is clean,
 * -EADDRINUSE with *@where set when a replaced function is on it, -EINVAL
 * when the stack trace is not reliable.  Called with preemption disabled
 * (the per-CPU buffer), on a task that is current or does not run.
 */
static int klp_check_stack(struct task_struct *task,
			   const struct klp_ranges *ranges, unsigned long *where)
{
	unsigned long *entries = this_cpu_ptr(&klp_stacks)->entries;
	int nr, i;

	nr = stack_trace_save_tsk_reliable(task, entries,
					   KLP_MAX_STACK_ENTRIES);
	if (nr < 0)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (bsearch(&entries[i], ranges->range, ranges->nr,
			    sizeof(ranges->range[0]), klp_range_cmp)) {
			*where = entries[i];
			return -EADDRINUSE;
		}
	}
	return 0;
}

struct klp_check {
	unsigned long where;
	bool only_check;
};

/*
 * task_call_func() callback, or called for current under its pi_lock:
 * @task does not run unless it is current.  Runs with interrupts
 * disabled, an RCU reader of the ranges.  Returns
 * 1 when @task switched, else as klp_check_stack(), or -ENOMEM when the
 * ranges could not be built (the task then switches only at the kernel
 * boundary), or -EAGAIN when the transition was just reversed and the
 * ranges are not those of the new direction yet.
 */
static int klp_check_and_switch(struct task_struct *task, void *arg)
{
	struct klp_check *check = arg;
	struct klp_ranges *ranges;
	int ret;

	if (task_curr(task) && task != current)
		return -EBUSY;
	ranges = rcu_dereference_sched(klp_ranges);
	if (!ranges)
		return -ENOMEM;
	ret = klp_check_stack(task, ranges, &check->where);
	if (ret || check->only_check)
		return ret;
	/*
	 * A reversal publishes its target, waits for a grace period, then
	 * its ranges: in between, the ranges are those of the direction
	 * left.  Pairs with synchronize_rcu() in klp_reverse_transition().
	 */
	if (ranges->target != READ_ONCE(klp_target_state))
		return -EAGAIN;
	if (test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING)) {
		klp_switch(task, ranges->target);
		return 1;
	}
	return 0;
}

/* The reason a task has not switched yet, for blockers and retries. */
static int klp_try_switch_task(struct task_struct *task, bool only_check,
			       unsigned long *where)
{
	struct klp_check check = { .only_check = only_check };
	int ret;

	if (!klp_patch_pending(task))
		return 0;
	ret = task_call_func(task, klp_check_and_switch, &check);
	if (ret == 1) {
		klp_kick();
		ret = 0;
	}
	*where = check.where;
	return ret;
}

/**
 * __klp_sched_try_switch() - switch current at a kernel safe point
 *
 * For tasks that run in the kernel for long: kthreads and CPU-bound code
 * that calls cond_resched().  Switches only if the stack is clean.  Takes
 * only the task's own pi_lock, with interrupts disabled, and reads the
 * transition's ranges under RCU: callable where kthread_should_stop() and
 * try_to_freeze() are, in wait conditions and under spinlocks too.
 */
void __klp_sched_try_switch(void)
{
	struct klp_check check = { .only_check = false };
	unsigned long flags;
	int ret;

	/*
	 * Not task_call_func(): current cannot run elsewhere, so its
	 * runqueue's lock is not needed; the pi_lock orders the switch
	 * against the transition work and against klp_exit_task().
	 */
	raw_spin_lock_irqsave(&current->pi_lock, flags);
	ret = klp_check_and_switch(current, &check);
	raw_spin_unlock_irqrestore(&current->pi_lock, flags);
	if (ret == 1)
		klp_kick();
}
EXPORT_SYMBOL(__klp_sched_try_switch);

/*
 * Flag @task if it is not in the target universe, unflag it if it is.
 * A flag on a task in the target universe is left over from before a
 * reversal, which made its universe the target: if it stayed, the task
 * would switch at its next safe point even once the transition is over,
 * in the window where the next one has published its universes but not
 * pushed its variants yet.  The count goes up before the flag, so that
 * the switch that clears the flag never finds it lower than it should be.
 */
static bool klp_flag_task(struct task_struct *task)
{
	if (READ_ONCE(task->patch_epoch) == KLP_EPOCH_DEAD)
		return false;
	if (klp_universe(task) == READ_ONCE(klp_target_state)) {
		/* Too low a count only kicks the work once more. */
		if (test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING))
			atomic_dec(&klp_pending);
		return false;
	}
	atomic_inc(&klp_pending);
	if (test_and_set_tsk_thread_flag(task, TIF_PATCH_PENDING))
		atomic_dec(&klp_pending);
	/* After the flag: see klp_update_patch_state(). */
	set_task_syscall_work(task, LIVEPATCH);
	return true;
}

/*
 * Call @fn for every task: those on the task lists, the exiting ones and
 * the idle tasks.  An exiting task may be visited twice.  Returns how
 * many calls returned true.
 */
typedef bool (*klp_task_fn_t)(struct task_struct *task);

static unsigned int klp_visit_tasks(klp_task_fn_t fn)
{
	struct task_struct *g, *task;
	unsigned int n = 0;
	int cpu;

	rcu_read_lock();
	for_each_process_thread(g, task)
		n += fn(task);
	smp_rmb();	/* task lists, then exiting: see klp_task_exiting() */
	for_each_possible_cpu(cpu)
		hlist_for_each_entry_rcu(task, klp_exiting_tasks(cpu),
					 patch_exit_node)
			n += fn(task);
	rcu_read_unlock();

	cpus_read_lock();
	for_each_possible_cpu(cpu)
		n += fn(idle_task(cpu));
	cpus_read_unlock();
	return n;
}

/*
 * Flag every task that is not in the target universe yet; returns how
 * many there are.  Tasks forked after the start was published flag
 * themselves in klp_copy_process(); older ones are on the task lists.
 */
static unsigned int klp_flag_all(void)
{
	return klp_visit_tasks(klp_flag_task);
}

/**
 * klp_copy_process() - a child starts in its parent's universe
 * @child: the new task, not visible yet
 *
 * Called by fork with tasklist_lock held for writing, which orders it
 * against the start and the reversal of a transition, and past the last
 * failure of fork: a child counted in klp_pending always runs.
 */
void klp_copy_process(struct task_struct *child)
{
	child->patch_state = current->patch_state;
	child->patch_epoch = current->patch_epoch;
	child->patch_exit_cpu = 0;
	INIT_HLIST_NODE(&child->patch_exit_node);
	clear_tsk_thread_flag(child, TIF_PATCH_PENDING);
	clear_task_syscall_work(child, LIVEPATCH);
	if (READ_ONCE(klp_target_state) != KLP_TRANSITION_IDLE &&
	    klp_universe(child) != klp_target_state) {
		atomic_inc(&klp_pending);
		set_tsk_thread_flag(child, TIF_PATCH_PENDING);
		set_task_syscall_work(child, LIVEPATCH);
	}
}

/**
 * __klp_task_exiting() - an exiting task goes on the exiting list
 * @task: current, in do_exit() before exit_notify(), preemption disabled
 *
 * From here to klp_exit_task() @task stays visible to transitions, even
 * once it is reaped and off the task lists.
 */
void __klp_task_exiting(struct task_struct *task)
{
	struct klp_exit_list *list;

	task->patch_exit_cpu = raw_smp_processor_id();
	list = per_cpu_ptr(&klp_exiting, task->patch_exit_cpu);
	raw_spin_lock(&list->lock);
	hlist_add_head_rcu(&task->patch_exit_node, &list->tasks);
	raw_spin_unlock(&list->lock);
	/*
	 * On the list before the unhashing can be seen: a walk that misses
	 * @task on the task lists finds it here.  Pairs with smp_rmb() in
	 * klp_visit_tasks() and klp_try_switch_all().
	 */
	smp_mb();
}

/* @task ran its last instruction: drop it from transitions. */
static void klp_retire_task(struct task_struct *task)
{
	struct klp_exit_list *list;
	unsigned long flags;
	bool pending;

	/*
	 * The pi_lock orders this against a switch by the transition
	 * (task_call_func()) or a forced one, which could otherwise write
	 * a live epoch over the dead one after clearing the flag first.
	 */
	raw_spin_lock_irqsave(&task->pi_lock, flags);
	WRITE_ONCE(task->patch_epoch, KLP_EPOCH_DEAD);
	pending = test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING);
	raw_spin_unlock_irqrestore(&task->pi_lock, flags);
	if (pending)
		klp_kick();

	/*
	 * Not on the list if it faulted in do_exit() before getting there,
	 * or started exiting while nothing was patched.
	 */
	if (hlist_unhashed(&task->patch_exit_node))
		return;
	list = per_cpu_ptr(&klp_exiting, task->patch_exit_cpu);
	raw_spin_lock(&list->lock);
	hlist_del_init_rcu(&task->patch_exit_node);
	raw_spin_unlock(&list->lock);
}

/**
 * klp_exit_task() - a dead task switched away for good
 * @task: the task that ran do_task_dead(), before its stack is freed
 *
 * Called by the scheduler after the last context switch of @task, with
 * preemption disabled: from here on @task runs nothing, patched or not,
 * so it leaves live patching.  Until here a transition waits for it, even
 * when it is preempted in do_task_dead().
 */
void klp_exit_task(struct task_struct *task)
{
	bool untracked = task->patch_exit_cpu == KLP_EXIT_UNTRACKED;

	/*
	 * With nothing patched no transition runs, so none switches @task
	 * under us: no lock.  The next one finds it dead on the task lists
	 * if it is not reaped yet; klp_track_exits() waits for this store.
	 */
	if (static_branch_unlikely(&klp_exit_key) ||
	    !hlist_unhashed(&task->patch_exit_node))
		klp_retire_task(task);
	else
		WRITE_ONCE(task->patch_epoch, KLP_EPOCH_DEAD);
	/* After the retirement: klp_untracked_gone() may end a transition. */
	if (untracked)
		__this_cpu_inc(klp_untracked_dead);
}

/*
 * Turn exit tracking on before a transition flags tasks.  Tasks that
 * found the key off counted themselves with preemption disabled, and
 * their deaths stored KLP_EPOCH_DEAD with it disabled too: after a grace
 * period the count is complete and the stores visible.  Expedited: this
 * is the first enable after nothing was patched, and a normal grace
 * period would add tens of milliseconds to it.  Returns whether it
 * waited for one.
 */
static bool klp_track_exits(void)
{
	unsigned long begun = 0;
	int cpu;

	if (static_key_enabled(&klp_exit_key))
		return false;
	static_branch_enable(&klp_exit_key);
	synchronize_rcu_expedited();
	for_each_possible_cpu(cpu)
		begun += per_cpu(klp_untracked_exits, cpu);
	klp_untracked_begun = begun;
	klp_untracked_wait = true;
	return true;
}

/**
 * klp_transition_track_exits() - track exiting tasks from now on
 *
 * For code patched outside a transition (a module that comes): tasks
 * that exit while it can run are visible to the next transition.
 * Called with klp_mutex held.
 */
void klp_transition_track_exits(void)
{
	lockdep_assert_held(&klp_mutex);
	klp_track_exits();
}

/* Are the tasks that started exiting untracked all dead? */
static bool klp_untracked_gone(void)
{
	unsigned long dead = 0;
	int cpu;

	if (!klp_untracked_wait)
		return true;
	for_each_possible_cpu(cpu)
		dead += READ_ONCE(per_cpu(klp_untracked_dead, cpu));
	if ((long)(klp_untracked_begun - dead) > 0)
		return false;
	/* Their deaths before what the transition does next. */
	smp_mb();
	klp_untracked_wait = false;
	return true;
}

/* Unpublish the ranges; readers may use them until a grace period. */
static void klp_free_ranges(void)
{
	struct klp_ranges *ranges;

	ranges = rcu_replace_pointer(klp_ranges, NULL,
				     lockdep_is_held(&klp_mutex));
	if (ranges)
		kvfree_rcu(ranges, rcu);
}

/*
 * Merge the sorted ranges that overlap or repeat (a variant that is both
 * below the patch and in a patch it replaces), so that bsearch() finds
 * an address in the one range that holds it.
 */
static void klp_merge_ranges(struct klp_ranges *ranges)
{
	struct klp_range *r = ranges->range;
	unsigned int i, n = 0;

	for (i = 0; i < ranges->nr; i++) {
		if (n && r[i].start < r[n - 1].end) {
			r[n - 1].end = max(r[n - 1].end, r[i].end);
			continue;
		}
		r[n++] = r[i];
	}
	ranges->nr = n;
}

static int klp_range_sort_cmp(const void *a, const void *b)
{
	const struct klp_range *ra = a, *rb = b;

	if (ra->start == rb->start)
		return 0;
	return ra->start < rb->start ? -1 : 1;
}

static void __klp_add_range(struct klp_ranges *ranges, unsigned long addr,
			    unsigned long size)
{
	struct klp_range *r = &ranges->range[ranges->nr++];

	r->start = addr;
	r->end = addr + size;
}

/*
 * Add the code at @addr, where tasks of the universe left run @func.
 * When that is a variant, add the old function too: a task preempted in
 * the ftrace trampoline, after the handler sent it to the variant but
 * before it got there, has only the old function's address on its stack
 * (the return address of the call to the trampoline).
 */
static void klp_add_range(struct klp_ranges *ranges, struct klp_func *func,
			  unsigned long addr)
{
	unsigned long size;

	__klp_add_range(ranges, (unsigned long)func->old_func, func->old_size);
	if (addr == (unsigned long)func->old_func)
		return;
	if (!kallsyms_lookup_size_offset(addr, &size, NULL))
		size = 1;
	__klp_add_range(ranges, addr, size);
}

typedef void (*klp_func_fn_t)(struct klp_func *func, void *arg);

/* Call @fn for each function of the patches a cumulative patch replaces. */
static void klp_visit_replaced(struct klp_patch *patch, klp_func_fn_t fn,
			       void *arg)
{
	struct klp_patch *old;
	struct klp_object *obj;
	struct klp_func *func;

	if (!klp_transition_replaces)
		return;
	list_for_each_entry(old, &klp_patches, list) {
		if (old == patch)
			continue;
		klp_for_each_object(old, obj)
			klp_for_each_func(obj, func)
				fn(func, arg);
	}
}

/* Two ranges a function at most: see klp_add_range(). */
static void klp_count_replaced(struct klp_func *func, void *arg)
{
	*(unsigned int *)arg += func->old_func ? 2 : 0;
}

/* Leaving the unpatched universe: its variant; else the old function. */
static void klp_add_replaced_range(struct klp_func *func, void *arg)
{
	struct klp_ranges *ranges = arg;

	if (!func->old_func)
		return;		/* a module that is not loaded */
	klp_add_range(ranges, func, ranges->target == KLP_TRANSITION_PATCHED ?
		      (unsigned long)func->new_func :
		      (unsigned long)func->old_func);
}

/*
 * The code a task leaves: when patching, what runs for the initial
 * universe (the variant below or the old function); when unpatching, the
 * patch's own functions.  A cumulative patch also takes the variants of
 * the patches it replaces away, and gives the old functions back.
 */
static int klp_build_ranges(struct klp_patch *patch, int target)
{
	struct klp_ranges *ranges;
	struct klp_object *obj;
	struct klp_func *func;
	unsigned int n = 0;

	klp_for_each_object(patch, obj)
		if (klp_object_present(obj))
			klp_for_each_func(obj, func)
				n += 2;
	klp_visit_replaced(patch, klp_count_replaced, &n);

	ranges = kvzalloc(struct_size(ranges, range, n), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	ranges->target = target;

	klp_for_each_object(patch, obj) {
		if (!klp_object_present(obj))
			continue;
		klp_for_each_func(obj, func)
			klp_add_range(ranges, func,
				      target == KLP_TRANSITION_PATCHED ?
				      klp_variant_below(func) :
				      (unsigned long)func->new_func);
	}
	klp_visit_replaced(patch, klp_add_replaced_range, ranges);

	sort(ranges->range, ranges->nr, sizeof(ranges->range[0]),
	     klp_range_sort_cmp, NULL);
	klp_merge_ranges(ranges);
	rcu_assign_pointer(klp_ranges, ranges);
	return 0;
}

/*
 * Rebuild the ranges after a module came or went during the transition,
 * so that its functions are checked too, or no longer.
 */
static void klp_rebuild_ranges(void)
{
	klp_free_ranges();
	if (klp_build_ranges(klp_transition_patch, klp_target_state))
		pr_warn("%s: out of memory, tasks switch only at the kernel boundary\n",
			klp_transition_patch->mod->name);
}

/**
 * klp_transition_objects_changed() - a module came or went
 *
 * Called with klp_mutex held after the functions of a module that came
 * were redirected, or those of a module that goes were not any more.
 */
void klp_transition_objects_changed(void)
{
	lockdep_assert_held(&klp_mutex);
	if (klp_transition_patch)
		klp_rebuild_ranges();
}

static void klp_set_replaced(struct klp_func *func, void *arg)
{
	WRITE_ONCE(func->replaced, *(bool *)arg);
}

static void klp_set_func_transition(struct klp_patch *patch, bool on)
{
	struct klp_object *obj;
	struct klp_func *func;
	struct klp_patch *old;

	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func)
			WRITE_ONCE(func->transition, on);
	klp_redirect_refresh(patch);

	klp_visit_replaced(patch, klp_set_replaced, &on);
	if (klp_transition_replaces)
		list_for_each_entry(old, &klp_patches, list)
			if (old != patch)
				klp_redirect_refresh(old);

	/*
	 * Opening: the functions of the transition stop jumping to a
	 * variant before any task may switch.  Closing: they jump to the
	 * variant every task now runs.
	 */
	klp_redirect_sync();
}

/**
 * klp_transition_prepare() - open a transition of a patch
 * @patch:  the patch being enabled or disabled
 * @target: KLP_TRANSITION_PATCHED or KLP_TRANSITION_UNPATCHED
 *
 * Publishes the new universes and marks the patch's functions as in
 * transition, so that a variant pushed afterwards is only seen by tasks
 * in the patched universe.  No task switches before
 * klp_transition_start().  Called with klp_mutex held.
 *
 * Return: 0, or -ENOMEM (or -EBUSY, a bug) with nothing changed.
 */
int klp_transition_prepare(struct klp_patch *patch, int target)
{
	int ret;

	lockdep_assert_held(&klp_mutex);
	if (WARN_ON(klp_transition_patch))
		return -EBUSY;

	/*
	 * Handlers and tasks that read the universes of the last transition
	 * run with preemption disabled: let them finish before a new epoch.
	 * Pairs with get_state_synchronize_rcu() in klp_transition_end().
	 */
	if (!klp_track_exits() && klp_ended)
		cond_synchronize_rcu(klp_end_gp);

	/* A cumulative patch replaces the patches enabled before it. */
	klp_transition_replaces = patch->replace &&
				  target == KLP_TRANSITION_PATCHED;
	ret = klp_build_ranges(patch, target);
	if (ret) {
		klp_transition_replaces = false;
		return ret;
	}

	klp_transition_patch = patch;
	atomic_set(&klp_pending, 1);	/* held until the start has flagged */

	write_lock_irq(&tasklist_lock);
	WRITE_ONCE(klp_initial_state, !target);
	WRITE_ONCE(klp_target_state, target);
	WRITE_ONCE(klp_epoch, klp_epoch + 1);
	write_unlock_irq(&tasklist_lock);

	/* Universes before flags: pairs with klp_visible_variant(). */
	smp_wmb();
	klp_set_func_transition(patch, true);
	return 0;
}

static void klp_transition_end(void)
{
	struct klp_patch *patch = klp_transition_patch;

	static_branch_disable(&klp_sched_try_switch_key);
	/* Tasks exit untracked from here if nothing is patched any more. */
	if (!klp_redirecting())
		static_branch_disable(&klp_exit_key);
	cancel_delayed_work(&klp_transition_work);

	klp_set_func_transition(patch, false);
	WRITE_ONCE(klp_target_state, KLP_TRANSITION_IDLE);
	klp_transition_patch = NULL;
	klp_transition_replaces = false;
	klp_free_ranges();
	klp_end_gp = get_state_synchronize_rcu();
	klp_ended = true;
}

/**
 * klp_transition_abort() - close a transition no task was told about
 * @patch: the patch passed to klp_transition_prepare()
 */
void klp_transition_abort(struct klp_patch *patch)
{
	lockdep_assert_held(&klp_mutex);
	klp_transition_end();
}

/*
 * Flag the tasks that are not at the target yet and kick the work that
 * switches whom it can.  klp_pending holds one count for the caller,
 * dropped here once every task is flagged.
 */
static void klp_let_tasks_switch(void)
{
	klp_retry_ms = 0;
	/* transition_ns counts from here: tasks may now be in either universe. */
	klp_transition_start_ns = ktime_get_ns();
	/* Already on when a transition is reversed. */
	static_branch_enable(&klp_sched_try_switch_key);
	klp_flag_all();
	klp_kick();
	mod_delayed_work(system_percpu_wq, &klp_transition_work, 0);
}

/**
 * klp_transition_start() - let tasks switch
 * @done: called with klp_mutex held when every task has switched; told
 *	  whether the patches enabled before were replaced
 *
 * Flags the tasks, kicks what can switch at once and returns; the
 * transition completes in the background, or here if nothing is left.
 */
void klp_transition_start(klp_transition_done_t done)
{
	lockdep_assert_held(&klp_mutex);

	klp_transition_done = done;
	klp_let_tasks_switch();
}

/* Switch @task whether or not it is at a safe point. */
static bool klp_force_task(struct task_struct *task)
{
	guard(raw_spinlock_irqsave)(&task->pi_lock);
	if (!test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING))
		return false;
	klp_switch(task, READ_ONCE(klp_target_state));
	return true;
}

/*
 * Add @task to the @n tasks collected so far if it is pending, with a
 * reference for the check outside RCU.  False if there is no room left.
 */
static bool klp_collect(struct task_struct *task, struct task_struct **tasks,
			unsigned int *n, unsigned int max)
{
	if (!klp_patch_pending(task))
		return true;
	if (*n == max)
		return false;
	get_task_struct(task);
	tasks[(*n)++] = task;
	return true;
}

/*
 * Help @task, which could not switch (@ret), to a safe point.  A user task
 * running on another CPU is sent there first by an interrupt, and most
 * often switches on its way back to user space.  Past KLP_NUDGE_MS a
 * user task gets a fake signal: one sleeping in the kernel returns to
 * user space with its system call restarted, and so does one that runs
 * in the kernel without ever going back there by itself, as a KVM vCPU
 * in KVM_RUN that enters the guest again after each exit (the signal
 * makes KVM_RUN return -EINTR).  A kthread is woken up, to reach its
 * next kthread_should_stop() or try_to_freeze().
 */
static void klp_nudge(struct task_struct *task, int ret, bool nudge)
{
	if (task->flags & PF_KTHREAD) {
		if (nudge)
			wake_up_state(task, TASK_INTERRUPTIBLE);
	} else if (nudge) {
		set_notify_signal(task);	/* kicks it if it runs */
	} else if (ret == -EBUSY) {
		kick_process(task);
	}
}

/* Try to switch every pending task; returns how many are left. */
static unsigned int klp_try_switch_all(bool nudge)
{
	struct task_struct *g, *task, **tasks;
	unsigned int n = 0, i, left = 0, max;
	unsigned long where;
	int cpu, ret;

	max = READ_ONCE(nr_threads) + 64;
	tasks = kvmalloc_objs(*tasks, max);
	if (!tasks)
		return UINT_MAX;

	/*
	 * Idle tasks switch in the idle loop: wake them up first.  The idle
	 * task of a CPU that is offline, or was never brought up, is its
	 * rq->curr and looks running; it runs nothing that can return to a
	 * patched function: bringing the CPU up starts it afresh from the
	 * architecture's entry code.  cpus_read_lock() keeps the CPU where
	 * it is while the task switches.
	 */
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		task = idle_task(cpu);
		if (!klp_patch_pending(task))
			continue;
		if (!cpu_online(cpu)) {
			if (klp_force_task(task))
				klp_kick();
			continue;
		}
		/* Not running (its CPU is busy): check it. */
		if (!klp_try_switch_task(task, false, &where))
			continue;
		wake_up_if_idle(cpu);
		left++;
	}
	cpus_read_unlock();

	/* Collect under RCU; check stacks outside it, one task at a time. */
	rcu_read_lock();
	for_each_process_thread(g, task) {
		if (!klp_collect(task, tasks, &n, max)) {
			left++;
			goto collected;
		}
	}
	smp_rmb();	/* task lists, then exiting: see klp_task_exiting() */
	for_each_possible_cpu(cpu) {
		hlist_for_each_entry_rcu(task, klp_exiting_tasks(cpu),
					 patch_exit_node) {
			if (!klp_collect(task, tasks, &n, max)) {
				left++;
				goto collected;
			}
		}
	}
collected:
	rcu_read_unlock();

	for (i = 0; i < n; i++) {
		task = tasks[i];
		ret = klp_try_switch_task(task, false, &where);
		if (ret) {
			klp_nudge(task, ret, nudge);
			left++;
		}
		put_task_struct(task);
		cond_resched();
	}
	kvfree(tasks);

	return left;
}

/* Has every task switched?  Flags any that slipped through. */
static bool klp_all_switched(void)
{
	return !klp_flag_all() && klp_untracked_gone();
}

static void klp_transition_fn(struct work_struct *work)
{
	unsigned int delay;
	bool nudge;

	mutex_lock(&klp_mutex);
	if (!klp_transition_patch)
		goto unlock;

	if (!klp_all_switched()) {
		nudge = ktime_get_ns() - klp_transition_start_ns >=
			(u64)KLP_NUDGE_MS * NSEC_PER_MSEC;
		klp_try_switch_all(nudge);
		if (!klp_all_switched()) {
			delay = klp_retry_ms ? klp_retry_ms : KLP_RETRY_MIN_MS;
			klp_retry_ms = min(delay * 2, KLP_RETRY_MAX_MS);
			mod_delayed_work(system_percpu_wq, &klp_transition_work,
					 msecs_to_jiffies(delay));
			goto unlock;
		}
	}
	klp_complete_transition();
unlock:
	mutex_unlock(&klp_mutex);
}

/**
 * klp_complete_transition() - every task is in the target universe
 *
 * Ends the transition and hands the patch to the callback given to
 * klp_transition_start().  Called with klp_mutex held.
 */
void klp_complete_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	klp_transition_done_t done = klp_transition_done;
	int target = klp_target_state;
	bool replaced = false;
	struct klp_patch *old;

	lockdep_assert_held(&klp_mutex);

	/* Until here tasks could be in either universe; not any more. */
	patch->transition_ns = ktime_get_ns() - klp_transition_start_ns;

	/* Unpatching: no task uses the patch's variants any more. */
	if (target == KLP_TRANSITION_UNPATCHED)
		klp_unredirect(patch, NULL);

	/*
	 * Replacing: no task uses the replaced patches' variants any more.
	 * They go before their flags are cleared, which would show them to
	 * the patched universe again.
	 */
	if (target == KLP_TRANSITION_PATCHED && klp_transition_replaces) {
		list_for_each_entry(old, &klp_patches, list)
			if (old != patch)
				klp_unredirect(old, NULL);
		replaced = true;
	}
	klp_transition_end();
	pr_debug("%s: transition to %s done in %llu us\n", patch->mod->name,
		 target == KLP_TRANSITION_PATCHED ? "patched" : "unpatched",
		 patch->transition_ns / NSEC_PER_USEC);
	done(patch, target, replaced);
}

/**
 * klp_transition_in_progress() - the patch in transition
 *
 * Return: the patch whose transition is in progress, or NULL.
 */
struct klp_patch *klp_transition_in_progress(void)
{
	lockdep_assert_held(&klp_mutex);
	return klp_transition_patch;
}

/**
 * klp_transition_elapsed_ns() - how long the transition in progress has run
 *
 * Counted as transition_ns is, from the moment tasks could start to
 * switch: the start, or the last reversal.  Called with klp_mutex held,
 * which klp_let_tasks_switch() also holds when it sets the start.
 *
 * Return: nanoseconds, or 0 when no transition is in progress.
 */
u64 klp_transition_elapsed_ns(void)
{
	lockdep_assert_held(&klp_mutex);
	if (!klp_transition_patch)
		return 0;
	return ktime_get_ns() - klp_transition_start_ns;
}

/**
 * klp_reverse_transition() - send every task back where it came from
 *
 * The target becomes the initial universe: tasks that had switched
 * switch back, the others are already there.  Called with klp_mutex held.
 */
void klp_reverse_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	int target = klp_target_state;

	lockdep_assert_held(&klp_mutex);

	pr_info("%s: reversing the transition to %s\n", patch->mod->name,
		target == KLP_TRANSITION_PATCHED ? "patched" : "unpatched");

	write_lock_irq(&tasklist_lock);
	WRITE_ONCE(klp_target_state, !target);
	write_unlock_irq(&tasklist_lock);
	/*
	 * A task that cleared its flag before the new target was published
	 * may still be writing the old one: wait for it (switches run with
	 * preemption disabled), then flag whoever is not at the new target.
	 */
	synchronize_rcu();

	klp_free_ranges();
	if (klp_build_ranges(patch, !target))
		pr_warn("%s: out of memory, tasks switch back only at the kernel boundary\n",
			patch->mod->name);

	atomic_set(&klp_pending, 1);
	klp_let_tasks_switch();
}

/**
 * klp_force_transition() - declare every task switched
 *
 * For a transition that cannot complete.  Tasks that did not reach a safe
 * point may still run the code they leave: the modules of the patches
 * that code belongs to and that go away now, the patch being disabled or
 * the patches a cumulative patch replaces, can never be removed.  The
 * code left by an enable that does not replace stays anyway.  Called with
 * klp_mutex held.
 */
void klp_force_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	struct klp_patch *old;

	lockdep_assert_held(&klp_mutex);

	pr_warn("%s: forcing the transition to %s: tasks are switched without a safe point\n",
		patch->mod->name,
		klp_target_state == KLP_TRANSITION_PATCHED ?
		"patched" : "unpatched");
	if (klp_target_state == KLP_TRANSITION_UNPATCHED) {
		patch->forced = true;
	} else if (klp_transition_replaces) {
		list_for_each_entry(old, &klp_patches, list)
			if (old != patch)
				old->forced = true;
	}

	klp_visit_tasks(klp_force_task);
	klp_untracked_wait = false;
	klp_complete_transition();
}

/*
 * One line of the blockers for @task, if it has not switched yet.
 * @offline: @task is the idle task of a CPU that is not online.
 */
static ssize_t klp_describe_blocker(char *buf, ssize_t len,
				    struct task_struct *task, bool offline)
{
	unsigned long where;
	int ret;

	if (!klp_patch_pending(task))
		return len;
	len += sysfs_emit_at(buf, len, "%d %s ", task_pid_nr(task), task->comm);
	/* Switched by the next retry: see klp_try_switch_all(). */
	if (offline)
		return len + sysfs_emit_at(buf, len, "offline\n");
	ret = klp_try_switch_task(task, true, &where);
	if (ret == -EBUSY)
		len += sysfs_emit_at(buf, len, "running\n");
	else if (ret == -EINVAL)
		len += sysfs_emit_at(buf, len, "unreliable stack\n");
	else if (ret == -EADDRINUSE)
		len += sysfs_emit_at(buf, len, "%pS\n", (void *)where);
	else
		len += sysfs_emit_at(buf, len, "pending\n");
	return len;
}

/**
 * klp_transition_blockers() - describe the tasks that have not switched
 * @buf: a sysfs buffer
 *
 * One line per task: pid, comm and why: the replaced function found on
 * its stack, "running", "unreliable stack", or "offline" for the idle
 * task of an offline CPU until the next retry switches it.  Exiting tasks
 * that were already reaped and idle tasks are listed too.  Called with
 * klp_mutex held.
 *
 * Return: the length written to @buf.
 */
ssize_t klp_transition_blockers(char *buf)
{
	struct task_struct *g, *task;
	ssize_t len = 0;
	int cpu;

	lockdep_assert_held(&klp_mutex);

	rcu_read_lock();
	for_each_process_thread(g, task) {
		if (len > PAGE_SIZE - 128)
			goto full;
		len = klp_describe_blocker(buf, len, task, false);
	}
	for_each_possible_cpu(cpu) {
		hlist_for_each_entry_rcu(task, klp_exiting_tasks(cpu),
					 patch_exit_node) {
			/* Not reaped yet: listed above. */
			if (pid_alive(task))
				continue;
			if (len > PAGE_SIZE - 128)
				goto full;
			len = klp_describe_blocker(buf, len, task, false);
		}
	}
	rcu_read_unlock();

	/* The idle tasks, under the lock that keeps their CPUs in place. */
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (len > PAGE_SIZE - 128) {
			cpus_read_unlock();
			return len + sysfs_emit_at(buf, len, "...\n");
		}
		len = klp_describe_blocker(buf, len, idle_task(cpu),
					   !cpu_online(cpu));
	}
	cpus_read_unlock();
	return len;

full:
	rcu_read_unlock();
	return len + sysfs_emit_at(buf, len, "...\n");
}
