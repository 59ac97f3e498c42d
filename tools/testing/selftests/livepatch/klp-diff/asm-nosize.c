// SPDX-License-Identifier: GPL-2.0
/*
 * A function written in assembly without .size: its symbol has size 0.
 * The fix changes the value it returns.
 */
#if defined(__x86_64__)
#define RETURN(n)	"\tmovl $" #n ", %eax\n\tret\n"
#elif defined(__s390x__)
#define RETURN(n)	"\tlghi %r2, " #n "\n\tbr %r14\n"
#else
#error "no RETURN for this architecture"
#endif

asm(".pushsection .text.asm_value, \"ax\"\n"
	".globl asm_value\n"
	".type asm_value, @function\n"
	"asm_value:\n"
	RETURN(1)
	".popsection\n");

int asm_value(void);

int user(void)
{
	return asm_value() + 1;
}
