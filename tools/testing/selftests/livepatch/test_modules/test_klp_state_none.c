// SPDX-License-Identifier: GPL-2.0
/* A cumulative patch without state 42: refused while a patch carries it. */

#define TEST_VERSION	-1
#define TEST_REPLACE	true

#include "test_klp_state.c"
