#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, in the guest: live patch the running kernel with the sample
# and show the effect before, during and after, with klpctl (tools/livepatch)
# and the sysfs files it reads.
set -u

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; }

mod=/lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko
if [ ! -f "$mod" ]; then
	say "This kernel has no livepatch sample yet: nothing to patch."
	exit 0
fi
if ! command -v klpctl > /dev/null; then
	say "No klpctl in this guest: nothing to drive the patch with."
	exit 1
fi

sys=/sys/kernel/livepatch/livepatch_sample
say "Before: the running kernel's /proc/cmdline"
show cat /proc/cmdline
show klpctl status
say "Loading the live patch (it replaces cmdline_proc_show()) and waiting for every task"
show klpctl load "$mod" --wait=10
say "Every task switched to the new code at a safe point"
show klpctl status
show klpctl functions
show "grep . $sys/enabled $sys/transition $sys/transition_ns"
say "After: same kernel, no reboot"
show cat /proc/cmdline
say "Disabling the patch and unloading its module"
show klpctl unload livepatch_sample --timeout=10
show cat /proc/cmdline
show klpctl status
say "uname -a: $(uname -a)"
