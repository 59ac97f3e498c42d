#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live patches and the other users of ftrace on the same function:
#  - the function tracer still sees calls of a live patched function;
#  - a kprobe with a post_handler (test_klp_kprobe) modifies the
#    instruction pointer through ftrace, like a live patch: it keeps
#    test_klp_vmlinux from loading, and cannot be registered while
#    cmdline_proc_show() is live patched;
#  - a kprobe event from tracefs has no post_handler and does not
#    conflict: it can be enabled on the live patched function, and a live
#    patch can be loaded while it is enabled.
#  - a direct call (test_klp_direct, the way a BPF trampoline attaches;
#    x86_64) cannot share the function with a live patch: the patch is
#    refused with EBUSY, as the first patch and as one that joins
#    the functions already patched, and the direct call keeps counting;
#  - on x86_64 the call of a live patched function jumps straight to the
#    replacement while no other ftrace user traces it: the jump is gone
#    while the tracer or a kprobe event shares the function, and back
#    after they leave (enabled_functions shows it).

. "$(dirname "$0")/functions.sh"

PATCH=test_klp_vmlinux
KPROBE=test_klp_kprobe
HITS=/sys/kernel/$KPROBE/hits
POST_HITS=/sys/kernel/$KPROBE/post_hits
PATCHED="$PATCH: this has been live patched"
FUNC=cmdline_proc_show
PROBE=klp_test_probe
T=$KLP_TRACEFS
PROBE_ENABLE=$T/events/kprobes/$PROBE/enable

DIRECT=test_klp_direct
DIRECT_HITS=/sys/kernel/$DIRECT/hits
OTHER=test_klp_mod
OTHER_TARGET=test_klp_target

klp_setup $PATCH $KPROBE $DIRECT $OTHER $OTHER_TARGET
klp_require_tracefs
grep -qw function "$T/available_tracers" 2>/dev/null ||
	klp_skip "no function tracer (CONFIG_FUNCTION_TRACER)"
[ -e "$T/kprobe_events" ] || klp_skip "no kprobe events (CONFIG_KPROBE_EVENTS)"
[ "$(cat "$T/current_tracer")" = nop ] ||
	klp_skip "the tracer is in use: $(cat "$T/current_tracer")"
grep -qx "$FUNC" "$T/available_filter_functions" ||
	klp_skip "$FUNC has no ftrace location"

original=$(cat /proc/cmdline)

klp_on_cleanup klp_tracer_reset
klp_on_cleanup "klp_kprobe_event_remove $PROBE"
klp_kprobe_event_remove $PROBE 2>/dev/null

# probe_hits: how often the kprobe event fired.
probe_hits()
{
	awk -v p="$PROBE" '$1 == p { print $2 }' "$T/kprobe_profile"
}

REPL=test_klp_vmlinux_cmdline_show
if klp_jumps; then
	WANT_JUMP=$REPL
else
	WANT_JUMP=
fi

# assert_jump WHAT WANT: the call of $FUNC jumps to WANT (nothing: no jump).
assert_jump()
{
	assert_eq "$1" "$2" "$(klp_jump_target $FUNC)"
}

# --- The function tracer and a live patch on the same function.
klp_load_patch $PATCH
assert_jump "the call of $FUNC jumps to ${WANT_JUMP:-nothing} with only the patch on it" \
	"$WANT_JUMP"
assert_write_ok "set_ftrace_filter accepts $FUNC" "$T/set_ftrace_filter" $FUNC
assert_write_ok "function tracer starts" "$T/current_tracer" function
klp_write "$T/tracing_on" 1
klp_write "$T/trace" ""
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is patched while $FUNC is traced"
assert_true "the trace shows a call of $FUNC" \
	grep -q "$FUNC" "$T/trace"
assert_jump "no jump while the function tracer traces $FUNC" ""
klp_tracer_reset
assert_file_content "$T/current_tracer" nop "the tracer is back to nop"
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is still patched after tracing"
assert_jump "the call of $FUNC jumps to ${WANT_JUMP:-nothing} again after tracing" \
	"$WANT_JUMP"
klp_remove_patch $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original"
assert_jump "no jump once the patch is removed" ""

# --- A kprobe with a post_handler keeps the patch from loading.
klp_load_mod $KPROBE
hits=$(klp_read $HITS)
post_hits=$(klp_read $POST_HITS)
cat /proc/cmdline > /dev/null
now=$(klp_read $HITS)
assert_true "the pre_handler of $KPROBE counts a read of /proc/cmdline ($hits -> $now)" \
	[ "$now" -gt "${hits:-0}" ]
now=$(klp_read $POST_HITS)
assert_true "the post_handler of $KPROBE counts a read of /proc/cmdline ($post_hits -> $now)" \
	[ "$now" -gt "${post_hits:-0}" ]

patches=$(ls -A $KLP_SYSFS)
if klp_load $PATCH; then
	klp_fail "loading $PATCH while $KPROBE probes $FUNC is refused" \
		"the module loaded"
	klp_wait_transition $PATCH
	klp_remove_patch $PATCH
else
	assert_eq "loading $PATCH while $KPROBE probes $FUNC fails with EBUSY" \
		EBUSY "$KLP_ERRNO"
	assert_eq "nothing registered in $KLP_SYSFS after the refusal" \
		"$patches" "$(ls -A $KLP_SYSFS 2>&1)"
	assert_missing "$KLP_SYSFS/$PATCH" "no $KLP_SYSFS/$PATCH after the refusal"
	assert_false "$PATCH is not listed by lsmod after the refusal" \
		klp_mod_loaded $PATCH
fi
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is unpatched while $KPROBE is loaded"
hits=$(klp_read $HITS)
cat /proc/cmdline > /dev/null
assert_true "$KPROBE still fires after the refusal" \
	[ "$(klp_read $HITS)" -gt "${hits:-0}" ]
klp_remove $KPROBE
assert_missing /sys/kernel/$KPROBE

# --- A live patch keeps the kprobe with a post_handler from registering.
klp_load_patch $PATCH
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is patched once $KPROBE is gone"
if klp_load $KPROBE; then
	klp_fail "loading $KPROBE on the live patched $FUNC is refused" \
		"the module loaded"
	klp_remove $KPROBE
else
	assert_eq "loading $KPROBE on the live patched $FUNC fails with EBUSY" \
		EBUSY "$KLP_ERRNO"
	assert_missing /sys/kernel/$KPROBE "no /sys/kernel/$KPROBE after the refusal"
fi
assert_file_content "$KLP_SYSFS/$PATCH/enabled" 1 \
	"$PATCH stays enabled after the kprobe attempt"
assert_file_content "$KLP_SYSFS/$PATCH/transition" 0 \
	"no transition after the kprobe attempt"
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is still patched after the kprobe attempt"

# --- A kprobe event does not conflict: it has no post_handler.
assert_append_ok "kprobe event $PROBE on the live patched $FUNC is created" \
	"$T/kprobe_events" "p:$PROBE $FUNC"
assert_write_ok "kprobe event $PROBE is enabled on the live patched $FUNC" \
	"$PROBE_ENABLE" 1
hits=$(probe_hits)
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is still patched with the kprobe event enabled"
assert_true "kprobe event $PROBE counts the patched read ($hits -> $(probe_hits))" \
	[ "$(probe_hits)" -gt "${hits:-0}" ]
assert_file_content "$KLP_SYSFS/$PATCH/enabled" 1 \
	"$PATCH stays enabled with the kprobe event enabled"
assert_jump "no jump while the kprobe event is enabled" ""
klp_remove_patch $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original with the kprobe event enabled"

# The other way round: the event is enabled first, then the patch loads.
klp_load_patch $PATCH
hits=$(probe_hits)
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is patched although the kprobe event was enabled first"
assert_true "kprobe event $PROBE counts that read too ($hits -> $(probe_hits))" \
	[ "$(probe_hits)" -gt "${hits:-0}" ]
assert_write_ok "kprobe event $PROBE is disabled" "$PROBE_ENABLE" 0
assert_append_ok "kprobe event $PROBE is removed" \
	"$T/kprobe_events" "-:$PROBE"
assert_missing "$PROBE_ENABLE" "kprobe event $PROBE is gone"
assert_file_content /proc/cmdline "$PATCHED" \
	"/proc/cmdline is still patched once the kprobe event is gone"
assert_jump "the call of $FUNC jumps to ${WANT_JUMP:-nothing} once the kprobe event is gone" \
	"$WANT_JUMP"
klp_remove_patch $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original at the end"

# --- A direct call on the function refuses a live patch of it.
# expect_refused WHAT: loading $PATCH fails with EBUSY and changes nothing.
expect_refused()
{
	local hits

	if klp_load $PATCH; then
		klp_fail "$1: loading $PATCH is refused" \
			"it loaded; /proc/cmdline reads '$(cat /proc/cmdline)'"
		klp_wait_transition $PATCH
		klp_remove_patch $PATCH
	else
		assert_eq "$1: loading $PATCH fails with EBUSY" EBUSY "$KLP_ERRNO"
		assert_missing "$KLP_SYSFS/$PATCH" "$1: no $KLP_SYSFS/$PATCH"
	fi
	hits=$(klp_read $DIRECT_HITS)
	assert_file_content /proc/cmdline "$original" \
		"$1: /proc/cmdline is the original"
	assert_true "$1: the direct call still counts ($hits -> $(klp_read $DIRECT_HITS))" \
		[ "$(klp_read $DIRECT_HITS)" -gt "${hits:-0}" ]
}

if [ "$(uname -m)" = x86_64 ]; then
	klp_load_mod $OTHER_TARGET
	klp_load_patch $OTHER
	klp_load_mod $DIRECT
	hits=$(klp_read $DIRECT_HITS)
	cat /proc/cmdline > /dev/null
	assert_true "$DIRECT counts a read of /proc/cmdline ($hits -> $(klp_read $DIRECT_HITS))" \
		[ "$(klp_read $DIRECT_HITS)" -gt "${hits:-0}" ]
	expect_refused "with $OTHER enabled"
	klp_remove_patch $OTHER
	expect_refused "as the only patch"
	klp_remove $DIRECT
	klp_load_patch $PATCH
	assert_file_content /proc/cmdline "$PATCHED" \
		"/proc/cmdline is patched once $DIRECT is gone"
	klp_remove_patch $PATCH
	klp_remove $OTHER_TARGET
fi

klp_finish
