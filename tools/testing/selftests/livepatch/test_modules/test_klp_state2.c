// SPDX-License-Identifier: GPL-2.0
/* A cumulative patch that keeps state 42 at version 2. */

#define TEST_VERSION	2
#define TEST_REPLACE	true

#include "test_klp_state.c"
