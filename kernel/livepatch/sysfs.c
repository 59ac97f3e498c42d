// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sysfs interface, Documentation/ABI/testing/sysfs-kernel-livepatch:
 *
 *   /sys/kernel/livepatch/<patch>/{enabled,transition,force,replace,stack_order}
 *   /sys/kernel/livepatch/<patch>/{blockers,transition_ns}
 *   /sys/kernel/livepatch/<patch>/<object>/patched
 *   /sys/kernel/livepatch/<patch>/<object>/<function,sympos>/
 *
 * The kobjects are embedded in the patch module's structures.  The patch
 * kobject is the parent of all others and is released last; its release
 * completes patch->finish, which the core waits for before the module's
 * memory may go.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "internal.h"

static struct kobject *klp_root_kobj;

static struct klp_patch *to_patch(struct kobject *kobj)
{
	return container_of(kobj, struct klp_patch, kobj);
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_patch(kobj)->enabled));
}

/*
 * Writing 0 disables the patch.  During the patch's own transition,
 * writing the other value turns the transition around.  Writing what the
 * patch already is, or 1 to a disabled patch on its way out, is refused.
 */
static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct klp_patch *patch = to_patch(kobj);
	bool enable;
	int ret;

	ret = kstrtobool(buf, &enable);
	if (ret)
		return ret;

	mutex_lock(&klp_mutex);
	if (enable == patch->enabled)
		ret = -EINVAL;
	else if (klp_transition_in_progress() == patch)
		klp_patch_reverse(patch);
	else if (enable)
		ret = -EINVAL;
	else
		ret = klp_patch_disable(patch);
	mutex_unlock(&klp_mutex);

	return ret ?: count;
}

static ssize_t transition_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct klp_patch *patch = to_patch(kobj);
	bool in_transition;

	mutex_lock(&klp_mutex);
	in_transition = klp_transition_in_progress() == patch;
	mutex_unlock(&klp_mutex);

	return sysfs_emit(buf, "%d\n", in_transition);
}

/*
 * Writing 1 during the patch's transition completes it at once; 0 does
 * nothing, as it always did.
 */
static ssize_t force_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct klp_patch *patch = to_patch(kobj);
	bool force;
	int ret;

	ret = kstrtobool(buf, &force);
	if (ret)
		return ret;
	if (!force)
		return count;

	mutex_lock(&klp_mutex);
	if (klp_transition_in_progress() == patch)
		klp_force_transition();
	else
		ret = -EINVAL;
	mutex_unlock(&klp_mutex);

	return ret ?: count;
}

/* The tasks that have not switched yet, and why. */
static ssize_t blockers_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct klp_patch *patch = to_patch(kobj);
	ssize_t len = 0;

	mutex_lock(&klp_mutex);
	if (klp_transition_in_progress() == patch)
		len = klp_transition_blockers(buf);
	mutex_unlock(&klp_mutex);

	return len;
}

/* The last transition's duration, or the running one's so far. */
static ssize_t transition_ns_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct klp_patch *patch = to_patch(kobj);
	u64 ns;

	mutex_lock(&klp_mutex);
	if (klp_transition_in_progress() == patch)
		ns = klp_transition_elapsed_ns();
	else
		ns = patch->transition_ns;
	mutex_unlock(&klp_mutex);

	return sysfs_emit(buf, "%llu\n", ns);
}

static ssize_t replace_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", to_patch(kobj)->replace);
}

static ssize_t stack_order_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct klp_patch *patch = to_patch(kobj), *p;
	int order = 0;

	/*
	 * A patch that left the list, between the end of its disable and
	 * the removal of its directory, reads the length of the list, as
	 * it always did.
	 */
	mutex_lock(&klp_mutex);
	list_for_each_entry(p, &klp_patches, list) {
		order++;
		if (p == patch)
			break;
	}
	mutex_unlock(&klp_mutex);

	return sysfs_emit(buf, "%d\n", order);
}

static struct kobj_attribute enabled_kobj_attr = __ATTR_RW(enabled);
static struct kobj_attribute transition_kobj_attr = __ATTR_RO(transition);
static struct kobj_attribute force_kobj_attr = __ATTR_WO(force);
static struct kobj_attribute replace_kobj_attr = __ATTR_RO(replace);
static struct kobj_attribute stack_order_kobj_attr = __ATTR_RO(stack_order);
/* Names, pids and kernel code locations: for root only. */
static struct kobj_attribute blockers_kobj_attr = __ATTR(blockers, 0400,
							 blockers_show, NULL);
static struct kobj_attribute transition_ns_kobj_attr = __ATTR_RO(transition_ns);

static struct attribute *klp_patch_attrs[] = {
	&enabled_kobj_attr.attr,
	&transition_kobj_attr.attr,
	&force_kobj_attr.attr,
	&replace_kobj_attr.attr,
	&stack_order_kobj_attr.attr,
	&blockers_kobj_attr.attr,
	&transition_ns_kobj_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(klp_patch);

static ssize_t patched_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct klp_object *obj = container_of(kobj, struct klp_object, kobj);

	return sysfs_emit(buf, "%d\n", READ_ONCE(obj->patched));
}

static struct kobj_attribute patched_kobj_attr = __ATTR_RO(patched);

static struct attribute *klp_object_attrs[] = {
	&patched_kobj_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(klp_object);

static void klp_patch_release(struct kobject *kobj)
{
	complete(&to_patch(kobj)->finish);
}

/* Objects and functions live in the module; the patch kobject outlives them. */
static void klp_child_release(struct kobject *kobj)
{
}

static const struct kobj_type klp_ktype_patch = {
	.release = klp_patch_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = klp_patch_groups,
};

static const struct kobj_type klp_ktype_object = {
	.release = klp_child_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = klp_object_groups,
};

static const struct kobj_type klp_ktype_func = {
	.release = klp_child_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

/**
 * klp_sysfs_add_patch() - create the sysfs directories of a patch
 * @patch: a patch being registered
 *
 * Called with klp_mutex held.
 *
 * Return: 0, or an error; what was created is then left for
 * klp_sysfs_remove_patch().
 */
int klp_sysfs_add_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;
	int ret;

	init_completion(&patch->finish);
	patch->kobj_added = true;
	ret = kobject_init_and_add(&patch->kobj, &klp_ktype_patch,
				   klp_root_kobj, "%s", patch->mod->name);
	if (ret)
		return ret;

	klp_for_each_object(patch, obj) {
		obj->kobj_added = true;
		ret = kobject_init_and_add(&obj->kobj, &klp_ktype_object,
					   &patch->kobj, "%s",
					   klp_object_name(obj));
		if (ret)
			return ret;

		klp_for_each_func(obj, func) {
			func->kobj_added = true;
			ret = kobject_init_and_add(&func->kobj, &klp_ktype_func,
						   &obj->kobj, "%s,%lu",
						   func->old_name,
						   func->old_sympos ?: 1);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * klp_sysfs_remove_patch() - remove the sysfs directories of a patch
 * @patch: a patch that is no longer registered
 *
 * Waits until every kobject of the patch is released, readers and
 * writers of its files included.  Must not be called with klp_mutex held:
 * a writer may be waiting for it.
 */
void klp_sysfs_remove_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;

	lockdep_assert_not_held(&klp_mutex);

	if (!patch->kobj_added)
		return;

	klp_for_each_object(patch, obj) {
		klp_for_each_func(obj, func) {
			if (func->kobj_added)
				kobject_put(&func->kobj);
			func->kobj_added = false;
		}
		if (obj->kobj_added)
			kobject_put(&obj->kobj);
		obj->kobj_added = false;
	}
	kobject_put(&patch->kobj);
	patch->kobj_added = false;
	wait_for_completion(&patch->finish);
}

int __init klp_sysfs_init(void)
{
	klp_root_kobj = kobject_create_and_add("livepatch", kernel_kobj);
	return klp_root_kobj ? 0 : -ENOMEM;
}
