// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: test_klp_rela_vmlinux under another name, whose live patch
 * relocation sections are named .klp.rela.vmlinux, without the section
 * they apply to (see the Makefile).  The module must be refused at load.
 */

#include "test_klp_rela_vmlinux.c"
