#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Atomic replace.  test_klp_replace_a (/proc/cmdline, /proc/version) and
# test_klp_replace_b (/proc/version, test_klp_target_value()) are stacked;
# the cumulative test_klp_replace_c (/proc/cmdline only) then takes over
# in one transition: /proc/cmdline shows c, /proc/version and the target's
# value return to the original code, a and b are disabled and can be
# removed.  test_klp_replace_d then replaces c and a patch stacked on it,
# and patches a module that is loaded only afterwards.  Last, a replace
# waits for a kthread sleeping in a variant it takes away, and is turned
# back.  Then a replace races a disable, ten times.

. "$(dirname "$0")/functions.sh"

TARGET=test_klp_target
A=test_klp_replace_a
B=test_klp_replace_b
C=test_klp_replace_c
D=test_klp_replace_d
VALUE=/sys/kernel/$TARGET/value

BUSY=test_klp_busy
BUSY_PATCH=test_klp_busy_patch
BLOCK=/sys/module/$BUSY/parameters/block
RACE_ROUNDS=10

klp_setup $TARGET $A $B $C $D $BUSY $BUSY_PATCH

cmdline=$(cat /proc/cmdline)
version=$(cat /proc/version)

klp_load_mod $TARGET
assert_file_content $VALUE 1 "$TARGET returns 1 before patching"

# assert_held PATCH REGEX: the transition of PATCH stays in progress for
# 200 ms and its blockers name the kthread of test_klp_busy in the
# function REGEX matches.
assert_held()
{
	assert_true "$1: transition stays 1 for 200 ms" \
		klp_holds_ms 200 klp_in_transition "$1"
	assert_true "$1: blockers name the kthread $kpid in $2" \
		klp_poll_ms 5000 klp_blocked_by "$1" "$kpid" "$2"
}

# --- Two stacked patches.
klp_load_patch $A
klp_load_patch $B
assert_file_content /proc/cmdline "$A: cmdline" "/proc/cmdline comes from $A"
assert_file_content /proc/version "$B: version" \
	"/proc/version comes from $B, the newer patch"
assert_file_content $VALUE 11 "$TARGET returns 11 from $B"
assert_file_content "$KLP_SYSFS/$A/stack_order" 1
assert_file_content "$KLP_SYSFS/$B/stack_order" 2
assert_file_content "$KLP_SYSFS/$A/replace" 0
assert_file_content "$KLP_SYSFS/$B/replace" 0

# --- The cumulative patch takes over in one transition.
klp_load_patch $C
assert_file_content /proc/cmdline "$C: cmdline" "/proc/cmdline comes from $C"
assert_file_content /proc/version "$version" \
	"/proc/version, which $C does not replace, is back to the original"
assert_file_content $VALUE 1 \
	"$TARGET, which $C does not replace, returns 1 again"
assert_file_content "$KLP_SYSFS/$C/replace" 1
klp_wait_gone $A
klp_wait_gone $B
assert_file_content "$KLP_SYSFS/$C/stack_order" 1 \
	"$C is the only patch left: stack_order 1"
assert_file_content "$KLP_SYSFS/$C/enabled" 1
klp_remove $A
klp_remove $B
assert_false "rmmod of the enabled $C is refused" klp_unload $C
assert_file_content /proc/cmdline "$C: cmdline" \
	"/proc/cmdline still comes from $C after the replaced modules went"

# --- A patch stacked on the cumulative one, then both replaced by d,
# whose target module comes only later.
klp_load_patch $B
assert_file_content "$KLP_SYSFS/$C/stack_order" 1
assert_file_content "$KLP_SYSFS/$B/stack_order" 2
assert_file_content /proc/version "$B: version" "/proc/version comes from $B"
assert_file_content $VALUE 11 "$TARGET returns 11 from $B"
klp_remove $TARGET
assert_file_content "$KLP_SYSFS/$B/$TARGET/patched" 0 \
	"$B: $TARGET unpatched after its removal"

klp_load_patch $D
klp_wait_gone $B
klp_wait_gone $C
assert_file_content /proc/cmdline "$D: cmdline" "/proc/cmdline comes from $D"
assert_file_content /proc/version "$version" \
	"/proc/version is back to the original under $D"
assert_file_content "$KLP_SYSFS/$D/$TARGET/patched" 0 \
	"$D: $TARGET not patched while it is not loaded"
klp_load_mod $TARGET
assert_file_content $VALUE 13 "$TARGET, loaded under $D, returns 13 from $D"
assert_file_content "$KLP_SYSFS/$D/$TARGET/patched" 1
klp_remove $B
klp_remove $C

# --- Disabling the cumulative patch gives everything back.
klp_disable $D
assert_file_content /proc/cmdline "$cmdline" "/proc/cmdline is the original again"
assert_file_content /proc/version "$version" "/proc/version is the original"
assert_file_content $VALUE 1 "$TARGET returns 1 again"
klp_remove $D

# --- A cumulative patch takes a variant away only from tasks that are not
# in it: the kthread of test_klp_busy sleeps in the variant of
# test_klp_busy_patch, which test_klp_replace_c does not carry.
klp_start_kthread $BUSY "the kthread of $BUSY runs"
kpid=$KLP_KTHREAD_PID
klp_load_mod $BUSY_PATCH
klp_write "$BLOCK" 0
klp_wait_transition $BUSY_PATCH
klp_write "$BLOCK" 1
assert_true "the kthread sleeps in the variant of $BUSY_PATCH" \
	klp_poll_ms 5000 klp_counter_stopped $BUSY_PATCH new_calls
klp_load_mod $C
assert_held $C "test_klp_busy_patch_sleeper"
assert_file_content "$KLP_SYSFS/$BUSY_PATCH/enabled" 1 \
	"$BUSY_PATCH stays enabled while $C is in transition"

# Turned back, the replace leaves the replaced patch as it was.
assert_write_ok "$C: writing 0 to enabled turns the replace back" \
	"$KLP_SYSFS/$C/enabled" 0
klp_wait_gone $C
assert_file_content "$KLP_SYSFS/$BUSY_PATCH/enabled" 1 \
	"$BUSY_PATCH is still enabled after the reversed replace"
assert_file_content "$KLP_SYSFS/$BUSY_PATCH/stack_order" 1
assert_file_content /proc/cmdline "$cmdline" \
	"/proc/cmdline is the original after the reversed replace"
klp_remove $C

# Again, and the kthread leaves the variant: the replace completes and
# the kthread runs the original function.
klp_load_mod $C
assert_held $C "test_klp_busy_patch_sleeper"
calls=$(klp_param $BUSY calls)
klp_write "$BLOCK" 0
klp_wait_transition $C
klp_wait_gone $BUSY_PATCH
assert_true "the kthread calls the original test_klp_busy_sleeper() again" \
	klp_poll_ms 5000 klp_counter_above $BUSY calls "$calls"
klp_remove $BUSY_PATCH
klp_disable $C
klp_remove $C
klp_remove $BUSY

# --- A replace racing a disable: the cumulative patch is loaded while
# the patch it would replace is being disabled.  Whichever comes first,
# the other succeeds or is refused: EBUSY during the other's transition,
# and for the disable EINVAL once the replace has disabled the patch.
# Once the replace removes the patch's directory, a write to its enabled
# file fails as any write to a vanishing sysfs file does: ENOENT, ENODEV
# while the file is being removed, or EACCES when the file is gone but
# the directory is not yet (the shell's ">" then tries to create it).
# The files show the winner.
race=$(mktemp)
bad_races=0
disable_first=0
replace_first=0
for round in $(seq $RACE_ROUNDS); do
	klp_load_patch $A
	# The disable starts 0 to 135 ms after the insmod, so that either
	# may come first.
	(sleep "$(printf '0.%03d' $(((round - 1) * 15)))"
	 klp_write_outcome "$KLP_SYSFS/$A/enabled" 0) > "$race.disable" &
	racers=($!)
	(klp_load $C > /dev/null && echo ok || echo "$KLP_ERRNO") > "$race.load" &
	racers+=($!)
	wait "${racers[@]}"
	klp_read_var disable "$race.disable"
	klp_read_var load "$race.load"
	klp_poll klp_patch_gone $A
	[ "$load" = ok ] && klp_poll klp_transition_done $C
	want=$cmdline
	[ "$load" = ok ] && want="$C: cmdline"
	got=$(klp_read /proc/cmdline)
	if ! klp_patch_gone $A || [ "$got" != "$want" ] ||
	   [ "$(klp_read /proc/version)" != "$version" ] ||
	   [ "$disable $load" = "EBUSY EBUSY" ] ||
	   ! [[ "$disable" =~ ^(ok|EBUSY|EINVAL|ENOENT|ENODEV|EACCES)$ ]] ||
	   ! [[ "$load" =~ ^(ok|EBUSY)$ ]]; then
		bad_races=$((bad_races + 1))
		klp_info "round $round: disable $disable, load $load," \
			"/proc/cmdline '$got'"
	fi
	klp_info "round $round: disable $disable, load $load"
	if [ "$disable" = ok ]; then
		disable_first=$((disable_first + 1))
	else
		replace_first=$((replace_first + 1))
	fi
	if klp_mod_loaded $C; then
		klp_disable $C
		klp_unload $C
	fi
	klp_remove $A
done
rm -f "$race" "$race.disable" "$race.load"
klp_info "the disable came first $disable_first times, the replace $replace_first"
assert_eq "$RACE_ROUNDS rounds of a replace racing a disable: inconsistent" \
	0 $bad_races

klp_finish
