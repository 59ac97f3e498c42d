// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shadow variables: new data attached to existing objects.
 *
 * A live patch cannot add a field to a structure that running code
 * already uses.  It can attach a "shadow variable" to any object instead:
 * a block of data found by the object's address and a number chosen by
 * the patch (the id).  Patches that follow can keep using the data of an
 * earlier one, since the variables belong to no patch.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/livepatch.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

struct klp_shadow {
	struct hlist_node node;
	struct rcu_head rcu;
	void *obj;
	unsigned long id;
	char data[];
};

/*
 * All shadow variables, hashed by the object's address.  klp_shadow_lock
 * serialises the writers; readers walk a bucket under RCU, and a removed
 * variable is freed after a grace period.
 */
#define KLP_SHADOW_HASH_BITS	12
static DEFINE_HASHTABLE(klp_shadow_hash, KLP_SHADOW_HASH_BITS);
static DEFINE_SPINLOCK(klp_shadow_lock);

/* Under rcu_read_lock() or klp_shadow_lock. */
static struct klp_shadow *klp_shadow_find(void *obj, unsigned long id)
{
	struct klp_shadow *shadow;

	hash_for_each_possible_rcu(klp_shadow_hash, shadow, node,
				   (unsigned long)obj,
				   lockdep_is_held(&klp_shadow_lock))
		if (shadow->obj == obj && shadow->id == id)
			return shadow;
	return NULL;
}

/**
 * klp_shadow_get() - the data of a shadow variable
 * @obj: the object the variable is attached to
 * @id:  the variable's id
 *
 * Return: the variable's data, or NULL if @obj has no variable @id.
 */
void *klp_shadow_get(void *obj, unsigned long id)
{
	struct klp_shadow *shadow;

	rcu_read_lock();
	shadow = klp_shadow_find(obj, id);
	rcu_read_unlock();

	return shadow ? shadow->data : NULL;
}
EXPORT_SYMBOL_GPL(klp_shadow_get);

static void *klp_shadow_add(void *obj, unsigned long id, size_t size,
			    gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			    void *ctor_data, bool reuse)
{
	struct klp_shadow *shadow, *old;
	unsigned long flags;
	int ret;

	/* Allocate first: the lock may not be held over a sleeping kzalloc. */
	shadow = kzalloc_flex(*shadow, data, size, gfp_flags);
	if (!shadow)
		return NULL;
	shadow->obj = obj;
	shadow->id = id;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	old = klp_shadow_find(obj, id);
	if (old) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		kfree(shadow);
		if (reuse)
			return old->data;
		pr_err("shadow variable <%p, %lx> exists already\n", obj, id);
		return NULL;
	}
	/* The constructor runs before anyone can see the variable. */
	if (ctor) {
		ret = ctor(obj, shadow->data, ctor_data);
		if (ret) {
			spin_unlock_irqrestore(&klp_shadow_lock, flags);
			kfree(shadow);
			pr_err("constructor of shadow variable <%p, %lx> failed: %d\n",
			       obj, id, ret);
			return NULL;
		}
	}
	hash_add_rcu(klp_shadow_hash, &shadow->node, (unsigned long)obj);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	return shadow->data;
}

/**
 * klp_shadow_alloc() - attach a new shadow variable to an object
 * @obj:       the object
 * @id:        the variable's id
 * @size:      size of its data
 * @gfp_flags: how to allocate it
 * @ctor:      optional constructor, called with a spinlock held and
 *             interrupts off, before the variable becomes visible
 * @ctor_data: passed to @ctor
 *
 * The data is zeroed before @ctor runs.
 *
 * Return: the new variable's data; NULL when @obj has a variable @id
 * already, when memory is short or when @ctor fails.
 */
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size,
		       gfp_t gfp_flags, klp_shadow_ctor_t ctor,
		       void *ctor_data)
{
	return klp_shadow_add(obj, id, size, gfp_flags, ctor, ctor_data,
			      false);
}
EXPORT_SYMBOL_GPL(klp_shadow_alloc);

/**
 * klp_shadow_get_or_alloc() - the data of a shadow variable, made if need be
 * @obj:       the object
 * @id:        the variable's id
 * @size:      size of its data
 * @gfp_flags: how to allocate it
 * @ctor:      optional constructor, as for klp_shadow_alloc()
 * @ctor_data: passed to @ctor
 *
 * Return: the data of the variable @id of @obj, which is created if it
 * does not exist yet; NULL when memory is short or @ctor fails.
 */
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			      gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			      void *ctor_data)
{
	void *data = klp_shadow_get(obj, id);

	if (data)
		return data;
	return klp_shadow_add(obj, id, size, gfp_flags, ctor, ctor_data,
			      true);
}
EXPORT_SYMBOL_GPL(klp_shadow_get_or_alloc);

/* Called with klp_shadow_lock held. */
static void klp_shadow_remove(struct klp_shadow *shadow,
			      klp_shadow_dtor_t dtor)
{
	hash_del_rcu(&shadow->node);
	if (dtor)
		dtor(shadow->obj, shadow->data);
	kfree_rcu(shadow, rcu);
}

/**
 * klp_shadow_free() - detach a shadow variable from its object
 * @obj:  the object
 * @id:   the variable's id
 * @dtor: optional destructor, called with a spinlock held and interrupts
 *        off, once the variable can no longer be found
 */
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow;
	unsigned long flags;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	shadow = klp_shadow_find(obj, id);
	if (shadow)
		klp_shadow_remove(shadow, dtor);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free);

/**
 * klp_shadow_free_all() - detach every shadow variable of an id
 * @id:   the variables' id
 * @dtor: optional destructor, as for klp_shadow_free(), called for each
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow;
	struct hlist_node *tmp;
	unsigned long flags;
	int bkt;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	hash_for_each_safe(klp_shadow_hash, bkt, tmp, shadow, node)
		if (shadow->id == id)
			klp_shadow_remove(shadow, dtor);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);
