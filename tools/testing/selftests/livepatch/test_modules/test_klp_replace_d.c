// SPDX-License-Identifier: GPL-2.0
/*
 * A cumulative patch of /proc/cmdline and test_klp_target_value()
 * (returns 13), for a target module that is loaded after it.
 */

#define TEST_FUNCS	(TEST_CMDLINE | TEST_TARGET)
#define TEST_REPLACE	true
#define TEST_VALUE	13

#include "test_klp_replace_a.c"
