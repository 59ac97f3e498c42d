/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * s390 live patching: ftrace_caller saves the PSW address of the traced
 * function in the ftrace_regs and branches to whatever address it finds
 * there once the handlers returned.  The live patching handler puts the
 * replacement function's address in its place, so the call continues in
 * the new code with the argument registers as the caller left them.
 */
#ifndef _ASM_S390_LIVEPATCH_H
#define _ASM_S390_LIVEPATCH_H

#include <linux/ftrace.h>

static inline void klp_arch_set_pc(struct ftrace_regs *fregs,
				   unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}

#endif /* _ASM_S390_LIVEPATCH_H */
