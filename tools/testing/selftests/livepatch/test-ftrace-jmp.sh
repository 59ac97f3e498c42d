#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ftrace's jump targets, which the live patching core builds on, with
# samples/ftrace/ftrace-jmp.c (CONFIG_SAMPLE_FTRACE_JMP=m) and no live
# patch: an IPMODIFY ftrace_ops sends the calls of
# ftrace_jmp_sample_func() to alternative a or b, and gives ftrace the
# same alternative as jump target.
#  - with the ops alone on the function, its call site jumps to the
#    chosen alternative (enabled_functions), to none with variant 0;
#  - with the function tracer or a kprobe event on the function too, the
#    site does not jump and the calls still reach the alternative;
#  - kernel threads call the function while the variant flips
#    a -> none -> b -> none and the function tracer comes and goes: every
#    call ran exactly one body (the counts add up), and each body ran.
# Where ftrace has no jump targets, a live patch runs through the handler
# and no call site jumps.

. "$(dirname "$0")/functions.sh"

SYS=/sys/kernel/ftrace_jmp_sample
FUNC=ftrace_jmp_sample_func
T=$KLP_TRACEFS
PROBE=ftrace_jmp_probe
FLIPS=40

klp_setup
klp_require_tracefs
grep -qw function "$T/available_tracers" 2>/dev/null ||
	klp_skip "no function tracer (CONFIG_FUNCTION_TRACER)"
[ "$(cat "$T/current_tracer")" = nop ] ||
	klp_skip "the tracer is in use: $(cat "$T/current_tracer")"

# Without jump targets (all but x86_64 and s390x) the sample does not
# build.  What holds there: no call site ever jumps, a live patched
# function goes through ftrace's trampoline and the handler.
if ! klp_jumps; then
	klp_require_modules test_klp_vmlinux
	klp_load_patch test_klp_vmlinux
	assert_file_content /proc/cmdline \
		"test_klp_vmlinux: this has been live patched" \
		"/proc/cmdline is live patched without jump targets"
	assert_eq "no call site jumps without jump targets" "" \
		"$(grep -m1 'jmp-->' "$T/enabled_functions")"
	klp_remove_patch test_klp_vmlinux
	klp_finish
fi

ko=$(modinfo -n ftrace-jmp 2>/dev/null)
[ -f "$ko" ] ||
	ko=/lib/modules/$(uname -r)/kernel/samples/ftrace/ftrace-jmp.ko
[ -f "$ko" ] ||
	klp_skip "no samples/ftrace/ftrace-jmp.ko (CONFIG_SAMPLE_FTRACE_JMP=m)"
dir=$(mktemp -d /tmp/ftrace-jmp.XXXXXX) || klp_skip "no mktemp"
klp_on_cleanup "rm -rf '$dir'"
ln -s "$ko" "$dir/ftrace_jmp.ko"
KLP_MOD_DIR=$dir

klp_on_cleanup klp_tracer_reset
klp_on_cleanup "klp_kprobe_event_remove $PROBE"
klp_on_cleanup "klp_unload ftrace_jmp"

# assert_calls WHAT VARIANT JUMP: a call runs body VARIANT, and the site
# jumps to JUMP (empty: it does not jump).
assert_calls()
{
	assert_file_content "$SYS/call" "$2" "$1: a call runs body $2"
	assert_eq "$1: the call site jumps to ${3:-nothing}" "$3" \
		"$(klp_jump_target $FUNC)"
}

klp_load_mod ftrace_jmp nr_threads=0
assert_calls "variant 0" 0 ""
assert_write_ok "variant 1" "$SYS/variant" 1
assert_calls "variant 1" 1 ftrace_jmp_sample_a
assert_write_ok "variant 2, straight from 1" "$SYS/variant" 2
assert_calls "variant 2" 2 ftrace_jmp_sample_b

assert_write_ok "set_ftrace_filter accepts $FUNC" "$T/set_ftrace_filter" $FUNC
assert_write_ok "function tracer starts" "$T/current_tracer" function
assert_calls "variant 2 with the function tracer" 2 ""
assert_write_ok "variant 1 with the function tracer" "$SYS/variant" 1
assert_calls "variant 1 with the function tracer" 1 ""
assert_true "the trace shows the calls of $FUNC" grep -q "$FUNC" "$T/trace"
klp_tracer_reset
assert_calls "variant 1 after the tracer" 1 ftrace_jmp_sample_a

if [ -e "$T/kprobe_events" ]; then
	assert_append_ok "kprobe event on $FUNC" "$T/kprobe_events" "p:$PROBE $FUNC"
	assert_write_ok "kprobe event enabled" "$T/events/kprobes/$PROBE/enable" 1
	assert_calls "variant 1 with the kprobe event" 1 ""
	klp_kprobe_event_remove $PROBE
	assert_calls "variant 1 after the kprobe event" 1 ftrace_jmp_sample_a
fi
assert_write_ok "variant 0" "$SYS/variant" 0
assert_calls "variant 0 again" 0 ""

# --- Flips under load.
assert_write_ok "two calling threads" "$SYS/threads" 2
for i in $(seq $FLIPS); do
	case $((i % 8)) in
	2) echo $FUNC > "$T/set_ftrace_filter"
	   echo function > "$T/current_tracer" ;;
	5) klp_tracer_reset ;;
	esac
	for v in 1 0 2 0; do
		if ! klp_write "$SYS/variant" $v; then
			klp_fail "flip $i to variant $v" "$KLP_ERR"
			break 2
		fi
	done
done
klp_tracer_reset
assert_write_ok "the threads stop" "$SYS/threads" 0
read -r _ calls _ orig _ a _ b < "$SYS/counts"
klp_info "after $FLIPS rounds of flips: calls $calls, bodies $orig + $a + $b"
assert_eq "every call ran exactly one body" "$calls" "$((orig + a + b))"
assert_true "each body ran during the flips ($orig, $a, $b)" \
	[ "$orig" -gt 0 -a "$a" -gt 0 -a "$b" -gt 0 ]

assert_write_ok "variant 2 at the end" "$SYS/variant" 2
assert_calls "variant 2 at the end" 2 ftrace_jmp_sample_b
klp_remove ftrace_jmp

klp_finish
