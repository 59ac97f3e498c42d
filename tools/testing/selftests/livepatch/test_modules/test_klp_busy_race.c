// SPDX-License-Identifier: GPL-2.0
/*
 * The live patch of test_klp_busy_patch.c under another module name, for
 * the test that disables a patch while another writer forces its
 * transition.  If the force wins, the module can never be unloaded: it
 * stays until the next reboot.
 */

#include "test_klp_busy_patch.c"
