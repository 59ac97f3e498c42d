#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The consistency model: during a transition each task runs either the old
# or the new code and switches at a safe point.  The kthread of
# test_klp_busy sleeps inside test_klp_busy_sleeper() while its "block"
# parameter is set, which holds up any transition of a patch of that
# function (test_klp_busy_patch, test_klp_busy_force):
#  - the held-up transition: "transition", "blockers", /proc/<pid>/patch_state
#    of the shell, of a sleeping process, of a child forked meanwhile and of
#    the kthread; it completes once the kthread is let go, and
#    "transition_ns" tells how long it has run, then how long it took;
#  - reversing the enabling and the disabling transitions, and a module
#    the patch changes that comes during the disabling one; a task left
#    behind by a reversal does not switch before the next transition
#    starts (test_klp_callbacks holds that one in its pre_patch);
#  - transitions that nothing holds up, with processes calling getpid()
#    all the time (test_klp-hammer);
#  - forcing a transition: after a forced enable the patch module can be
#    removed once disabled; after a forced disable it can never be.  It
#    stays loaded until reboot, which is why that test uses a module of
#    its own, test_klp_busy_force, and runs last;
#  - disabling a held patch while another writer forces its transition
#    (test_klp_busy_race, pinned if the force takes the disable).

. "$(dirname "$0")/functions.sh"

TARGET=test_klp_busy
PATCH=test_klp_busy_patch
FORCED=test_klp_busy_force
RACE=test_klp_busy_race
VMLINUX=test_klp_vmlinux
MODTARGET=test_klp_target
CALLBACKS=test_klp_callbacks
VMLINUX_PATCHED="$VMLINUX: this has been live patched"
BLOCK=/sys/module/$TARGET/parameters/block
HAMMER=$KLP_DIR/test_klp-hammer
NR_HAMMERS=8
# How the blockers name the original and the replacement on a stack.
ORIG_RE='test_klp_busy_sleeper\+'
REPL_RE='test_klp_busy_patch_sleeper'

# Every wait of this test: 5 s.
WAIT_MS=5000
# How long a held-up transition must be seen in progress.
HOLD_MS=200

klp_setup $TARGET $PATCH $FORCED $RACE $VMLINUX $MODTARGET $CALLBACKS


klp_on_cleanup klp_kill_bg
# Let the kthread go before the cleanup disables the patches.
klp_on_cleanup "klp_write $BLOCK 0"

# assert_steady WHAT MODULE PARAM: the counter does not change for 200 ms.
assert_steady()
{
	local before after

	before=$(klp_param "$2" "$3")
	sleep 0.2
	after=$(klp_param "$2" "$3")
	if [ -n "$before" ] && [ "$before" = "$after" ]; then
		klp_pass "$1"
	else
		klp_fail "$1" "$2 $3 went from '$before' to '$after'"
	fi
}

# block_in_replacement: set block while the patch is on; the replacement
# honours it too, and the kthread must stop in it.
block_in_replacement()
{
	assert_write_ok "write 1 to $TARGET block" "$BLOCK" 1
	if klp_poll_ms $WAIT_MS klp_counter_stopped $PATCH new_calls; then
		klp_pass "the kthread sleeps in the replacement"
	else
		klp_fail "the kthread sleeps in the replacement" "new_calls keeps growing"
	fi
}

# Load test_klp_busy; its kthread enters test_klp_busy_sleeper() at once
# and sleeps there (block=1).  Sets kpid.
start_target()
{
	klp_start_kthread $TARGET \
		"the kthread sleeps in test_klp_busy_sleeper()"
	kpid=$KLP_KTHREAD_PID
	[ -n "$kpid" ]
}

stop_target()
{
	klp_write "$BLOCK" 0
	klp_remove $TARGET
}

# assert_held PATCH REGEX: the transition of PATCH stays in progress for
# 200 ms and the blockers name the kthread, in the function that REGEX
# matches.
assert_held()
{
	local p=$1 regex=$2

	if klp_holds_ms $HOLD_MS klp_in_transition "$p"; then
		klp_pass "$p: transition stays 1 for $HOLD_MS ms"
	else
		klp_fail "$p: transition stays 1 for $HOLD_MS ms" \
			"transition reads '$(klp_read "$KLP_SYSFS/$p/transition")'"
	fi
	if klp_poll_ms $WAIT_MS klp_blocked_by "$p" "$kpid" "$regex"; then
		klp_pass "$p: blockers name the kthread $kpid in $regex"
	else
		klp_fail "$p: blockers name the kthread $kpid in $regex" \
			"blockers: '$(klp_blockers "$p" | tr '\n' ';')'"
	fi
}

# shellcheck disable=SC2317 # run through klp_poll_ms
param_is()
{
	[ "$(klp_param "$1" "$2")" = "$3" ]
}

# shellcheck disable=SC2317 # run through klp_poll_ms
comm_is()
{
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# alive: all the getpid() callers still run.
# shellcheck disable=SC2317 # run through klp_poll_ms or assert_true
alive()
{
	local pid

	for pid in "${hammers[@]}"; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
}

# all_idle: the patch_state of every getpid() caller reads -1.
# shellcheck disable=SC2317 # run through klp_poll_ms or assert_true
all_idle()
{
	local pid

	for pid in "${hammers[@]}"; do
		klp_patch_state_is "$pid" -1 || return 1
	done
}

dir=$KLP_SYSFS/$PATCH
fdir=$KLP_SYSFS/$FORCED
rdir=$KLP_SYSFS/$RACE
hammers=()

# --- Outside transitions.
assert_true "/proc/self/patch_state reads -1 without a transition" \
	klp_self_patch_state_is -1
assert_eq "patch_state of cat reads -1 without a transition" -1 \
	"$(cat /proc/self/patch_state 2>&1)"
klp_assert_state "patch_state of init reads -1 without a transition" 1 -1
assert_eq "mode of /proc/self/patch_state is 400" 400 \
	"$(stat -c %a /proc/self/patch_state 2>&1)"

# --- The sleeping kthread holds up the transition.
klp_info "a kthread sleeping in the patched function"
start_target
assert_steady "calls stays put while the kthread sleeps" $TARGET calls

# A process that sleeps in user space's nanosleep: a clean stack.
sleep 100 &
sleeper=$!
klp_bg_pids+=("$sleeper")

t0=$(klp_now_ms)
klp_load_mod $PATCH
assert_held $PATCH "$ORIG_RE"
assert_file_content "$dir/enabled" 1 "$PATCH: enabled reads 1 during the transition"
for entry in blockers:400 transition_ns:444; do
	file=${entry%:*}
	mode=${entry##*:}
	assert_eq "mode of $PATCH/$file is $mode" "$mode" \
		"$(stat -c %a "$dir/$file" 2>&1)"
done
# During the transition, transition_ns tells how long it has run so far.
ns_mid=$(klp_read "$dir/transition_ns")
t_mid=$(klp_now_ms)
assert_true "$PATCH: transition_ns ($ns_mid) runs during the transition" \
	[ "${ns_mid:-0}" -gt 0 ]
assert_true "$PATCH: transition_ns ($ns_mid) is within the $((t_mid - t0)) ms since the load" \
	[ "${ns_mid:-0}" -le $(((t_mid - t0 + 1) * 1000000)) ]

assert_true "this shell switches to the patched state within 1 s" \
	klp_poll_ms 1000 klp_self_patch_state_is 1
klp_assert_state "/proc/$$/patch_state (this shell) reads 1" $$ 1
klp_assert_state "/proc/$kpid/patch_state (the held kthread) reads 0" "$kpid" 0
assert_true "the sleeping process $sleeper switches within 1 s" \
	klp_poll_ms 1000 klp_patch_state_is "$sleeper" 1
assert_true "the sleeping process $sleeper is still alive" \
	kill -0 "$sleeper"

# A child forked now starts in the state of its parent.
sleep 100 &
child=$!
klp_bg_pids+=("$child")
klp_assert_state "a child forked during the transition reads 1" "$child" 1

assert_file_content "/sys/module/$PATCH/parameters/new_calls" 0 \
	"the replacement has not run while the kthread sleeps in the original"
assert_true "$PATCH is still in transition after these checks" \
	klp_in_transition $PATCH
ns=$(klp_read "$dir/transition_ns")
assert_true "$PATCH: transition_ns ($ns) grew since ($ns_mid)" \
	[ "${ns:-0}" -gt "${ns_mid:-0}" ]

klp_info "letting the kthread go"
assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
klp_wait_transition $PATCH $WAIT_MS
t1=$(klp_now_ms)
assert_file_content "$dir/enabled" 1 "$PATCH: enabled reads 1 after the transition"
assert_eq "$PATCH: blockers is empty after the transition" "" \
	"$(cat "$dir/blockers" 2>&1)"
ns=$(klp_read "$dir/transition_ns")
assert_true "$PATCH: transition_ns ($ns) covers the $HOLD_MS ms it was held" \
	[ "${ns:-0}" -ge $((HOLD_MS * 1000000)) ]
assert_true "$PATCH: transition_ns ($ns) is not more than the $((t1 - t0)) ms measured around it" \
	[ "${ns:-0}" -le $(((t1 - t0 + 1) * 1000000)) ]
assert_true "/proc/self/patch_state reads -1 after the transition" \
	klp_self_patch_state_is -1
klp_assert_state "/proc/$kpid/patch_state reads -1 after the transition" "$kpid" -1
klp_assert_state "the sleeping process reads -1 after the transition" "$sleeper" -1
assert_true "the sleeping process $sleeper survived the transition" \
	kill -0 "$sleeper"
klp_kill_bg

klp_assert_grows "the replacement runs: new_calls grows" $PATCH new_calls
assert_steady "the original does not run: calls stays put" $TARGET calls

klp_disable $PATCH $WAIT_MS
klp_assert_grows "the original runs again after disabling: calls grows" \
	$TARGET calls
assert_steady "the replacement no longer runs: new_calls stays put" \
	$PATCH new_calls
klp_remove $PATCH
stop_target

# --- Reversing the enabling transition.
klp_info "reversing the enabling transition"
start_target
klp_load_mod $PATCH
assert_held $PATCH "$ORIG_RE"
assert_write_ok "$PATCH: write 0 to enabled during the transition" \
	"$dir/enabled" 0
unblocked=0
if ! klp_poll_ms $WAIT_MS klp_patch_gone $PATCH; then
	klp_info "$PATCH is still there while the kthread sleeps: letting it go"
	klp_write "$BLOCK" 0
	unblocked=1
fi
klp_wait_gone $PATCH $WAIT_MS
[ $unblocked = 1 ] || assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
klp_assert_grows "the original keeps running: calls grows" $TARGET calls
assert_file_content "/sys/module/$PATCH/parameters/new_calls" 0 \
	"the replacement never ran"
klp_remove $PATCH
stop_target

# --- Reversing the disabling transition.  The patch also replaces
# test_klp_target_value(), and test_klp_target comes while the patch is
# being disabled: tasks still in the patched state must find it patched,
# and so must everyone once the disable is reversed.
klp_info "reversing the disabling transition"
start_target
klp_write "$BLOCK" 0
klp_load_mod $PATCH with_target=1
klp_wait_transition $PATCH $WAIT_MS
klp_assert_grows "the replacement runs: new_calls grows" $PATCH new_calls
block_in_replacement
assert_write_ok "$PATCH: write 0 to enabled" "$dir/enabled" 0
assert_held $PATCH "$REPL_RE"
klp_assert_state "/proc/$kpid/patch_state reads 1 (it still runs the replacement)" \
	"$kpid" 1
assert_file_content "$dir/enabled" 0 "$PATCH: enabled reads 0 while disabling"
klp_load_mod $MODTARGET
assert_file_content "$dir/$MODTARGET/patched" 1 \
	"$PATCH: $MODTARGET, loaded while disabling, is patched"
assert_write_ok "$PATCH: write 1 to enabled during the disabling transition" \
	"$dir/enabled" 1
klp_wait_transition $PATCH $WAIT_MS
assert_file_content "$dir/enabled" 1 "$PATCH: enabled reads 1 after the reversal"
assert_file_content "$dir/$MODTARGET/patched" 1 \
	"$PATCH: $MODTARGET is patched after the reversal"
assert_file_content /sys/kernel/$MODTARGET/value 2 \
	"$MODTARGET runs the replacement after the reversal"
klp_remove $MODTARGET
assert_dir "$dir" "$PATCH stays in $KLP_SYSFS"
assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
klp_assert_grows "the replacement still runs: new_calls grows" $PATCH new_calls
assert_steady "the original does not run: calls stays put" $TARGET calls
klp_disable $PATCH $WAIT_MS
klp_remove $PATCH
stop_target

# --- A function that jumps to its replacement (x86_64, s390x) stops jumping
# before any task may switch in a transition: a task that switched to the
# unpatched state during a disable runs the original, while the kthread
# held in the replacement keeps the transition open.
klp_info "a jumping function during a disabling transition"
start_target
klp_write "$BLOCK" 0
klp_load_mod $MODTARGET
klp_load_mod $PATCH with_target=1
klp_wait_transition $PATCH $WAIT_MS
assert_file_content /sys/kernel/$MODTARGET/value 2 \
	"$MODTARGET runs the replacement after the enable"
if klp_jumps; then
	want=test_klp_busy_patch_value
else
	want=
fi
assert_eq "test_klp_target_value jumps to ${want:-nothing} after the enable" \
	"$want" "$(klp_jump_target test_klp_target_value)"
block_in_replacement
assert_write_ok "$PATCH: write 0 to enabled" "$dir/enabled" 0
assert_held $PATCH "$REPL_RE"
assert_eq "test_klp_target_value does not jump during the transition" "" \
	"$(klp_jump_target test_klp_target_value)"
assert_true "this shell switches to the unpatched state within 1 s" \
	klp_poll_ms 1000 klp_self_patch_state_is 0
assert_file_content /sys/kernel/$MODTARGET/value 1 \
	"this shell, in the unpatched state, runs the original test_klp_target_value"
assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
klp_wait_gone $PATCH $WAIT_MS
assert_file_content /sys/kernel/$MODTARGET/value 1 \
	"$MODTARGET runs the original after the disable"
klp_remove $PATCH
klp_remove $MODTARGET
stop_target

# --- A task that had not switched when a transition was reversed waits
# for the next transition to start like any other: a user task sleeping
# in test_klp_busy_hold() holds up the enabling, which is reversed; it
# returns to user space while the next patch's pre_patch runs, before
# that transition has started, and must still be in the old state then.
# (Here the reversed transition's retries see the task; the reversal
# itself must unflag it too, for the case where the reversed transition
# completes before any retry, which a test cannot time from user space.)
klp_info "a task left behind by a reversed transition"
start_target
(trap ':' USR1; echo 1 > /proc/test_klp_busy_hold
 exec sleep 100) 2>/dev/null &
holder=$!
klp_bg_pids+=("$holder")
assert_true "the user task $holder sleeps in test_klp_busy_hold()" \
	klp_poll_ms $WAIT_MS param_is $TARGET holders 1
klp_load_mod $PATCH
assert_true "$PATCH: blockers name the user task $holder in test_klp_busy_hold()" \
	klp_poll_ms $WAIT_MS klp_blocked_by $PATCH "$holder" 'test_klp_busy_hold\+'
assert_write_ok "$PATCH: write 0 to enabled during the transition" \
	"$dir/enabled" 0
klp_wait_gone $PATCH $WAIT_MS
klp_remove $PATCH
assert_false "the user task $holder still sleeps in test_klp_busy_hold()" \
	comm_is "$holder" sleep

insmod "$KLP_MOD_DIR/$CALLBACKS.ko" hold_pre=1 2>/dev/null &
insmod_pid=$!
klp_loaded+=("$CALLBACKS")
klp_is_patch[$CALLBACKS]=1
klp_on_cleanup "klp_write /sys/module/$CALLBACKS/parameters/release 1"
if klp_poll_ms $WAIT_MS param_is $CALLBACKS in_pre Y; then
	klp_pass "$CALLBACKS: pre_patch waits"
	kill -USR1 "$holder"
	assert_true "the user task $holder returns to user space" \
		klp_poll_ms $WAIT_MS comm_is "$holder" sleep
	klp_assert_state "/proc/$holder/patch_state reads 0 before the transition starts" \
		"$holder" 0
else
	klp_fail "$CALLBACKS: pre_patch waits" \
		"in_pre reads '$(klp_param $CALLBACKS in_pre)'"
fi
klp_write "/sys/module/$CALLBACKS/parameters/release" 1
assert_true "insmod $CALLBACKS succeeds" wait "$insmod_pid"
klp_wait_transition $CALLBACKS $WAIT_MS
klp_remove_patch $CALLBACKS
klp_kill_bg
stop_target

# --- Transitions that nothing holds up.
klp_info "a transition that nothing holds up"
klp_load_mod $VMLINUX
klp_wait_transition $VMLINUX $WAIT_MS
assert_file_content /proc/cmdline "$VMLINUX_PATCHED"
ns=$(klp_read "$KLP_SYSFS/$VMLINUX/transition_ns")
assert_true "$VMLINUX: transition_ns ($ns) is not 0" [ "${ns:-0}" -gt 0 ]
# Driven by the switches of the tasks, not by a periodic poll: far less
# than a second, even in a slow virtual machine.
assert_true "$VMLINUX: transition_ns ($ns) is below 1 s" \
	[ "${ns:-1000000000}" -lt 1000000000 ]
klp_disable $VMLINUX $WAIT_MS
klp_remove $VMLINUX

if [ -x "$HAMMER" ]; then
	klp_info "$NR_HAMMERS processes calling getpid()"
	for ((i = 0; i < NR_HAMMERS; i++)); do
		"$HAMMER" 120 &
		hammers+=("$!")
		klp_bg_pids+=("$!")
	done
	sleep 0.2
	assert_true "the $NR_HAMMERS processes run" alive
	klp_load_mod $VMLINUX
	klp_wait_transition $VMLINUX $WAIT_MS
	assert_file_content /proc/cmdline "$VMLINUX_PATCHED" \
		"/proc/cmdline is patched with the processes running"
	ns=$(klp_read "$KLP_SYSFS/$VMLINUX/transition_ns")
	assert_true "$VMLINUX: transition_ns ($ns) is not 0" [ "${ns:-0}" -gt 0 ]
	assert_true "the patch_state of all $NR_HAMMERS reads -1 after the transition" \
		all_idle
	assert_true "the $NR_HAMMERS processes survived the transition" alive
	klp_disable $VMLINUX $WAIT_MS
	assert_true "the patch_state of all $NR_HAMMERS reads -1 after disabling" \
		all_idle
	assert_true "the $NR_HAMMERS processes survived disabling" alive
	klp_remove $VMLINUX
	klp_kill_bg
else
	klp_info "skipped: no $HAMMER (not built): no test with getpid() callers"
fi

# --- Forcing the transitions.  A forced enable pins nothing: the tasks
# it left behind run the original.  The module of a patch whose disable
# was forced can never be removed: test_klp_busy_force stays loaded until
# reboot.
if klp_mod_loaded $FORCED; then
	klp_info "skipped: $FORCED, forced by an earlier run, is loaded until reboot"
else
	klp_info "forcing the enabling transition"
	start_target
	klp_load_mod $FORCED
	assert_held $FORCED "$ORIG_RE"
	klp_mark_log
	klp_forced $FORCED
	assert_write_ok "$FORCED: write 1 to force" "$fdir/force" 1
	assert_file_content "$fdir/transition" 0 \
		"$FORCED: transition reads 0 at once"
	assert_file_content "$fdir/enabled" 1 "$FORCED: enabled reads 1"
	assert_eq "$FORCED: blockers is empty" "" "$(cat "$fdir/blockers" 2>&1)"
	assert_true "the kernel warns about forcing the transition" \
		grep -qi forc <<< "$(klp_log_since_mark)"
	assert_write_fails "$FORCED: writing 1 to force outside a transition: EINVAL" \
		"$fdir/force" 1 EINVAL
	assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
	klp_assert_grows "the replacement runs: new_calls grows" $FORCED new_calls
	klp_disable $FORCED $WAIT_MS
	klp_assert_grows "the original runs again: calls grows" $TARGET calls
	assert_true "rmmod of $FORCED after a forced enable works" \
		klp_unload $FORCED

	klp_info "forcing the disabling transition"
	klp_load_patch $FORCED
	klp_assert_grows "the replacement runs: new_calls grows" $FORCED new_calls
	# The replacement honours block too: the kthread sleeps in it.
	assert_write_ok "write 1 to $TARGET block" "$BLOCK" 1
	assert_true "the kthread sleeps in the replacement" \
		klp_poll_ms $WAIT_MS klp_counter_stopped $FORCED new_calls
	assert_write_ok "$FORCED: write 0 to enabled" "$fdir/enabled" 0
	assert_held $FORCED "$REPL_RE"
	assert_write_ok "$FORCED: write 1 to force" "$fdir/force" 1
	klp_wait_gone $FORCED $WAIT_MS
	assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
	klp_assert_grows "the original runs again: calls grows" $TARGET calls
	assert_false "rmmod of $FORCED after a forced disable is refused" \
		klp_unload $FORCED
	assert_true "$FORCED stays loaded" klp_mod_loaded $FORCED
	# It does no harm: nothing calls into it any more.
	klp_mod_loaded $FORCED && klp_keep $FORCED
	stop_target
fi

# --- Disabling while another writer forces the transition: whichever
# write comes first, the patch ends disabled, the original runs, and the
# module is pinned exactly when the force took.  The force may also
# find nothing to force: no transition (EINVAL), or the reversal already
# done and the patch directory gone, which a write to a vanishing sysfs
# file reports as in test-replace.sh (ENOENT, ENODEV or EACCES).
if klp_mod_loaded $RACE; then
	klp_info "skipped: $RACE, forced by an earlier run, is loaded until reboot"
else
	klp_info "disabling while forcing"
	start_target
	klp_load_mod $RACE
	assert_held $RACE "$ORIG_RE"
	klp_forced $RACE
	klp_mark_log
	race=$(mktemp)
	klp_write_outcome "$rdir/enabled" 0 > "$race.disable" &
	writers=($!)
	klp_write_outcome "$rdir/force" 1 > "$race.force" &
	writers+=($!)
	wait "${writers[@]}"
	disable=$(cat "$race.disable")
	force=$(cat "$race.force")
	rm -f "$race" "$race.disable" "$race.force"
	klp_info "disable: ${disable:-?}, force: ${force:-?}"
	assert_eq "$RACE: writing 0 to enabled succeeds" ok "$disable"
	nothing=no
	[[ "$force" =~ ^(EINVAL|ENOENT|ENODEV|EACCES)$ ]] && nothing=yes
	assert_true "$RACE: writing 1 to force succeeds or finds nothing to force" \
		test "$force" = ok -o $nothing = yes
	assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
	klp_wait_gone $RACE $WAIT_MS
	klp_assert_grows "the original runs: calls grows" $TARGET calls
	# The force took the enable (before the disable reversed it) or
	# the disable: the kernel log says which.  Only a forced disable
	# pins the module.
	if [ "$force" = ok ] &&
	   klp_log_since_mark_has "$RACE: forcing the transition to unpatched"; then
		assert_false "rmmod of $RACE, whose disable was forced, is refused" \
			klp_unload $RACE
		klp_mod_loaded $RACE && klp_keep $RACE
	else
		klp_remove $RACE
	fi
	stop_target
fi

klp_finish
