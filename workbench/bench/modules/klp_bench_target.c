// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark target: a small function called in a tight loop.
 *
 * echo N > /sys/kernel/klp_bench/run   calls klp_bench_fn() N times;
 * cat /sys/kernel/klp_bench/run        the cost of the last run, in
 *                                      picoseconds per call;
 * cat /sys/kernel/klp_bench/value      what klp_bench_fn() returns
 *                                      (1 unpatched, 2 patched).
 * echo 1 > /sys/kernel/klp_bench/kthread
 *                                      start a kthread that loops
 *                                      { klp_bench_sleepy(); msleep(1); },
 *                                      where klp_bench_sleepy() sleeps 5 ms:
 *                                      it is in the patched function most
 *                                      of the time.
 * echo 1 > /sys/kernel/klp_bench/hold  klp_bench_sleepy() does not return
 *                                      until 0 is written: the kthread
 *                                      holds up a transition.
 */
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sysfs.h>

noinline int klp_bench_fn(int x)
{
	asm volatile("" : "+r" (x));
	return 1;
}
EXPORT_SYMBOL_GPL(klp_bench_fn);

static bool hold;

noinline void klp_bench_sleepy(void)
{
	msleep(5);
	while (READ_ONCE(hold))
		msleep(1);
}
EXPORT_SYMBOL_GPL(klp_bench_sleepy);

static struct task_struct *sleepy_task;

static int klp_bench_sleepy_fn(void *data)
{
	while (!kthread_should_stop()) {
		klp_bench_sleepy();
		msleep(1);
	}
	return 0;
}

static ssize_t kthread_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	if (on && !sleepy_task) {
		sleepy_task = kthread_run(klp_bench_sleepy_fn, NULL,
					  "klp_bench_sleepy");
		if (IS_ERR(sleepy_task)) {
			sleepy_task = NULL;
			return -ENOMEM;
		}
	} else if (!on && sleepy_task) {
		kthread_stop(sleepy_task);
		sleepy_task = NULL;
	}
	return count;
}

static ssize_t hold_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	bool on;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	WRITE_ONCE(hold, on);
	return count;
}

static u64 last_ps;

static ssize_t run_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%llu\n", last_ps);
}

static ssize_t run_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	unsigned long n, i;
	u64 t0, t1;
	int ret, sum = 0;

	ret = kstrtoul(buf, 0, &n);
	if (ret || !n)
		return -EINVAL;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sum += klp_bench_fn(i);
	t1 = ktime_get_ns();
	last_ps = div64_u64((t1 - t0) * 1000, n);
	return sum ? count : -EIO;
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", klp_bench_fn(0));
}

static struct kobj_attribute run_attr = __ATTR_RW(run);
static struct kobj_attribute value_attr = __ATTR_RO(value);
static struct kobj_attribute kthread_attr = __ATTR_WO(kthread);
static struct kobj_attribute hold_attr = __ATTR_WO(hold);
static struct attribute *attrs[] = {
	&run_attr.attr, &value_attr.attr, &kthread_attr.attr, &hold_attr.attr,
	NULL
};
static const struct attribute_group group = { .attrs = attrs };
static struct kobject *kobj;

static int __init klp_bench_target_init(void)
{
	int ret;

	kobj = kobject_create_and_add("klp_bench", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	ret = sysfs_create_group(kobj, &group);
	if (ret)
		kobject_put(kobj);
	return ret;
}

static void __exit klp_bench_target_exit(void)
{
	WRITE_ONCE(hold, false);
	if (sleepy_task)
		kthread_stop(sleepy_task);
	kobject_put(kobj);
}

module_init(klp_bench_target_init);
module_exit(klp_bench_target_exit);
MODULE_DESCRIPTION("Live patching benchmark: call target");
MODULE_LICENSE("GPL");
