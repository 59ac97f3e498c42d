#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The consistency model, seen from the tasks that switch:
#  - a process switches to the new code once and back once: processes
#    call getpid() all the time (test_klp-getpid-watch) while
#    test_klp_getpid, which marks the pid that getpid() returns, is enabled
#    and disabled; each counts the changes of the variant that answers;
#  - a CPU-bound kthread that never sleeps, the one of test_klp_spin,
#    switches at cond_resched(), or at try_to_freeze() when it is
#    freezable, while the transition of test_klp_busy_patch is held up by
#    the kthread of test_klp_busy sleeping in the patched function;
#  - a user task that stays in the kernel the way a KVM vCPU thread in
#    KVM_RUN does (the loop behind /proc/test_klp_busy_vcpu, on a CPU of
#    its own) does not hold up a transition: the fake signal sends it to
#    user space, where it switches, and it enters the loop again;
#  - a kthread that only sleeps between calls of the patched function, the
#    one of test_klp_busy with block=0, does not hold up a transition: it
#    switches at kthread_should_stop(), and the transition completes at
#    once, not at the next periodic poll.

. "$(dirname "$0")/functions.sh"

GETPID=test_klp_getpid
WATCH=$KLP_DIR/test_klp-getpid-watch
NR_WATCHERS=8
SPIN=test_klp_spin
TARGET=test_klp_busy
PATCH=test_klp_busy_patch
BLOCK=/sys/module/$TARGET/parameters/block

# Waits of this test: 5 s, the transitions of test_klp_getpid 10 s.
WAIT_MS=5000
GETPID_WAIT_MS=10000
# How long the watchers run in each state.
RUN_S=0.3
# A transition that is not held up completes within 1 s.
FAST_MS=1000

klp_setup $GETPID $SPIN $TARGET $PATCH

watch_dir=

# shellcheck disable=SC2317 # run by klp_cleanup
remove_watch_dir()
{
	[ -n "$watch_dir" ] && rm -rf "$watch_dir"
}

klp_on_cleanup remove_watch_dir
klp_on_cleanup klp_kill_bg
# Let the kthread go before the cleanup disables the patches.
klp_on_cleanup "klp_write $BLOCK 0"

# Load test_klp_busy with block=BLOCK and wait for its kthread to call
# test_klp_busy_sleeper().  Sets kpid.
start_target()
{
	klp_start_kthread $TARGET "the kthread calls test_klp_busy_sleeper()" \
		"block=$1"
	kpid=$KLP_KTHREAD_PID
	[ -n "$kpid" ]
}

stop_target()
{
	klp_write "$BLOCK" 0
	klp_remove $TARGET
}

# The preemption model decides what cond_resched() does: with
# PREEMPT_DYNAMIC, debugfs shows it as "(full) lazy" (with "none" and
# "voluntary" first where the architecture has no lazy preemption), and
# preempt= on the command line picks it.  The workbench boots the same
# kernel in each model that x86 and s390 offer.
preempt_file=/sys/kernel/debug/sched/preempt
if [ -r "$preempt_file" ]; then
	model=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' "$preempt_file")
	klp_info "preemption model: $model"
	want=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^preempt=//p')
	if [ -n "$want" ]; then
		assert_eq "the kernel runs the model of preempt=$want" \
			"$want" "$model"
	fi
fi

# --- getpid() switches once each way in every process.

watchers=()

# Watcher I creates its file $watch_dir/I after its first call, and
# writes its report there when it ends.
# shellcheck disable=SC2317 # run through klp_poll_ms
watchers_started()
{
	local i

	for ((i = 0; i < ${#watchers[@]}; i++)); do
		[ -e "$watch_dir/$i" ] || return 1
	done
}

# shellcheck disable=SC2317 # run through klp_poll_ms
watchers_reported()
{
	local i

	for ((i = 0; i < ${#watchers[@]}; i++)); do
		[ -s "$watch_dir/$i" ] || return 1
	done
}

# watchers_alive: all the watchers still run (they are not reaped before
# they are told to end, so this also sees through a crash: the report
# would be missing).
# shellcheck disable=SC2317 # run through assert_true
watchers_alive()
{
	local pid

	for pid in "${watchers[@]}"; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
}

# Stop the watchers and check their reports against $1 (what each must
# have seen, after its pid) and $2 (how to say it).
collect_watchers()
{
	local expect=$1 what=$2 i pid rc failed=()

	kill -TERM "${watchers[@]}" 2>/dev/null
	if klp_poll_ms $WAIT_MS watchers_reported; then
		klp_pass "the $NR_WATCHERS watchers report on SIGTERM"
	else
		klp_fail "the $NR_WATCHERS watchers report on SIGTERM" \
			"not all did within $(klp_duration $WAIT_MS)"
		kill -KILL "${watchers[@]}" 2>/dev/null
	fi
	for ((i = 0; i < ${#watchers[@]}; i++)); do
		pid=${watchers[i]}
		wait "$pid"
		rc=$?
		[ $rc -eq 0 ] || failed+=("$pid:$rc")
	done
	klp_bg_pids=()
	assert_eq "the $NR_WATCHERS watchers exit with status 0" "" \
		"${failed[*]}"

	for ((i = 0; i < ${#watchers[@]}; i++)); do
		pid=${watchers[i]}
		assert_eq "watcher $pid $what" "$pid $expect" \
			"$(klp_read "$watch_dir/$i")"
	done
	watchers=()
}

check_getpid()
{
	local i

	klp_info "$NR_WATCHERS processes watching which getpid() answers"
	if [ ! -x "$WATCH" ]; then
		klp_info "skipped: no $WATCH (not built)"
		return 0
	fi
	if ! watch_dir=$(mktemp -d); then
		klp_fail "make a directory for the reports" "mktemp -d failed"
		return 1
	fi

	for ((i = 0; i < NR_WATCHERS; i++)); do
		"$WATCH" "$watch_dir/$i" &
		watchers+=("$!")
		klp_bg_pids+=("$!")
	done
	# Before the patch comes, each has seen the old getpid(): a process
	# forked during the transition would start in the state of this
	# shell.
	if klp_poll_ms $WAIT_MS watchers_started; then
		klp_pass "the $NR_WATCHERS watchers made their first call"
	else
		klp_fail "the $NR_WATCHERS watchers made their first call" \
			"not all within $(klp_duration $WAIT_MS)"
	fi

	if ! klp_load $GETPID; then
		if [ "$KLP_ERRNO" = ENODEV ]; then
			klp_info "skipped: $GETPID: no getpid() system call to patch on $(uname -m)"
		else
			klp_fail "insmod $GETPID" "$KLP_ERR"
		fi
		klp_kill_bg
		watchers=()
		return 0
	fi
	klp_pass "insmod $GETPID"
	klp_wait_transition $GETPID $GETPID_WAIT_MS
	sleep $RUN_S
	assert_true "the watchers run with the patch enabled" watchers_alive
	# Under QEMU's multi-threaded TCG (seen with 7.2 and 10.0; QEMU work
	# item 4669), a CPU that runs a function in a tight loop may execute
	# a stale int3 at its entry after another CPU finished rewriting it:
	# the kernel oopses, an unpatched kernel just the same.  With one
	# TCG thread (-accel tcg,thread=single) the whole check passes;
	# whoever boots the guest that way says so with
	# KLP_TCG_SINGLE_THREAD=1.  Otherwise, under TCG the watchers stop
	# before the patch is disabled and only the way in is checked.
	if grep -q 'QEMU TCG' /proc/cpuinfo &&
	   [ "${KLP_TCG_SINGLE_THREAD:-}" != 1 ]; then
		klp_info "QEMU TCG: the watchers stop before the patch is disabled"
		collect_watchers "changes=1 first=old last=new errors=0" \
			"switched to the new getpid() exactly once"
		klp_disable $GETPID $GETPID_WAIT_MS
		klp_remove $GETPID
		return 0
	fi
	klp_disable $GETPID $GETPID_WAIT_MS
	sleep $RUN_S
	assert_true "the watchers run after the patch is disabled" \
		watchers_alive
	collect_watchers "changes=2 first=old last=old errors=0" \
		"switched to the new getpid() once and back once"
	klp_remove $GETPID
}

check_getpid

# check_spin SAFEPOINT [PARAM=VALUE]: a CPU-bound kthread that only calls
# SAFEPOINT switches while another kthread holds up the transition.
check_spin()
{
	local what=$1 spid

	shift
	klp_info "a CPU-bound kthread calling $what next to a kthread that holds up the transition"
	start_target 1
	if ! klp_load_mod $SPIN "$@"; then
		stop_target
		return 1
	fi
	if [ "$what" = "try_to_freeze()" ] &&
	   [ "$(klp_param $SPIN freezer)" != Y ]; then
		klp_info "no CONFIG_FREEZER: try_to_freeze() is no switch point"
		klp_remove $SPIN
		stop_target
		return 0
	fi
	spid=$(klp_param $SPIN pid)
	assert_file_content "/proc/$spid/comm" $SPIN \
		"the kthread of $SPIN runs (pid '$spid')"
	klp_assert_grows "the kthread of $SPIN spins: loops grows" $SPIN loops

	klp_load_mod $PATCH
	assert_true "$PATCH: the sleeping kthread holds up the transition" \
		klp_in_transition $PATCH
	assert_true "the spinning kthread $spid ($what) switches within 1 s" \
		klp_poll_ms 1000 klp_patch_state_is "$spid" 1
	klp_assert_state "/proc/$kpid/patch_state (the sleeping kthread) reads 0" \
		"$kpid" 0
	assert_true "$PATCH is still in transition" klp_in_transition $PATCH
	klp_assert_grows "the kthread of $SPIN still spins: loops grows" \
		$SPIN loops

	klp_info "letting the kthread of $TARGET go"
	assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
	klp_wait_transition $PATCH $WAIT_MS
	klp_assert_state "/proc/$spid/patch_state reads -1 after the transition" \
		"$spid" -1
	klp_disable $PATCH $WAIT_MS
	klp_remove $PATCH
	klp_remove $SPIN
	stop_target
}

# --- A CPU-bound kthread switches at cond_resched() or try_to_freeze().
check_spin "cond_resched()"
check_spin "try_to_freeze()" freezable=1

# --- A user task that loops in the kernel like a vCPU switches.
VCPU=/proc/test_klp_busy_vcpu

# vcpu_entered_again N: the vCPU loop returned N times at least, and runs.
# shellcheck disable=SC2317 # run through klp_poll_ms
vcpu_entered_again()
{
	[ "$(klp_read "$vcpu_log" | wc -l)" -ge "$1" ] &&
		klp_counter_above $TARGET vcpus 0
}

check_vcpu()
{
	local vpid mask ncpus

	klp_info "a user task in the kernel like a vCPU in KVM_RUN, on a CPU of its own"
	ncpus=$(nproc)
	if [ "$ncpus" -lt 2 ] || ! command -v taskset > /dev/null; then
		klp_info "skipped: needs two online CPUs and taskset"
		return 0
	fi
	start_target 0
	# Everything else of this test on CPU 0, the vCPU alone on the last:
	# the transition never finds it off its CPU.
	mask=$(taskset -p $$ | sed 's/.*: //')
	taskset -p 1 $$ > /dev/null
	vcpu_log=$(mktemp)
	# Like a virtual machine monitor: KVM_RUN again after each -EINTR.
	taskset -c $((ncpus - 1)) sh -c \
		"while :; do echo 1 2>/dev/null > $VCPU || echo EINTR; done" \
		> "$vcpu_log" &
	vpid=$!
	klp_bg_pids+=("$vpid")
	if klp_poll_ms $WAIT_MS klp_counter_above $TARGET vcpus 0; then
		klp_pass "task $vpid loops in the kernel"
	else
		klp_fail "task $vpid loops in the kernel" \
			"vcpus reads '$(klp_param $TARGET vcpus)'"
	fi

	klp_load_mod $PATCH
	klp_wait_transition $PATCH $WAIT_MS
	assert_true "the vCPU loop returned to user space and entered again" \
		klp_poll_ms $WAIT_MS vcpu_entered_again 1
	klp_disable $PATCH $WAIT_MS
	klp_remove $PATCH

	klp_kill_bg
	taskset -p "$mask" $$ > /dev/null
	rm -f "$vcpu_log"
	stop_target
}

check_vcpu

# --- A kthread that sleeps between calls switches at once.
klp_info "a kthread that sleeps between calls of the patched function"
start_target 0
klp_assert_grows "the kthread loops: calls grows" $TARGET calls
klp_load_mod $PATCH
klp_wait_transition $PATCH $FAST_MS
ns_file=$KLP_SYSFS/$PATCH/transition_ns
if [ -e "$ns_file" ]; then
	ns=$(klp_read "$ns_file")
	klp_info "transition_ns=$ns"
	assert_true "$PATCH: transition_ns ($ns) is not 0" [ "${ns:-0}" -gt 0 ]
	assert_true "$PATCH: transition_ns ($ns) is below 1 s" \
		[ "${ns:-1000000000}" -lt 1000000000 ]
else
	klp_info "no $ns_file: transition_ns not recorded"
fi
klp_assert_grows "the replacement runs: new_calls grows" $PATCH new_calls
klp_disable $PATCH $WAIT_MS
klp_remove $PATCH
stop_target

klp_finish
