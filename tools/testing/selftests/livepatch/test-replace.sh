#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Atomic replace.  test_klp_replace_a (/proc/cmdline, /proc/version) and
# test_klp_replace_b (/proc/version, test_klp_target_value()) are stacked;
# the cumulative test_klp_replace_c (/proc/cmdline only) then takes over
# in one transition: /proc/cmdline shows c, /proc/version and the target's
# value return to the original code, a and b are disabled and can be
# removed.  test_klp_replace_d then replaces c and a patch stacked on it,
# and patches a module that is loaded only afterwards.

. "$(dirname "$0")/functions.sh"

TARGET=test_klp_target
A=test_klp_replace_a
B=test_klp_replace_b
C=test_klp_replace_c
D=test_klp_replace_d
VALUE=/sys/kernel/$TARGET/value

klp_setup $TARGET $A $B $C $D

cmdline=$(cat /proc/cmdline)
version=$(cat /proc/version)

klp_load_mod $TARGET
assert_file_content $VALUE 1 "$TARGET returns 1 before patching"

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

klp_finish
