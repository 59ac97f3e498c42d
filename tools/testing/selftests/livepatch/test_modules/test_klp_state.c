// SPDX-License-Identifier: GPL-2.0
/*
 * Live patches for the system state tests.  Each replaces
 * cmdline_proc_show() (/proc/cmdline names the patch in effect) and
 * carries state TEST_STATE_ID at some version, or no state.  Its pre_patch
 * callback records in the parameter "prev" what klp_get_prev_state() found:
 * the version of the state set up by the patches enabled before, or -1.
 *
 * test_klp_state: version 1, not cumulative.  The other test_klp_state_*
 * modules are built from this file with other choices.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#define TEST_STATE_ID	42

#ifndef TEST_VERSION
#define TEST_VERSION	1
#endif
#ifndef TEST_REPLACE
#define TEST_REPLACE	false
#endif

static int prev = -2;
module_param(prev, int, 0444);
MODULE_PARM_DESC(prev, "version of the previous state seen by pre_patch, -1: none, -2: not run");

static int test_klp_state_cmdline_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: cmdline\n", KBUILD_MODNAME);
	return 0;
}

static int test_klp_state_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_prev_state(TEST_STATE_ID);

	prev = state ? state->version : -1;
	return 0;
}

static struct klp_func test_klp_state_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_state_cmdline_show,
	},
	{ }
};

static struct klp_object test_klp_state_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_state_funcs,
		.callbacks = {
			.pre_patch = test_klp_state_pre_patch,
		},
	},
	{ }
};

static struct klp_state test_klp_state_states[] = {
#if TEST_VERSION >= 0
	{
		.id = TEST_STATE_ID,
		.version = TEST_VERSION,
	},
#endif
	{ }
};

static struct klp_patch test_klp_state_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_state_objs,
	.states = test_klp_state_states,
	.replace = TEST_REPLACE,
};

static int __init test_klp_state_init(void)
{
	return klp_enable_patch(&test_klp_state_patch);
}

static void __exit test_klp_state_exit(void)
{
}

module_init(test_klp_state_init);
module_exit(test_klp_state_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patches with system states");
