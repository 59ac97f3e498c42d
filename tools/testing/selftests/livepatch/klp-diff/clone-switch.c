// SPDX-License-Identifier: GPL-2.0
/*
 * Two clones of one function, as gcc names them: the fix makes bar() call
 * the other one.  Its code stays the same but for the relocation's
 * target, whose name differs from the old one only in its number.
 */
#define CLONE(n)	__asm__("foo.constprop." #n)

static int foo0(void) CLONE(0);
static int foo1(void) CLONE(1);

static __attribute__((noinline, used)) int foo0(void)
{
	return 1;
}

static __attribute__((noinline, used)) int foo1(void)
{
	return 2;
}

int bar(void)
{
	return foo0() + 1;
}

int baz(void)
{
	return foo1() + 2;
}
