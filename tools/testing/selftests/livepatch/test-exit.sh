#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A patch of the end of do_exit(): test_klp_exit replaces
# exit_task_stack_account(), which exiting tasks call after exit_notify(),
# when their parent may already have reaped them and they are no longer
# on the task lists.
#  - every exit runs the replacement while the patch is enabled;
#  - with each exiting task sleeping in the replacement for a second and
#    a shell forking all the time, the patch is disabled: the blockers
#    name the exiting tasks in the replacement, and when the transition
#    is done (post_unpatch) no task is in it any more, so that the module
#    can go.  A
#    transition that missed the reaped tasks would let the module be
#    removed under them.

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_exit
REPL_RE='test_klp_exit_stack_account'
LINGER=/sys/module/$PATCH/parameters/linger_ms
NR_EXITS=20

klp_setup $PATCH
klp_on_cleanup klp_kill_bg

# blocked_in_replacement: some task is held up in the replacement.
# shellcheck disable=SC2317 # run through klp_poll_ms
blocked_in_replacement()
{
	klp_blockers $PATCH | grep -q " $REPL_RE+"
}

klp_load_patch $PATCH || klp_finish

# --- Every exit runs the replacement.
before=$(klp_param $PATCH calls)
for i in $(seq $NR_EXITS); do
	/bin/true
done
after=$(klp_param $PATCH calls)
assert_true "$NR_EXITS exits ran the replacement (calls: $before -> $after)" \
	[ $((after - before)) -ge $NR_EXITS ]
assert_eq "no task is in the replacement" 0 "$(klp_param $PATCH inside)"

# --- Disable while reaped tasks sleep in it.
klp_write "$LINGER" 1000
(while :; do /bin/true; done) &
klp_bg_pids+=($!)
what="exiting tasks sleep in the replacement"
if klp_poll_ms 5000 klp_counter_above $PATCH inside 1; then
	klp_pass "$what (inside: $(klp_param $PATCH inside))"
else
	klp_fail "$what" "inside reads '$(klp_param $PATCH inside)'"
fi

if ! klp_write "$KLP_SYSFS/$PATCH/enabled" 0; then
	klp_fail "$PATCH: disable" "$KLP_ERR"
	klp_finish
fi
what="the blockers name exiting tasks in the replacement"
if klp_poll_ms 900 blocked_in_replacement; then
	klp_pass "$what"
else
	klp_fail "$what" "blockers: '$(klp_blockers $PATCH | head -3 | tr '\n' ';')'"
fi
klp_poll_ms 15000 klp_patch_gone $PATCH
klp_kill_bg
assert_true "$PATCH: disabled" klp_patch_gone $PATCH
# Counted by the post_unpatch callback, when the transition completed.
inside=$(klp_param $PATCH inside_unpatched)
assert_eq "no task was in the replacement when the transition was done" \
	0 "$inside"

if [ "$inside" = 0 ]; then
	klp_remove $PATCH
else
	# Tasks would return into freed code: keep the module.
	klp_keep $PATCH
fi
assert_true "tasks still fork and exit" /bin/true

klp_finish
