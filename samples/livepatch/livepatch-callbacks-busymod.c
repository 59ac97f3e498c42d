// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-callbacks-busymod.c - a module that is busy in the function
 * livepatch-callbacks-demo replaces
 *
 * When loaded, the module queues one work item.  Its function,
 * callbacks_busymod_work_func(), sleeps for sleep_secs seconds before it
 * returns.  A live patch that replaces the function cannot complete its
 * transition while the worker sleeps in it: the worker has the old
 * function on its stack and cannot be moved to the new code until it
 * leaves.  The patch's post_patch callbacks wait as long:
 *
 *	# insmod livepatch-callbacks-busymod.ko sleep_secs=60
 *	# insmod livepatch-callbacks-demo.ko
 *	$ cat /sys/kernel/livepatch/livepatch_callbacks_demo/transition
 *	1
 *	# cat /sys/kernel/livepatch/livepatch_callbacks_demo/blockers
 *	42 kworker/0:2 callbacks_busymod_work_func+0x6c/0xf0 [livepatch_callbacks_busymod]
 *	# echo 0 > /sys/module/livepatch_callbacks_busymod/parameters/sleep_secs
 *	$ cat /sys/kernel/livepatch/livepatch_callbacks_demo/transition
 *	0
 *
 * The sleep is taken in steps of 100 ms and sleep_secs is read again at
 * each step, so writing a shorter time ends it early.  "busy" reads Y
 * while the work sleeps and "worker" is the pid of the worker that ran it
 * last.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

static unsigned int sleep_secs;
module_param(sleep_secs, uint, 0644);
MODULE_PARM_DESC(sleep_secs, "Seconds the work sleeps in callbacks_busymod_work_func() (default: 0)");

static bool busy;
module_param(busy, bool, 0444);
MODULE_PARM_DESC(busy, "The work sleeps in callbacks_busymod_work_func()");

static int worker;
module_param(worker, int, 0444);
MODULE_PARM_DESC(worker, "Pid of the worker that ran the work last");

static bool stopping;

/* The function the demo replaces: never inlined nor cloned. */
static noinline __noipa void callbacks_busymod_work_func(struct work_struct *work)
{
	unsigned long start = jiffies;

	WRITE_ONCE(worker, task_pid_nr(current));
	WRITE_ONCE(busy, true);
	pr_info("work started, sleeping for %u s\n", READ_ONCE(sleep_secs));

	while (!READ_ONCE(stopping) &&
	       time_before(jiffies,
			   start + (unsigned long)READ_ONCE(sleep_secs) * HZ))
		msleep(100);

	pr_info("work done\n");
	WRITE_ONCE(busy, false);
}

static DECLARE_WORK(callbacks_busymod_work, callbacks_busymod_work_func);

static int __init callbacks_busymod_init(void)
{
	schedule_work(&callbacks_busymod_work);
	return 0;
}

static void __exit callbacks_busymod_exit(void)
{
	WRITE_ONCE(stopping, true);
	flush_work(&callbacks_busymod_work);
}

module_init(callbacks_busymod_init);
module_exit(callbacks_busymod_exit);
MODULE_DESCRIPTION("Live patch sample: a module busy in the function livepatch-callbacks-demo replaces");
MODULE_LICENSE("GPL");
