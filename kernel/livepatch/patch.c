// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enabling and disabling patches and their objects: the callbacks a
 * patch module may give run around the redirection of its functions.
 *
 * Callback rules, per object that is present:
 *  - pre_patch runs before its functions are redirected; if it fails,
 *    the object (and so the patch, or the module that came) is refused;
 *  - post_patch runs once the patched state is reached;
 *  - pre_unpatch runs before the way back starts, and only if post_patch
 *    ran: a module that goes during its patch's transition to the patched
 *    state gets post_unpatch alone;
 *  - post_unpatch runs after the functions are no longer redirected, and
 *    only if pre_patch ran and succeeded: it also undoes a pre_patch whose
 *    patching failed.
 *
 * The transitions themselves, where each task goes and when, are the
 * business of transition.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/workqueue.h>

#include "internal.h"

/* What they protect and how they nest: see internal.h. */
DEFINE_MUTEX(klp_mutex);
LIST_HEAD(klp_patches);

/*
 * The patch whose callback runs, for klp_get_prev_state().  Written under
 * klp_mutex, which every callback runs with.
 */
static struct klp_patch *klp_callback_patch;

/**
 * klp_callback_owner() - the patch whose callback is running
 *
 * Return: the patch whose callback the caller runs in, or NULL outside
 * callbacks.  Called with klp_mutex held.
 */
struct klp_patch *klp_callback_owner(void)
{
	lockdep_assert_held(&klp_mutex);
	return klp_callback_patch;
}

static int klp_pre_patch(struct klp_patch *patch, struct klp_object *obj)
{
	int ret = 0;

	klp_callback_patch = patch;
	if (obj->callbacks.pre_patch)
		ret = obj->callbacks.pre_patch(obj);
	klp_callback_patch = NULL;
	if (ret) {
		pr_err("%s: object '%s': pre_patch callback failed: %d\n",
		       patch->mod->name, klp_object_name(obj), ret);
		return ret;
	}
	obj->callbacks.post_unpatch_enabled = true;
	return 0;
}

static void klp_post_patch(struct klp_patch *patch, struct klp_object *obj)
{
	klp_callback_patch = patch;
	if (obj->callbacks.post_patch)
		obj->callbacks.post_patch(obj);
	klp_callback_patch = NULL;
}

static void klp_pre_unpatch(struct klp_patch *patch, struct klp_object *obj)
{
	klp_callback_patch = patch;
	if (obj->callbacks.pre_unpatch)
		obj->callbacks.pre_unpatch(obj);
	klp_callback_patch = NULL;
}

static void klp_post_unpatch(struct klp_patch *patch, struct klp_object *obj)
{
	klp_callback_patch = patch;
	if (obj->callbacks.post_unpatch_enabled && obj->callbacks.post_unpatch)
		obj->callbacks.post_unpatch(obj);
	klp_callback_patch = NULL;
	obj->callbacks.post_unpatch_enabled = false;
}

/**
 * klp_object_enable() - patch an object of a patch on the list
 * @patch: an enabled patch, or one in the transition that disables it
 * @obj:   one of its objects, just resolved: a module that came
 *
 * Return: 0, or an error with the object left unpatched.
 */
int klp_object_enable(struct klp_patch *patch, struct klp_object *obj)
{
	int ret;

	lockdep_assert_held(&klp_mutex);

	ret = klp_pre_patch(patch, obj);
	if (ret)
		return ret;
	/* Also outside transitions: exits are tracked while code is patched. */
	klp_transition_track_exits();
	ret = klp_redirect(patch, obj);
	if (ret) {
		klp_post_unpatch(patch, obj);
		return ret;
	}
	/* During the patch's transition, post_patch runs when it completes. */
	if (klp_transition_in_progress() != patch)
		klp_post_patch(patch, obj);
	return 0;
}

/**
 * klp_object_disable() - unpatch one object of an enabled patch
 * @patch: an enabled patch
 * @obj:   a patched object: a module that goes
 */
void klp_object_disable(struct klp_patch *patch, struct klp_object *obj)
{
	lockdep_assert_held(&klp_mutex);

	/*
	 * post_patch has not run during the patch's transition to the
	 * patched state; on the way out, pre_unpatch ran when it started.
	 */
	if (patch->enabled && klp_transition_in_progress() != patch)
		klp_pre_unpatch(patch, obj);
	klp_unredirect(patch, obj);
	klp_post_unpatch(patch, obj);
}

/*
 * The patches a cumulative patch replaced: their functions are no longer
 * redirected.  They are disabled without their callbacks, which the
 * cumulative patch's own take over, and go like a disabled patch.  If the
 * transition was forced, tasks may still run their code: their modules
 * stay (klp_force_transition() marked them).
 */
static void klp_retire_replaced(struct klp_patch *patch)
{
	struct klp_patch *old, *tmp;
	struct klp_object *obj;

	list_for_each_entry_safe(old, tmp, &klp_patches, list) {
		if (old == patch)
			continue;
		klp_for_each_object(old, obj)
			obj->callbacks.post_unpatch_enabled = false;
		WRITE_ONCE(old->enabled, false);
		list_del(&old->list);
		pr_notice("%s: replaced by %s\n", old->mod->name,
			  patch->mod->name);
		schedule_work(&old->free_work);
	}
}

/* Called by the transition code once every task reached @target. */
static void klp_patch_transition_done(struct klp_patch *patch, int target,
				      bool replaced)
{
	struct klp_object *obj;

	if (target == KLP_TRANSITION_PATCHED) {
		/* klp_get_prev_state() finds the replaced patches' states. */
		klp_for_each_object(patch, obj)
			if (obj->patched)
				klp_post_patch(patch, obj);
		if (replaced)
			klp_retire_replaced(patch);
		return;
	}

	klp_for_each_object(patch, obj)
		klp_post_unpatch(patch, obj);
	list_del(&patch->list);
	schedule_work(&patch->free_work);
}

/**
 * klp_patch_enable() - patch every present object of a patch
 * @patch: a registered, disabled patch
 *
 * Opens the transition to the patched state, runs the pre_patch
 * callbacks, redirects the functions and lets tasks switch; post_patch
 * callbacks run when the transition completes.  A cumulative patch
 * replaces the patches enabled before it in the same transition.
 *
 * Return: 0 with the patch enabled, or an error with nothing patched and
 * every pre_patch that ran undone by its post_unpatch.
 */
int klp_patch_enable(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	lockdep_assert_held(&klp_mutex);

	ret = klp_transition_prepare(patch, KLP_TRANSITION_PATCHED);
	if (ret)
		return ret;

	klp_for_each_object(patch, obj) {
		if (!klp_object_present(obj))
			continue;
		ret = klp_pre_patch(patch, obj);
		if (ret)
			goto err_unpatch;
	}

	ret = klp_redirect(patch, NULL);
	if (ret)
		goto err_unpatch;

	patch->enabled = true;
	klp_transition_start(klp_patch_transition_done);
	return 0;

err_unpatch:
	klp_for_each_object(patch, obj)
		klp_post_unpatch(patch, obj);
	klp_transition_abort(patch);
	return ret;
}

/**
 * klp_patch_disable() - start taking a patch back
 * @patch: an enabled patch, not in transition
 *
 * Runs the pre_unpatch callbacks and starts the transition to the
 * unpatched state.  When it completes, the functions are no longer
 * redirected, post_unpatch callbacks run and the patch's free_work
 * removes it from sysfs and unpins its module.
 *
 * Return: 0, -EBUSY while another transition is in progress, or -ENOMEM.
 */
int klp_patch_disable(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	lockdep_assert_held(&klp_mutex);

	if (WARN_ON(!patch->enabled))
		return -EINVAL;
	if (klp_transition_in_progress())
		return -EBUSY;

	ret = klp_transition_prepare(patch, KLP_TRANSITION_UNPATCHED);
	if (ret)
		return ret;

	klp_for_each_object(patch, obj)
		if (obj->patched)
			klp_pre_unpatch(patch, obj);

	patch->enabled = false;
	klp_transition_start(klp_patch_transition_done);
	return 0;
}

/**
 * klp_patch_reverse() - turn the transition of a patch around
 * @patch: the patch in transition
 *
 * Enabling becomes disabling and the other way round; tasks that already
 * switched switch back.  The callbacks that run at the end are those of
 * the new direction.
 */
void klp_patch_reverse(struct klp_patch *patch)
{
	lockdep_assert_held(&klp_mutex);

	patch->enabled = !patch->enabled;
	klp_reverse_transition();
}
