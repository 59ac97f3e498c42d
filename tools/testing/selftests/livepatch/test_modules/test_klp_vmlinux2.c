// SPDX-License-Identifier: GPL-2.0
/*
 * A second live patch of cmdline_proc_show(), to be stacked with
 * test_klp_vmlinux: the same code under another module name, and
 * /proc/cmdline names the patch whose replacement runs.
 */

#include "test_klp_vmlinux.c"
