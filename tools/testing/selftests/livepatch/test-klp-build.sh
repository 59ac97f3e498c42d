#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live patches that scripts/livepatch/klp-build built from the fixes in
# klp-build/ (test_modules/Makefile builds them when the kernel has
# CONFIG_KLP_BUILD=y; the test skips otherwise).  Each loads, its
# transition completes, the fix shows, disabling undoes it and the module
# unloads:
#
#  - proc-string: /proc/cmdline ends with " klp" (cmdline_proc_show(),
#    with saved_command_line, which vmlinux does not export, reached
#    through a live patch relocation);
#  - inline: /proc/meminfo shows "none" for a zero value (show_val_kb(),
#    which the compiler inlined into meminfo_proc_show());
#  - module: ftrace_jmp_sample_b() of samples/ftrace/ftrace-jmp.ko also
#    counts a call in the module's own static "calls" (the patch uses the
#    module's variable, not a copy), with the module loaded before the
#    patch and loaded again while it is enabled;
#  - two-fixes: both proc-string and module, one patch for two objects;
#  - included-c: a WARN() in kernel/sched/rt.c, which build_policy.c
#    includes: the changed scheduler functions and their __bug_table
#    entries;
#  - header: a header of fs/proc, and the functions of the many objects
#    that include it;
#  - ex-table: filldir64() skips the directory entries named
#    "klp-hidden": its copy has its own __ex_table entries (the
#    unsafe_put_user()s) and user access alternatives, so ls still works;
#  - dup-name: m_show() of fs/namespace.c skips the mounts of the device
#    "klp-hidden" in /proc/mounts; vmlinux has two static m_show(), and
#    the one of kernel/module/procfs.c (/proc/modules) comes first
#    (kernel/ links before fs/), so the patch replaces "m_show,2" and
#    /proc/modules stays as it was.
#
# Where a patch refers to a symbol of vmlinux through a live patch
# relocation, .klp.sym.vmlinux.NAME,POS, the address the core resolved
# must be that of the POS-th NAME in kallsyms (the only NAME for POS 0).

. "$(dirname "$0")/functions.sh"

P=livepatch_klp_build
SYS=/sys/kernel/ftrace_jmp_sample

klp_setup ${P}_proc_string ${P}_inline ${P}_module ${P}_two_fixes \
	${P}_included_c ${P}_header ${P}_ex_table ${P}_dup_name

original=$(cat /proc/cmdline)

# zero_kb: the name of the first /proc/meminfo line with "0 kB"
zero_kb()
{
	awk '$2 == 0 && $3 == "kB" { print $1; exit }' /proc/meminfo
}

# meminfo_value NAME: the value and unit of /proc/meminfo line NAME
meminfo_value()
{
	awk -v n="$1" '$1 == n { $1 = ""; print substr($0, 2); exit }' /proc/meminfo
}

# calls_per_call: how much one call of the ftrace-jmp sample adds to its
# "calls" counter
calls_per_call()
{
	local before after

	before=$(awk '{ print $2 }' "$SYS/counts")
	cat "$SYS/call" > /dev/null
	after=$(awk '{ print $2 }' "$SYS/counts")
	echo $((after - before))
}

# assert_klp_syms PATCH: the .klp.sym.vmlinux symbols of PATCH, as
# /proc/kallsyms shows them, have the addresses of the vmlinux symbols
# they name.
assert_klp_syms()
{
	local out checked bad

	# The number of symbols checked, then those with another address.
	out=$(awk -v m="[$1]" '
		NF == 3 { addr[$3, ++count[$3]] = $1; next }
		$4 == m && index($3, ".klp.sym.vmlinux.") == 1 { want[$3] = $1 }
		END {
			for (s in want)
				checked++
			print checked + 0
			for (s in want) {
				name = substr(s, length(".klp.sym.vmlinux.") + 1)
				pos = name
				sub(/.*,/, "", pos)
				pos += 0
				sub(/,[0-9]+$/, "", name)
				if ((pos == 0 && count[name] != 1) ||
				    addr[name, pos ? pos : 1] != want[s])
					print s
			}
		}' /proc/kallsyms)
	checked=$(head -1 <<< "$out")
	bad=$(tail -n +2 <<< "$out" | tr '\n' ' ')
	assert_true "$1: it has .klp.sym.vmlinux symbols ($checked)" \
		[ "$checked" -gt 0 ]
	assert_eq "$1: they have the addresses kallsyms gives their names" \
		"" "$bad"
}

# --- A function of vmlinux.
klp_load_patch ${P}_proc_string
assert_klp_syms ${P}_proc_string
assert_file_content /proc/cmdline "$original klp" \
	"proc-string: /proc/cmdline ends with ' klp'"
klp_disable ${P}_proc_string
assert_file_content /proc/cmdline "$original" \
	"proc-string: /proc/cmdline is back to the original"
klp_remove ${P}_proc_string

# --- A helper inlined into its caller.
zero=$(zero_kb)
total=$(meminfo_value MemTotal:)
if assert_true "inline: /proc/meminfo has a zero value ('$zero')" \
	[ -n "$zero" ]; then
	klp_load_patch ${P}_inline
	assert_eq "inline: $zero shows 'none'" none "$(meminfo_value "$zero")"
	assert_eq "inline: MemTotal: still shows '$total'" "$total" \
		"$(meminfo_value MemTotal:)"
	klp_disable ${P}_inline
	assert_eq "inline: $zero shows '0 kB' again" "0 kB" \
		"$(meminfo_value "$zero")"
	klp_remove ${P}_inline
fi

# --- A function of a module, with the module there before the patch and
# coming while it is enabled.
ko=$(modinfo -n ftrace-jmp 2>/dev/null)
[ -f "$ko" ] ||
	ko=/lib/modules/$(uname -r)/kernel/samples/ftrace/ftrace-jmp.ko
if [ -f "$ko" ]; then
	dir=$(mktemp -d /tmp/klp-build.XXXXXX) || klp_skip "no mktemp"
	klp_on_cleanup "rm -rf '$dir'"
	klp_on_cleanup "klp_unload ftrace_jmp"
	ln -s "$ko" "$dir/ftrace_jmp.ko"
	for p in module two_fixes; do
		ln -s "$KLP_MOD_DIR/${P}_$p.ko" "$dir/${P}_$p.ko"
	done
	KLP_MOD_DIR=$dir

	klp_load_mod ftrace_jmp nr_threads=0
	assert_write_ok "module: ftrace-jmp calls body b" "$SYS/variant" 2
	assert_eq "module: a call counts once before the patch" 1 \
		"$(calls_per_call)"
	klp_load_patch ${P}_module
	assert_eq "module: a call counts twice with the patch" 2 \
		"$(calls_per_call)"
	klp_remove ftrace_jmp
	klp_load_mod ftrace_jmp nr_threads=0
	assert_write_ok "module: ftrace-jmp calls body b again" "$SYS/variant" 2
	assert_eq "module: twice when the module comes back" 2 \
		"$(calls_per_call)"
	klp_disable ${P}_module
	assert_eq "module: once after the patch" 1 "$(calls_per_call)"
	klp_remove ${P}_module

	klp_load_patch ${P}_two_fixes
	assert_file_content /proc/cmdline "$original klp" \
		"two-fixes: /proc/cmdline ends with ' klp'"
	assert_eq "two-fixes: a call counts twice" 2 "$(calls_per_call)"
	klp_disable ${P}_two_fixes
	assert_file_content /proc/cmdline "$original" \
		"two-fixes: /proc/cmdline is back to the original"
	assert_eq "two-fixes: a call counts once again" 1 "$(calls_per_call)"
	klp_remove ${P}_two_fixes
	klp_remove ftrace_jmp
	KLP_MOD_DIR=$KLP_DIR/test_modules
else
	klp_info "no samples/ftrace/ftrace-jmp.ko: the module cases do not run"
fi

# --- Functions of kernel/sched, with WARN()s; a header of many objects.
for p in included_c header; do
	klp_load_patch ${P}_$p
	assert_file_content "$KLP_SYSFS/${P}_$p/vmlinux/patched" 1 \
		"$p: vmlinux is patched"
	funcs=$(find "$KLP_SYSFS/${P}_$p/vmlinux" -mindepth 1 -maxdepth 1 \
		-type d | wc -l)
	assert_true "$p: replaces several functions ($funcs)" [ "$funcs" -gt 1 ]
	assert_klp_syms ${P}_$p
	assert_true "$p: /proc/version reads" grep -q Linux /proc/version
	klp_disable ${P}_$p
	klp_remove ${P}_$p
done

# --- Code with __ex_table entries and user access.
hdir=$(mktemp -d /tmp/klp-build.XXXXXX) || klp_skip "no mktemp"
klp_on_cleanup "rm -rf '$hdir'"
touch "$hdir/klp-hidden" "$hdir/klp-shown"
both=$(printf 'klp-hidden\nklp-shown')
assert_eq "ex-table: ls shows both files" "$both" "$(ls "$hdir")"
klp_load_patch ${P}_ex_table
assert_eq "ex-table: ls hides klp-hidden" klp-shown "$(ls "$hdir")"
assert_true "ex-table: ls / still lists /proc" grep -qx proc <<< "$(ls /)"
klp_disable ${P}_ex_table
assert_eq "ex-table: ls shows both files again" "$both" "$(ls "$hdir")"
klp_remove ${P}_ex_table

# --- A static function whose name vmlinux has twice.
mdir=$(mktemp -d /tmp/klp-mnt.XXXXXX) || klp_skip "no mktemp"
mount -t proc klp-hidden "$mdir" || klp_skip "cannot mount proc on $mdir"
klp_on_cleanup "umount '$mdir'; rmdir '$mdir'"
assert_true "dup-name: vmlinux has two m_show" \
	[ "$(grep -c ' t m_show$' /proc/kallsyms)" = 2 ]
assert_true "dup-name: /proc/mounts lists klp-hidden" \
	grep -q '^klp-hidden ' /proc/mounts
klp_load_patch ${P}_dup_name
assert_dir "$KLP_SYSFS/${P}_dup_name/vmlinux/m_show,2" \
	"dup-name: the patch replaces the second m_show"
assert_false "dup-name: /proc/mounts hides klp-hidden" \
	grep -q '^klp-hidden ' /proc/mounts
assert_true "dup-name: /proc/self/mountinfo hides it too" \
	[ "$(grep -c ' klp-hidden ' /proc/self/mountinfo)" = 0 ]
assert_true "dup-name: /proc/modules lists the patch" \
	grep -q "^${P}_dup_name " /proc/modules
klp_disable ${P}_dup_name
assert_true "dup-name: /proc/mounts lists klp-hidden again" \
	grep -q '^klp-hidden ' /proc/mounts
klp_remove ${P}_dup_name

klp_finish
