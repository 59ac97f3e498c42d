// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-shadow-fix1.c - fix a leak with a shadow variable
 *
 * livepatch-shadow-mod cannot give the unit a ticket reserved back to the
 * pool, because its tickets have no field that names their pool.  A live
 * patch cannot add that field: the structure is in use by code that
 * knows its old layout.  This patch attaches the pool to each ticket as a
 * shadow variable instead:
 *
 *  - shadow_mod_issue() is replaced by a copy that also gives the new
 *    ticket a shadow variable holding its pool, set by a constructor
 *    before anyone can see it;
 *  - shadow_mod_retire() is replaced by a copy that frees the variable;
 *    the destructor gives the unit back to the pool.
 *
 * Tickets issued before the patch have no variable: their units stay
 * lost, a live patch does not undo the past.  Tickets issued while the
 * patch is enabled keep "reserved" equal to "live":
 *
 *	# insmod livepatch-shadow-mod.ko
 *	# insmod livepatch-shadow-fix1.ko
 *	$ cat /sys/module/livepatch_shadow_mod/parameters/stats
 *	issued=57 retired=47 refused=0 live=10 reserved=53
 *	$ cat /sys/module/livepatch_shadow_mod/parameters/stats
 *	issued=98 retired=88 refused=0 live=10 reserved=53
 *
 * When the patch is disabled, or the module goes while the patch is
 * enabled, the post_unpatch callback of the module's object frees the
 * variables that are left with the same destructor: the tickets still
 * alive give their units back then, since the original retire path would
 * not.  Freeing through the destructor makes sure that each unit goes
 * back once, whoever removes the variable.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

/*
 * The id of the shadow variable "pool of a ticket".  livepatch-shadow-fix2
 * uses the same id for the same data: patches that share a variable
 * must agree on both.
 */
#define SHADOW_TICKET_POOL	0x5d01

/* The layouts of livepatch-shadow-mod.c. */
struct shadow_mod_pool {
	struct mutex lock;		/* the list and the counters */
	struct list_head tickets;
	unsigned long issued;
	unsigned long retired;
	unsigned long refused;
	unsigned int live;
	unsigned int quota;
	atomic_t reserved;
};

struct shadow_mod_ticket {
	struct list_head node;
	unsigned long expires;
};

/* Runs under the shadow variables' spinlock: it must not sleep. */
static int ticket_pool_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct shadow_mod_pool **pool = shadow_data;

	*pool = ctor_data;
	return 0;
}

/* Likewise; called once per variable, by whoever removes it. */
static void ticket_pool_dtor(void *obj, void *shadow_data)
{
	struct shadow_mod_pool **pool = shadow_data;

	atomic_dec(&(*pool)->reserved);
}

static struct shadow_mod_ticket *
livepatch_shadow_mod_issue(struct shadow_mod_pool *pool, unsigned long ttl)
{
	struct shadow_mod_ticket *ticket;

	if (atomic_inc_return(&pool->reserved) > pool->quota)
		goto unreserve;

	ticket = kzalloc_obj(*ticket);
	if (!ticket)
		goto unreserve;
	ticket->expires = jiffies + ttl;

	/*
	 * During the transition, a ticket issued here may be retired by the
	 * old code, which leaves its variable behind.  A new ticket at the
	 * same address then finds it, holding the same pool: get_or_alloc
	 * takes it over instead of failing.
	 */
	if (!klp_shadow_get_or_alloc(ticket, SHADOW_TICKET_POOL,
				     sizeof(struct shadow_mod_pool *),
				     GFP_KERNEL, ticket_pool_ctor, pool)) {
		/* Without the variable the unit would leak: refuse. */
		kfree(ticket);
		goto unreserve;
	}
	return ticket;

unreserve:
	atomic_dec(&pool->reserved);
	return NULL;
}

static void livepatch_shadow_mod_retire(struct shadow_mod_ticket *ticket)
{
	/* Nothing happens for a ticket issued before the patch. */
	klp_shadow_free(ticket, SHADOW_TICKET_POOL, ticket_pool_dtor);
	kfree(ticket);
}

/* Whatever the reason the patch leaves the module, return every unit. */
static void shadow_fix1_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(SHADOW_TICKET_POOL, ticket_pool_dtor);
}

static struct klp_func funcs[] = {
	{
		.old_name = "shadow_mod_issue",
		.new_func = livepatch_shadow_mod_issue,
	},
	{
		.old_name = "shadow_mod_retire",
		.new_func = livepatch_shadow_mod_retire,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.name = "livepatch_shadow_mod",
		.funcs = funcs,
		.callbacks = {
			.post_unpatch = shadow_fix1_post_unpatch,
		},
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_shadow_fix1_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_shadow_fix1_exit(void)
{
}

module_init(livepatch_shadow_fix1_init);
module_exit(livepatch_shadow_fix1_exit);
MODULE_DESCRIPTION("Live patch sample: fix livepatch-shadow-mod's leak with a shadow variable");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
