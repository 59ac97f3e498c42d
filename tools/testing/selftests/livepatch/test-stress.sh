#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stress: KLP_STRESS_CYCLES cycles (default 10) of enabling, stacking,
# replacing and disabling patches while tasks fork and exit, sleep and
# spin, and while the target module of one patch is loaded and unloaded
# in a loop.  Each cycle:
#
#   test_klp_replace_a  /proc/cmdline and /proc/version
#   test_klp_mod        test_klp_target_value(), target coming and going
#   test_klp_getpid     the getpid() system call, called by every task
#   test_klp_exit       exit_task_stack_account(), at the end of do_exit(),
#                       where each exiting task sleeps 2 ms
#   test_klp_replace_c  cumulative: replaces the four above
#   disable c           everything back to the original code
#
# After the cycles, a held transition is forced.
#
# and checks the effect of each step, that each transition completes
# within 15 s and that every replaced module can be removed; the
# replaced exit patch warns if a task still runs its code then.  Only the
# failures are reported one by one; the cycles are counted.  The kernel's
# debug checks (lockdep, KASAN and kmemleak where built in) watch the
# whole run: the host fails it on any splat.

. "$(dirname "$0")/functions.sh"

A=test_klp_replace_a
C=test_klp_replace_c
MOD=test_klp_mod
TARGET=test_klp_target
GETPID=test_klp_getpid
EXIT=test_klp_exit
BUSY=test_klp_busy
FORCED=test_klp_busy_stress
CYCLES=${KLP_STRESS_CYCLES:-10}
VALUE=/sys/kernel/$TARGET/value

klp_setup $A $C $MOD $TARGET $GETPID $EXIT $BUSY $FORCED

cmdline=$(cat /proc/cmdline)
version=$(cat /proc/version)
failed_cycles=0

# expect FILE TEXT: the first line of FILE.
expect()
{
	local got

	klp_read_var got "$1"
	[ "$got" = "$2" ] || klp_oops "$1 reads '$got', not '$2'"
}

# mark STEP: the time since the previous mark counts for STEP.
declare -A step_ms
steps=()
mark()
{
	klp_clock
	[ -n "${step_ms[$1]:-}" ] || steps+=("$1")
	step_ms[$1]=$(( ${step_ms[$1]:-0} + KLP_NOW - last ))
	last=$KLP_NOW
}

# --- The load: fork and exit, sleep, spin, a module that comes and goes.
# It runs at nice 10: whenever the cycles wait, for a transition above
# all, it has the CPUs; while they work, they keep their pace.
# background PID: PID is part of the load, at nice 10.
background()
{
	klp_bg_pids+=("$1")
	renice -n 10 -p "$1" > /dev/null 2>&1 ||
		klp_oops "renice -n 10 -p $1 failed"
}

for i in 1 2; do
	(while :; do /bin/true; done) &
	background $!
done
for i in $(seq 20); do
	sleep 100000 &
	klp_bg_pids+=($!)
done
(while :; do :; done) &
background $!
(while :; do
	insmod "$KLP_MOD_DIR/$TARGET.ko" 2>/dev/null
	sleep 0.01
	rmmod $TARGET 2>/dev/null
done) &
churn=$!
background $churn
klp_on_cleanup klp_kill_bg
klp_on_cleanup "rmmod $TARGET 2>/dev/null; true"

start=$(klp_now_ms)
last=$start
for klp_cycle in $(seq "$CYCLES"); do
	before=$klp_failures

	klp_cycle_load $A
	expect /proc/cmdline "$A: cmdline"
	expect /proc/version "$A: version"
	mark "$A"

	klp_cycle_load $MOD
	# The target may be between its coming and going: only a value
	# that can be read is checked.
	klp_read_var v $VALUE
	[ -n "$v" ] && [ "$v" != 2 ] &&
		klp_oops "$VALUE reads '$v' under $MOD, not 2"
	mark "$MOD"

	klp_cycle_load $GETPID
	mark "$GETPID"

	klp_cycle_load $EXIT linger_ms=2
	klp_poll_ms 5000 klp_counter_above $EXIT calls 0 ||
		klp_oops "no exit ran the replacement of $EXIT"
	mark "$EXIT"

	klp_cycle_load $C
	expect /proc/cmdline "$C: cmdline"
	expect /proc/version "$version"
	mark "$C (replace)"
	klp_cycle_replaced $A
	klp_cycle_replaced $MOD
	klp_cycle_replaced $GETPID
	klp_cycle_replaced $EXIT
	klp_read_var v $VALUE
	[ -n "$v" ] && [ "$v" != 1 ] &&
		klp_oops "$VALUE reads '$v' after the replace, not 1"
	mark "rmmod of the replaced"

	echo 0 > "$KLP_SYSFS/$C/enabled" 2>/dev/null || klp_oops "disabling $C failed"
	klp_poll_ms 15000 klp_patch_gone $C || klp_oops "$C: not gone after disable"
	mark "$C (disable)"
	rmmod $C 2>/dev/null || klp_oops "rmmod $C failed"
	expect /proc/cmdline "$cmdline"
	mark "rmmod $C"

	[ $klp_failures = "$before" ] || failed_cycles=$((failed_cycles + 1))
	[ $((klp_cycle % 10)) = 0 ] && klp_info "$klp_cycle cycles, $failed_cycles failed"
done
elapsed=$(( $(klp_now_ms) - start ))

# --- Under the same load: a transition held by a kthread sleeping in
# the function it replaces is forced.  The forced enable pins nothing:
# the module goes once the patch is disabled.
if klp_mod_loaded $FORCED; then
	klp_info "skipped: $FORCED, forced by an earlier run, is loaded until reboot"
else
	klp_start_kthread $BUSY "the kthread sleeps in test_klp_busy_sleeper()"
	klp_load_mod $FORCED
	assert_true "$FORCED: the sleeping kthread holds the transition" \
		klp_holds_ms 200 klp_in_transition $FORCED
	klp_forced $FORCED
	assert_write_ok "$FORCED: write 1 to force" "$KLP_SYSFS/$FORCED/force" 1
	assert_true "$FORCED: the forced transition is done" \
		klp_transition_done $FORCED
	assert_write_ok "write 0 to $BUSY block" \
		"/sys/module/$BUSY/parameters/block" 0
	klp_assert_grows "$FORCED: the replacement runs" $FORCED new_calls
	klp_disable $FORCED
	# A forced enable pins nothing: the tasks it left behind run the
	# original.
	klp_remove $FORCED
	klp_remove $BUSY
fi

assert_true "the module churn and the load ran all along" kill -0 "$churn"
klp_info "$CYCLES cycles in $(klp_duration $elapsed), $klp_failures failures"
for step in "${steps[@]}"; do
	klp_info "  $step: $((step_ms[$step] / CYCLES)) ms a cycle"
done
assert_eq "$CYCLES cycles of enable, stack, replace, disable: failed cycles" \
	0 $failed_cycles

klp_kill_bg
rmmod $TARGET 2>/dev/null

# kmemleak, when the kernel has it: nothing the run allocated is lost.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	assert_eq "kmemleak reports no leak" 0 "$leaks"
else
	klp_info "no kmemleak in this kernel"
fi

klp_finish
