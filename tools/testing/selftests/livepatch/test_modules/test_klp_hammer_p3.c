// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch: variant 3 of the hammer's functions, cumulative
 * (test_klp_hammer_patch.h).
 */

#define TEST_KLP_HAMMER_ID	3
#define TEST_KLP_HAMMER_REPLACE	true

#include "test_klp_hammer_patch.h"

MODULE_DESCRIPTION("Livepatch selftest: variant 3 of the functions of the live patching hammer");
