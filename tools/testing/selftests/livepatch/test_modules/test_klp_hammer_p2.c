// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch: variant 2 of the hammer's functions, stacked on
 * variant 1 (test_klp_hammer_patch.h).
 */

#define TEST_KLP_HAMMER_ID	2
#define TEST_KLP_HAMMER_REPLACE	false

#include "test_klp_hammer_patch.h"

MODULE_DESCRIPTION("Livepatch selftest: variant 2 of the functions of the live patching hammer");
