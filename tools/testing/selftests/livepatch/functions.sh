#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the livepatch selftests.  A test script sources this
# file, calls klp_setup, runs its checks and ends with klp_finish.
#
# Every check prints "ok - <what>" or "not ok - <what>: <why>".  A failed
# check does not stop the script, it makes klp_finish exit 1.  However the
# script ends, the modules it loaded through klp_load are removed again:
# live patches first, newest first, each disabled before its rmmod; then
# the other modules, newest first.  The module of a patch whose transition
# was forced cannot be removed: it stays loaded until reboot, and neither
# the cleanup nor the next tests count that as a failure.

KLP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KLP_MOD_DIR=$KLP_DIR/test_modules
KLP_SYSFS=/sys/kernel/livepatch
KLP_TRACEFS=/sys/kernel/tracing
KSFT_SKIP=4

# Waits poll every 10 ms and give up after 15 s.
KLP_POLL_INTERVAL=0.01
KLP_TIMEOUT_MS=15000

KLP_TEST=$(basename "$0" .sh)

klp_nr_checks=0
klp_nr_failed=0
klp_loaded=()			# modules loaded by this script, oldest first
declare -A klp_is_patch=()	# which of them are live patches
declare -A klp_is_forced=()	# patches whose transition was forced
klp_hooks=()			# cleanup commands, run newest first
klp_cleanup_done=0
klp_mark=0

# Error of the last failed klp_load, klp_unload or klp_write: the text as
# printed by the tool, and the errno name it stands for.
KLP_ERR=
KLP_ERRNO=

klp_info()
{
	echo "# $*"
}

# ---------------------------------------------------------------------------
# Results

klp_pass()
{
	klp_nr_checks=$((klp_nr_checks + 1))
	echo "ok - $1"
}

# klp_fail WHAT WHY...
klp_fail()
{
	klp_nr_checks=$((klp_nr_checks + 1))
	klp_nr_failed=$((klp_nr_failed + 1))
	echo "not ok - $1: ${*:2}"
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq()
{
	if [ "$2" = "$3" ]; then
		klp_pass "$1"
	else
		klp_fail "$1" "expected '$2' got '$3'"
	fi
}

# assert_file_content FILE EXPECTED [WHAT]: the content of FILE, without
# its trailing newline, is EXPECTED.
assert_file_content()
{
	local file=$1 expected=$2 what=${3:-"$1 reads '$2'"} actual

	if [ ! -e "$file" ]; then
		klp_fail "$what" "expected '$expected' got no file $file"
		return
	fi
	actual=$(cat "$file" 2>&1)
	assert_eq "$what" "$expected" "$actual"
}

# assert_true WHAT CMD...: CMD succeeds.
assert_true()
{
	local what=$1

	shift
	if "$@"; then
		klp_pass "$what"
	else
		klp_fail "$what" "'$*' failed"
	fi
}

# assert_false WHAT CMD...: CMD fails.
assert_false()
{
	local what=$1

	shift
	if "$@"; then
		klp_fail "$what" "'$*' succeeded"
	else
		klp_pass "$what"
	fi
}

assert_dir()
{
	if [ -d "$1" ]; then
		klp_pass "${2:-directory $1 exists}"
	else
		klp_fail "${2:-directory $1 exists}" "no directory $1"
	fi
}

assert_missing()
{
	if [ -e "$1" ]; then
		klp_fail "${2:-$1 does not exist}" "$1 exists"
	else
		klp_pass "${2:-$1 does not exist}"
	fi
}

# ---------------------------------------------------------------------------
# Environment

klp_skip()
{
	echo "SKIP: $KLP_TEST: $*"
	exit $KSFT_SKIP
}

klp_require_root()
{
	[ "$(id -u)" -eq 0 ] || klp_skip "must run as root"
}

klp_require_kdir()
{
	KDIR=${KDIR:-/lib/modules/$(uname -r)/build}
	[ -d "$KDIR" ] || klp_skip "no kernel build directory KDIR=$KDIR"
}

klp_require_livepatch()
{
	[ -d "$KLP_SYSFS" ] || klp_skip "no $KLP_SYSFS (CONFIG_LIVEPATCH)"
}

# klp_require_modules MODULE...: the test modules were built.
klp_require_modules()
{
	local mod

	for mod in "$@"; do
		[ -f "$KLP_MOD_DIR/$mod.ko" ] ||
			klp_skip "test module $mod.ko was not built"
	done
}

klp_require_tracefs()
{
	if [ ! -e "$KLP_TRACEFS/current_tracer" ]; then
		mount -t tracefs nodev "$KLP_TRACEFS" 2>/dev/null
	fi
	[ -e "$KLP_TRACEFS/current_tracer" ] ||
		klp_skip "no tracefs at $KLP_TRACEFS"
}

# klp_tracer_reset: no tracer, no function filter, an empty trace.
klp_tracer_reset()
{
	echo nop > "$KLP_TRACEFS/current_tracer"
	echo > "$KLP_TRACEFS/set_ftrace_filter"
	echo > "$KLP_TRACEFS/trace"
}

# klp_kprobe_event_remove NAME: disable and remove the kprobe event NAME,
# if there is one.
klp_kprobe_event_remove()
{
	[ -e "$KLP_TRACEFS/events/kprobes/$1/enable" ] || return 0
	echo 0 > "$KLP_TRACEFS/events/kprobes/$1/enable"
	echo "-:$1" >> "$KLP_TRACEFS/kprobe_events"
}

# klp_jump_target FUNC: the function that the call site of FUNC jumps to,
# as enabled_functions shows it, or nothing while calls of FUNC go
# through ftrace's trampoline.
klp_jump_target()
{
	[ -e "$KLP_TRACEFS/enabled_functions" ] ||
		mount -t tracefs nodev "$KLP_TRACEFS" 2>/dev/null
	awk -v f="$1" '
		/^[^ \t]/ { cur = ($1 == f) }
		cur && /jmp-->/ { sub(/.*jmp-->/, ""); sub(/\+.*/, ""); print }
	' "$KLP_TRACEFS/enabled_functions" 2>/dev/null
}

# klp_jumps: whether this kernel lets a live patched function jump to its
# replacement (ftrace's jump targets, x86_64 and s390x).  Elsewhere calls
# always go through the trampoline, and klp_jump_target prints nothing.
klp_jumps()
{
	case $(uname -m) in
	x86_64|s390x) return 0 ;;
	*) return 1 ;;
	esac
}

# klp_errno_name TEXT: the errno name for the error text of a tool.  Next
# to strerror(), kmod's insmod has wording of its own for a few codes (its
# "Unknown symbol in module" also stands for ESRCH).
klp_errno_name()
{
	case $1 in
	"Invalid parameters")			echo EINVAL ;;
	"Operation not permitted")		echo EPERM ;;
	"No such file or directory")		echo ENOENT ;;
	"Unknown symbol in module"*)		echo ENOENT ;;
	"No such process")			echo ESRCH ;;
	"Resource temporarily unavailable")	echo EAGAIN ;;
	"Cannot allocate memory")		echo ENOMEM ;;
	"Permission denied")			echo EACCES ;;
	"Bad address")				echo EFAULT ;;
	"Input/output error")			echo EIO ;;
	"Device or resource busy")		echo EBUSY ;;
	"File exists")				echo EEXIST ;;
	"Module already in kernel")		echo EEXIST ;;
	"No such device")			echo ENODEV ;;
	"Invalid argument")			echo EINVAL ;;
	"Numerical result out of range")	echo ERANGE ;;
	"Function not implemented")		echo ENOSYS ;;
	"Operation not supported")		echo EOPNOTSUPP ;;
	"Invalid module format")		echo ENOEXEC ;;
	"Exec format error")			echo ENOEXEC ;;
	"Unknown error 524")			echo ENOTSUPP ;;
	*)					echo "$1" ;;
	esac
}

# klp_set_error OUTPUT: keep the error of a failed command from the last
# line of its output, "...: <error text>".
klp_set_error()
{
	local out=${1##*$'\n'}

	KLP_ERR=${out##*: }
	KLP_ERRNO=$(klp_errno_name "$KLP_ERR")
}

klp_now_ms()
{
	klp_clock
	echo "$KLP_NOW"
}

# klp_clock: KLP_NOW = the time in milliseconds, without a fork where
# bash has EPOCHREALTIME.
klp_clock()
{
	local t=${EPOCHREALTIME:-}

	if [ -n "$t" ]; then
		t=${t/[.,]/}
		KLP_NOW=$((10#$t / 1000))
	else
		KLP_NOW=$(($(date +%s%N) / 1000000))
	fi
}

# klp_duration MS: MS milliseconds, for messages.
klp_duration()
{
	if [ $(($1 % 1000)) -eq 0 ]; then
		echo "$(($1 / 1000)) s"
	else
		echo "$1 ms"
	fi
}

# klp_poll_ms MS CMD...: run CMD every 10 ms until it succeeds, for at
# most MS milliseconds.
klp_poll_ms()
{
	local deadline

	klp_clock
	deadline=$((KLP_NOW + $1))
	shift
	until "$@"; do
		klp_clock
		[ "$KLP_NOW" -lt "$deadline" ] || return 1
		sleep "$KLP_POLL_INTERVAL"
	done
	return 0
}

# klp_poll CMD...: run CMD every 10 ms until it succeeds, for at most 15 s.
klp_poll()
{
	klp_poll_ms "$KLP_TIMEOUT_MS" "$@"
}

# klp_holds_ms MS CMD...: CMD, run every 10 ms, keeps succeeding for MS
# milliseconds.
klp_holds_ms()
{
	local deadline

	klp_clock
	deadline=$((KLP_NOW + $1))
	shift
	while klp_clock && [ "$KLP_NOW" -lt "$deadline" ]; do
		"$@" || return 1
		sleep "$KLP_POLL_INTERVAL"
	done
	"$@"
}

# klp_read FILE: the first line of FILE, or nothing.
klp_read()
{
	local line=

	read -r line 2>/dev/null < "$1"
	echo "$line"
}

# klp_read_var NAME FILE: set variable NAME to the first line of FILE, or
# to nothing; unlike $(klp_read FILE), without a fork.
klp_read_var()
{
	local line=

	read -r line 2>/dev/null < "$2"
	printf -v "$1" '%s' "$line"
}

# klp_write_outcome FILE VALUE: write VALUE to FILE; print ok or the
# errno name.  For writers racing in the background.
klp_write_outcome()
{
	if klp_write "$1" "$2"; then
		echo ok
	else
		echo "$KLP_ERRNO"
	fi
}

# klp_write FILE VALUE: write VALUE and a newline to FILE.  On failure,
# KLP_ERR and KLP_ERRNO tell why.
klp_write()
{
	local out

	KLP_ERR=''
	KLP_ERRNO=''
	out=$( { printf '%s\n' "$2" > "$1"; } 2>&1 ) && return 0
	klp_set_error "$out"
	return 1
}

# klp_append FILE VALUE: as klp_write, without truncating FILE.
klp_append()
{
	local out

	KLP_ERR=''
	KLP_ERRNO=''
	out=$( { printf '%s\n' "$2" >> "$1"; } 2>&1 ) && return 0
	klp_set_error "$out"
	return 1
}

# assert_write_ok WHAT FILE VALUE
assert_write_ok()
{
	if klp_write "$2" "$3"; then
		klp_pass "$1"
	else
		klp_fail "$1" "write failed: $KLP_ERR"
	fi
}

# assert_append_ok WHAT FILE VALUE
assert_append_ok()
{
	if klp_append "$2" "$3"; then
		klp_pass "$1"
	else
		klp_fail "$1" "write failed: $KLP_ERR"
	fi
}

# assert_write_fails WHAT FILE VALUE [ERRNO]: the write is refused, with
# ERRNO if given.
assert_write_fails()
{
	local what=$1 file=$2 value=$3 errno=${4:-}

	if klp_write "$file" "$value"; then
		klp_fail "$what" "the write succeeded"
	elif [ -n "$errno" ] && [ "$KLP_ERRNO" != "$errno" ]; then
		klp_fail "$what" "expected $errno got $KLP_ERRNO ($KLP_ERR)"
	else
		klp_pass "$what"
	fi
}

# klp_taint_bit BIT: 1 when kernel taint flag BIT is set, else 0.
klp_taint_bit()
{
	echo $((($(cat /proc/sys/kernel/tainted) >> $1) & 1))
}

# ---------------------------------------------------------------------------
# Kernel log

# klp_mark_log: remember where the kernel log ends now, by the timestamp
# of its last record, for klp_log_since_mark.
klp_mark_log()
{
	klp_mark=$(dmesg 2>/dev/null |
		awk -F'[][]' '/^\[/ { t = $2 } END { printf "%.6f\n", t }')
}

# klp_log_since_mark: the kernel log records newer than the mark.
klp_log_since_mark()
{
	dmesg 2>/dev/null | awk -F'[][]' -v t="$klp_mark" \
		'/^\[/ { new = ($2 + 0 > t + 0) } new'
}

# klp_log_since_mark_has TEXT: a kernel log record newer than the mark
# contains TEXT.
klp_log_since_mark_has()
{
	klp_log_since_mark | grep -qF -- "$1"
}

# ---------------------------------------------------------------------------
# Modules and patches

# klp_mod_loaded MODULE: lsmod lists MODULE.
klp_mod_loaded()
{
	lsmod | awk -v m="$1" '$1 == m { found = 1 } END { exit !found }'
}

# klp_mod_users MODULE: the use count of MODULE, as lsmod shows it.
klp_mod_users()
{
	lsmod | awk -v m="$1" '$1 == m { print $3 }'
}

klp_forget()
{
	local mod kept=()

	for mod in "${klp_loaded[@]}"; do
		[ "$mod" = "$1" ] || kept+=("$mod")
	done
	klp_loaded=("${kept[@]}")
	unset "klp_is_patch[$1]"
}

# klp_load MODULE [PARAM=VALUE...]: insmod test_modules/MODULE.ko.  On
# failure, KLP_ERR holds the error text of insmod and KLP_ERRNO its name.
klp_load()
{
	local mod=$1 ko=$KLP_MOD_DIR/$1.ko out

	shift
	KLP_ERR=''
	KLP_ERRNO=''
	if out=$(insmod "$ko" "$@" 2>&1); then
		klp_loaded+=("$mod")
		[ "$(modinfo -F livepatch "$ko" 2>/dev/null)" = Y ] &&
			klp_is_patch[$mod]=1
		klp_info "loaded $mod${*:+ $*}"
		return 0
	fi
	klp_set_error "$out"
	klp_info "insmod $mod${*:+ $*}: $KLP_ERR"
	return 1
}

# klp_unload MODULE: rmmod MODULE.
klp_unload()
{
	local out

	KLP_ERR=''
	KLP_ERRNO=''
	if out=$(rmmod "$1" 2>&1); then
		klp_forget "$1"
		klp_info "unloaded $1"
		return 0
	fi
	klp_set_error "$out"
	klp_info "rmmod $1: $KLP_ERR"
	return 1
}

# Polled often: read without the fork of a command substitution.
klp_transition_done()
{
	local v

	klp_read_var v "$KLP_SYSFS/$1/transition"
	[ "$v" = 0 ]
}

klp_in_transition()
{
	local v

	klp_read_var v "$KLP_SYSFS/$1/transition"
	[ "$v" = 1 ]
}

klp_patch_gone()
{
	[ ! -e "$KLP_SYSFS/$1" ]
}

# klp_wait_transition PATCH [MS]: the transition of PATCH ends within MS
# milliseconds (default 15 s).
klp_wait_transition()
{
	local ms=${2:-$KLP_TIMEOUT_MS} what="$1: transition completes"

	[ -n "${2:-}" ] && what="$what within $(klp_duration "$ms")"

	if [ ! -d "$KLP_SYSFS/$1" ]; then
		klp_fail "$what" "no $KLP_SYSFS/$1"
		return 1
	fi
	if klp_poll_ms "$ms" klp_transition_done "$1"; then
		klp_pass "$what"
		return 0
	fi
	klp_fail "$what" "transition reads" \
		"'$(klp_read "$KLP_SYSFS/$1/transition")'; blockers:" \
		"$(klp_blockers "$1" | head -5 | tr '\n' ';')"
	return 1
}

# klp_wait_gone PATCH [MS]: the sysfs directory of PATCH disappears within
# MS milliseconds (default 15 s).
klp_wait_gone()
{
	local ms=${2:-$KLP_TIMEOUT_MS}
	local what="$1: removed from $KLP_SYSFS"

	if klp_poll_ms "$ms" klp_patch_gone "$1"; then
		klp_pass "$what"
		return 0
	fi
	klp_fail "$what" "still there after $(klp_duration "$ms")," \
		"transition reads '$(klp_read "$KLP_SYSFS/$1/transition")'"
	return 1
}

# klp_blockers PATCH: the tasks that hold up the transition of PATCH, one
# "<pid> <comm> <reason>" line each.
klp_blockers()
{
	cat "$KLP_SYSFS/$1/blockers" 2>/dev/null
}

# klp_blocked_by PATCH PID REGEX: the blockers of PATCH list task PID,
# with a reason that matches REGEX (extended, from the start of the
# reason).
klp_blocked_by()
{
	local pid=$2 regex=$3

	# The regex goes through the environment: awk -v would expand its
	# backslashes.
	klp_blockers "$1" | KLP_RE="^($regex)" awk -v pid="$pid" '
		$1 == pid {
			reason = $0
			sub(/^[^ ]+ /, "", reason)	# the pid
			sub(/^[^ ]+ /, "", reason)	# comm, without blanks here
			if (reason ~ ENVIRON["KLP_RE"])
				found = 1
		}
		END { exit !found }'
}

# klp_patch_state PID: what /proc/PID/patch_state reads, or nothing.
klp_patch_state()
{
	klp_read "/proc/$1/patch_state"
}

# klp_assert_state WHAT PID STATE: /proc/PID/patch_state reads STATE.
klp_assert_state()
{
	assert_eq "$1" "$3" "$(klp_patch_state "$2")"
}

# How long a counter of a test module may take to move: 5 s.
KLP_PROGRESS_MS=5000

# klp_counter_above MODULE PARAM VALUE: the counter PARAM of MODULE is
# above VALUE.
# shellcheck disable=SC2317 # run through klp_poll_ms or assert_true
klp_counter_above()
{
	local v

	klp_read_var v "/sys/module/$1/parameters/$2"
	[ "$v" -gt "$3" ] 2>/dev/null
}

# klp_counter_stopped MODULE PARAM: the counter PARAM of MODULE does not
# change for 100 ms.
# shellcheck disable=SC2317 # run through klp_poll_ms or assert_true
klp_counter_stopped()
{
	local before

	before=$(klp_param "$1" "$2")
	sleep 0.1
	[ "$before" = "$(klp_param "$1" "$2")" ]
}

# klp_assert_grows WHAT MODULE PARAM: the counter PARAM of MODULE
# increases within KLP_PROGRESS_MS.
klp_assert_grows()
{
	local before

	before=$(klp_param "$2" "$3")
	if klp_poll_ms $KLP_PROGRESS_MS klp_counter_above "$2" "$3" \
		"${before:-0}"; then
		klp_pass "$1"
	else
		klp_fail "$1" "$2 $3 stays at '$before'"
	fi
}

# klp_start_kthread MODULE WHAT [PARAM=VALUE...]: load MODULE, a test
# module whose kthread counts its calls in the parameter "calls" and
# shows its pid in "pid"; check that the kthread runs and, as WHAT, that
# it made its first call.  Sets KLP_KTHREAD_PID.
klp_start_kthread()
{
	local mod=$1 what=$2

	shift 2
	KLP_KTHREAD_PID=
	klp_load_mod "$mod" "$@" || return 1
	KLP_KTHREAD_PID=$(klp_param "$mod" pid)
	assert_file_content "/proc/$KLP_KTHREAD_PID/comm" "$mod" \
		"the kthread of $mod runs (pid '$KLP_KTHREAD_PID')"
	if klp_poll_ms $KLP_PROGRESS_MS klp_counter_above "$mod" calls 0; then
		klp_pass "$what"
	else
		klp_fail "$what" "calls reads '$(klp_param "$mod" calls)'"
	fi
}

# Background processes of a test: add their pids to klp_bg_pids, and arm
# "klp_on_cleanup klp_kill_bg" so that they go however the test ends.
klp_bg_pids=()

klp_kill_bg()
{
	[ ${#klp_bg_pids[@]} -eq 0 ] && return 0
	kill "${klp_bg_pids[@]}" 2>/dev/null
	wait "${klp_bg_pids[@]}" 2>/dev/null
	klp_bg_pids=()
}

# klp_patch_state_is PID STATE
klp_patch_state_is()
{
	[ "$(klp_patch_state "$1")" = "$2" ]
}

# klp_self_patch_state_is STATE: /proc/self/patch_state of this shell
# (read by the shell itself, not by a child) reads STATE.
klp_self_patch_state_is()
{
	local state=

	read -r state 2>/dev/null < /proc/self/patch_state
	[ "$state" = "$1" ]
}

# klp_param MODULE NAME: the value of parameter NAME of MODULE.
klp_param()
{
	klp_read "/sys/module/$1/parameters/$2"
}

# klp_load_mod MODULE [PARAM=VALUE...]: load a module that must load.
klp_load_mod()
{
	if klp_load "$@"; then
		klp_pass "insmod $1"
		return 0
	fi
	klp_fail "insmod $1" "$KLP_ERR"
	return 1
}

# klp_load_patch PATCH [PARAM=VALUE...]: load a live patch module that
# must load, and wait for the end of its transition.
klp_load_patch()
{
	klp_load_mod "$@" || return 1
	klp_wait_transition "$1"
}

# klp_disable PATCH [MS]: disable PATCH and wait until its sysfs directory
# is gone, for at most MS milliseconds (default 15 s).
klp_disable()
{
	if ! klp_write "$KLP_SYSFS/$1/enabled" 0; then
		klp_fail "$1: disable" "writing 0 to enabled failed: $KLP_ERR"
		return 1
	fi
	klp_pass "$1: disable"
	klp_wait_gone "$@"
}

# klp_remove MODULE: rmmod MODULE, which must work.
klp_remove()
{
	if klp_unload "$1"; then
		klp_pass "rmmod $1"
		return 0
	fi
	klp_fail "rmmod $1" "$KLP_ERR"
	return 1
}

# klp_remove_patch PATCH: disable PATCH and unload its module.
klp_remove_patch()
{
	klp_disable "$1" && klp_remove "$1"
}

# klp_forced PATCH: the transition of PATCH was forced, so its module may
# not be unloadable any more: the cleanup tolerates that.
klp_forced()
{
	klp_is_forced[$1]=1
}

# klp_keep MODULE: leave MODULE loaded when the script ends.
klp_keep()
{
	klp_forget "$1"
	klp_info "$1 stays loaded"
}

klp_mod_unused()
{
	[ "$(klp_read "/sys/module/$1/refcnt")" = 0 ]
}

# klp_pinned MODULE: MODULE is a live patch module without a patch in
# $KLP_SYSFS that stays in use: a forced transition pinned it until
# reboot.
klp_pinned()
{
	[ -d "/sys/module/$1" ] || return 1
	grep -q K "/sys/module/$1/taint" 2>/dev/null || return 1
	[ ! -e "$KLP_SYSFS/$1" ] || return 1
	! klp_poll_ms 1000 klp_mod_unused "$1"
}

# ---------------------------------------------------------------------------
# Cycles: a test that repeats its steps many times (test-stress.sh,
# test-hammer.sh) reports a failed step with klp_oops, the first 20 one by
# one, counts them in klp_failures and sets klp_cycle as it goes.

klp_failures=0
klp_cycle=0

# klp_oops WHAT: a failure in cycle klp_cycle.
klp_oops()
{
	klp_failures=$((klp_failures + 1))
	[ $klp_failures -le 20 ] && klp_info "cycle $klp_cycle: $*"
	return 0
}

# klp_cycle_wait PATCH: its transition completes within 15 s.
klp_cycle_wait()
{
	klp_poll_ms 15000 klp_transition_done "$1" ||
		klp_oops "$1: transition not done after 15 s;" \
			"blockers: $(klp_blockers "$1" | head -3 | tr '\n' ';')"
}

# klp_cycle_load PATCH [PARAM=VALUE...]: insmod, then wait for its
# transition.
klp_cycle_load()
{
	if insmod "$KLP_MOD_DIR/$1.ko" "${@:2}" 2>/dev/null; then
		klp_cycle_wait "$1"
	else
		klp_oops "insmod $1 failed"
	fi
}

# klp_cycle_replaced PATCH: replaced, its directory goes and rmmod works.
klp_cycle_replaced()
{
	klp_poll_ms 15000 klp_patch_gone "$1" ||
		klp_oops "$1: still in $KLP_SYSFS after the replace"
	rmmod "$1" 2>/dev/null || klp_oops "rmmod $1 failed"
}

# ---------------------------------------------------------------------------
# Cleanup

# klp_on_cleanup COMMAND: run COMMAND (with eval) when the script ends,
# before the modules are removed.
klp_on_cleanup()
{
	klp_hooks+=("$1")
}

# klp_cleanup_patch PATCH: remove PATCH whatever its state; report only
# what fails.
klp_cleanup_patch()
{
	local p=$1

	if [ -d "$KLP_SYSFS/$p" ]; then
		klp_poll klp_transition_done "$p"
		[ "$(klp_read "$KLP_SYSFS/$p/enabled")" = 1 ] &&
			klp_write "$KLP_SYSFS/$p/enabled" 0
		if ! klp_poll klp_patch_gone "$p"; then
			klp_fail "cleanup: disable $p" "$KLP_SYSFS/$p is still there"
			return 1
		fi
	fi
	if ! klp_mod_loaded "$p"; then
		klp_forget "$p"
	elif klp_unload "$p"; then
		:
	elif [ -n "${klp_is_forced[$p]:-}" ]; then
		# A forced patch module stays until reboot.
		klp_keep "$p"
	else
		klp_fail "cleanup: rmmod $p" "$KLP_ERR"
	fi
}

klp_cleanup()
{
	local i mod mods

	[ "$klp_cleanup_done" = 1 ] && return 0
	klp_cleanup_done=1

	for ((i = ${#klp_hooks[@]} - 1; i >= 0; i--)); do
		eval "${klp_hooks[i]}" > /dev/null 2>&1
	done

	mods=("${klp_loaded[@]}")
	for ((i = ${#mods[@]} - 1; i >= 0; i--)); do
		mod=${mods[i]}
		[ -n "${klp_is_patch[$mod]:-}" ] || continue
		klp_info "cleanup: removing live patch $mod"
		klp_cleanup_patch "$mod"
	done

	mods=("${klp_loaded[@]}")
	for ((i = ${#mods[@]} - 1; i >= 0; i--)); do
		mod=${mods[i]}
		klp_info "cleanup: removing $mod"
		if klp_mod_loaded "$mod"; then
			klp_unload "$mod" ||
				klp_fail "cleanup: rmmod $mod" "$KLP_ERR"
		else
			klp_forget "$mod"
		fi
	done
}

klp_on_exit()
{
	local rc=$?

	trap - EXIT
	klp_cleanup
	[ $rc -eq 0 ] && [ $klp_nr_failed -ne 0 ] && rc=1
	exit $rc
}

# klp_check_leftovers: no test module may be loaded when a test starts.  A
# previous test that left one behind is reported, and its modules removed
# so that this test can run.  The module of a forced patch is not a
# leftover: it cannot be removed before reboot.
klp_check_leftovers()
{
	local left='' mod

	for mod in $(lsmod | awk '$1 ~ /^test_klp_/ { print $1 }'); do
		if klp_pinned "$mod"; then
			klp_info "$mod stays loaded until reboot (forced patch)"
		else
			left="$left $mod"
		fi
	done
	if [ -z "$left" ]; then
		klp_pass "no test module left loaded by an earlier test"
		return 0
	fi
	klp_fail "no test module left loaded by an earlier test" \
		"found$left"
	for mod in $left; do
		[ -d "$KLP_SYSFS/$mod" ] && klp_cleanup_patch "$mod"
	done
	for mod in $left; do
		klp_mod_loaded "$mod" && rmmod "$mod"
	done
}

# klp_setup [MODULE...]: skip unless the test can run (root, KDIR, live
# patching, the test modules it needs), then arm the cleanup.
klp_setup()
{
	klp_require_root
	klp_require_kdir
	klp_require_livepatch
	klp_require_modules "$@"

	trap klp_on_exit EXIT
	trap 'exit 1' HUP INT TERM

	klp_info "$KLP_TEST: kernel $(uname -r)"
	klp_check_leftovers
}

# klp_finish: clean up, print a summary and exit: 1 if a check failed.
klp_finish()
{
	klp_cleanup
	echo "# $KLP_TEST: $klp_nr_checks checks, $klp_nr_failed failed"
	[ $klp_nr_failed -eq 0 ] && exit 0
	exit 1
}
