/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The modules of the live patching hammer (test-hammer.sh):
 *
 *   test_klp_hammer         the callers and the counters; stays loaded
 *   test_klp_hammer_target  test_klp_hammer_outer() calls
 *                           test_klp_hammer_inner() twice; comes and goes
 *   test_klp_hammer_p1..p3  live patches of both functions
 *
 * Every variant of both functions counts its calls under its id (0: the
 * original, N: test_klp_hammer_pN) and returns the id.  A variant of the
 * outer function returns test_klp_hammer_result() of its own id and of
 * the ids that its two calls of the inner function returned: a task that
 * runs one universe has the three ids equal.
 */
#ifndef _TEST_KLP_HAMMER_H
#define _TEST_KLP_HAMMER_H

#define TEST_KLP_HAMMER_IDS	4

enum test_klp_hammer_fn {
	TEST_KLP_HAMMER_OUTER,
	TEST_KLP_HAMMER_INNER,
	TEST_KLP_HAMMER_FNS
};

static inline int test_klp_hammer_result(int outer, int inner1, int inner2)
{
	return (outer & 0xff) << 16 | (inner1 & 0xff) << 8 | (inner2 & 0xff);
}

typedef int (*test_klp_hammer_outer_t)(void);

/* test_klp_hammer */
void test_klp_hammer_hit(int id, enum test_klp_hammer_fn fn);
int test_klp_hammer_attach(test_klp_hammer_outer_t outer);
void test_klp_hammer_detach(void);

/* test_klp_hammer_target, which the live patches replace */
int test_klp_hammer_outer(void);
int test_klp_hammer_inner(void);

#endif /* _TEST_KLP_HAMMER_H */
