/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Declarations shared by the files of the live patching core.
 *
 * The files depend on each other one way only:
 *
 *   core.c      klp_enable_patch(), the patch life cycle
 *     sysfs.c     /sys/kernel/livepatch, calls back only through
 *                 klp_patch_disable()
 *     modules.c   patching modules that come and go
 *     state.c     system states: compatibility of a new patch
 *   patch.c     enabling and disabling objects: callbacks, transitions,
 *               retiring the patches a cumulative patch replaced
 *     transition.c the consistency model: per-task universes
 *     resolve.c   finding the functions to replace
 *     relocs.c    the patch module's relocations against its objects
 *     redirect.c  the ftrace handler and the table of patched sites
 *
 * A file calls only into files listed below it.  shadow.c (shadow
 * variables) stands apart: it depends on no other file of the core.
 */
#ifndef _LIVEPATCH_INTERNAL_H
#define _LIVEPATCH_INTERNAL_H

#include <linux/livepatch.h>
#include <linux/livepatch_task.h>
#include <linux/mutex.h>

/*
 * klp_mutex serialises every change of live patching state: enabling and
 * disabling patches, sysfs writes, modules coming and going, and the
 * patch list below.  It nests outside module_mutex, ftrace's locks and
 * text_mutex.
 */
extern struct mutex klp_mutex;

/* Registered patches, oldest first.  Protected by klp_mutex. */
extern struct list_head klp_patches;

static inline bool klp_is_module(const struct klp_object *obj)
{
	return obj->name;
}

/* The name of an object as sysfs and messages show it. */
static inline const char *klp_object_name(const struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

/* vmlinux is always there; a module only between coming and going. */
static inline bool klp_object_present(const struct klp_object *obj)
{
	return !klp_is_module(obj) || obj->mod;
}

/* transition.c */
extern unsigned long klp_epoch;
extern int klp_initial_state;
extern int klp_target_state;

/*
 * The universe @task runs in during a transition: its own state if it
 * switched during this one, the initial state otherwise.
 */
static __always_inline int klp_universe(struct task_struct *task)
{
	if (READ_ONCE(task->patch_epoch) == READ_ONCE(klp_epoch)) {
		/* Pairs with smp_wmb() in klp_switch(). */
		smp_rmb();
		return READ_ONCE(task->patch_state);
	}
	return READ_ONCE(klp_initial_state);
}

typedef void (*klp_transition_done_t)(struct klp_patch *patch, int target,
				      bool replaced);

int klp_transition_prepare(struct klp_patch *patch, int target);
void klp_transition_abort(struct klp_patch *patch);
void klp_transition_start(klp_transition_done_t done);
void klp_complete_transition(void);
void klp_reverse_transition(void);
void klp_force_transition(void);
void klp_transition_objects_changed(void);
void klp_transition_track_exits(void);
struct klp_patch *klp_transition_in_progress(void);
u64 klp_transition_elapsed_ns(void);
ssize_t klp_transition_blockers(char *buf);

/* state.c */
int klp_check_states(struct klp_patch *patch);

/* patch.c */
struct klp_patch *klp_callback_owner(void);
int klp_patch_enable(struct klp_patch *patch);
int klp_patch_disable(struct klp_patch *patch);
void klp_patch_reverse(struct klp_patch *patch);
int klp_object_enable(struct klp_patch *patch, struct klp_object *obj);
void klp_object_disable(struct klp_patch *patch, struct klp_object *obj);

/* resolve.c */
int klp_check_patch(struct klp_patch *patch);
int klp_resolve_object(struct klp_patch *patch, struct klp_object *obj,
		       struct module *mod);
void klp_forget_object(struct klp_object *obj);

/* relocs.c */
int klp_check_relocs(struct klp_patch *patch);
int klp_apply_relocs(struct klp_patch *patch, struct klp_object *obj);
void klp_clear_relocs(struct klp_patch *patch, struct klp_object *obj);

/* redirect.c */
int klp_redirect(struct klp_patch *patch, struct klp_object *only);
void klp_unredirect(struct klp_patch *patch, struct klp_object *only);
unsigned long klp_variant_below(struct klp_func *func);
void klp_redirect_refresh(struct klp_patch *patch);
void klp_redirect_sync(void);
bool klp_redirecting(void);

/* sysfs.c */
int klp_sysfs_init(void);
int klp_sysfs_add_patch(struct klp_patch *patch);
void klp_sysfs_remove_patch(struct klp_patch *patch);

/* modules.c */
int klp_modules_init(void);

#endif /* _LIVEPATCH_INTERNAL_H */
