#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shadow variables: test_klp_shadow runs its checks of the API when it is
# loaded (allocation with and without constructor, duplicates, lookups,
# a failing constructor, free and free_all with destructors) and counts
# them; every check must hold, and all of them must have run.
# test_klp_shadow_race then uses shadow variables from four kthreads at
# once: no object ever has two variables, none is leaked.

. "$(dirname "$0")/functions.sh"

MOD=test_klp_shadow
RACE=test_klp_shadow_race
# The number of checks in test_klp_shadow.c.
NR_CHECKS=21

klp_setup $MOD $RACE

klp_load_mod $MOD
assert_eq "$MOD: no check of the shadow variable API failed" 0 \
	"$(klp_param $MOD failed)"
assert_eq "$MOD: all $NR_CHECKS checks ran and held" $NR_CHECKS \
	"$(klp_param $MOD passed)"
assert_true "rmmod $MOD" klp_unload $MOD

klp_load_mod $RACE
assert_eq "$RACE: no object had two shadow variables or a stray destructor" \
	0 "$(klp_param $RACE errors)"
constructed=$(klp_param $RACE constructed)
what="$RACE: variables were attached concurrently"
what="$what (constructed: $constructed, operations: $(klp_param $RACE ops))"
assert_true "$what" [ "${constructed:-0}" -ge 100 ]
assert_eq "$RACE: every variable constructed was destroyed: none leaked" \
	"$constructed" "$(klp_param $RACE destroyed)"
assert_true "rmmod $RACE" klp_unload $RACE

klp_finish
