// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-shadow-mod.c - a module with a leak, for the shadow variable
 * samples to fix
 *
 * The module hands out short-lived tickets from a pool.  Every period_ms
 * milliseconds a delayed work retires the tickets whose time is up and
 * issues a new one, which stays for ttl_ms milliseconds.  Issuing a
 * ticket reserves one unit of the pool's quota; retiring it should give
 * the unit back, but struct shadow_mod_ticket has no field that leads
 * back to the pool, so shadow_mod_retire() cannot: every retired ticket
 * leaks its unit.  Once quota units have leaked, the pool refuses every
 * new ticket and the module stops working.
 *
 * The bug cannot be fixed by adding the missing field: the running code
 * knows the old layout of the structure.  livepatch-shadow-fix1 attaches
 * the pool to each ticket as a shadow variable instead, and
 * livepatch-shadow-fix2 builds on it.
 *
 * The read-only parameter "stats" shows the state of the pool in one
 * line, taken under the pool's lock:
 *
 *	# insmod livepatch-shadow-mod.ko quota=50
 *	$ cat /sys/module/livepatch_shadow_mod/parameters/stats
 *	issued=32 retired=22 refused=0 live=10 reserved=32
 *	$ cat /sys/module/livepatch_shadow_mod/parameters/stats
 *	issued=50 retired=50 refused=23 live=0 reserved=50
 *
 * Without the bug, "reserved" would equal "live".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

static unsigned int period_ms = 100;
module_param(period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "Milliseconds between two scans of the pool (default: 100)");

static unsigned int ttl_ms = 1000;
module_param(ttl_ms, uint, 0444);
MODULE_PARM_DESC(ttl_ms, "Milliseconds a ticket lives (default: 1000)");

/*
 * The live patches for this module copy the two structures below: a live
 * patch must see the same layout as the code it replaces.
 */
struct shadow_mod_pool {
	struct mutex lock;		/* the list and the counters */
	struct list_head tickets;	/* live tickets, oldest first */
	unsigned long issued;
	unsigned long retired;
	unsigned long refused;
	unsigned int live;
	unsigned int quota;		/* at most this many units reserved */
	atomic_t reserved;		/* units reserved by tickets */
};

struct shadow_mod_ticket {
	struct list_head node;		/* in pool->tickets */
	unsigned long expires;		/* in jiffies */
	/* Missing: the pool the ticket was issued from. */
};

static struct shadow_mod_pool pool = {
	.lock = __MUTEX_INITIALIZER(pool.lock),
	.tickets = LIST_HEAD_INIT(pool.tickets),
	.quota = 1000,
};
module_param_named(quota, pool.quota, uint, 0444);
MODULE_PARM_DESC(quota, "Units the pool can reserve (default: 1000)");

static void shadow_mod_tick(struct work_struct *work);
static DECLARE_DELAYED_WORK(shadow_mod_work, shadow_mod_tick);

/*
 * The functions the live patches replace.  They are never inlined nor
 * cloned, so that each has a symbol of its own and an ftrace location,
 * and their callers make no assumption about what they do: a replacement
 * may do more.
 */

/* Reserve a unit of @pool and make a ticket that lives for @ttl jiffies. */
static noinline __noipa struct shadow_mod_ticket *
shadow_mod_issue(struct shadow_mod_pool *pool, unsigned long ttl)
{
	struct shadow_mod_ticket *ticket;

	if (atomic_inc_return(&pool->reserved) > pool->quota)
		goto unreserve;

	ticket = kzalloc_obj(*ticket);
	if (!ticket)
		goto unreserve;
	ticket->expires = jiffies + ttl;
	return ticket;

unreserve:
	atomic_dec(&pool->reserved);
	return NULL;
}

static noinline __noipa bool
shadow_mod_expired(struct shadow_mod_ticket *ticket, unsigned long now)
{
	return time_after_eq(now, ticket->expires);
}

/* The bug: the unit reserved for @ticket should go back to its pool. */
static noinline __noipa void shadow_mod_retire(struct shadow_mod_ticket *ticket)
{
	kfree(ticket);
}

/* "stats": the getter of a read-only parameter whose argument is the pool. */
static noinline __noipa int
shadow_mod_stats_get(char *buf, const struct kernel_param *kp)
{
	struct shadow_mod_pool *pool = kp->arg;
	int len;

	mutex_lock(&pool->lock);
	len = scnprintf(buf, PAGE_SIZE,
			"issued=%lu retired=%lu refused=%lu live=%u reserved=%d\n",
			pool->issued, pool->retired, pool->refused, pool->live,
			atomic_read(&pool->reserved));
	mutex_unlock(&pool->lock);

	return len;
}

static const struct kernel_param_ops shadow_mod_stats_ops = {
	.get = shadow_mod_stats_get,
};
module_param_cb(stats, &shadow_mod_stats_ops, &pool, 0444);
MODULE_PARM_DESC(stats, "State of the pool");

/* Retire the tickets whose time is up, then issue a new one. */
static void shadow_mod_tick(struct work_struct *work)
{
	struct shadow_mod_ticket *ticket, *next;
	unsigned long now = jiffies;

	mutex_lock(&pool.lock);
	list_for_each_entry_safe(ticket, next, &pool.tickets, node) {
		if (!shadow_mod_expired(ticket, now))
			continue;
		list_del(&ticket->node);
		shadow_mod_retire(ticket);
		pool.live--;
		pool.retired++;
	}

	ticket = shadow_mod_issue(&pool, msecs_to_jiffies(ttl_ms));
	if (ticket) {
		list_add_tail(&ticket->node, &pool.tickets);
		pool.live++;
		pool.issued++;
	} else {
		pool.refused++;
	}
	mutex_unlock(&pool.lock);

	schedule_delayed_work(&shadow_mod_work, msecs_to_jiffies(period_ms));
}

static int __init shadow_mod_init(void)
{
	if (!period_ms || !ttl_ms)
		return -EINVAL;

	schedule_delayed_work(&shadow_mod_work, 0);
	return 0;
}

static void __exit shadow_mod_exit(void)
{
	struct shadow_mod_ticket *ticket, *next;

	cancel_delayed_work_sync(&shadow_mod_work);

	mutex_lock(&pool.lock);
	list_for_each_entry_safe(ticket, next, &pool.tickets, node) {
		list_del(&ticket->node);
		shadow_mod_retire(ticket);
		pool.live--;
		pool.retired++;
	}
	mutex_unlock(&pool.lock);

	pr_info("retired every ticket; %d units were never given back\n",
		atomic_read(&pool.reserved));
}

module_init(shadow_mod_init);
module_exit(shadow_mod_exit);
MODULE_DESCRIPTION("Live patch sample: a module that leaks, for the shadow variable samples");
MODULE_LICENSE("GPL");
