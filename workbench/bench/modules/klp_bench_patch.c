// SPDX-License-Identifier: GPL-2.0
/* Benchmark live patch: replaces klp_bench_fn() of klp_bench_target. */
#include <linux/delay.h>
#include <linux/livepatch.h>
#include <linux/module.h>

static int new_klp_bench_fn(int x)
{
	asm volatile("" : "+r" (x));
	return 2;
}

static void new_klp_bench_sleepy(void)
{
	msleep(5);
}

static struct klp_func funcs[] = {
	{ .old_name = "klp_bench_fn", .new_func = new_klp_bench_fn },
	{ .old_name = "klp_bench_sleepy", .new_func = new_klp_bench_sleepy },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "klp_bench_target", .funcs = funcs },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_bench_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_bench_patch_exit(void)
{
}

module_init(klp_bench_patch_init);
module_exit(klp_bench_patch_exit);
MODULE_DESCRIPTION("Live patching benchmark: patch of the call target");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
