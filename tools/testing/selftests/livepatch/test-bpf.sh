#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A BPF fexit program and a live patch on the same function: the BPF
# trampoline calls the function, the live patch sends that call to the
# replacement.  For that, ftrace asks the BPF trampoline to call the
# function through the instruction pointer the live patch changed, both
# when the patch registers the core's ftrace_ops and when it joins the
# functions of a patch already enabled (the ops' filter grows).
#
# test_klp-fexit traces cmdline_proc_show(), then test_klp_vmlinux
# replaces that function: while test_klp_mod is enabled (its function is
# in a module) and as the only patch.  Each time, /proc/cmdline reads what
# the replacement writes, the BPF program still runs on each read, and
# once the patch is gone /proc/cmdline is the original and the program
# still runs.
#
# BPF trampolines need the kernel's BTF.  A kernel without it (the s390x
# test kernel) has no BPF trampoline whose sharing could go wrong: the
# test says so and passes.

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_vmlinux
PATCHED="$PATCH: this has been live patched"
FUNC=cmdline_proc_show
OTHER=test_klp_mod
OTHER_TARGET=test_klp_target
FEXIT=$KLP_DIR/test_klp-fexit

klp_setup $PATCH $OTHER $OTHER_TARGET
if [ ! -e /sys/kernel/btf/vmlinux ]; then
	klp_info "no BTF (CONFIG_DEBUG_INFO_BTF): no BPF trampoline can attach"
	klp_finish
fi
[ -x "$FEXIT" ] || klp_skip "no $FEXIT"

original=$(cat /proc/cmdline)
runs=/tmp/klp-bpf.$$
fexit_pid=''

# shellcheck disable=SC2317 # run by klp_cleanup
fexit_stop()
{
	[ -n "$fexit_pid" ] || return 0
	kill "$fexit_pid" 2>/dev/null
	if wait "$fexit_pid" 2>/dev/null; then
		klp_pass "test_klp-fexit detaches and exits"
	else
		klp_fail "test_klp-fexit detaches and exits" \
			"$(cat "$runs.err" 2>/dev/null)"
	fi
	fexit_pid=''
	rm -f "$runs" "$runs.err"
}
klp_on_cleanup fexit_stop

# shellcheck disable=SC2317 # run through klp_poll_ms
fexit_ran_since()
{
	local n

	klp_read_var n "$runs"
	[ "${n:-0}" -gt "$1" ]
}

# expect WHAT CONTENT: /proc/cmdline reads CONTENT and the BPF program runs
# on the read.
expect()
{
	local before

	klp_read_var before "$runs"
	assert_file_content /proc/cmdline "$2" "$1: /proc/cmdline"
	assert_true "$1: the BPF fexit program runs on the read" \
		klp_poll_ms $KLP_PROGRESS_MS fexit_ran_since "${before:-0}"
}

"$FEXIT" vmlinux $FUNC "$runs" 2> "$runs.err" &
fexit_pid=$!
if ! klp_poll_ms $KLP_PROGRESS_MS [ -s "$runs" ]; then
	klp_fail "BPF fexit on $FUNC attaches" "$(cat "$runs.err" 2>/dev/null)"
	klp_finish
fi
klp_pass "BPF fexit on $FUNC attaches"
expect "unpatched" "$original"

# The patch joins the functions of another: the filter of the registered
# ops grows onto the BPF trampoline's function.  (A failed load is
# reported by klp_load_patch.)
klp_load_mod $OTHER_TARGET
klp_load_patch $OTHER
if klp_load_patch $PATCH; then
	expect "patched, with $OTHER enabled" "$PATCHED"
	# The filter shrinks: the trampoline calls the function again.
	klp_remove_patch $PATCH
	expect "$PATCH removed, $OTHER enabled" "$original"
fi
klp_remove_patch $OTHER
klp_remove $OTHER_TARGET

# The patch registers the ops.
if klp_load_patch $PATCH; then
	expect "patched, as the only patch" "$PATCHED"
	klp_remove_patch $PATCH
	expect "$PATCH removed" "$original"
fi

fexit_stop

klp_finish
