// SPDX-License-Identifier: GPL-2.0
/*
 * A table entry that describes code without the code referring to it, as
 * __jump_table does for static keys.  The fix changes only the key in the
 * entry of send(): its code stays the same.
 */
#define MARK(key)							\
do {									\
	asm volatile("1:\tnop\n\t"					\
		     ".pushsection __mark_table, \"aw\"\n\t"		\
		     ".long 1b - .\n\t"					\
		     ".quad " #key " - .\n\t"				\
		     ".popsection");					\
} while (0)

int send(int x)
{
	MARK(key_fast);
	return x + 1;
}

int recv(int x)
{
	MARK(key_slow);
	return x - 1;
}
