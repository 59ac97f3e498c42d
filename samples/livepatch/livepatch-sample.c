// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-sample.c - the smallest useful live patch
 *
 * Replaces cmdline_proc_show(), the function behind /proc/cmdline, in the
 * running kernel:
 *
 *	$ cat /proc/cmdline
 *	console=ttyS0 ...
 *	# insmod livepatch-sample.ko
 *	$ cat /proc/cmdline
 *	this has been live patched
 *	# echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled
 *	$ cat /proc/cmdline
 *	console=ttyS0 ...
 *	# rmmod livepatch_sample
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/* Same prototype as the function it replaces, in fs/proc/cmdline.c. */
static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "this has been live patched\n");
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		/* .name = NULL: the function is in vmlinux */
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_sample_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_sample_exit(void)
{
}

module_init(livepatch_sample_init);
module_exit(livepatch_sample_exit);
MODULE_DESCRIPTION("Live patch sample: replace /proc/cmdline's show function");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
