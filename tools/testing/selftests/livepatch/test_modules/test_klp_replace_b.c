// SPDX-License-Identifier: GPL-2.0
/*
 * Stacked on test_klp_replace_a: replaces /proc/version again and
 * test_klp_target_value() (returns 11).  Not cumulative.
 */

#define TEST_FUNCS	(TEST_VERSION | TEST_TARGET)
#define TEST_VALUE	11

#include "test_klp_replace_a.c"
