// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live patching core: registering a patch and letting it go.
 *
 * A patch module calls klp_enable_patch() from its init function.  The
 * patch is checked, its present objects resolved, its sysfs directories
 * created and its functions redirected; the module stays pinned while
 * the patch is enabled.  Disabling the patch (sysfs "enabled" = 0)
 * queues its free_work, which removes it from sysfs and unpins the
 * module so that it can be removed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include "internal.h"

static bool klp_ready;

/* Unregistered, disabled patches: drop sysfs, then the module reference. */
static void klp_patch_free_work(struct work_struct *work)
{
	struct klp_patch *patch = container_of(work, struct klp_patch,
					       free_work);

	klp_sysfs_remove_patch(patch);
	/* A forced transition may have left tasks in the patch's code. */
	if (!patch->forced)
		module_put(patch->mod);
}

static bool klp_patch_registered(const char *name)
{
	struct klp_patch *patch;

	list_for_each_entry(patch, &klp_patches, list)
		if (!strcmp(patch->mod->name, name))
			return true;
	return false;
}

/* Resolve the objects that are there: vmlinux, and modules seen coming. */
static int klp_resolve_present(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct module *mod;
	int ret;

	klp_for_each_object(patch, obj) {
		mod = NULL;
		if (klp_is_module(obj)) {
			/*
			 * A module whose coming we saw cannot go before its
			 * going notification, which waits for klp_mutex.  One
			 * we did not see come yet is patched when it does.
			 */
			preempt_disable();
			mod = find_module(obj->name);
			if (mod && !mod->klp_alive)
				mod = NULL;
			preempt_enable();
			if (!mod)
				continue;
		}
		ret = klp_resolve_object(patch, obj, mod);
		if (ret)
			return ret;
	}
	return 0;
}

static void klp_forget_present(struct klp_patch *patch)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj)
		klp_forget_object(obj);
}

/**
 * klp_enable_patch() - register and enable a live patch
 * @patch: the patch, described by the calling patch module
 *
 * Called from the patch module's init function.  Replaces the functions
 * the patch names in vmlinux and in the modules it names that are loaded;
 * modules loaded later are patched as they come, before any of their code
 * runs.  Returns once the transition to the patched state has started:
 * sysfs "transition" tells when every task has switched.
 *
 * Return: 0 with the patch enabled, or a negative errno with nothing
 * registered and nothing patched: -EINVAL for a malformed patch, -ENOENT
 * for a function that does not exist, -EOPNOTSUPP for one that cannot be
 * patched, -EBUSY when another ftrace user already modifies a function's
 * instruction pointer or another patch is in transition, -EINVAL also for
 * a patch that would break a system state of an enabled patch (see
 * klp_get_state()), -EEXIST for a patch of the same name, -ENODEV when
 * live patching is not available.
 */
int klp_enable_patch(struct klp_patch *patch)
{
	int ret;

	if (!patch || !patch->mod || !patch->objs)
		return -EINVAL;

	if (!is_livepatch_module(patch->mod)) {
		pr_err("%s: not a live patch module (no livepatch modinfo)\n",
		       patch->mod->name);
		return -EINVAL;
	}

	if (!klp_ready)
		return -ENODEV;

	if (!try_module_get(patch->mod))
		return -ENODEV;

	mutex_lock(&klp_mutex);

	if (klp_patch_registered(patch->mod->name)) {
		pr_err("%s: a patch of this name is registered already\n",
		       patch->mod->name);
		ret = -EEXIST;
		goto err_unlock;
	}

	if (klp_transition_in_progress()) {
		pr_err("%s: another patch is in transition, try again later\n",
		       patch->mod->name);
		ret = -EBUSY;
		goto err_unlock;
	}

	ret = klp_check_patch(patch);
	if (ret)
		goto err_unlock;

	ret = klp_check_states(patch);
	if (ret)
		goto err_unlock;

	INIT_LIST_HEAD(&patch->list);
	INIT_WORK(&patch->free_work, klp_patch_free_work);
	patch->enabled = false;
	patch->forced = false;

	/* Before sysfs: a missing function fails before thousands of files. */
	ret = klp_resolve_present(patch);
	if (ret)
		goto err_forget;

	ret = klp_sysfs_add_patch(patch);
	if (ret)
		goto err_remove;

	ret = klp_patch_enable(patch);
	if (ret)
		goto err_remove;

	list_add_tail(&patch->list, &klp_patches);
	mutex_unlock(&klp_mutex);

	pr_notice("%s: enabled\n", patch->mod->name);
	return 0;

err_remove:
	klp_forget_present(patch);
	mutex_unlock(&klp_mutex);
	klp_sysfs_remove_patch(patch);
	module_put(patch->mod);
	return ret;

err_forget:
	klp_forget_present(patch);
err_unlock:
	mutex_unlock(&klp_mutex);
	module_put(patch->mod);
	return ret;
}
EXPORT_SYMBOL_GPL(klp_enable_patch);

static int __init klp_init(void)
{
	int ret;

	ret = klp_sysfs_init();
	if (ret)
		return ret;

	ret = klp_modules_init();
	if (ret)
		return ret;

	klp_ready = true;
	return 0;
}
module_init(klp_init);
