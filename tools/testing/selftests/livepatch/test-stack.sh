#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two stacked live patches of the same function: test_klp_vmlinux and
# test_klp_vmlinux2 both replace cmdline_proc_show(), and /proc/cmdline
# names the one whose replacement runs.  The newest enabled patch wins,
# whichever of the two is disabled first.

. "$(dirname "$0")/functions.sh"

P1=test_klp_vmlinux
P2=test_klp_vmlinux2
TEXT1="$P1: this has been live patched"
TEXT2="$P2: this has been live patched"

klp_setup $P1 $P2

original=$(cat /proc/cmdline)

# --- Remove the newest patch first.
klp_load_patch $P1
assert_file_content /proc/cmdline "$TEXT1" "/proc/cmdline shows $P1"
klp_load_patch $P2
assert_file_content /proc/cmdline "$TEXT2" \
	"/proc/cmdline shows $P2 stacked on $P1"
assert_file_content "$KLP_SYSFS/$P1/stack_order" 1
assert_file_content "$KLP_SYSFS/$P2/stack_order" 2
assert_file_content "$KLP_SYSFS/$P1/enabled" 1
assert_file_content "$KLP_SYSFS/$P2/enabled" 1

klp_disable $P2
assert_file_content /proc/cmdline "$TEXT1" \
	"/proc/cmdline shows $P1 again once $P2 is disabled"
assert_file_content "$KLP_SYSFS/$P1/stack_order" 1
klp_remove $P2
klp_disable $P1
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original once both are disabled"
klp_remove $P1

# --- Remove the oldest patch first, while the other is on top of it.
klp_load_patch $P1
klp_load_patch $P2
assert_file_content /proc/cmdline "$TEXT2" \
	"/proc/cmdline shows $P2 stacked on $P1 (second round)"

klp_disable $P1
assert_file_content /proc/cmdline "$TEXT2" \
	"/proc/cmdline still shows $P2 once $P1 below it is disabled"
assert_file_content "$KLP_SYSFS/$P2/enabled" 1
assert_file_content "$KLP_SYSFS/$P2/stack_order" 1 \
	"$P2 is the bottom of the stack once $P1 is gone"
klp_remove $P1
assert_file_content /proc/cmdline "$TEXT2" \
	"/proc/cmdline still shows $P2 once $P1 is unloaded"
klp_disable $P2
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original (second round)"
klp_remove $P2

klp_finish
