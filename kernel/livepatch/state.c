// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * System states: what a patch changed in the system beyond its code.
 *
 * A patch lists the states it introduces or keeps, each an id and a
 * version.  The callbacks of a patch find the states of the patches
 * enabled before it with klp_get_prev_state() and take them over.  A
 * patch that would break a state an enabled patch set up is refused:
 * a cumulative patch must carry every state of the patches it replaces,
 * and no patch may carry a state at a lower version than an enabled one.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>

#include "internal.h"

#define klp_for_each_state(patch, state)			\
	for ((state) = (patch)->states; (state) && (state)->id; (state)++)

/**
 * klp_get_state() - find a state of a patch
 * @patch: the patch
 * @id:	   the id of the state
 *
 * Return: the state with @id that @patch carries, or NULL.
 */
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id)
{
	struct klp_state *state;

	klp_for_each_state(patch, state)
		if (state->id == id)
			return state;
	return NULL;
}
EXPORT_SYMBOL_GPL(klp_get_state);

/**
 * klp_get_prev_state() - find a state set up by the patches enabled before
 * @id: the id of the state
 *
 * For the callbacks of a patch: the state with @id of the newest patch
 * enabled before it.  When a cumulative patch's post_patch callbacks run,
 * the patches it replaces are still there.  The patch list is stable
 * while a callback runs, which holds the live patching lock.
 *
 * Return: that state, or NULL if no earlier patch carries it or the
 * caller is not a callback.
 */
struct klp_state *klp_get_prev_state(unsigned long id)
{
	struct klp_patch *patch, *current_patch;
	struct klp_state *found = NULL, *state;

	lockdep_assert_held(&klp_mutex);

	current_patch = klp_callback_owner();
	if (WARN_ON_ONCE(!current_patch))
		return NULL;

	list_for_each_entry(patch, &klp_patches, list) {
		if (patch == current_patch)
			break;
		state = klp_get_state(patch, id);
		if (state)
			found = state;
	}
	return found;
}
EXPORT_SYMBOL_GPL(klp_get_prev_state);

/* Can @patch be enabled on top of @old, as far as @old_state goes? */
static bool klp_state_kept(struct klp_patch *patch,
			   const struct klp_state *old_state)
{
	struct klp_state *state = klp_get_state(patch, old_state->id);

	if (!state)
		return !patch->replace;
	return state->version >= old_state->version;
}

/**
 * klp_check_states() - refuse a patch that would break a system state
 * @patch: a patch about to be enabled
 *
 * Called with klp_mutex held, before anything of @patch is registered.
 *
 * Return: 0, or -EINVAL with a message naming the patches and the state.
 */
int klp_check_states(struct klp_patch *patch)
{
	struct klp_state *state, *other;
	struct klp_patch *old;

	lockdep_assert_held(&klp_mutex);

	klp_for_each_state(patch, state) {
		for (other = patch->states; other != state; other++) {
			if (other->id == state->id) {
				pr_err("%s: state %lu is listed twice\n",
				       patch->mod->name, state->id);
				return -EINVAL;
			}
		}
	}

	list_for_each_entry(old, &klp_patches, list) {
		klp_for_each_state(old, state) {
			if (klp_state_kept(patch, state))
				continue;
			other = klp_get_state(patch, state->id);
			if (other)
				pr_err("%s: state %lu at version %u, lower than version %u of enabled patch %s\n",
				       patch->mod->name, state->id,
				       other->version, state->version,
				       old->mod->name);
			else
				pr_err("%s: cumulative patch does not carry state %lu (version %u) of enabled patch %s\n",
				       patch->mod->name, state->id,
				       state->version, old->mod->name);
			return -EINVAL;
		}
	}
	return 0;
}
