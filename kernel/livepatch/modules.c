// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Patching modules that come and go while patches are enabled.
 *
 * The core listens to the module notifier chain with the highest
 * priority.  A module is announced as coming after ftrace knows its
 * functions and before any of its code runs: its patched functions are
 * redirected then.  A module is announced as going before ftrace forgets
 * its functions and before its memory is freed: they are unpatched then.
 * A module the core refuses to patch fails to load, and is announced as
 * going to the notifiers that saw it come, not to us.
 *
 * Why the highest priority: other notifiers may make the module's code
 * reachable while it comes (tracepoints, static keys and probes of the
 * module are set up by theirs), so its functions are redirected before
 * any of them runs; and they go back to the module's own code before
 * any of them takes down what those functions rely on.  Mainline calls
 * into live patching from the module loader itself: before the coming
 * notifiers, as here, and after the going ones.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/notifier.h>

#include "internal.h"

/* Unpatch @mod in @last and every older patch, newest first. */
static void klp_module_unpatch(struct klp_patch *last, struct module *mod)
{
	struct klp_patch *patch = last;
	struct klp_object *obj;

	list_for_each_entry_from_reverse(patch, &klp_patches, list) {
		klp_for_each_object(patch, obj) {
			if (obj->mod != mod)
				continue;
			if (obj->patched)
				klp_object_disable(patch, obj);
			klp_clear_relocs(patch, obj);
			klp_forget_object(obj);
		}
	}
}

static int klp_module_coming(struct module *mod)
{
	struct klp_patch *patch;
	struct klp_object *obj;
	int ret;

	mutex_lock(&klp_mutex);
	mod->klp_alive = true;

	/*
	 * Every patch on the list, also one being disabled: tasks that have
	 * not left its patched state yet must find the module patched too,
	 * and the disable may still be reversed.
	 */
	list_for_each_entry(patch, &klp_patches, list) {
		klp_for_each_object(patch, obj) {
			if (!klp_is_module(obj) || strcmp(obj->name, mod->name))
				continue;
			ret = klp_resolve_object(patch, obj, mod);
			if (!ret)
				ret = klp_object_enable(patch, obj);
			if (ret) {
				pr_err("%s: cannot patch module '%s' (%d): refusing to load it\n",
				       patch->mod->name, mod->name, ret);
				klp_clear_relocs(patch, obj);
				klp_forget_object(obj);
				goto err_unpatch;
			}
		}
	}
	klp_transition_objects_changed();
	mutex_unlock(&klp_mutex);
	return 0;

err_unpatch:
	/* The patches before @patch did patch @mod: undo them. */
	if (!list_is_first(&patch->list, &klp_patches))
		klp_module_unpatch(list_prev_entry(patch, list), mod);
	mod->klp_alive = false;
	mutex_unlock(&klp_mutex);
	return ret;
}

static void klp_module_going(struct module *mod)
{
	mutex_lock(&klp_mutex);
	if (mod->klp_alive && !list_empty(&klp_patches)) {
		klp_module_unpatch(list_last_entry(&klp_patches,
						   struct klp_patch, list), mod);
		klp_transition_objects_changed();
	}
	mod->klp_alive = false;
	mutex_unlock(&klp_mutex);
}

static int klp_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct module *mod = data;

	switch (action) {
	case MODULE_STATE_COMING:
		return notifier_from_errno(klp_module_coming(mod));
	case MODULE_STATE_GOING:
		klp_module_going(mod);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block klp_module_nb = {
	.notifier_call = klp_module_notify,
	.priority = INT_MAX,
};

int __init klp_modules_init(void)
{
	return register_module_notifier(&klp_module_nb);
}
