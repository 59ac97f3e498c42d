#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A patch of the end of do_exit(): test_klp_exit replaces
# exit_task_stack_account(), which exiting tasks call after exit_notify(),
# when their parent may already have reaped them and they are no longer
# on the task lists.
#  - every exit runs the replacement while the patch is enabled;
#  - with exiting tasks held in the replacement (reaped by a shell that
#    forks all the time), the patch is disabled: the transition stays in
#    progress and the blockers name the exiting tasks in the replacement
#    for as long as they are held; once they go on, the transition
#    completes, and when it is done (post_unpatch) no task is in it any
#    more, so that the module can go.  A transition that missed the
#    reaped tasks would let the module be removed under them.
# test_klp_exit_dead replaces do_task_dead(), which a dying task runs up
# to its last context switch:
#  - a task killed while the patch is enabled dies through the
#    replacement and is gone;
#  - with a dying task spinning in the replacement (do_exit() disabled
#    preemption), the patch is disabled: the transition waits for that
#    task until its last switch, and the blockers list it as running.  A
#    task that left live patching earlier in do_exit() would let the
#    transition complete while the task still runs the replacement and
#    takes interrupts in the universe it leaves.
# test_klp_exit_hold holds a dying task in do_task_dead() with a kprobe
# while nothing is patched, when exiting tasks are only counted, not
# listed, by live patching:
#  - once the task is reaped, test_klp_exit is enabled: its transition
#    does not complete while the task still runs, and does once it is
#    let go.  A first transition that only walked the task lists and the
#    list of exiting tasks would not see it.

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_exit
REPL_RE='test_klp_exit_stack_account'
HOLD=/sys/module/$PATCH/parameters/hold
NR_EXITS=20
NR_HELD=4
DEAD=test_klp_exit_dead
HOLD_PID=/sys/module/$DEAD/parameters/hold_pid
PROBE=test_klp_exit_hold
PROBE_PID=/sys/module/$PROBE/parameters/hold_pid

klp_setup $PATCH $DEAD $PROBE
klp_on_cleanup klp_kill_bg
# Let held tasks go before the cleanup disables the patches.
# shellcheck disable=SC2317 # run by klp_cleanup
release_all()
{
	[ -e "$HOLD" ] && klp_write "$HOLD" 0
	[ -e "$HOLD_PID" ] && klp_write "$HOLD_PID" 0
	[ -e "$PROBE_PID" ] && klp_write "$PROBE_PID" 0
	return 0
}
klp_on_cleanup release_all

# remove_if_unused PATCH: no task was in the replacement of PATCH when
# the transition that disabled it completed (inside_unpatched, counted by
# its post_unpatch callback); only then does the module go.
remove_if_unused()
{
	local inside

	inside=$(klp_param "$1" inside_unpatched)
	assert_eq "no task was in the replacement when the transition was done" \
		0 "$inside"
	if [ "$inside" = 0 ]; then
		klp_remove "$1"
	else
		# Tasks would run freed code: keep the module.
		klp_keep "$1"
	fi
}

# blocked_in_replacement: some task is held up in the replacement.
# shellcheck disable=SC2317 # run through klp_poll_ms
blocked_in_replacement()
{
	klp_blockers $PATCH | grep -q " $REPL_RE+"
}

# kill_held MODULE WHAT: kill a task whose pid MODULE's hold_pid holds
# where it dies, and check that MODULE counts it inside; its pid is left
# in dpid.
kill_held()
{
	local what

	sleep 1000 &
	dpid=$!
	klp_bg_pids+=("$dpid")
	disown $dpid	# no job report when it dies
	klp_write "/sys/module/$1/parameters/hold_pid" $dpid
	kill -KILL $dpid
	what="the killed task $dpid $2"
	if klp_poll_ms 5000 klp_counter_above "$1" inside 0; then
		klp_pass "$what"
	else
		klp_fail "$what" "inside reads '$(klp_param "$1" inside)'"
	fi
}

# --- A task that started dying while nothing was patched.
# task_reaped PID: PID is gone from /proc, off the task lists.
# shellcheck disable=SC2317 # run through klp_poll_ms
task_reaped()
{
	[ ! -e "/proc/$1" ]
}

# not_done PID PATCH: PATCH is not enabled with its transition complete:
# insmod (PID) has not returned, or the transition is in progress.  The
# enable may wait in insmod, holding the mutex that the sysfs files of
# patches take: their files are read only once it returned.
# shellcheck disable=SC2317 # run through klp_holds_ms
not_done()
{
	kill -0 "$1" 2>/dev/null || klp_in_transition "$2"
}

assert_eq "nothing is patched" "" "$(ls "$KLP_SYSFS")"
klp_load_mod $PROBE || klp_finish
kill_held $PROBE "is held in do_task_dead()"
assert_true "the task $dpid is reaped" klp_poll_ms 5000 task_reaped $dpid
# The enable may wait for the held task already in insmod: run it aside.
insmod "$KLP_MOD_DIR/$PATCH.ko" &
ipid=$!
assert_true "$PATCH: no complete transition while the task is held" \
	klp_holds_ms 1000 not_done $ipid $PATCH
klp_write "$PROBE_PID" 0
if wait $ipid; then
	klp_loaded+=("$PATCH")
	klp_is_patch[$PATCH]=1
	klp_pass "insmod $PATCH"
else
	klp_fail "insmod $PATCH" "insmod failed"
	klp_finish
fi
klp_wait_transition $PATCH
assert_eq "the held task left do_task_dead()" 0 "$(klp_param $PROBE inside)"
klp_remove $PROBE

# --- Every exit runs the replacement.
before=$(klp_param $PATCH calls)
for i in $(seq $NR_EXITS); do
	/bin/true
done
after=$(klp_param $PATCH calls)
assert_true "$NR_EXITS exits ran the replacement (calls: $before -> $after)" \
	[ $((after - before)) -ge $NR_EXITS ]
assert_eq "no task is in the replacement" 0 "$(klp_param $PATCH inside)"

# --- Disable while reaped tasks are held in it.
klp_write "$HOLD" $NR_HELD
(while :; do /bin/true; done) &
klp_bg_pids+=($!)
what="exiting tasks wait in the replacement"
if klp_poll_ms 5000 klp_counter_above $PATCH inside $((NR_HELD - 1)); then
	klp_pass "$what (inside: $(klp_param $PATCH inside))"
else
	klp_fail "$what" "inside reads '$(klp_param $PATCH inside)'"
fi

if ! klp_write "$KLP_SYSFS/$PATCH/enabled" 0; then
	klp_fail "$PATCH: disable" "$KLP_ERR"
	klp_finish
fi
# Nothing moves until they are let go: wait as long as it takes.
what="the blockers name exiting tasks in the replacement"
if klp_poll blocked_in_replacement; then
	klp_pass "$what"
else
	klp_fail "$what" "blockers: '$(klp_blockers $PATCH | head -3 | tr '\n' ';')'"
fi
assert_true "$PATCH: the transition waits for them" klp_in_transition $PATCH
klp_write "$HOLD" 0
klp_poll klp_patch_gone $PATCH
klp_kill_bg
assert_true "$PATCH: disabled" klp_patch_gone $PATCH
remove_if_unused $PATCH

# --- A patch of do_task_dead().
# param_is MODULE PARAM VALUE: the parameter reads VALUE.
# shellcheck disable=SC2317 # run through klp_poll_ms
param_is()
{
	[ "$(klp_param "$1" "$2")" = "$3" ]
}

klp_load_patch $DEAD || klp_finish
before=$(klp_param $DEAD calls)
sleep 1000 &
dpid=$!
disown $dpid	# no job report when it dies
kill -KILL $dpid
assert_true "a killed task died through the replacement of do_task_dead()" \
	klp_poll_ms 5000 klp_counter_above $DEAD calls "$before"
assert_true "no task is in it" klp_poll_ms 5000 param_is $DEAD inside 0

# It spins there for 10 s at most.
kill_held $DEAD "spins in the replacement of do_task_dead()"
if ! klp_write "$KLP_SYSFS/$DEAD/enabled" 0; then
	klp_fail "$DEAD: disable" "$KLP_ERR"
	klp_finish
fi
what="the blockers list the dying task as running"
if klp_poll_ms 5000 klp_blocked_by $DEAD "$dpid" running; then
	klp_pass "$what"
else
	klp_fail "$what" "blockers: '$(klp_blockers $DEAD | head -3 | tr '\n' ';')'"
fi
assert_true "$DEAD: the transition waits for the dying task" \
	klp_in_transition $DEAD
klp_write "$HOLD_PID" 0
klp_wait_gone $DEAD
klp_kill_bg
remove_if_unused $DEAD
assert_true "tasks still fork and exit" /bin/true

klp_finish
