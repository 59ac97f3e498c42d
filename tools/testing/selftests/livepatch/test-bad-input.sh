#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed live patches must be refused.  test_klp_bad builds one defect
# per mode (see test_modules/test_klp_bad.c); for each, insmod must fail
# with the errno of the table below and leave nothing behind: no sysfs
# directory, no module, /proc/cmdline unchanged, and a kernel log line
# naming the patch module and the offending function or object.
# test_klp_nomodinfo, a patch module without the livepatch modinfo tag,
# must be refused the same way.  The huge_* modes check that a patch of
# 100,000 functions is refused quickly, without a quadratic check.  Then
# a well-formed patch of 10,000 objects and the variants using
# old_sympos load and patch.  A patch of a module's init function loads
# while the module is not there; the module is then refused, since its
# init code goes away once it ran.

. "$(dirname "$0")/functions.sh"

# mode of test_klp_bad    expected errno    name in the kernel log
# ("@ambiguous": the duplicate function name picked at run time;
# "@notrace": NOTRACE_FUNC below)
BAD_CASES=(
	"null_func		EINVAL		cmdline_proc_show"
	"no_symbol		ENOENT		test_klp_no_such_function_xyz"
	"long_objname		EINVAL		test_klp_object_name_that_is_much_too_long_for_any_module_name_x"
	"slash_objname		EINVAL		bad/name"
	"dup_func		EINVAL		cmdline_proc_show"
	"bad_sympos		EINVAL		cmdline_proc_show"
	"notrace		EOPNOTSUPP	@notrace"
	"ambiguous		EINVAL		@ambiguous"
	"empty_name		EINVAL		old_name"
	"long_name		EINVAL		test_klp_long_xxxxxxxxxxxxxxxxxx"
	"empty_objname		EINVAL		''"
	"huge_funcs		ENOENT		test_klp_huge_0"
	"huge_dup		EINVAL		test_klp_huge_0"
	"init_func		EOPNOTSUPP	start_kernel"
)
NOMODINFO_ERRNO=EINVAL
# Functions of huge_funcs and huge_dup; objects of huge_objs.
HUGE_FUNCS=100000
HUGE_OBJS=10000

# Function without an ftrace location, used by mode "notrace" (as in
# test_klp_bad.c).
case $(uname -m) in
s390x) NOTRACE_FUNC=sched_clock ;;
*) NOTRACE_FUNC=native_sched_clock ;;
esac

# Duplicate names tried first for "ambiguous" and "sympos_ok": sysfs show()
# callbacks, which nothing reads during the test and for which the stub
# replacement of test_klp_bad (return 0) only means empty output.
PREFERRED_DUPS="modalias_show type_show name_show id_show version_show status_show"

BAD=test_klp_bad
NOMODINFO=test_klp_nomodinfo
MODTARGET=test_klp_target
AFF=$KLP_TRACEFS/available_filter_functions

klp_setup $BAD $NOMODINFO $MODTARGET

original=$(cat /proc/cmdline)

# in_vmlinux NAME: kallsyms has NAME in vmlinux.
in_vmlinux()
{
	awk -v n="$1" 'NF == 3 && $3 == n { found = 1 } END { exit !found }' \
		/proc/kallsyms
}

# traceable NAME: ftrace knows a location of vmlinux function NAME.
traceable()
{
	grep -qx -- "$1" "$AFF"
}

# pick_ambiguous: a name that vmlinux has more than once, as text symbols
# only, no '.' in it, each instance with an ftrace location.
pick_ambiguous()
{
	local candidates name

	candidates=$(awk '
		FNR == NR {
			if (NF == 3) {
				n[$3]++
				if ($2 != "t" && $2 != "T")
					data[$3] = 1
			}
			next
		}
		NF == 1 { f[$1]++ }
		END {
			for (s in n)
				if (n[s] > 1 && !(s in data) && s !~ /\./ &&
				    f[s] == n[s])
					print s
		}' /proc/kallsyms "$AFF" | sort)
	for name in $PREFERRED_DUPS; do
		if grep -qx -- "$name" <<< "$candidates"; then
			echo "$name"
			return 0
		fi
	done
	name=$(grep -m1 -- '_show$' <<< "$candidates")
	[ -n "$name" ] || name=$(head -n1 <<< "$candidates")
	echo "$name"
	[ -n "$name" ]
}

# check_refused MODULE WHAT ERRNO NAME [PARAM=VALUE...]: loading MODULE
# fails with ERRNO and leaves nothing behind.
check_refused()
{
	local mod=$1 what=$2 errno=$3 name=$4 names lines

	shift 4
	klp_mark_log
	if klp_load "$mod" "$@"; then
		klp_fail "$what: insmod is refused" "the module loaded"
		[ -d "$KLP_SYSFS/$mod" ] && klp_wait_transition "$mod"
		if [ -d "$KLP_SYSFS/$mod" ]; then
			klp_remove_patch "$mod"
		else
			klp_remove "$mod"
		fi
		return
	fi
	assert_eq "$what: insmod fails with $errno" "$errno" "$KLP_ERRNO"
	assert_missing "$KLP_SYSFS/$mod" "$what: no $KLP_SYSFS/$mod"
	assert_false "$what: $mod is not listed by lsmod" klp_mod_loaded "$mod"
	assert_file_content /proc/cmdline "$original" \
		"$what: /proc/cmdline unchanged"

	# One line must name both the patch module and the culprit; the
	# module loader's taint notices do not count.
	names="$mod and $name"
	[ "$name" = "$mod" ] && names=$mod
	lines=$(klp_log_since_mark | grep -v 'taint' |
		grep -F -- "$mod" | grep -F -- "$name")
	if [ -n "$lines" ]; then
		klp_pass "$what: kernel log names $names"
	else
		klp_fail "$what: kernel log names $names" \
			"no such line; the kernel log since insmod:"
		klp_log_since_mark | sed 's/^/#   /'
	fi
}

# --- Preconditions of the cases that depend on the running kernel.
skip_notrace=
[ -r "$AFF" ] || klp_require_tracefs
[ -r "$AFF" ] || klp_skip "no $AFF (CONFIG_FUNCTION_TRACER)"
if ! in_vmlinux $NOTRACE_FUNC || traceable $NOTRACE_FUNC; then
	klp_info "$NOTRACE_FUNC is missing or traceable here: mode notrace skipped"
	skip_notrace=1
fi

dup=$(pick_ambiguous)
if [ -n "$dup" ]; then
	klp_pass "found an ambiguous traceable function in vmlinux: $dup"
else
	klp_fail "found an ambiguous traceable function in vmlinux" \
		"none in /proc/kallsyms and $AFF"
fi

# --- Malformed patches.
for entry in "${BAD_CASES[@]}"; do
	read -r mode errno name <<< "$entry"
	params=("mode=$mode")
	case $mode in
	notrace)
		[ -n "$skip_notrace" ] && continue
		name=$NOTRACE_FUNC
		;;
	ambiguous)
		[ -n "$dup" ] || continue
		name=$dup
		params+=("ambiguous=$dup")
		;;
	huge_*)
		params+=("count=$HUGE_FUNCS")
		;;
	esac
	start=$(klp_now_ms)
	check_refused $BAD "mode=$mode" "$errno" "$name" "${params[@]}"
	klp_info "mode=$mode: refused in $(klp_duration $(($(klp_now_ms) - start)))"
done

check_refused $NOMODINFO "$NOMODINFO" "$NOMODINFO_ERRNO" $NOMODINFO

# --- A patch of many objects, none loaded: each has its directory.
if klp_load_patch $BAD mode=huge_objs count=$HUGE_OBJS; then
	assert_eq "mode=huge_objs: $HUGE_OBJS object directories" $HUGE_OBJS \
		"$(find "$KLP_SYSFS/$BAD" -maxdepth 1 -name 'test_klp_huge_*' | wc -l)"
	assert_file_content "$KLP_SYSFS/$BAD/test_klp_huge_0/patched" 0 \
		"mode=huge_objs: an object that is not loaded is not patched"
	# Its $HUGE_OBJS directories go one by one: tens of seconds under
	# emulation.  The bound only tells slow from stuck.
	klp_disable $BAD 120000 && klp_remove $BAD
fi

# --- A patch of a module's init function: the module is refused.
if klp_load_patch $BAD mode=module_init; then
	klp_mark_log
	if klp_load $MODTARGET; then
		klp_fail "mode=module_init: insmod $MODTARGET fails" "it loaded"
		klp_remove $MODTARGET
	else
		assert_eq "mode=module_init: insmod $MODTARGET fails with EOPNOTSUPP" \
			EOPNOTSUPP "$KLP_ERRNO"
	fi
	assert_true "mode=module_init: the kernel log names $BAD and test_klp_target_init" \
		klp_log_since_mark_has "$BAD: object '$MODTARGET': function 'test_klp_target_init'"
	assert_false "mode=module_init: $MODTARGET is not listed by lsmod" \
		klp_mod_loaded $MODTARGET
	assert_file_content "$KLP_SYSFS/$BAD/enabled" 1 \
		"mode=module_init: $BAD stays enabled"
	assert_file_content "$KLP_SYSFS/$BAD/$MODTARGET/patched" 0 \
		"mode=module_init: $MODTARGET/patched reads 0"
	klp_remove_patch $BAD
fi

# --- Well-formed variants with old_sympos.
if klp_load_patch $BAD mode=sympos_one; then
	assert_dir "$KLP_SYSFS/$BAD/vmlinux/cmdline_proc_show,1"
	assert_file_content /proc/cmdline "$BAD: this has been live patched" \
		"mode=sympos_one: /proc/cmdline is patched"
	klp_remove_patch $BAD
	assert_file_content /proc/cmdline "$original" \
		"mode=sympos_one: /proc/cmdline is back to the original"
fi

if [ -n "$dup" ] && klp_load_patch $BAD mode=sympos_ok "ambiguous=$dup"; then
	assert_file_content "$KLP_SYSFS/$BAD/enabled" 1
	assert_file_content "$KLP_SYSFS/$BAD/vmlinux/patched" 1
	assert_dir "$KLP_SYSFS/$BAD/vmlinux/$dup,2"
	klp_remove_patch $BAD
	assert_false "mode=sympos_ok: $BAD is not listed by lsmod" \
		klp_mod_loaded $BAD
fi

klp_finish
