#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sysfs interface of a live patch: the attributes of
# /sys/kernel/livepatch/<patch>, their modes and values, and the writes
# to "enabled" (and "force") that must be refused without any effect.

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_vmlinux
PATCHED="$PATCH: this has been live patched"
DIR=$KLP_SYSFS/$PATCH

klp_setup $PATCH

original=$(cat /proc/cmdline)

# check_unchanged WHEN: the patch is still enabled and in effect.
check_unchanged()
{
	assert_file_content "$DIR/enabled" 1 "enabled still reads 1 after $1"
	assert_file_content "$DIR/transition" 0 "no transition after $1"
	assert_file_content /proc/cmdline "$PATCHED" \
		"/proc/cmdline still patched after $1"
}

klp_load_patch $PATCH

# --- Layout and modes.
for entry in enabled:644 transition:444 force:200 replace:444 \
	     stack_order:444 vmlinux/patched:444; do
	file=${entry%:*}
	mode=${entry##*:}
	assert_eq "mode of $PATCH/$file is $mode" "$mode" \
		"$(stat -c %a "$DIR/$file" 2>&1)"
done
assert_dir "$DIR/vmlinux" "object directory vmlinux exists"
assert_dir "$DIR/vmlinux/cmdline_proc_show,1" \
	"function directory cmdline_proc_show,1 exists"
assert_eq "vmlinux holds one function directory" "cmdline_proc_show,1" \
	"$(find "$DIR/vmlinux" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')"

# --- Values of an enabled patch.
assert_file_content "$DIR/enabled" 1
assert_file_content "$DIR/transition" 0
assert_file_content "$DIR/replace" 0
assert_file_content "$DIR/stack_order" 1
assert_file_content "$DIR/vmlinux/patched" 1

# --- Writes that must be refused.
for value in 2 abc ""; do
	assert_write_fails "writing '$value' to enabled is refused with EINVAL" \
		"$DIR/enabled" "$value" EINVAL
	check_unchanged "writing '$value'"
done

assert_write_fails "writing 1 to an enabled patch is refused with EINVAL" \
	"$DIR/enabled" 1 EINVAL
check_unchanged "writing 1"

assert_write_fails "writing 1 to force without a transition is refused" \
	"$DIR/force" 1
check_unchanged "writing 1 to force"

# --- Disabling twice: the second write fails, whether the patch is still
# being removed or already gone.
assert_write_ok "writing 0 to enabled disables the patch" "$DIR/enabled" 0
if klp_write "$DIR/enabled" 0; then
	klp_fail "writing 0 to enabled a second time is refused" \
		"the write succeeded"
else
	klp_pass "writing 0 to enabled a second time is refused ($KLP_ERRNO)"
fi
klp_wait_gone $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original after disabling"
klp_remove $PATCH

klp_finish
