#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Callbacks of a vmlinux object: pre_patch and post_patch run, in that
# order, when the patch is enabled; pre_unpatch and post_unpatch when it
# is disabled.  A failing pre_patch refuses the patch with its error and
# leaves nothing behind.

. "$(dirname "$0")/functions.sh"

MOD=test_klp_callbacks
DIR=$KLP_SYSFS/$MOD

klp_setup $MOD

original=$(cat /proc/cmdline)

klp_load_patch $MOD
assert_eq "pre_patch then post_patch ran when $MOD was enabled" \
	"pre_patch,post_patch" "$(klp_param $MOD calls)"
assert_file_content /proc/cmdline "$MOD: this has been live patched" \
	"/proc/cmdline is patched"
klp_disable $MOD
assert_eq "pre_unpatch then post_unpatch ran when $MOD was disabled" \
	"pre_patch,post_patch,pre_unpatch,post_unpatch" \
	"$(klp_param $MOD calls)"
assert_file_content /proc/cmdline "$original" "/proc/cmdline is restored"
klp_remove $MOD

if klp_load $MOD fail_pre=1; then
	klp_fail "a failing pre_patch refuses $MOD" "the module loaded"
else
	assert_eq "a failing pre_patch refuses $MOD with its error" EAGAIN \
		"$KLP_ERRNO"
fi
assert_false "no $DIR after the refused patch" [ -e "$DIR" ]
assert_false "$MOD is not loaded after the refused patch" \
	klp_mod_loaded $MOD
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is unchanged after the refused patch"

klp_finish
