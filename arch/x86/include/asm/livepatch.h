/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86_64 live patching: the ftrace handler sends a patched call to its
 * replacement by rewriting the instruction pointer that the ftrace
 * trampoline saved; the trampoline returns there instead of into the old
 * function's body.
 */
#ifndef _ASM_X86_LIVEPATCH_H
#define _ASM_X86_LIVEPATCH_H

#include <linux/ftrace.h>

static inline void klp_arch_set_pc(struct ftrace_regs *fregs,
				   unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}

#endif /* _ASM_X86_LIVEPATCH_H */
