// SPDX-License-Identifier: GPL-2.0
/*
 * The live patch of test_klp_busy_patch.c under another module name, for
 * the test that forces a transition.  A forced patch module can never be
 * unloaded: it stays until the next reboot.  Its own name keeps it from
 * getting in the way of the tests that load test_klp_busy_patch later.
 */

#include "test_klp_busy_patch.c"
