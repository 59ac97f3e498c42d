#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, in the guest: live patch the running kernel with the sample
# and show the effect before, during and after.
set -u

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; }

mod=/lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko
if [ ! -f "$mod" ]; then
	say "This kernel has no livepatch sample yet: nothing to patch."
	exit 0
fi

sys=/sys/kernel/livepatch/livepatch_sample
say "Before: the running kernel's /proc/cmdline"
show cat /proc/cmdline
say "Loading the live patch (it replaces cmdline_proc_show())"
show insmod "$mod"
for _ in $(seq 100); do
	[ "$(cat $sys/transition 2>/dev/null)" = 0 ] && break
	sleep 0.05
done
show "grep . $sys/enabled $sys/transition"
say "Every task switched to the new code at a safe point; that took (ns):"
show cat $sys/transition_ns
say "After: same kernel, no reboot"
show cat /proc/cmdline
say "Disabling the patch"
show "echo 0 > $sys/enabled"
for _ in $(seq 100); do
	[ -d $sys ] || break
	[ "$(cat $sys/transition 2>/dev/null)" = 0 ] && break
	sleep 0.05
done
show cat /proc/cmdline
say "Unloading the patch module"
show rmmod livepatch_sample
show "ls /sys/kernel/livepatch/"
say "uname -a: $(uname -a)"
