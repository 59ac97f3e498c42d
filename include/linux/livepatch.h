/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live patching: replace whole kernel functions in a running kernel.
 *
 * A live patch is a module.  It describes the functions it replaces with
 * a struct klp_patch holding one struct klp_object per patched object
 * (vmlinux or a module), each holding an array of struct klp_func, and
 * hands it to klp_enable_patch() from its init function.  The fields a
 * patch module fills in are the public API; the rest belongs to the core.
 */
#ifndef _LINUX_LIVEPATCH_H_
#define _LINUX_LIVEPATCH_H_

#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/kobject.h>
#include <linux/workqueue.h>

#if IS_ENABLED(CONFIG_LIVEPATCH)

/*
 * The universe a task lives in, as /proc/<pid>/patch_state shows it:
 * no transition in progress, or the old or the new code during one.
 */
#define KLP_TRANSITION_IDLE	-1
#define KLP_TRANSITION_UNPATCHED 0
#define KLP_TRANSITION_PATCHED	 1

/**
 * struct klp_func - one function a patch replaces
 * @old_name:	name of the function to replace
 * @new_func:	the replacement; it must have the old function's prototype
 * @old_sympos:	which of several local symbols named @old_name, counted
 *		from 1 in kallsyms order; 0 means the name must be unique
 *
 * The remaining fields are the core's.
 * @old_func:	 address of the replaced function, once resolved
 * @old_size:	 its size
 * @kobj:	 /sys/kernel/livepatch/<patch>/<object>/<old_name,sympos>
 * @stack_node: position in the stack of variants of the patched site
 * @kobj_added: @kobj is in sysfs
 * @patched:	 calls to @old_func may reach @new_func
 * @transition: a transition is moving tasks to or away from @new_func
 * @replaced:	 a cumulative patch in transition takes @new_func away:
 *		 tasks in the patched universe no longer see it
 */
struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;

	void *old_func;
	unsigned long old_size;
	struct kobject kobj;
	struct list_head stack_node;
	bool kobj_added;
	bool patched;
	bool transition;
	bool replaced;
};

struct klp_object;

/**
 * struct klp_callbacks - code run around patching one object
 * @pre_patch:	before the object's functions are redirected; a non-zero
 *		return refuses the patch for this object
 * @post_patch:	after the transition to the patched state completed
 * @pre_unpatch: before the transition back to the unpatched state starts
 * @post_unpatch: after the object's functions are no longer redirected
 * @post_unpatch_enabled: the core's: @post_unpatch is owed because
 *		@pre_patch succeeded
 */
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};

/**
 * struct klp_object - the functions a patch replaces in one object
 * @name:	module name, or NULL for vmlinux
 * @funcs:	array of functions, ended by an entry with a NULL @old_name
 * @callbacks:	optional code to run around patching this object
 *
 * The remaining fields are the core's.
 * @kobj:	/sys/kernel/livepatch/<patch>/<object>
 * @mod:	the loaded module @name refers to, NULL while it is not loaded
 * @kobj_added: @kobj is in sysfs
 * @patched:	the object's functions are redirected
 */
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;

	struct kobject kobj;
	struct module *mod;
	bool kobj_added;
	bool patched;
};

/**
 * struct klp_state - a system state that a patch introduces or keeps
 * @id:		system-wide identifier of the state
 * @version:	version of the state's data layout or semantics
 * @data:	for the patch's callbacks
 */
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};

/**
 * struct klp_patch - a live patch
 * @mod:	the live patch module (THIS_MODULE)
 * @objs:	array of patched objects, ended by an entry with NULL @funcs
 * @states:	system states the patch handles, ended by an entry with id 0
 * @replace:	replace every enabled patch (cumulative patch): functions
 *		the others replaced and this one does not return to their
 *		original code, and the others are disabled, all in one
 *		transition
 *
 * The remaining fields are the core's.
 * @list:	position in the list of patches, oldest first
 * @kobj:	/sys/kernel/livepatch/<patch>
 * @free_work:	removes the patch once it is disabled
 * @finish:	completed when @kobj and its children are released
 * @kobj_added: @kobj is in sysfs
 * @enabled:	the patch is enabled (or being enabled)
 * @forced:	tasks may still run its code after a forced transition; the
 *		module stays
 * @transition_ns: how long the last transition of the patch took
 */
struct klp_patch {
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;

	struct list_head list;
	struct kobject kobj;
	struct work_struct free_work;
	struct completion finish;
	bool kobj_added;
	bool enabled;
	bool forced;
	u64 transition_ns;
};

/*
 * The objects of a patch and the functions of an object, up to the
 * terminating empty entry of their arrays.  The _static names are
 * mainline's for the same walks: every object and function of a patch is
 * in the arrays its module gave.
 */
#define klp_for_each_object(patch, obj)					\
	for ((obj) = (patch)->objs; (obj)->funcs || (obj)->name; (obj)++)

#define klp_for_each_func(obj, func)					\
	for ((func) = (obj)->funcs;					\
	     (func)->old_name || (func)->new_func || (func)->old_sympos;	\
	     (func)++)

#define klp_for_each_object_static(patch, obj)	klp_for_each_object(patch, obj)
#define klp_for_each_func_static(obj, func)	klp_for_each_func(obj, func)

/* Can sleeping tasks be checked, or only moved at the kernel boundary? */
static inline bool klp_have_reliable_stack(void)
{
	return IS_ENABLED(CONFIG_STACKTRACE) &&
	       IS_ENABLED(CONFIG_HAVE_RELIABLE_STACKTRACE);
}

int klp_enable_patch(struct klp_patch *patch);

struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
struct klp_state *klp_get_prev_state(unsigned long id);

/* Shadow variables: data attached to existing objects by a patch. */
typedef int (*klp_shadow_ctor_t)(void *obj, void *shadow_data,
				 void *ctor_data);
typedef void (*klp_shadow_dtor_t)(void *obj, void *shadow_data);

void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size,
		       gfp_t gfp_flags, klp_shadow_ctor_t ctor,
		       void *ctor_data);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			      gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			      void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor);
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor);

#else /* !CONFIG_LIVEPATCH */

#endif /* CONFIG_LIVEPATCH */

#endif /* _LINUX_LIVEPATCH_H_ */
