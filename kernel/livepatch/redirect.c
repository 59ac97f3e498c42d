// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Redirecting calls from old functions to their replacements.
 *
 * Every patched function is a "site", found by the address of its ftrace
 * call.  A site holds the stack of variants of the function: the
 * klp_funcs of the patches that replace it, newest first.  The ftrace
 * handler looks the site up and rewrites the saved instruction pointer,
 * so that the traced call returns into the variant instead of the old
 * function's body.
 *
 * All sites share a single ftrace_ops.  Arming or disarming the N
 * functions of a patch is therefore one update of that ops' filter, which
 * ftrace turns into one batch of text patching, instead of registering N
 * ops and paying a round of text patching and grace periods for each. *
 * Once no transition involves a site, its call jumps straight to the top
 * variant (ftrace_set_jmp_targets()): a patched call then costs what an
 * unpatched one does.  The handler stays behind the jump for the times
 * another ftrace user shares the function, and for transitions, when
 * the variant depends on the calling task.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <asm/livepatch.h>

#include "internal.h"

struct klp_site {
	struct hlist_node node;
	unsigned long ip;
	/*
	 * The steady-state target: the top variant's code while it is not
	 * in transition, else 0 and the handler looks at the stack of
	 * variants.  Written under klp_mutex by klp_site_refresh().
	 */
	unsigned long fast;
	/*
	 * Where the site's call jumps, as last given to ftrace:
	 * klp_site_jump() once klp_redirect_sync() caught up, 0 while every
	 * call goes through the handler.  Under klp_mutex.
	 */
	unsigned long jump;
	struct list_head variants;
	struct list_head dead;		/* on a disarm's list of emptied sites */
};

/*
 * The sites, keyed by ip.  Sites are added, removed and their variant
 * stacks changed under klp_mutex, with the RCU list primitives; the
 * handler reads them with preemption disabled, and a site or a variant
 * that was removed is not freed or reused before klp_sync_handlers().
 */
#define KLP_SITE_HASH_BITS	10
static DEFINE_HASHTABLE(klp_sites, KLP_SITE_HASH_BITS);
static unsigned int klp_nr_sites;	/* hashed sites, under klp_mutex */

/*
 * Wait for the handlers that may still see what was just unpublished.
 * They run with preemption disabled, an RCU reader, except where RCU does
 * not watch: a traced function called on a CPU going down, after it left
 * RCU, is not waited for by synchronize_rcu().  RCU Tasks Rude makes
 * every online CPU schedule, under the CPU hotplug lock, which covers
 * both, as ftrace does for its own ops.
 */
static void klp_sync_handlers(void)
{
	synchronize_rcu_tasks_rude();
}

static __always_inline struct klp_site *klp_site_lookup(unsigned long ip)
{
	struct klp_site *site;

	hash_for_each_possible_rcu_notrace(klp_sites, site, node, ip)
		if (site->ip == ip)
			return site;
	return NULL;
}

/*
 * The newest variant of @site that exists in the universe of current, or
 * NULL for the old function's own code.  A variant of the patch in
 * transition exists only in the patched universe; one that a cumulative
 * patch in transition takes away only in the unpatched universe.
 *
 * The universe is read after the flags: a flag set by a transition
 * implies that its universes are published.  Pairs with smp_wmb() in
 * klp_transition_prepare().
 */
static __always_inline struct klp_func *
klp_visible_variant(struct klp_site *site)
{
	bool transition, replaced, known = false;
	int universe = KLP_TRANSITION_IDLE;
	struct list_head *pos;
	struct klp_func *func;

	for (pos = rcu_dereference_raw(list_next_rcu(&site->variants));
	     pos != &site->variants;
	     pos = rcu_dereference_raw(list_next_rcu(pos))) {
		func = list_entry(pos, struct klp_func, stack_node);
		transition = READ_ONCE(func->transition);
		replaced = READ_ONCE(func->replaced);
		if (likely(!transition && !replaced))
			return func;
		if (!known) {
			smp_rmb();	/* flags before universe: see above */
			universe = klp_universe(current);
			known = true;
		}
		if (transition && universe != KLP_TRANSITION_PATCHED)
			continue;
		if (replaced && universe == KLP_TRANSITION_PATCHED)
			continue;
		return func;
	}
	return NULL;
}

static void notrace klp_handler(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops,
				struct ftrace_regs *fregs)
{
	struct klp_site *site;
	struct klp_func *func;
	unsigned long fast;

	/*
	 * An RCU read-side section for the site table.  Everything below is
	 * inline and not traced: the handler cannot recurse, so it does not
	 * pay for ftrace's recursion protection on every patched call.
	 */
	preempt_disable_notrace();

	site = klp_site_lookup(ip);
	if (unlikely(!site))
		goto out;	/* being armed or disarmed: run the old code */

	fast = READ_ONCE(site->fast);
	if (likely(fast)) {
		klp_arch_set_pc(fregs, fast);
		goto out;
	}

	func = klp_visible_variant(site);
	if (func)
		klp_arch_set_pc(fregs, (unsigned long)func->new_func);
out:
	preempt_enable_notrace();
}

/*
 * No FTRACE_OPS_FL_RECURSION: the handler protects itself, so ftrace calls
 * it directly from the ops' trampoline, without an assisting wrapper.
 * PERMANENT: disabling ftrace through sysctl must not drop live patches.
 */
static struct ftrace_ops klp_ops = {
	.func	= klp_handler,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
		  FTRACE_OPS_FL_SAVE_REGS |
#endif
		  0,
};

static bool klp_ops_registered;	/* under klp_mutex */

static unsigned long klp_func_ip(const struct klp_func *func)
{
	return ftrace_location((unsigned long)func->old_func);
}

/*
 * Recompute the steady-state target of @site.  A task can only switch
 * universes after the transition code's later full barriers, so it never
 * sees a stale target once it has switched.
 */
static void klp_site_refresh(struct klp_site *site)
{
	struct klp_func *top;

	top = list_first_entry_or_null(&site->variants, struct klp_func,
				       stack_node);
	WRITE_ONCE(site->fast, top && !READ_ONCE(top->transition) &&
		   !READ_ONCE(top->replaced) ? (unsigned long)top->new_func : 0);
}

/**
 * klp_redirect_refresh() - follow a change of a patch's transition flags
 * @patch: the patch whose functions' transition flags were just changed
 */
void klp_redirect_refresh(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;
	struct klp_site *site;

	lockdep_assert_held(&klp_mutex);

	klp_for_each_object(patch, obj) {
		if (!klp_object_present(obj))
			continue;
		klp_for_each_func(obj, func) {
			site = klp_site_lookup(klp_func_ip(func));
			if (site)
				klp_site_refresh(site);
		}
	}
}

/*
 * Where @site is to jump: its steady-state target, unless ftrace cannot
 * jump there.  ftrace tags jumps by bit 0 of an address, so code at an
 * odd one (gcc before 14 leaves -Os and __cold functions unaligned on
 * x86) stays behind the handler, which costs speed only.
 */
static unsigned long klp_site_jump(const struct klp_site *site)
{
	return ftrace_is_jmp(site->fast) ? 0 : site->fast;
}

/* Tell ftrace where the sites in @ips jump; nothing changed on error. */
static int klp_set_jumps(unsigned long *ips, unsigned long *targets,
			 unsigned int n)
{
	int ret = ftrace_set_jmp_targets(&klp_ops, ips, targets, n);

	/*
	 * Anything but a lack of memory (or of the feature) is a bug here,
	 * or ftrace shut down (-ENODEV) after a call site it could not patch.
	 */
	WARN_ON_ONCE(ret && ret != -ENOMEM && ret != -EOPNOTSUPP);
	return ret;
}

/**
 * klp_redirect_sync() - let the sites jump where their calls go
 *
 * A site whose steady-state target changed starts jumping there, or stops
 * jumping, all sites in one batch of text patching.  A jump that is
 * removed is gone from every CPU when this returns, which is what keeps
 * the consistency model: the transition code clears the targets of a
 * transition's functions and calls this before any task may switch.
 * Failing to install a jump only costs speed.  Removing one fails only
 * when ftrace shuts down because it could not patch a call site
 * (ftrace_bug()), which warns; klp_set_jumps() warns too.  Called with
 * klp_mutex held.
 */
void klp_redirect_sync(void)
{
	unsigned long *ips, *targets;
	struct klp_site *site;
	unsigned int n = 0;
	int bkt;

	lockdep_assert_held(&klp_mutex);

	if (!IS_ENABLED(CONFIG_DYNAMIC_FTRACE_JMP_TARGETS) || !klp_ops_registered)
		return;

	hash_for_each(klp_sites, bkt, site, node)
		n += site->jump != klp_site_jump(site);
	if (!n)
		return;

	ips = kvmalloc_array(n, 2 * sizeof(*ips), GFP_KERNEL);
	if (ips) {
		targets = ips + n;
		n = 0;
		hash_for_each(klp_sites, bkt, site, node) {
			if (site->jump == klp_site_jump(site))
				continue;
			ips[n] = site->ip;
			targets[n++] = klp_site_jump(site);
		}
		if (!klp_set_jumps(ips, targets, n)) {
			hash_for_each(klp_sites, bkt, site, node)
				site->jump = klp_site_jump(site);
			kvfree(ips);
			return;
		}
		kvfree(ips);
	}

	/* Out of memory: the jumps that go, one by one, allocate nothing. */
	hash_for_each(klp_sites, bkt, site, node) {
		unsigned long none = 0;

		if (!site->jump || site->jump == klp_site_jump(site))
			continue;
		if (!klp_set_jumps(&site->ip, &none, 1))
			site->jump = 0;
	}
}

/* Does an (un)redirect of @only (NULL: all objects) work on @obj? */
static bool klp_is_target(struct klp_object *obj, struct klp_object *only)
{
	return (!only || obj == only) && klp_object_present(obj);
}

static unsigned int klp_count_funcs(struct klp_patch *patch,
				    struct klp_object *only, bool patched)
{
	struct klp_object *obj;
	struct klp_func *func;
	unsigned int n = 0;

	klp_for_each_object(patch, obj) {
		if (!klp_is_target(obj, only))
			continue;
		klp_for_each_func(obj, func)
			n += func->patched == patched;
	}
	return n;
}

/* Unhash the sites of @dead and free them once no handler can see them. */
static void klp_drop_sites(struct list_head *dead)
{
	struct klp_site *site, *tmp;

	if (list_empty(dead))
		return;
	list_for_each_entry(site, dead, dead) {
		hash_del_rcu(&site->node);
		klp_nr_sites--;
	}
	klp_sync_handlers();
	list_for_each_entry_safe(site, tmp, dead, dead)
		kfree(site);
}

/*
 * Trace @ips with klp_ops; the ops is registered with its first site.
 * Either all of @ips are traced, or none.
 */
static int klp_trace_ips(unsigned long *ips, unsigned int n)
{
	int ret;

	ret = ftrace_set_filter_ips(&klp_ops, ips, n, 0, 0);
	if (ret || klp_ops_registered)
		return ret;

	ret = register_ftrace_function(&klp_ops);
	if (ret) {
		ftrace_set_filter_ips(&klp_ops, ips, n, 1, 0);
		return ret;
	}
	klp_ops_registered = true;
	return 0;
}

/*
 * Stop tracing the sites of @dead, in one filter update when memory
 * allows.  When they are the last sites, the ops is unregistered first:
 * an ops with an empty filter would trace every function.
 */
static void klp_untrace_sites(struct list_head *dead, unsigned int n)
{
	struct klp_site *site;
	unsigned long *ips;
	unsigned int i = 0;
	int ret;

	if (n == klp_nr_sites) {
		ret = unregister_ftrace_function(&klp_ops);
		WARN(ret, "livepatch: unregistering the ftrace ops failed: %d\n",
		     ret);
		klp_ops_registered = false;
	}

	ips = kvmalloc_objs(*ips, n);
	list_for_each_entry(site, dead, dead) {
		if (ips) {
			ips[i++] = site->ip;
			continue;
		}
		/* Out of memory: one update per site still works. */
		ret = ftrace_set_filter_ips(&klp_ops, &site->ip, 1, 1, 0);
		if (ret)
			pr_warn("untracing %ps failed: %d\n", (void *)site->ip, ret);
	}
	if (ips) {
		ret = ftrace_set_filter_ips(&klp_ops, ips, n, 1, 0);
		if (ret)
			pr_warn("untracing %u functions failed: %d\n", n, ret);
		kvfree(ips);
	}
}

/**
 * klp_redirect() - send the calls of a patch's functions to the patch
 * @patch: the patch
 * @only:  one object of @patch, or NULL for each present object
 *
 * Pushes the patch's variant on the stack of each function.  Functions no
 * patch replaced before start being traced, all in one filter update.
 * Called with klp_mutex held.
 *
 * Return: 0 with every function redirected, or an error with none.
 */
int klp_redirect(struct klp_patch *patch, struct klp_object *only)
{
	struct klp_object *obj;
	struct klp_func *func;
	struct klp_site *site;
	LIST_HEAD(fresh);
	unsigned long *ips;
	unsigned int n = 0;
	int ret = 0;

	lockdep_assert_held(&klp_mutex);

	ips = kvmalloc_objs(*ips, klp_count_funcs(patch, only, false) ?: 1);
	if (!ips)
		return -ENOMEM;

	/* Sites first, with empty stacks: the handler ignores them. */
	klp_for_each_object(patch, obj) {
		if (!klp_is_target(obj, only))
			continue;
		klp_for_each_func(obj, func) {
			unsigned long ip = klp_func_ip(func);

			if (func->patched || klp_site_lookup(ip))
				continue;
			site = kzalloc_obj(*site);
			if (!site) {
				ret = -ENOMEM;
				goto out_drop;
			}
			site->ip = ip;
			INIT_LIST_HEAD(&site->variants);
			list_add_tail(&site->dead, &fresh);
			hash_add_rcu(klp_sites, &site->node, ip);
			klp_nr_sites++;
			ips[n++] = ip;
		}
	}

	if (n) {
		ret = klp_trace_ips(ips, n);
		if (ret) {
			pr_err("%s: cannot redirect %s: ftrace says %d%s\n",
			       patch->mod->name,
			       only ? klp_object_name(only) : "its functions",
			       ret, ret == -EBUSY ?
			       " (another user modifies the same function's ip, e.g. a kprobe)" :
			       "");
			goto out_drop;
		}
	}

	/* Then the variants: from here on calls take the new code. */
	klp_for_each_object(patch, obj) {
		if (!klp_is_target(obj, only))
			continue;
		klp_for_each_func(obj, func) {
			if (func->patched)
				continue;
			site = klp_site_lookup(klp_func_ip(func));
			/* A variant in transition: no fast path before it. */
			if (READ_ONCE(func->transition) ||
			    READ_ONCE(func->replaced))
				WRITE_ONCE(site->fast, 0);
			list_add_rcu(&func->stack_node, &site->variants);
			klp_site_refresh(site);
			func->patched = true;
		}
		obj->patched = true;
	}
	klp_redirect_sync();
	goto out_free;

out_drop:
	klp_drop_sites(&fresh);
out_free:
	kvfree(ips);
	return ret;
}

/**
 * klp_variant_below() - the code that runs for @func's old universe
 * @func: a function of the patch in transition
 *
 * The variant under @func on its site's stack (or the current top if
 * @func is not pushed yet), else the old function itself.
 *
 * Return: the address of that code.
 */
unsigned long klp_variant_below(struct klp_func *func)
{
	struct klp_site *site;
	struct list_head *next;

	lockdep_assert_held(&klp_mutex);

	site = klp_site_lookup(klp_func_ip(func));
	if (!site)
		return (unsigned long)func->old_func;
	next = func->patched ? func->stack_node.next : site->variants.next;
	if (next == &site->variants)
		return (unsigned long)func->old_func;
	return (unsigned long)list_entry(next, struct klp_func,
					 stack_node)->new_func;
}

/**
 * klp_redirecting() - is any call redirected?
 *
 * Return: whether some function has a variant.  Called with klp_mutex
 * held.
 */
bool klp_redirecting(void)
{
	lockdep_assert_held(&klp_mutex);
	return klp_nr_sites;
}

/**
 * klp_unredirect() - stop sending calls to a patch's functions
 * @patch: the patch
 * @only:  one object of @patch, or NULL for each present object
 *
 * Pops the patch's variants; a function whose stack becomes empty is no
 * longer traced, in one filter update for all of them.  When this
 * returns, no handler still uses a variant of @patch.  Cannot fail.
 * Called with klp_mutex held.
 */
void klp_unredirect(struct klp_patch *patch, struct klp_object *only)
{
	struct klp_object *obj;
	struct klp_site *site;
	struct klp_func *func;
	LIST_HEAD(dead);
	unsigned int n = 0;

	lockdep_assert_held(&klp_mutex);

	klp_for_each_object(patch, obj) {
		if (!klp_is_target(obj, only))
			continue;
		klp_for_each_func(obj, func) {
			if (!func->patched)
				continue;
			site = klp_site_lookup(klp_func_ip(func));
			list_del_rcu(&func->stack_node);
			klp_site_refresh(site);
			func->patched = false;
			if (list_empty(&site->variants)) {
				list_add_tail(&site->dead, &dead);
				n++;
			}
		}
		obj->patched = false;
	}

	if (n)
		klp_untrace_sites(&dead, n);
	/* Untraced sites jump no more; the others jump to their new top. */
	list_for_each_entry(site, &dead, dead)
		site->jump = 0;
	klp_redirect_sync();
	/*
	 * Wait for handlers that may still see a popped variant; with no
	 * dead site, klp_drop_sites() would not.
	 */
	if (list_empty(&dead))
		klp_sync_handlers();
	klp_drop_sites(&dead);
}
