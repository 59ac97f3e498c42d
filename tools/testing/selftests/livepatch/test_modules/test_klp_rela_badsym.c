// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: test_klp_rela_vmlinux under another name, whose live patch
 * symbol lacks its sympos: .klp.sym.vmlinux.version_proc_show (see the
 * Makefile).  The module must be refused at load.
 */

#include "test_klp_rela_vmlinux.c"
