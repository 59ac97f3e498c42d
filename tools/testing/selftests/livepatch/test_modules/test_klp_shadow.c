// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises the shadow variable API when loaded.  Each check that holds
 * adds one to "passed", each that does not adds one to "failed" and logs
 * what went wrong; the test script reads both counters.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/slab.h>

#define SHADOW_ID	0x5a	/* an id of this test only */
#define NR_OBJS		64

static int passed;
module_param(passed, int, 0444);
MODULE_PARM_DESC(passed, "checks that held");

static int failed;
module_param(failed, int, 0444);
MODULE_PARM_DESC(failed, "checks that did not hold");

static int objs[NR_OBJS];
static int ctor_calls, dtor_calls;

static void check(bool ok, const char *what)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	pr_err("does not hold: %s\n", what);
}

static int ctor_copy(void *obj, void *shadow_data, void *ctor_data)
{
	ctor_calls++;
	*(long *)shadow_data = *(long *)ctor_data;
	return 0;
}

static int ctor_fail(void *obj, void *shadow_data, void *ctor_data)
{
	ctor_calls++;
	return -ENOMEM;
}

static void dtor_count(void *obj, void *shadow_data)
{
	dtor_calls++;
}

static int test_klp_shadow_init(void)
{
	long value = 42, other = 7;
	long *a, *b;
	int i;

	check(!klp_shadow_get(&objs[0], SHADOW_ID),
	      "no variable before the first allocation");

	a = klp_shadow_alloc(&objs[0], SHADOW_ID, sizeof(long), GFP_KERNEL,
			     ctor_copy, &value);
	check(a && *a == 42, "alloc returns data set by the constructor");
	check(ctor_calls == 1, "the constructor ran once");
	check(klp_shadow_get(&objs[0], SHADOW_ID) == a,
	      "get finds the variable");
	check(!klp_shadow_get(&objs[0], SHADOW_ID + 1),
	      "another id of the same object is not found");
	check(!klp_shadow_get(&objs[1], SHADOW_ID),
	      "the same id of another object is not found");

	check(!klp_shadow_alloc(&objs[0], SHADOW_ID, sizeof(long), GFP_KERNEL,
				ctor_copy, &other),
	      "a second alloc of the same variable is refused");
	check(ctor_calls == 1, "the refused alloc ran no constructor");
	check(*a == 42, "the refused alloc left the data alone");

	b = klp_shadow_get_or_alloc(&objs[0], SHADOW_ID, sizeof(long),
				    GFP_KERNEL, ctor_copy, &other);
	check(b == a && *b == 42, "get_or_alloc returns the existing variable");

	b = klp_shadow_get_or_alloc(&objs[1], SHADOW_ID, sizeof(long),
				    GFP_KERNEL, NULL, NULL);
	check(b && *b == 0, "get_or_alloc creates a zeroed variable");

	check(!klp_shadow_alloc(&objs[2], SHADOW_ID, sizeof(long), GFP_KERNEL,
				ctor_fail, NULL),
	      "alloc fails when the constructor fails");
	check(!klp_shadow_get(&objs[2], SHADOW_ID),
	      "a failed constructor leaves no variable");

	klp_shadow_free(&objs[0], SHADOW_ID, dtor_count);
	check(dtor_calls == 1, "free runs the destructor");
	check(!klp_shadow_get(&objs[0], SHADOW_ID), "free removes the variable");
	check(klp_shadow_get(&objs[1], SHADOW_ID) == b,
	      "free leaves other objects' variables");
	klp_shadow_free(&objs[0], SHADOW_ID, dtor_count);
	check(dtor_calls == 1, "freeing a missing variable does nothing");

	for (i = 2; i < NR_OBJS; i++)
		klp_shadow_alloc(&objs[i], SHADOW_ID, 16, GFP_KERNEL, NULL,
				 NULL);
	klp_shadow_alloc(&objs[0], SHADOW_ID + 1, 16, GFP_KERNEL, NULL, NULL);
	dtor_calls = 0;
	klp_shadow_free_all(SHADOW_ID, dtor_count);
	check(dtor_calls == NR_OBJS - 1,
	      "free_all runs the destructor once per variable of the id");
	for (i = 1; i < NR_OBJS; i++)
		if (klp_shadow_get(&objs[i], SHADOW_ID))
			break;
	check(i == NR_OBJS, "free_all removes every variable of the id");
	check(klp_shadow_get(&objs[0], SHADOW_ID + 1),
	      "free_all leaves other ids alone");
	klp_shadow_free_all(SHADOW_ID + 1, NULL);
	check(!klp_shadow_get(&objs[0], SHADOW_ID + 1),
	      "free_all without a destructor works");

	return 0;
}

static void test_klp_shadow_exit(void)
{
	klp_shadow_free_all(SHADOW_ID, NULL);
	klp_shadow_free_all(SHADOW_ID + 1, NULL);
}

module_init(test_klp_shadow_init);
module_exit(test_klp_shadow_exit);
MODULE_DESCRIPTION("Live patching selftest: shadow variables");
MODULE_LICENSE("GPL");
