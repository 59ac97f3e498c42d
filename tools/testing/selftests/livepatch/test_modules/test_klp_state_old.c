// SPDX-License-Identifier: GPL-2.0
/* State 42 at version 0: refused over a patch that has version 1. */

#define TEST_VERSION	0

#include "test_klp_state.c"
