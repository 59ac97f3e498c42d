#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sysfs interface of a live patch: the attributes of
# /sys/kernel/livepatch/<patch>, their modes and values, and the writes
# to "enabled" (and "force") that must be refused without any effect:
# garbage, 8 KiB strings, read-only files, concurrent writers, and an
# unprivileged user.

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
	     stack_order:444 blockers:400 transition_ns:444 \
	     vmlinux/patched:444; do
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

# As in mainline, 0 is accepted and does nothing.
assert_write_ok "writing 0 to force is accepted" "$DIR/force" 0
check_unchanged "writing 0 to force"

huge=$(printf '%*s' 8192 '' | tr ' ' x)
assert_write_fails "writing 8 KiB of garbage to enabled is refused with EINVAL" \
	"$DIR/enabled" "$huge" EINVAL
check_unchanged "writing 8 KiB of garbage"

for file in transition replace stack_order transition_ns vmlinux/patched; do
	assert_write_fails "writing to the read-only $file is refused" \
		"$DIR/$file" 0
done
check_unchanged "writes to read-only files"

# Concurrent writers of garbage and of 1: every write is refused.
writers=()
for value in 2 abc 1 yes; do
	(for _ in $(seq 100); do
		echo "$value" > "$DIR/enabled" 2>/dev/null && exit 1
	done; exit 0) &
	writers+=($!)
done
refused=0
for pid in "${writers[@]}"; do
	wait "$pid" && refused=$((refused + 1))
done
assert_eq "4 concurrent writers of 2, abc, 1 and yes: every write refused" \
	4 $refused
check_unchanged "concurrent refused writes"

# --- An unprivileged user can do nothing.
if grep -q '^nobody:' /etc/passwd 2>/dev/null; then
	# shellcheck disable=SC2317 # run through assert_false
	as_nobody() { su -s /bin/sh nobody -c "$1" >/dev/null 2>&1; }
	assert_false "nobody cannot write 0 to enabled" \
		as_nobody "echo 0 > $DIR/enabled"
	assert_false "nobody cannot read blockers" \
		as_nobody "cat $DIR/blockers"
	assert_false "nobody cannot load a patch module" \
		as_nobody "insmod $KLP_MOD_DIR/test_klp_vmlinux2.ko"
	assert_missing "$KLP_SYSFS/test_klp_vmlinux2"
	check_unchanged "the attempts of nobody"
else
	klp_info "no user nobody: unprivileged checks left out"
fi

# --- Two writers disable at once: exactly one succeeds, whether the
# other comes while the patch is being removed or once it is gone.
writers=()
for _ in 1 2; do
	(echo 0 > "$DIR/enabled") 2>/dev/null &
	writers+=($!)
done
ok=0
for pid in "${writers[@]}"; do
	wait "$pid" && ok=$((ok + 1))
done
assert_eq "two concurrent writes of 0 to enabled: exactly one succeeds" 1 $ok
klp_wait_gone $PATCH
assert_file_content /proc/cmdline "$original" \
	"/proc/cmdline is back to the original after disabling"
klp_remove $PATCH

klp_finish
