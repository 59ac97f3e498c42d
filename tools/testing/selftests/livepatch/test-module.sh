#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live patch of a function in a module: test_klp_mod makes
# test_klp_target_value() of test_klp_target return 2 instead of 1, as
# /sys/kernel/test_klp_target/value shows.  The target is loaded before the
# patch, then after it; it is also unloaded and reloaded while patched.

. "$(dirname "$0")/functions.sh"

TARGET=test_klp_target
PATCH=test_klp_mod
VALUE=/sys/kernel/$TARGET/value
OBJ=$KLP_SYSFS/$PATCH/$TARGET

klp_setup $TARGET $PATCH

# --- The target is loaded first.
klp_load_mod $TARGET
assert_file_content $VALUE 1 "$TARGET returns 1 before patching"

klp_load_patch $PATCH
assert_file_content $VALUE 2 "$TARGET returns 2 once $PATCH is enabled"
assert_file_content "$OBJ/patched" 1
assert_dir "$OBJ/test_klp_target_value,1"

# The enabled patch module is in use; its target is not held by it.
users=$(klp_mod_users $PATCH)
assert_true "lsmod shows $PATCH in use while enabled (users: '$users')" \
	[ "${users:-0}" -ge 1 ]
assert_false "rmmod of the enabled $PATCH is refused" klp_unload $PATCH
assert_file_content "/sys/module/$TARGET/refcnt" 0 \
	"$PATCH holds no reference on $TARGET"

klp_disable $PATCH
assert_file_content $VALUE 1 "$TARGET returns 1 again after disabling $PATCH"
klp_remove $PATCH
klp_remove $TARGET
assert_missing /sys/kernel/$TARGET

# --- The patch is loaded first.
klp_load_patch $PATCH
assert_dir "$OBJ" "object directory $TARGET exists before $TARGET is loaded"
assert_file_content "$OBJ/patched" 0 "$TARGET is not patched while not loaded"
assert_dir "$OBJ/test_klp_target_value,1"

klp_load_mod $TARGET
assert_file_content $VALUE 2 "$TARGET returns 2 as soon as it is loaded"
assert_file_content "$OBJ/patched" 1

# The target may go away while it is patched; the patch stays.
klp_remove $TARGET
assert_false "$TARGET is no longer listed by lsmod" klp_mod_loaded $TARGET
assert_file_content "$OBJ/patched" 0 "$TARGET is unpatched after its removal"
assert_file_content "$KLP_SYSFS/$PATCH/enabled" 1 \
	"$PATCH stays enabled without its target"

klp_load_mod $TARGET
assert_file_content $VALUE 2 "$TARGET returns 2 again after reloading"
assert_file_content "$OBJ/patched" 1 "$TARGET is patched again after reloading"

klp_disable $PATCH
assert_file_content $VALUE 1 "$TARGET returns 1 after disabling $PATCH"
klp_remove $PATCH
klp_remove $TARGET

klp_finish
