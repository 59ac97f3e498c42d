#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Life cycle of a live patch of vmlinux: test_klp_vmlinux replaces
# cmdline_proc_show(), so the content of /proc/cmdline shows whether the
# patch is in effect.  Load, check its state and the taint, refuse to
# unload it while it is enabled, disable it, unload it; then do it again.

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_vmlinux
PATCHED="$PATCH: this has been live patched"
DIR=$KLP_SYSFS/$PATCH

klp_setup $PATCH

original=$(cat /proc/cmdline)
assert_false "/proc/cmdline is not patched before the test" \
	[ "$original" = "$PATCHED" ]

klp_load_patch $PATCH
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline shows the replacement of $PATCH"
assert_file_content "$DIR/enabled" 1
assert_file_content "$DIR/transition" 0
assert_file_content "$DIR/vmlinux/patched" 1
assert_eq "kernel taint flag K (bit 15) is set" 1 "$(klp_taint_bit 15)"
assert_true "$PATCH carries taint flag K" \
	grep -q K "/sys/module/$PATCH/taint"

# A patch module cannot go away while its patch is enabled.
assert_false "rmmod of the enabled $PATCH is refused" klp_unload $PATCH
assert_true "$PATCH is still listed by lsmod" klp_mod_loaded $PATCH
assert_file_content "$DIR/enabled" 1 "$PATCH stays enabled after the rmmod attempt"
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is still patched after the rmmod attempt"

klp_disable $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original after disabling"
assert_true "$PATCH is still loaded after disabling" klp_mod_loaded $PATCH
klp_remove $PATCH
assert_false "$PATCH is no longer listed by lsmod" klp_mod_loaded $PATCH

# The same patch can be applied again once the first instance is gone.
klp_load_patch $PATCH
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is patched again after reloading $PATCH"
assert_file_content "$DIR/enabled" 1
klp_disable $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original after the second disable"
klp_remove $PATCH

klp_finish
