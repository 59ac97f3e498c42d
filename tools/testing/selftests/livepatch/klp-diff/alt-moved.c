// SPDX-License-Identifier: GPL-2.0
/*
 * Replacement code that no symbol covers, as ALTERNATIVE() puts in
 * .altinstr_replacement: the fix makes the replacement of first() longer,
 * which moves that of second().  The pieces are compared by content:
 * second() did not change.
 */
#define ALT(repl)							\
do {									\
	asm volatile("1:\tnop\n\t"					\
		     ".pushsection .alt_repl, \"ax\"\n"			\
		     "2:\t" repl "\n\t"					\
		     ".popsection\n\t"					\
		     ".pushsection .alt_table, \"a\"\n\t"		\
		     ".long 1b - .\n\t"					\
		     ".long 2b - .\n\t"					\
		     ".popsection");					\
} while (0)

int first(int x)
{
	ALT("nop");
	return x + 1;
}

int second(int x)
{
	ALT("nop\n\tnop");
	return x - 1;
}
