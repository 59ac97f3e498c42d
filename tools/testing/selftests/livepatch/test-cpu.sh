#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CPUs that are possible but do not run: their idle task is the current
# task of their runqueue, yet it runs nothing a patch can change, so it
# must never hold up a transition.
#  - possible CPUs that are not present (hotplug slots of a virtual
#    machine, standby CPUs on s390): every transition completes;
#  - a CPU taken offline: a transition completes while it is offline;
#  - a transition that a kthread holds up (test_klp_busy), started with
#    the CPU offline, which comes back and goes again during it: the
#    idle task of the offline CPU does not stay among the blockers, the
#    transition completes once the kthread lets go, and a process on
#    that CPU runs the patched code; the CPU goes offline again during
#    a disable.
# The workbench's guests have more possible CPUs than present ones; on a
# machine without, that part says so and is not counted.

. "$(dirname "$0")/functions.sh"

VMLINUX=test_klp_vmlinux
VMLINUX_PATCHED="$VMLINUX: this has been live patched"
TARGET=test_klp_busy
PATCH=test_klp_busy_patch
BLOCK=/sys/module/$TARGET/parameters/block
CPUS=/sys/devices/system/cpu
WAIT_MS=5000

klp_setup $VMLINUX $TARGET $PATCH

# nr_cpus LIST: how many CPUs a list like "0-1,3" names.
nr_cpus()
{
	local n=0 r

	for r in ${1//,/ }; do
		if [ "${r#*-}" != "$r" ]; then
			n=$((n + ${r#*-} - ${r%-*} + 1))
		else
			n=$((n + 1))
		fi
	done
	echo $n
}

# The highest online CPU that can go offline, or nothing.
hotplug_cpu()
{
	local d cpu=

	for d in "$CPUS"/cpu[0-9]*; do
		[ -w "$d/online" ] || continue
		[ "$(cat "$d/online")" = 1 ] || continue
		cpu=${d##*/cpu}
	done
	echo "$cpu"
}

# shellcheck disable=SC2317 # run by klp_cleanup
set_online()
{
	klp_write "$CPUS/cpu$1/online" "$2"
}

# shellcheck disable=SC2317 # run through klp_poll_ms
cpu_is()
{
	[ "$(cat "$CPUS/cpu$1/online" 2>/dev/null)" = "$2" ]
}

# shellcheck disable=SC2317 # run through klp_poll_ms
idle_not_blocking()
{
	! klp_blockers "$1" | grep -q "^0 swapper/$2 "
}

# The blockers stop naming the idle task of offline CPU $2: the next
# retry moves it (until then they may say "offline").
assert_idle_not_blocking()
{
	if klp_poll_ms $WAIT_MS idle_not_blocking "$1" "$2"; then
		klp_pass "$1: blockers do not name the idle task of CPU $2"
	else
		klp_fail "$1: blockers do not name the idle task of CPU $2" \
			"$(klp_blockers "$1" | tr '\n' ';')"
	fi
}

# One enable and disable of the vmlinux patch, which nothing holds up.
enable_disable()
{
	klp_load_mod $VMLINUX || return
	klp_wait_transition $VMLINUX $WAIT_MS
	assert_file_content /proc/cmdline "$VMLINUX_PATCHED" \
		"/proc/cmdline is patched $1"
	klp_disable $VMLINUX $WAIT_MS
	klp_remove $VMLINUX
}

# --- Possible CPUs that are not present.
possible=$(nr_cpus "$(cat $CPUS/possible)")
present=$(nr_cpus "$(cat $CPUS/present)")
klp_info "possible CPUs: $possible, present: $present"
if [ "$possible" -gt "$present" ]; then
	enable_disable "with possible CPUs that are not present"
else
	klp_info "every possible CPU is present: that case is not tested here"
fi

cpu=$(hotplug_cpu)
if [ -z "$cpu" ] || [ "$cpu" = 0 ]; then
	klp_info "no CPU but CPU 0 can go offline: the hotplug cases are not tested here"
	klp_finish
fi
klp_on_cleanup "set_online $cpu 1"

# --- A CPU taken offline.
assert_write_ok "take CPU $cpu offline" "$CPUS/cpu$cpu/online" 0
enable_disable "with CPU $cpu offline"

# --- A transition that a kthread holds up starts with the CPU offline;
# the CPU comes back and goes again during it.
klp_on_cleanup "klp_write $BLOCK 0"
klp_start_kthread $TARGET "the kthread sleeps in test_klp_busy_sleeper()"
kpid=$KLP_KTHREAD_PID
klp_load_mod $PATCH
assert_true "$PATCH: the kthread $kpid holds up the transition" \
	klp_poll_ms $WAIT_MS klp_blocked_by $PATCH "$kpid" 'test_klp_busy_sleeper\+'
assert_idle_not_blocking $PATCH "$cpu"
assert_write_ok "bring CPU $cpu online during the transition" \
	"$CPUS/cpu$cpu/online" 1
assert_write_ok "take CPU $cpu offline during the transition" \
	"$CPUS/cpu$cpu/online" 0
assert_idle_not_blocking $PATCH "$cpu"
assert_write_ok "bring CPU $cpu back during the transition" \
	"$CPUS/cpu$cpu/online" 1
assert_true "$PATCH: still in transition while the kthread sleeps" \
	klp_in_transition $PATCH
assert_write_ok "write 0 to $TARGET block" "$BLOCK" 0
klp_wait_transition $PATCH $WAIT_MS
klp_assert_grows "the replacement runs: new_calls grows" $PATCH new_calls

# The CPU that came back runs the patched code.
klp_load_mod $VMLINUX
klp_wait_transition $VMLINUX $WAIT_MS
if command -v taskset > /dev/null; then
	assert_eq "/proc/cmdline read on CPU $cpu is patched" \
		"$VMLINUX_PATCHED" "$(taskset -c "$cpu" cat /proc/cmdline 2>&1)"
else
	klp_info "no taskset: not reading /proc/cmdline on CPU $cpu"
fi

# Offline again during the disable.
assert_write_ok "take CPU $cpu offline" "$CPUS/cpu$cpu/online" 0
klp_disable $VMLINUX $WAIT_MS
klp_remove $VMLINUX
assert_write_ok "bring CPU $cpu online" "$CPUS/cpu$cpu/online" 1
assert_true "CPU $cpu is online" cpu_is "$cpu" 1

klp_remove_patch $PATCH
klp_remove $TARGET

klp_finish
