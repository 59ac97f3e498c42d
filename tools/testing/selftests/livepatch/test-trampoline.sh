#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A task preempted in ftrace's trampoline after the live patch handler
# chose its variant, and before it got there, has on its stack only the
# return address of the call of the trampoline, in the original function.
# Were it judged by the code that the transition leaves alone (the
# variant), it could switch universe and then run the variant of the
# universe it left.
#
# One kthread of test_klp_hammer, bound to CPU 1, calls
# test_klp_hammer_outer(), which calls test_klp_hammer_inner() twice.
# test_klp_hammer_p1 replaces both; test_klp_hammer_preempt shares the
# outer function's call site and, armed, has the kthread preempted in the
# trampoline, sent to variant 1, by a real-time kthread that keeps CPU 1
# (its fair server off meanwhile).  Then p1 is disabled.  Checked:
#  - the transition waits for the held kthread, which the blockers name
#    with the original outer function, and the kthread stays patched;
#  - released, it runs variant 1's outer and inner functions: no call
#    mixed universes; then the transition completes and the calls run the
#    original functions.

. "$(dirname "$0")/functions.sh"

DRV=test_klp_hammer
TGT=test_klp_hammer_target
P1=test_klp_hammer_p1
HOLD=test_klp_hammer_preempt
STATS=/sys/module/$DRV/parameters/stats
PARAMS=/sys/module/$HOLD/parameters
CPU=1
FAIR=/sys/kernel/debug/sched/fair_server/cpu$CPU/runtime

klp_setup $DRV $TGT $P1 $HOLD
[ "$(cat /sys/devices/system/cpu/cpu$CPU/online 2>/dev/null)" = 1 ] ||
	klp_skip "CPU $CPU is not online"
[ -w "$FAIR" ] || klp_skip "no $FAIR"

# counter NAME: the counter NAME of test_klp_hammer.
counter()
{
	local stats kv

	klp_read_var stats "$STATS"
	for kv in $stats; do
		[ "${kv%%=*}" = "$1" ] && echo "${kv#*=}" && return
	done
	echo 0
}

# The first word of the holder's state is $1 (idle, armed, held, released).
# shellcheck disable=SC2317 # run through klp_poll_ms
state_is()
{
	local s

	klp_read_var s "$PARAMS/state"
	[ "${s%% *}" = "$1" ]
}

# shellcheck disable=SC2317 # run through klp_poll_ms
outer_ran()
{
	[ "$(counter "outer$1")" -gt "$2" ]
}

klp_load $DRV nr_kthreads=1 kthread_cpu=$CPU period_us=0 nmi=0 ||
	klp_fail "insmod $DRV" "$KLP_ERR"
klp_load $TGT || klp_fail "insmod $TGT" "$KLP_ERR"
klp_load $P1 || klp_fail "insmod $P1" "$KLP_ERR"
klp_wait_transition $P1
klp_load $HOLD cpu=$CPU || klp_fail "insmod $HOLD" "$KLP_ERR"
assert_true "the kthread runs variant 1" \
	klp_poll_ms $KLP_PROGRESS_MS outer_ran 1 "$(counter outer1)"

fair=$(cat "$FAIR")
klp_on_cleanup "echo $fair > $FAIR"
echo 0 > "$FAIR"
klp_write "$PARAMS/arm" 1
if ! klp_poll_ms $KLP_PROGRESS_MS state_is held; then
	klp_fail "a call of the kthread is held in the trampoline" \
		"state: $(cat "$PARAMS/state")"
	klp_finish
fi
read -r _ pid < "$PARAMS/state"
klp_pass "a call of the kthread ($pid) is held in the trampoline"

# The write returns once the first attempt at switching the tasks is made.
klp_write "$KLP_SYSFS/$P1/enabled" 0
assert_true "the transition waits for the held kthread" klp_in_transition $P1
assert_true "the blockers name it in the original outer function" \
	klp_blocked_by $P1 "$pid" "test_klp_hammer_outer\\+"
klp_assert_state "the held kthread stays patched" "$pid" 1
assert_true "it is still held" state_is held

mixed=$(counter mixed)
klp_write "$PARAMS/release" 1
assert_true "the kthread goes on" klp_poll_ms $KLP_PROGRESS_MS state_is released
# Disabled, the patch leaves sysfs as its transition completes.
klp_wait_gone $P1
assert_true "the kthread runs the original functions" \
	klp_poll_ms $KLP_PROGRESS_MS outer_ran 0 "$(counter outer0)"
assert_eq "no call mixed universes" "$mixed" "$(counter mixed)"
echo "$fair" > "$FAIR"

klp_finish
