// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow variables under concurrent use.  While the module loads, four
 * kthreads hammer the same 16 objects for a second: each one attaches a
 * shadow variable with klp_shadow_get_or_alloc(), reads it back with
 * klp_shadow_get() and frees it with klp_shadow_free(), in an order of
 * its own; at the end klp_shadow_free_all() drops what is left.
 *
 * The constructor and the destructor keep, per object, how many variables
 * are alive: never more than one (get_or_alloc must not attach twice),
 * never a destructor without a constructor.  Read-only parameters:
 * "errors" (violations seen), "constructed", "destroyed" and "ops".  With
 * nothing leaked, constructed == destroyed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#define TEST_ID		0x5eed
#define TEST_OBJS	16
#define TEST_THREADS	4

static int errors;
module_param(errors, int, 0444);
MODULE_PARM_DESC(errors, "Violations of the shadow variable rules seen");
static int constructed;
module_param(constructed, int, 0444);
MODULE_PARM_DESC(constructed, "Shadow variables constructed");
static int destroyed;
module_param(destroyed, int, 0444);
MODULE_PARM_DESC(destroyed, "Shadow variables destroyed");
static unsigned long ops;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "Operations done by all threads");

static atomic_t test_alive[TEST_OBJS];
static atomic_t test_errors, test_constructed, test_destroyed;
static atomic_long_t test_ops;
static char test_objs[TEST_OBJS];
static DECLARE_COMPLETION(test_done);
static atomic_t test_running;

struct test_shadow {
	int index;
	unsigned long owner;	/* which thread attached it */
};

static int test_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct test_shadow *s = shadow_data;
	int index = (char *)obj - test_objs;

	if (atomic_inc_return(&test_alive[index]) != 1)
		atomic_inc(&test_errors);
	s->index = index;
	s->owner = (unsigned long)ctor_data;
	atomic_inc(&test_constructed);
	return 0;
}

static void test_dtor(void *obj, void *shadow_data)
{
	struct test_shadow *s = shadow_data;

	if (s->index != (char *)obj - test_objs ||
	    atomic_dec_return(&test_alive[s->index]) != 0)
		atomic_inc(&test_errors);
	atomic_inc(&test_destroyed);
}

static int test_thread(void *data)
{
	unsigned long me = (unsigned long)data, n = 0;
	unsigned long end = jiffies + HZ;
	struct test_shadow *s;
	void *obj;

	while (time_before(jiffies, end)) {
		obj = &test_objs[(n * 7 + me * 5) % TEST_OBJS];
		/*
		 * Another thread may free the variable at any time: it
		 * stays readable until the end of an RCU read-side section.
		 */
		rcu_read_lock();
		s = klp_shadow_get_or_alloc(obj, TEST_ID, sizeof(*s),
					    GFP_ATOMIC, test_ctor, data);
		if (!s || s->index != (char *)obj - test_objs)
			atomic_inc(&test_errors);
		s = klp_shadow_get(obj, TEST_ID);
		if (s && s->index != (char *)obj - test_objs)
			atomic_inc(&test_errors);
		rcu_read_unlock();
		if ((n + me) % 3 == 0)
			klp_shadow_free(obj, TEST_ID, test_dtor);
		atomic_long_inc(&test_ops);
		if (++n % 64 == 0)
			cond_resched();
	}
	if (atomic_dec_and_test(&test_running))
		complete(&test_done);
	return 0;
}

static int __init test_klp_shadow_race_init(void)
{
	struct task_struct *task;
	unsigned long i;

	atomic_set(&test_running, TEST_THREADS);
	for (i = 0; i < TEST_THREADS; i++) {
		task = kthread_run(test_thread, (void *)i, "%s/%lu",
				   KBUILD_MODNAME, i);
		if (IS_ERR(task)) {
			/* The threads that run finish by themselves. */
			if (atomic_sub_and_test(TEST_THREADS - i, &test_running))
				complete(&test_done);
			atomic_inc(&test_errors);
			break;
		}
	}
	wait_for_completion(&test_done);

	klp_shadow_free_all(TEST_ID, test_dtor);
	for (i = 0; i < TEST_OBJS; i++)
		if (atomic_read(&test_alive[i]))
			atomic_inc(&test_errors);

	errors = atomic_read(&test_errors);
	constructed = atomic_read(&test_constructed);
	destroyed = atomic_read(&test_destroyed);
	ops = atomic_long_read(&test_ops);
	return 0;
}

static void __exit test_klp_shadow_race_exit(void)
{
}

module_init(test_klp_shadow_race_init);
module_exit(test_klp_shadow_race_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: shadow variables used concurrently");
