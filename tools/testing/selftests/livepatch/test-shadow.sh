#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shadow variables: test_klp_shadow runs its checks of the API when it is
# loaded (allocation with and without constructor, duplicates, lookups,
# a failing constructor, free and free_all with destructors) and counts
# them; every check must hold, and all of them must have run.

. "$(dirname "$0")/functions.sh"

MOD=test_klp_shadow
# The number of checks in test_klp_shadow.c.
NR_CHECKS=21

klp_setup $MOD

klp_load_mod $MOD
assert_eq "$MOD: no check of the shadow variable API failed" 0 \
	"$(klp_param $MOD failed)"
assert_eq "$MOD: all $NR_CHECKS checks ran and held" $NR_CHECKS \
	"$(klp_param $MOD passed)"
assert_true "rmmod $MOD" klp_unload $MOD

klp_finish
