// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checking a patch's description and finding the functions it replaces.
 *
 * A function is named by its symbol in vmlinux or in one module.  Local
 * symbols may share a name; old_sympos picks one of them, counted from 1
 * in kallsyms order, and 0 asks for the name to be unique.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include <asm/sections.h>

#include "internal.h"

/* The sysfs and error-message name of a function: "<old_name>,<sympos>". */
static unsigned long klp_sympos(const struct klp_func *func)
{
	return func->old_sympos ? func->old_sympos : 1;
}

static int klp_check_object_name(struct klp_patch *patch,
				 struct klp_object *obj)
{
	size_t len;

	if (!klp_is_module(obj))
		return 0;

	len = strnlen(obj->name, MODULE_NAME_LEN);
	if (!len || len >= MODULE_NAME_LEN || strchr(obj->name, '/') ||
	    !strcmp(obj->name, "vmlinux")) {
		pr_err("%s: object name '%s' is not a module name\n",
		       patch->mod->name, obj->name);
		return -EINVAL;
	}
	return 0;
}

static int klp_func_cmp(const void *a, const void *b)
{
	const struct klp_func *fa = *(const struct klp_func **)a;
	const struct klp_func *fb = *(const struct klp_func **)b;
	int ret = strcmp(fa->old_name, fb->old_name);

	if (ret)
		return ret;
	if (klp_sympos(fa) == klp_sympos(fb))
		return 0;
	return klp_sympos(fa) < klp_sympos(fb) ? -1 : 1;
}

static int klp_object_cmp(const void *a, const void *b)
{
	return strcmp(klp_object_name(*(const struct klp_object **)a),
		      klp_object_name(*(const struct klp_object **)b));
}

/*
 * Sort pointers to the @n entries of @array, of @size bytes each, with
 * @cmp and return the first entry equal to its neighbour, NULL if there
 * is none, or an ERR_PTR().  Sorting keeps a patch of many thousands of
 * functions from costing a quadratic number of comparisons.
 */
static void *klp_find_duplicate(void *array, size_t n, size_t size,
				cmp_func_t cmp)
{
	void **sorted, *dup = NULL;
	size_t i;

	if (n < 2)
		return NULL;
	sorted = kvmalloc_objs(*sorted, n);
	if (!sorted)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n; i++)
		sorted[i] = array + i * size;
	sort(sorted, n, sizeof(*sorted), cmp, NULL);
	for (i = 1; i < n; i++) {
		if (!cmp(&sorted[i - 1], &sorted[i])) {
			dup = sorted[i];
			break;
		}
	}
	kvfree(sorted);
	return dup;
}

static int klp_check_funcs(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	size_t n = 0;

	/* An object may replace no function and only carry callbacks. */
	klp_for_each_func(obj, func) {
		if (!func->old_name || !func->old_name[0] || !func->new_func) {
			pr_err("%s: object '%s': function '%s' has no %s\n",
			       patch->mod->name, klp_object_name(obj),
			       func->old_name ?: "(null)",
			       func->new_func ? "name (old_name)" :
						"replacement (new_func)");
			return -EINVAL;
		}
		if (strnlen(func->old_name, KSYM_NAME_LEN) >= KSYM_NAME_LEN) {
			pr_err("%s: object '%s': function name '%.*s...' is too long\n",
			       patch->mod->name, klp_object_name(obj), 32,
			       func->old_name);
			return -EINVAL;
		}
		n++;
		cond_resched();
	}

	func = klp_find_duplicate(obj->funcs, n, sizeof(*func), klp_func_cmp);
	if (IS_ERR(func))
		return PTR_ERR(func);
	if (func) {
		pr_err("%s: object '%s': function '%s,%lu' is replaced twice\n",
		       patch->mod->name, klp_object_name(obj),
		       func->old_name, klp_sympos(func));
		return -EINVAL;
	}
	return 0;
}

/**
 * klp_check_patch() - check what a patch module describes
 * @patch: the patch, not registered yet
 *
 * Only looks at the description and the patch module's .klp.rela
 * sections: the result does not depend on what is loaded.
 *
 * Return: 0, or -EINVAL (-ENOEXEC for a malformed .klp.rela section) with
 * a message naming the culprit, or -ENOMEM.
 */
int klp_check_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	size_t n = 0;
	int ret;

	if (!patch->objs->funcs && !patch->objs->name) {
		pr_err("%s: the patch has no object\n", patch->mod->name);
		return -EINVAL;
	}

	klp_for_each_object(patch, obj) {
		if (!obj->funcs) {
			pr_err("%s: object '%s' has no function array\n",
			       patch->mod->name, klp_object_name(obj));
			return -EINVAL;
		}
		ret = klp_check_object_name(patch, obj);
		if (ret)
			return ret;
		ret = klp_check_funcs(patch, obj);
		if (ret)
			return ret;
		n++;
	}

	obj = klp_find_duplicate(patch->objs, n, sizeof(*obj), klp_object_cmp);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (obj) {
		pr_err("%s: object '%s' is listed twice\n", patch->mod->name,
		       klp_object_name(obj));
		return -EINVAL;
	}
	return klp_check_relocs(patch);
}

struct klp_lookup {
	const char *name;
	unsigned long sympos;
	unsigned long count;
	unsigned long addr;
};

static void klp_lookup_hit(struct klp_lookup *lookup, unsigned long addr)
{
	unsigned long want = lookup->sympos ? lookup->sympos : 1;

	if (++lookup->count == want)
		lookup->addr = addr;
}

static int klp_lookup_vmlinux_cb(void *data, unsigned long addr)
{
	klp_lookup_hit(data, addr);
	return 0;
}

static int klp_lookup_module_cb(void *data, const char *name,
				unsigned long addr)
{
	struct klp_lookup *lookup = data;

	if (!strcmp(name, lookup->name))
		klp_lookup_hit(lookup, addr);
	return 0;
}

/*
 * Init code is freed after the init of vmlinux or of its module, and its
 * ftrace location with it, while a redirection would have to last until
 * the module goes.
 */
static bool klp_is_init_code(unsigned long addr, struct module *mod)
{
	return mod ? within_module_init(addr, mod) : is_kernel_inittext(addr);
}

static int klp_resolve_func(struct klp_patch *patch, struct klp_object *obj,
			    struct module *mod, struct klp_func *func)
{
	struct klp_lookup lookup = {
		.name = func->old_name,
		.sympos = func->old_sympos,
	};
	unsigned long size, offset;

	/* Count every match: a name given without sympos must be unique. */
	if (klp_is_module(obj))
		module_kallsyms_on_each_symbol(obj->name, klp_lookup_module_cb,
					       &lookup);
	else
		kallsyms_on_each_match_symbol(klp_lookup_vmlinux_cb,
					      func->old_name, &lookup);

	if (!lookup.count) {
		pr_err("%s: object '%s': function '%s' not found\n",
		       patch->mod->name, klp_object_name(obj), func->old_name);
		return -ENOENT;
	}
	if (!func->old_sympos && lookup.count > 1) {
		pr_err("%s: object '%s': %lu functions are named '%s'; set old_sympos to pick one\n",
		       patch->mod->name, klp_object_name(obj), lookup.count,
		       func->old_name);
		return -EINVAL;
	}
	if (!lookup.addr) {
		pr_err("%s: object '%s': function '%s,%lu': old_sympos out of range, there are %lu\n",
		       patch->mod->name, klp_object_name(obj), func->old_name,
		       func->old_sympos, lookup.count);
		return -EINVAL;
	}
	if (!kallsyms_lookup_size_offset(lookup.addr, &size, &offset) ||
	    offset) {
		pr_err("%s: object '%s': function '%s': no size known\n",
		       patch->mod->name, klp_object_name(obj), func->old_name);
		return -ENOENT;
	}
	if (klp_is_init_code(lookup.addr, mod)) {
		pr_err("%s: object '%s': function '%s' cannot be patched: it is init code\n",
		       patch->mod->name, klp_object_name(obj), func->old_name);
		return -EOPNOTSUPP;
	}
	/* Redirection needs the ftrace call at the function's entry. */
	if (!ftrace_location(lookup.addr)) {
		pr_err("%s: object '%s': function '%s' cannot be patched: no ftrace location (notrace?)\n",
		       patch->mod->name, klp_object_name(obj), func->old_name);
		return -EOPNOTSUPP;
	}

	func->old_func = (void *)lookup.addr;
	func->old_size = size;
	return 0;
}

/**
 * klp_resolve_object() - find the functions a patch replaces in an object
 * @patch: the patch
 * @obj:   one of its objects
 * @mod:   the loaded module @obj names, or NULL for vmlinux
 *
 * Also writes the patch module's relocations against a module object.
 * Called with klp_mutex held.
 *
 * Return: 0 with the object present and its functions' addresses known,
 * or an error with nothing changed.
 */
int klp_resolve_object(struct klp_patch *patch, struct klp_object *obj,
		       struct module *mod)
{
	struct klp_func *func;
	int ret;

	lockdep_assert_held(&klp_mutex);

	klp_for_each_func(obj, func) {
		ret = klp_resolve_func(patch, obj, mod, func);
		if (ret)
			goto err_forget;
	}
	ret = klp_apply_relocs(patch, obj);
	if (ret)
		goto err_forget;
	obj->mod = mod;
	return 0;

err_forget:
	klp_forget_object(obj);
	return ret;
}

/**
 * klp_forget_object() - drop what was resolved in an object
 * @obj: an object that is not patched
 *
 * For a module that goes away, or after a failed resolution.
 */
void klp_forget_object(struct klp_object *obj)
{
	struct klp_func *func;

	WARN_ON_ONCE(obj->patched);
	klp_for_each_func(obj, func) {
		func->old_func = NULL;
		func->old_size = 0;
	}
	obj->mod = NULL;
}
