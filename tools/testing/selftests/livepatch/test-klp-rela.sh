#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The patch-module ELF format: relocations in .klp.rela sections against
# .klp.sym symbols, resolved by the live patch core (see
# Documentation/livepatch/module-elf-format.rst; the test modules get the
# format from test_modules/klp-rela.py).
#
#  - test_klp_rela_vmlinux replaces cmdline_proc_show() with a call of the
#    static version_proc_show(): /proc/cmdline shows /proc/version, and the
#    address the module's init function saw is that of kallsyms;
#  - test_klp_rela_mod replaces test_klp_rela_target_value() with
#    scale(seed) + 1, both static in test_klp_rela_target: with the target
#    loaded before the patch, then loaded after it, unloaded and loaded
#    again with another seed, refused by a pre_patch callback and loaded
#    again, which needs the relocations cleared and written again;
#  - a relocation against a symbol that vmlinux or the target lacks,
#    malformed symbol and section names, and relocations against a module
#    that the patch does not patch are refused with ENOENT, ENOEXEC or
#    EINVAL, a kernel log line naming the patch and the culprit, and
#    nothing left behind.

. "$(dirname "$0")/functions.sh"

VMLINUX_PATCH=test_klp_rela_vmlinux
TARGET=test_klp_rela_target
MOD_PATCH=test_klp_rela_mod
MISSING=test_klp_rela_missing
MOD_MISSING=test_klp_rela_mod_missing
BADSYM=test_klp_rela_badsym
BADSEC=test_klp_rela_badsec
UNLISTED=test_klp_rela_unlisted
VALUE=/sys/kernel/$TARGET/value
OBJ=$KLP_SYSFS/$MOD_PATCH/$TARGET

klp_setup $VMLINUX_PATCH $TARGET $MOD_PATCH $MISSING $MOD_MISSING \
	$BADSYM $BADSEC $UNLISTED

original=$(cat /proc/cmdline)
version=$(cat /proc/version)

# kallsyms_addr NAME: the address of vmlinux symbol NAME in kallsyms.
kallsyms_addr()
{
	awk -v n="$1" 'NF == 3 && $3 == n { print $1; exit }' /proc/kallsyms
}

# assert_log_names WHAT NAME...: one kernel log line since the mark names
# every NAME.
assert_log_names()
{
	local what=$1 lines name

	shift
	lines=$(klp_log_since_mark | grep -v taint)
	for name in "$@"; do
		lines=$(grep -F -- "$name" <<< "$lines")
	done
	if [ -n "$lines" ]; then
		klp_pass "$what: kernel log names $*"
	else
		klp_fail "$what: kernel log names $*" \
			"no such line; the kernel log since the mark:"
		klp_log_since_mark | sed 's/^/#   /'
	fi
}

# assert_refused WHAT MODULE ERRNO: insmod MODULE fails with ERRNO and the
# module is not loaded.
assert_refused()
{
	local what=$1 mod=$2 errno=$3

	if klp_load "$mod"; then
		klp_fail "$what: insmod $mod is refused" "the module loaded"
		return 1
	fi
	assert_eq "$what: insmod $mod fails with $errno" "$errno" "$KLP_ERRNO"
	assert_false "$what: $mod is not listed by lsmod" klp_mod_loaded "$mod"
}

# --- A static function of vmlinux.
assert_false "/proc/cmdline differs from /proc/version before the test" \
	[ "$original" = "$version" ]
addr=$(kallsyms_addr version_proc_show)
assert_true "kallsyms shows version_proc_show ('$addr')" [ -n "$addr" ]

klp_load_patch $VMLINUX_PATCH
assert_file_content /proc/cmdline "$version" \
	"$VMLINUX_PATCH: /proc/cmdline shows /proc/version"
assert_eq "$VMLINUX_PATCH: its init saw the address of version_proc_show" \
	"$addr" "$(klp_param $VMLINUX_PATCH addr)"
sym=$(awk -v m="[$VMLINUX_PATCH]" '$3 == ".klp.sym.vmlinux.version_proc_show,0" &&
	$4 == m { print $1 }' /proc/kallsyms)
assert_eq "$VMLINUX_PATCH keeps its symbol table, the .klp.sym symbol resolved" \
	"$addr" "$sym"
klp_disable $VMLINUX_PATCH
assert_file_content /proc/cmdline "$original" \
	"$VMLINUX_PATCH: /proc/cmdline is back to the original"
klp_remove $VMLINUX_PATCH

# --- Static symbols of a module loaded before the patch.
klp_load_mod $TARGET seed=3
assert_file_content $VALUE 3 "$TARGET seed=3 returns 3"
klp_load_patch $MOD_PATCH
assert_file_content $VALUE 31 "$MOD_PATCH: $TARGET returns scale(3) + 1"
klp_disable $MOD_PATCH
assert_file_content $VALUE 3 "$TARGET returns 3 again after disabling"
klp_remove $MOD_PATCH
klp_remove $TARGET

# --- ... and of a module loaded after the patch, again and again.
klp_load_patch $MOD_PATCH
assert_file_content "$OBJ/patched" 0 "$TARGET is not patched while not loaded"
klp_load_mod $TARGET seed=5
assert_file_content $VALUE 51 "$MOD_PATCH: $TARGET seed=5 returns 51 as it comes"
assert_file_content "$OBJ/patched" 1
klp_remove $TARGET
assert_file_content "$OBJ/patched" 0 "$TARGET is unpatched after its removal"
klp_load_mod $TARGET seed=7
assert_file_content $VALUE 71 \
	"$MOD_PATCH: $TARGET seed=7 returns 71 when it comes back"
klp_remove $TARGET
# A target refused after its relocations were written: they are cleared.
assert_write_ok "$MOD_PATCH: set fail_pre_patch" \
	/sys/module/$MOD_PATCH/parameters/fail_pre_patch 1
assert_refused "pre_patch of $MOD_PATCH fails" $TARGET EPERM
assert_write_ok "$MOD_PATCH: clear fail_pre_patch" \
	/sys/module/$MOD_PATCH/parameters/fail_pre_patch 0
klp_load_mod $TARGET seed=9
assert_file_content $VALUE 91 \
	"$MOD_PATCH: and 91 with seed=9, after the refused load"
klp_disable $MOD_PATCH
assert_file_content $VALUE 9 "$TARGET returns 9 after disabling $MOD_PATCH"
klp_remove $MOD_PATCH
klp_remove $TARGET

# --- A symbol vmlinux does not have: refused at load.
klp_mark_log
if assert_refused "missing vmlinux symbol" $MISSING ENOENT; then
	assert_missing "$KLP_SYSFS/$MISSING"
	assert_file_content /proc/cmdline "$original" \
		"missing vmlinux symbol: /proc/cmdline unchanged"
	assert_log_names "missing vmlinux symbol" $MISSING vmlinux \
		test_klp_rela_missing_symbol
fi

# --- A symbol the target module does not have.
klp_load_mod $TARGET seed=2
klp_mark_log
if assert_refused "missing module symbol, target loaded" $MOD_MISSING ENOENT; then
	assert_missing "$KLP_SYSFS/$MOD_MISSING"
	assert_file_content $VALUE 2 \
		"missing module symbol, target loaded: $TARGET unchanged"
	assert_log_names "missing module symbol, target loaded" $MOD_MISSING \
		$TARGET test_klp_rela_target_missing
fi
klp_remove $TARGET

klp_load_patch $MOD_MISSING
for try in 1 2; do
	what="missing module symbol, patch loaded ($try)"
	klp_mark_log
	if assert_refused "$what" $TARGET ENOENT; then
		assert_missing /sys/kernel/$TARGET "$what: no /sys/kernel/$TARGET"
		assert_file_content "$KLP_SYSFS/$MOD_MISSING/enabled" 1 \
			"$what: $MOD_MISSING stays enabled"
		assert_file_content "$KLP_SYSFS/$MOD_MISSING/$TARGET/patched" 0 \
			"$what: $TARGET is not patched"
		assert_log_names "$what" $MOD_MISSING $TARGET \
			test_klp_rela_target_missing
	fi
done
klp_disable $MOD_MISSING
klp_remove $MOD_MISSING
klp_load_mod $TARGET seed=4
assert_file_content $VALUE 4 "$TARGET loads and returns 4 once $MOD_MISSING is gone"
klp_remove $TARGET

# --- Malformed names: refused at load.
klp_mark_log
if assert_refused "symbol name without sympos" $BADSYM ENOEXEC; then
	assert_missing "$KLP_SYSFS/$BADSYM"
	assert_file_content /proc/cmdline "$original" \
		"symbol name without sympos: /proc/cmdline unchanged"
	assert_log_names "symbol name without sympos" $BADSYM \
		.klp.sym.vmlinux.version_proc_show
fi

klp_mark_log
if assert_refused "section name without section" $BADSEC ENOEXEC; then
	assert_missing "$KLP_SYSFS/$BADSEC"
	assert_file_content /proc/cmdline "$original" \
		"section name without section: /proc/cmdline unchanged"
	assert_log_names "section name without section" $BADSEC \
		"'.klp.rela.vmlinux'"
fi

# --- Relocations against a module that the patch has no object for.
klp_mark_log
if assert_refused "relocations for an object the patch lacks" $UNLISTED EINVAL; then
	assert_missing "$KLP_SYSFS/$UNLISTED"
	assert_file_content /proc/cmdline "$original" \
		"relocations for an object the patch lacks: /proc/cmdline unchanged"
	assert_log_names "relocations for an object the patch lacks" $UNLISTED \
		"'$TARGET'"
fi

klp_finish
