// SPDX-License-Identifier: GPL-2.0
/*
 * The live patch of test_klp_busy_patch.c under another module name, for
 * the forced transition of the stress test.  A forced patch module can
 * never be unloaded: it stays until the next reboot.
 */

#include "test_klp_busy_patch.c"
