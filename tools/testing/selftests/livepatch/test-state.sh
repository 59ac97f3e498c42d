#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# System states.  test_klp_state carries state 42 at version 1.  A
# cumulative patch without the state and a patch with version 0 are
# refused with EINVAL, and the enabled patch stays in effect.  The
# cumulative test_klp_state2 (version 2) is accepted; its pre_patch
# callback finds version 1 with klp_get_prev_state().

. "$(dirname "$0")/functions.sh"

S1=test_klp_state
S2=test_klp_state2
NONE=test_klp_state_none
OLD=test_klp_state_old

klp_setup $S1 $S2 $NONE $OLD

cmdline=$(cat /proc/cmdline)

klp_load_patch $S1
assert_file_content /proc/cmdline "$S1: cmdline" "/proc/cmdline comes from $S1"
assert_eq "$S1: klp_get_prev_state() finds no earlier state" -1 \
	"$(klp_param $S1 prev)"

klp_mark_log
assert_false "insmod $NONE (cumulative, without state 42) is refused" \
	klp_load $NONE
assert_eq "$NONE: the error is EINVAL" EINVAL "$KLP_ERRNO"
assert_true "the refusal names $NONE, the state and $S1" \
	klp_log_since_mark_has "$NONE: cumulative patch does not carry state 42 (version 1) of enabled patch $S1"
assert_missing "$KLP_SYSFS/$NONE"
assert_file_content "$KLP_SYSFS/$S1/enabled" 1 "$S1 stays enabled"
assert_file_content /proc/cmdline "$S1: cmdline" \
	"/proc/cmdline still comes from $S1"

assert_false "insmod $OLD (state 42 at version 0) is refused" klp_load $OLD
assert_eq "$OLD: the error is EINVAL" EINVAL "$KLP_ERRNO"
assert_missing "$KLP_SYSFS/$OLD"
assert_file_content /proc/cmdline "$S1: cmdline" \
	"/proc/cmdline still comes from $S1"

klp_load_patch $S2
assert_file_content /proc/cmdline "$S2: cmdline" "/proc/cmdline comes from $S2"
assert_eq "$S2: klp_get_prev_state() finds version 1 of $S1" 1 \
	"$(klp_param $S2 prev)"
klp_wait_gone $S1
klp_remove $S1

# A patch with a lower version than the enabled one is still refused.
assert_false "insmod $S1 (version 1) over $S2 (version 2) is refused" \
	klp_load $S1
assert_eq "$S1: the error is EINVAL" EINVAL "$KLP_ERRNO"

klp_disable $S2
assert_file_content /proc/cmdline "$cmdline" "/proc/cmdline is the original again"
klp_remove $S2

klp_finish
