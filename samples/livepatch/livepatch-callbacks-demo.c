// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-callbacks-demo.c - when the callbacks of a live patch run
 *
 * A patch may give each of its objects (vmlinux or a module) callbacks
 * that run around the patching of that object:
 *
 *  - pre_patch, before the object's functions are redirected; an error
 *    refuses the patch, or the module if the object is a module that is
 *    being loaded;
 *  - post_patch, once the transition to the patched code has completed;
 *  - pre_unpatch, before the transition back to the old code starts;
 *  - post_unpatch, once the object's functions are no longer redirected,
 *    and only if its pre_patch ran and succeeded.
 *
 * A module object's callbacks run when the patch is enabled or disabled
 * while the module is loaded, and when the module comes or goes while
 * the patch is enabled.  A module that comes is patched before any of its
 * code runs and needs no transition: its pre_patch and post_patch run one
 * after the other, in the "coming" state.  A module that goes is
 * unpatched after its exit function ran, in the "going" state.
 *
 * This patch has three objects, each with one replaced function and all
 * four callbacks, which log the callback, the object and the state of
 * its module:
 *
 *  - vmlinux: /proc/cmdline names the patch;
 *  - livepatch_callbacks_mod: its parameter "greeting" names the patch;
 *  - livepatch_callbacks_busymod: its work function no longer sleeps.
 *    While the old one sleeps, the transition waits, and so do the
 *    post_patch callbacks of all three objects.
 *
 *	# insmod livepatch-callbacks-mod.ko
 *	# insmod livepatch-callbacks-demo.ko
 *	# insmod livepatch-callbacks-busymod.ko
 *	# echo 0 > /sys/kernel/livepatch/livepatch_callbacks_demo/enabled
 *	$ dmesg | grep livepatch_callbacks_demo:
 *	livepatch_callbacks_demo: pre_patch: vmlinux
 *	livepatch_callbacks_demo: pre_patch: livepatch_callbacks_mod (live)
 *	livepatch_callbacks_demo: post_patch: vmlinux
 *	livepatch_callbacks_demo: post_patch: livepatch_callbacks_mod (live)
 *	livepatch_callbacks_demo: pre_patch: livepatch_callbacks_busymod (coming)
 *	livepatch_callbacks_demo: post_patch: livepatch_callbacks_busymod (coming)
 *	livepatch_callbacks_demo: the patched work of livepatch_callbacks_busymod does not sleep
 *	livepatch_callbacks_demo: pre_unpatch: vmlinux
 *	livepatch_callbacks_demo: pre_unpatch: livepatch_callbacks_mod (live)
 *	livepatch_callbacks_demo: pre_unpatch: livepatch_callbacks_busymod (live)
 *	livepatch_callbacks_demo: post_unpatch: vmlinux
 *	livepatch_callbacks_demo: post_unpatch: livepatch_callbacks_mod (live)
 *	livepatch_callbacks_demo: post_unpatch: livepatch_callbacks_busymod (live)
 *
 * Each object here replaces a function: every object of a patch must.
 * Set pre_patch_ret to an errno (e.g. -19) to see a pre_patch refuse the
 * patch, or a module loaded while the patch is enabled.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

static int pre_patch_ret;
module_param(pre_patch_ret, int, 0644);
MODULE_PARM_DESC(pre_patch_ret, "What the pre_patch callbacks return (default: 0)");

static const char *demo_module_state(struct klp_object *obj)
{
	if (!obj->mod)
		return "not loaded";

	switch (obj->mod->state) {
	case MODULE_STATE_LIVE:
		return "live";
	case MODULE_STATE_COMING:
		return "coming";
	case MODULE_STATE_GOING:
		return "going";
	case MODULE_STATE_UNFORMED:
		return "unformed";
	}
	return "unknown";
}

static void demo_log(const char *callback, struct klp_object *obj)
{
	if (!obj->name)
		pr_info("%s: vmlinux\n", callback);
	else
		pr_info("%s: %s (%s)\n", callback, obj->name,
			demo_module_state(obj));
}

static int demo_pre_patch(struct klp_object *obj)
{
	int ret = READ_ONCE(pre_patch_ret);

	demo_log("pre_patch", obj);
	if (ret)
		pr_info("pre_patch: returning %d\n", ret);
	return ret;
}

static void demo_post_patch(struct klp_object *obj)
{
	demo_log("post_patch", obj);
}

static void demo_pre_unpatch(struct klp_object *obj)
{
	demo_log("pre_unpatch", obj);
}

static void demo_post_unpatch(struct klp_object *obj)
{
	demo_log("post_unpatch", obj);
}

#define DEMO_CALLBACKS {				\
	.pre_patch = demo_pre_patch,			\
	.post_patch = demo_post_patch,			\
	.pre_unpatch = demo_pre_unpatch,		\
	.post_unpatch = demo_post_unpatch,		\
}

/* Replaces cmdline_proc_show() in fs/proc/cmdline.c. */
static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s is enabled\n", KBUILD_MODNAME);
	return 0;
}

/* Replaces callbacks_mod_greeting_get() of livepatch-callbacks-mod. */
static int livepatch_greeting_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "hello from %s\n", KBUILD_MODNAME);
}

/* Replaces callbacks_busymod_work_func() of livepatch-callbacks-busymod. */
static void livepatch_busymod_work_func(struct work_struct *work)
{
	pr_info("the patched work of livepatch_callbacks_busymod does not sleep\n");
}

static struct klp_func vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	},
	{ }
};

static struct klp_func mod_funcs[] = {
	{
		.old_name = "callbacks_mod_greeting_get",
		.new_func = livepatch_greeting_get,
	},
	{ }
};

static struct klp_func busymod_funcs[] = {
	{
		.old_name = "callbacks_busymod_work_func",
		.new_func = livepatch_busymod_work_func,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		/* .name = NULL: vmlinux */
		.funcs = vmlinux_funcs,
		.callbacks = DEMO_CALLBACKS,
	},
	{
		.name = "livepatch_callbacks_mod",
		.funcs = mod_funcs,
		.callbacks = DEMO_CALLBACKS,
	},
	{
		.name = "livepatch_callbacks_busymod",
		.funcs = busymod_funcs,
		.callbacks = DEMO_CALLBACKS,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_callbacks_demo_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_callbacks_demo_exit(void)
{
}

module_init(livepatch_callbacks_demo_init);
module_exit(livepatch_callbacks_demo_exit);
MODULE_DESCRIPTION("Live patch sample: when the callbacks of a live patch run");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
