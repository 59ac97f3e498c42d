// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-shadow-fix2.c - a follow-up to livepatch-shadow-fix1 that
 * adds a second shadow variable
 *
 * The patch is cumulative: it carries fix1's change as it is, so that it
 * fixes livepatch-shadow-mod's leak on its own as well as on top of
 * fix1, and adds one thing.  Its shadow variable "pool of a ticket" has
 * fix1's id and layout: a ticket issued by fix1's code and retired by
 * this patch's, or the other way round, gives its unit back all the same.
 *
 * What it adds answers how long tickets stay around, counted in scans of
 * the pool rather than in time: a second shadow variable counts the
 * scans each ticket went through, and the "stats" line of the module
 * ends with the highest count among the live tickets:
 *
 *	# insmod livepatch-shadow-fix2.ko
 *	$ cat /sys/module/livepatch_shadow_mod/parameters/stats
 *	issued=143 retired=133 refused=0 live=10 reserved=53 max_scans=10
 *
 * Tickets issued before this patch get their counter at their next scan,
 * so their counts start late.
 *
 * On the way out, the post_unpatch callback frees both variables, each
 * with its own destructor: the tickets still alive give their units back
 * then.  If fix1 stays enabled below this patch, it carries on without
 * them; if this patch was enabled alone, nothing is left behind.
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

/* fix1's variable: the same id and the same data. */
#define SHADOW_TICKET_POOL	0x5d01
/* This patch's own: the number of scans a ticket went through. */
#define SHADOW_TICKET_SCANS	0x5d02

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

static int ticket_pool_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct shadow_mod_pool **pool = shadow_data;

	*pool = ctor_data;
	return 0;
}

static void ticket_pool_dtor(void *obj, void *shadow_data)
{
	struct shadow_mod_pool **pool = shadow_data;

	atomic_dec(&(*pool)->reserved);
}

static struct shadow_mod_ticket *
livepatch_shadow_mod_issue(struct shadow_mod_pool *pool, unsigned long ttl)
{
	struct shadow_mod_ticket *ticket;
	unsigned int *scans;

	if (atomic_inc_return(&pool->reserved) > pool->quota)
		goto unreserve;

	ticket = kzalloc_obj(*ticket);
	if (!ticket)
		goto unreserve;
	ticket->expires = jiffies + ttl;

	if (!klp_shadow_get_or_alloc(ticket, SHADOW_TICKET_POOL,
				     sizeof(struct shadow_mod_pool *),
				     GFP_KERNEL, ticket_pool_ctor, pool))
		goto free_ticket;

	/*
	 * A counter left behind by a ticket that the older code retired
	 * during a transition may sit at this address: start from zero.
	 */
	scans = klp_shadow_get_or_alloc(ticket, SHADOW_TICKET_SCANS,
					sizeof(*scans), GFP_KERNEL, NULL, NULL);
	if (scans)
		*scans = 0;
	return ticket;

free_ticket:
	kfree(ticket);
unreserve:
	atomic_dec(&pool->reserved);
	return NULL;
}

static bool livepatch_shadow_mod_expired(struct shadow_mod_ticket *ticket,
					 unsigned long now)
{
	unsigned int *scans;

	/* Made here for the tickets issued before this patch. */
	scans = klp_shadow_get_or_alloc(ticket, SHADOW_TICKET_SCANS,
					sizeof(*scans), GFP_KERNEL, NULL, NULL);
	if (scans)
		(*scans)++;

	return time_after_eq(now, ticket->expires);
}

static void livepatch_shadow_mod_retire(struct shadow_mod_ticket *ticket)
{
	klp_shadow_free(ticket, SHADOW_TICKET_SCANS, NULL);
	klp_shadow_free(ticket, SHADOW_TICKET_POOL, ticket_pool_dtor);
	kfree(ticket);
}

static int livepatch_shadow_mod_stats_get(char *buf,
					  const struct kernel_param *kp)
{
	struct shadow_mod_pool *pool = kp->arg;
	struct shadow_mod_ticket *ticket;
	unsigned int max_scans = 0, *scans;
	int len;

	mutex_lock(&pool->lock);
	list_for_each_entry(ticket, &pool->tickets, node) {
		scans = klp_shadow_get(ticket, SHADOW_TICKET_SCANS);
		if (scans && *scans > max_scans)
			max_scans = *scans;
	}
	len = scnprintf(buf, PAGE_SIZE,
			"issued=%lu retired=%lu refused=%lu live=%u reserved=%d max_scans=%u\n",
			pool->issued, pool->retired, pool->refused, pool->live,
			atomic_read(&pool->reserved), max_scans);
	mutex_unlock(&pool->lock);

	return len;
}

static void shadow_fix2_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(SHADOW_TICKET_SCANS, NULL);
	klp_shadow_free_all(SHADOW_TICKET_POOL, ticket_pool_dtor);
}

static struct klp_func funcs[] = {
	{
		.old_name = "shadow_mod_issue",
		.new_func = livepatch_shadow_mod_issue,
	},
	{
		.old_name = "shadow_mod_expired",
		.new_func = livepatch_shadow_mod_expired,
	},
	{
		.old_name = "shadow_mod_retire",
		.new_func = livepatch_shadow_mod_retire,
	},
	{
		.old_name = "shadow_mod_stats_get",
		.new_func = livepatch_shadow_mod_stats_get,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.name = "livepatch_shadow_mod",
		.funcs = funcs,
		.callbacks = {
			.post_unpatch = shadow_fix2_post_unpatch,
		},
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_shadow_fix2_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_shadow_fix2_exit(void)
{
}

module_init(livepatch_shadow_fix2_init);
module_exit(livepatch_shadow_fix2_exit);
MODULE_DESCRIPTION("Live patch sample: keep fix1's shadow variable and add a second one");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
