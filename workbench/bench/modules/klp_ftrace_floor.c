// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of any ftrace-based redirection: an ftrace_ops whose callback
 * does nothing, on klp_bench_fn().  A patched call through an ftrace
 * handler cannot cost less than this; comparing it with the patched call
 * of each kernel shows how much of the cost is the handler's own.
 */
#include <linux/ftrace.h>
#include <linux/module.h>

int klp_bench_fn(int x);

static void notrace klp_ftrace_floor_func(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *ops,
					  struct ftrace_regs *fregs)
{
}

static struct ftrace_ops klp_ftrace_floor_ops = {
	.func = klp_ftrace_floor_func,
};

static int __init klp_ftrace_floor_init(void)
{
	/* ftrace finds the function's ftrace location itself. */
	unsigned long ip = (unsigned long)klp_bench_fn;
	int ret;

	ret = ftrace_set_filter_ip(&klp_ftrace_floor_ops, ip, 0, 0);
	if (ret)
		return ret;
	ret = register_ftrace_function(&klp_ftrace_floor_ops);
	if (ret)
		ftrace_set_filter_ip(&klp_ftrace_floor_ops, ip, 1, 0);
	return ret;
}

static void __exit klp_ftrace_floor_exit(void)
{
	unregister_ftrace_function(&klp_ftrace_floor_ops);
}

module_init(klp_ftrace_floor_init);
module_exit(klp_ftrace_floor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark: an empty ftrace callback on klp_bench_fn()");
