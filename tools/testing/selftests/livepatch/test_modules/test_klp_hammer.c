// SPDX-License-Identifier: GPL-2.0
/*
 * Not a live patch: the callers and the counters of the live patching
 * hammer (test-hammer.sh, test_klp_hammer.h).  It calls the outer function
 * of test_klp_hammer_target, once that module attached it, from
 *
 *   - nr_kthreads kthreads (default 2), which call it in a loop with a
 *     cond_resched() after each call and a short sleep after every 32nd,
 *     on CPU kthread_cpu if it is given;
 *   - an hrtimer every period_us microseconds (default 1000; 0: none),
 *     in hard interrupt context;
 *   - on x86, an NMI that each expiry of the hrtimer sends to its own CPU
 *     (parameter nmi, default on);
 *   - every read of /proc/test_klp_hammer, which makes 8 calls and reads
 *     how many it made: user tasks call the function through read().
 *
 * The kthreads run at nice 10, so that the test script keeps its pace.
 * Each call checks that the three ids of the result are equal (one
 * universe) and counts itself; the variants count their own calls in
 * test_klp_hammer_hit().  The read-only parameter "stats" shows
 *
 *   calls=C kthread=K timer=H user=U nmi=N mixed=M last=R
 *   outer0=O0 inner0=I0 ... outer3=O3 inner3=I3 [crossA_B=X ...]
 *
 * (on one line): C the calls made, K, H, U and N those of the kthreads,
 * the hrtimer, the reads and the NMIs, M the calls whose ids differed, R
 * the last such result (hex), On/In the calls of variant n of each
 * function, X the calls of variant B of the inner function that variant A
 * of the outer function made (only those that happened, A != B).  Once
 * test_klp_hammer_target is gone, no call is in flight: C is the sum of
 * the On, and each In is twice On, less the crossn_B, plus the crossA_n.
 *
 * Writing anything to the parameter "sync" returns once every call that
 * had begun before the write has returned.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#ifdef CONFIG_X86_LOCAL_APIC
#include <linux/percpu.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/nmi.h>
#define TEST_KLP_HAMMER_HAVE_NMI	1
#else
#define TEST_KLP_HAMMER_HAVE_NMI	0
#endif

#include "test_klp_hammer.h"

#define TEST_KLP_HAMMER_READ_CALLS	8
#define TEST_KLP_HAMMER_SLEEP_EVERY	32

static unsigned int nr_kthreads = 2;
module_param(nr_kthreads, uint, 0444);
MODULE_PARM_DESC(nr_kthreads, "Kthreads that call the function (load time)");

static unsigned int period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "Period of the calling hrtimer in us, 0 for none (load time)");

static int kthread_cpu = -1;
module_param(kthread_cpu, int, 0444);
MODULE_PARM_DESC(kthread_cpu, "CPU the kthreads are bound to, -1 for none (load time)");

static bool nmi = TEST_KLP_HAMMER_HAVE_NMI;
module_param(nmi, bool, 0444);
MODULE_PARM_DESC(nmi, "The hrtimer sends an NMI that calls the function (x86, load time)");

/*
 * The outer function of test_klp_hammer_target while it is loaded.  Set
 * by test_klp_hammer_attach(), cleared by test_klp_hammer_detach(), which
 * then waits for the callers that may have read it: the hrtimer reads it
 * under rcu_read_lock(), the NMI handler in an NMI (which RCU waits for
 * too), the tasks under test_klp_hammer_srcu.
 */
static test_klp_hammer_outer_t test_klp_hammer_outer_fn;
static struct srcu_struct test_klp_hammer_srcu;

enum test_klp_hammer_caller {
	TEST_KLP_HAMMER_KTHREAD,
	TEST_KLP_HAMMER_TIMER,
	TEST_KLP_HAMMER_USER,
	TEST_KLP_HAMMER_NMI,
	TEST_KLP_HAMMER_CALLERS
};

static const char * const test_klp_hammer_caller_names[] = {
	[TEST_KLP_HAMMER_KTHREAD] = "kthread",
	[TEST_KLP_HAMMER_TIMER] = "timer",
	[TEST_KLP_HAMMER_USER] = "user",
	[TEST_KLP_HAMMER_NMI] = "nmi",
};

static atomic_long_t test_klp_hammer_calls[TEST_KLP_HAMMER_CALLERS];
static atomic_long_t test_klp_hammer_hits[TEST_KLP_HAMMER_IDS][TEST_KLP_HAMMER_FNS];
static atomic_long_t test_klp_hammer_mixed = ATOMIC_LONG_INIT(0);
static int test_klp_hammer_last_mixed;
static atomic_long_t test_klp_hammer_cross[TEST_KLP_HAMMER_IDS][TEST_KLP_HAMMER_IDS];

static struct task_struct **test_klp_hammer_tasks;
static struct hrtimer test_klp_hammer_timer;
static struct proc_dir_entry *test_klp_hammer_proc;

/**
 * test_klp_hammer_hit() - count a call of a variant
 * @id: the variant: 0 for the original, N for test_klp_hammer_pN
 * @fn: the function it is a variant of
 *
 * Context: any, hard interrupts included.
 */
void test_klp_hammer_hit(int id, enum test_klp_hammer_fn fn)
{
	if (id < 0 || id >= TEST_KLP_HAMMER_IDS || fn >= TEST_KLP_HAMMER_FNS) {
		pr_err("no counter for variant %d of function %d\n", id, fn);
		return;
	}
	atomic_long_inc(&test_klp_hammer_hits[id][fn]);
}
EXPORT_SYMBOL_GPL(test_klp_hammer_hit);

/**
 * test_klp_hammer_attach() - let the callers call a function
 * @outer: the outer function of test_klp_hammer_target
 *
 * Return: 0, or -EBUSY if a function is attached already.
 */
int test_klp_hammer_attach(test_klp_hammer_outer_t outer)
{
	/* Full barrier: pairs with the READ_ONCE() of the callers. */
	if (cmpxchg(&test_klp_hammer_outer_fn, NULL, outer))
		return -EBUSY;
	return 0;
}
EXPORT_SYMBOL_GPL(test_klp_hammer_attach);

/* Wait for the calls that have begun: RCU for the interrupts, SRCU for tasks. */
static void test_klp_hammer_sync(void)
{
	synchronize_rcu();
	synchronize_srcu(&test_klp_hammer_srcu);
}

/**
 * test_klp_hammer_detach() - stop the calls of the attached function
 *
 * Returns once no caller runs the function any more.
 *
 * Context: process context, may sleep.
 */
void test_klp_hammer_detach(void)
{
	WRITE_ONCE(test_klp_hammer_outer_fn, NULL);
	test_klp_hammer_sync();
}
EXPORT_SYMBOL_GPL(test_klp_hammer_detach);

/* Count an inner call of variant @inner that variant @outer made. */
static void test_klp_hammer_count_cross(int outer, int inner)
{
	if (outer == inner)
		return;
	if (outer < TEST_KLP_HAMMER_IDS && inner < TEST_KLP_HAMMER_IDS)
		atomic_long_inc(&test_klp_hammer_cross[outer][inner]);
}

/* One call of the attached function; false if there is none. */
static bool test_klp_hammer_call(enum test_klp_hammer_caller caller)
{
	test_klp_hammer_outer_t outer = READ_ONCE(test_klp_hammer_outer_fn);
	int r, id, inner1, inner2;

	if (!outer)
		return false;
	r = outer();
	id = r >> 16 & 0xff;
	inner1 = r >> 8 & 0xff;
	inner2 = r & 0xff;
	if (inner1 != id || inner2 != id) {
		WRITE_ONCE(test_klp_hammer_last_mixed, r);
		atomic_long_inc(&test_klp_hammer_mixed);
		test_klp_hammer_count_cross(id, inner1);
		test_klp_hammer_count_cross(id, inner2);
	}
	atomic_long_inc(&test_klp_hammer_calls[caller]);
	return true;
}

/* A call from a task, which may be preempted in the function. */
static bool test_klp_hammer_call_task(enum test_klp_hammer_caller caller)
{
	bool called;
	int idx;

	idx = srcu_read_lock(&test_klp_hammer_srcu);
	called = test_klp_hammer_call(caller);
	srcu_read_unlock(&test_klp_hammer_srcu, idx);
	return called;
}

static int test_klp_hammer_kthread(void *data)
{
	unsigned long n = 0;

	set_user_nice(current, 10);
	while (!kthread_should_stop()) {
		if (!test_klp_hammer_call_task(TEST_KLP_HAMMER_KTHREAD))
			usleep_range(1000, 2000);
		else if (++n % TEST_KLP_HAMMER_SLEEP_EVERY)
			cond_resched();
		else
			usleep_range(100, 200);
	}
	return 0;
}

#if TEST_KLP_HAMMER_HAVE_NMI
/* NMIs this module sent to a CPU that its NMI handler has not taken yet. */
static DEFINE_PER_CPU(unsigned int, test_klp_hammer_nmis);

static int test_klp_hammer_nmi(unsigned int type, struct pt_regs *regs)
{
	if (!this_cpu_xchg(test_klp_hammer_nmis, 0))
		return NMI_DONE;
	test_klp_hammer_call(TEST_KLP_HAMMER_NMI);
	return NMI_HANDLED;
}

/* Called with interrupts off: the NMI comes before the next expiry. */
static void test_klp_hammer_send_nmi(void)
{
	this_cpu_inc(test_klp_hammer_nmis);
	__apic_send_IPI_self(NMI_VECTOR);
}

static int test_klp_hammer_nmi_register(void)
{
	return nmi ? register_nmi_handler(NMI_LOCAL, test_klp_hammer_nmi, 0,
					  KBUILD_MODNAME) : 0;
}

static void test_klp_hammer_nmi_unregister(void)
{
	if (nmi)
		unregister_nmi_handler(NMI_LOCAL, KBUILD_MODNAME);
}
#else
static void test_klp_hammer_send_nmi(void) { }
static int test_klp_hammer_nmi_register(void) { return 0; }
static void test_klp_hammer_nmi_unregister(void) { }
#endif

static enum hrtimer_restart test_klp_hammer_tick(struct hrtimer *timer)
{
	rcu_read_lock();
	test_klp_hammer_call(TEST_KLP_HAMMER_TIMER);
	rcu_read_unlock();
	if (nmi)
		test_klp_hammer_send_nmi();
	hrtimer_forward_now(timer, ns_to_ktime((u64)period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static ssize_t test_klp_hammer_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char buf[16];
	int i, n = 0, len;

	for (i = 0; i < TEST_KLP_HAMMER_READ_CALLS; i++)
		n += test_klp_hammer_call_task(TEST_KLP_HAMMER_USER);
	len = scnprintf(buf, sizeof(buf), "%d\n", n);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct proc_ops test_klp_hammer_proc_ops = {
	.proc_read = test_klp_hammer_read,
	.proc_lseek = default_llseek,
};

static int test_klp_hammer_stats_get(char *buf, const struct kernel_param *kp)
{
	long calls[TEST_KLP_HAMMER_CALLERS], sum = 0;
	int id, len, i;
	long cross;

	for (i = 0; i < TEST_KLP_HAMMER_CALLERS; i++) {
		calls[i] = atomic_long_read(&test_klp_hammer_calls[i]);
		sum += calls[i];
	}
	len = scnprintf(buf, PAGE_SIZE, "calls=%ld", sum);
	for (i = 0; i < TEST_KLP_HAMMER_CALLERS; i++)
		len += scnprintf(buf + len, PAGE_SIZE - len, " %s=%ld",
				 test_klp_hammer_caller_names[i], calls[i]);
	len += scnprintf(buf + len, PAGE_SIZE - len, " mixed=%ld last=%06x",
			 atomic_long_read(&test_klp_hammer_mixed),
			 READ_ONCE(test_klp_hammer_last_mixed));
	for (id = 0; id < TEST_KLP_HAMMER_IDS; id++) {
		atomic_long_t *hits = test_klp_hammer_hits[id];

		len += scnprintf(buf + len, PAGE_SIZE - len,
				 " outer%d=%ld inner%d=%ld",
				 id, atomic_long_read(&hits[TEST_KLP_HAMMER_OUTER]),
				 id, atomic_long_read(&hits[TEST_KLP_HAMMER_INNER]));
	}
	for (id = 0; id < TEST_KLP_HAMMER_IDS; id++) {
		for (i = 0; i < TEST_KLP_HAMMER_IDS; i++) {
			cross = atomic_long_read(&test_klp_hammer_cross[id][i]);
			if (cross)
				len += scnprintf(buf + len, PAGE_SIZE - len,
						 " cross%d_%d=%ld", id, i, cross);
		}
	}
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops test_klp_hammer_stats_ops = {
	.get = test_klp_hammer_stats_get,
};
module_param_cb(stats, &test_klp_hammer_stats_ops, NULL, 0444);
MODULE_PARM_DESC(stats, "Calls made, mixed ones, calls of each variant");

static int test_klp_hammer_sync_set(const char *val, const struct kernel_param *kp)
{
	test_klp_hammer_sync();
	return 0;
}

static const struct kernel_param_ops test_klp_hammer_sync_ops = {
	.set = test_klp_hammer_sync_set,
};
module_param_cb(sync, &test_klp_hammer_sync_ops, NULL, 0200);
MODULE_PARM_DESC(sync, "Writing returns once the calls begun before it have returned");

static void test_klp_hammer_stop_kthreads(unsigned int n)
{
	while (n--)
		kthread_stop(test_klp_hammer_tasks[n]);
	kfree(test_klp_hammer_tasks);
}

static int __init test_klp_hammer_init(void)
{
	struct task_struct *task;
	unsigned int i;
	int ret;

	if (nmi && !TEST_KLP_HAMMER_HAVE_NMI) {
		pr_err("no NMI callers on this architecture\n");
		return -EINVAL;
	}
	if (kthread_cpu >= 0 &&
	    (kthread_cpu >= nr_cpu_ids || !cpu_online(kthread_cpu))) {
		pr_err("kthread_cpu: CPU %d is not online\n", kthread_cpu);
		return -EINVAL;
	}
	ret = init_srcu_struct(&test_klp_hammer_srcu);
	if (ret)
		return ret;

	test_klp_hammer_tasks = kcalloc(nr_kthreads, sizeof(*test_klp_hammer_tasks),
					GFP_KERNEL);
	if (!test_klp_hammer_tasks) {
		ret = -ENOMEM;
		goto err_srcu;
	}
	for (i = 0; i < nr_kthreads; i++) {
		task = kthread_create(test_klp_hammer_kthread, NULL, "%s/%u",
				      KBUILD_MODNAME, i);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			goto err_kthreads;
		}
		if (kthread_cpu >= 0)
			kthread_bind(task, kthread_cpu);
		wake_up_process(task);
		test_klp_hammer_tasks[i] = task;
	}

	ret = test_klp_hammer_nmi_register();
	if (ret)
		goto err_kthreads;

	test_klp_hammer_proc = proc_create(KBUILD_MODNAME, 0444, NULL,
					   &test_klp_hammer_proc_ops);
	if (!test_klp_hammer_proc) {
		ret = -ENOMEM;
		goto err_nmi;
	}

	hrtimer_setup(&test_klp_hammer_timer, test_klp_hammer_tick,
		      CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	if (period_us)
		hrtimer_start(&test_klp_hammer_timer,
			      ns_to_ktime((u64)period_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_HARD);
	return 0;

err_nmi:
	test_klp_hammer_nmi_unregister();
err_kthreads:
	test_klp_hammer_stop_kthreads(i);
err_srcu:
	cleanup_srcu_struct(&test_klp_hammer_srcu);
	return ret;
}

/*
 * test_klp_hammer_target uses this module's symbols: it is gone, and has
 * detached its function, before this runs.
 */
static void __exit test_klp_hammer_exit(void)
{
	hrtimer_cancel(&test_klp_hammer_timer);
	proc_remove(test_klp_hammer_proc);
	test_klp_hammer_nmi_unregister();
	test_klp_hammer_stop_kthreads(nr_kthreads);
	cleanup_srcu_struct(&test_klp_hammer_srcu);
}

module_init(test_klp_hammer_init);
module_exit(test_klp_hammer_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: callers and counters of the live patching hammer");
