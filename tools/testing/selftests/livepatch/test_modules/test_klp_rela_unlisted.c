// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: test_klp_rela_vmlinux under another name, whose live patch
 * relocations are for the module test_klp_rela_target (see the Makefile),
 * an object the patch does not have.  klp_enable_patch() must refuse it.
 */

#include "test_klp_rela_vmlinux.c"
