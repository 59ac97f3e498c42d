// SPDX-License-Identifier: GPL-2.0
/*
 * A cumulative patch that replaces only /proc/cmdline: loaded over
 * test_klp_replace_a and _b, it takes over /proc/cmdline and gives
 * /proc/version and test_klp_target_value() back to their original code.
 */

#define TEST_FUNCS	TEST_CMDLINE
#define TEST_REPLACE	true

#include "test_klp_replace_a.c"
