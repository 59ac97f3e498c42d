// SPDX-License-Identifier: GPL-2.0
/*
 * Code that refers to its own entry of a table shared by all functions, as
 * WARN() does on x86 with __bug_table.  The fix adds an entry to check_a(),
 * which moves the entry of check_b() without changing it, and changes only
 * the flags in the entry of check_c().
 */
extern void report(const void *entry);

#if defined(__x86_64__)
#define LOAD_ENTRY	"lea 2f(%%rip), %0\n\t"
#elif defined(__s390x__)
#define LOAD_ENTRY	"larl %0, 2f\n\t"
#else
#error "no LOAD_ENTRY for this architecture"
#endif

#define REPORT(flags)							\
do {									\
	const void *__entry;						\
									\
	asm volatile(LOAD_ENTRY						\
		     ".pushsection __report_table, \"aw\"\n"		\
		     "2:\t.long 1f - .\n\t"				\
		     ".long " #flags "\n\t"				\
		     ".popsection\n"					\
		     "1:" : "=r" (__entry));				\
	report(__entry);						\
} while (0)

int check_a(int x)
{
	if (x < 0)
		REPORT(1);
	return x;
}

int check_b(int x)
{
	if (x > 100)
		REPORT(2);
	return x * 2;
}

int check_c(int x)
{
	if (x == 42)
		REPORT(3);
	return x - 1;
}
