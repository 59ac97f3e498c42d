#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The live patching hammer: an outer and an inner function, the outer one
# calling the inner one twice (test_klp_hammer_target), are called all
# the time by kthreads, an hrtimer, on x86_64 an NMI, and user processes
# reading a /proc file (test_klp_hammer), while KLP_STRESS_CYCLES cycles
# (default 10, 4 on s390x) of these steps run:
#
#   test_klp_hammer_p1  enable: variant 1 of both functions
#   test_klp_hammer_p2  stack: variant 2 on variant 1; in every third
#                       cycle while tasks wait in variant 1's outer
#                       function, and the transition is forced
#   reversal            disable p2 while tasks wait in its outer function,
#                       reverse to enabled, let them go
#   test_klp_hammer_p3  cumulative replace of p1 and p2: variant 3
#   target module       unloaded and loaded again, under p3 or unpatched
#   disable p3          back to variant 0
#
# An ftrace user shares the call sites in each cycle, in turn the function
# tracer, a kprobe event, the function graph tracer, a BPF fexit program
# (where the kernel has BTF: test_klp-fexit) or none; it comes before the
# first patch or after it (every other cycle), and goes after the second.
#
# Checked in every cycle:
#  - no call mixed universes: each variant of the outer function returns
#    its id and those of its two inner calls, and the callers count
#    results whose ids differ.  A forced transition voids that for the
#    calls in flight when it is forced, and only for them: the tasks that
#    waited in variant 1 call variant 2's inner function, and at most one
#    call per task and per CPU and interrupt level may mix, outer 1 with
#    inner 2; the calls that begin after it do not;
#  - once a transition to variant N is done, the calls run variant N and
#    no other (the counters of variant N grow, those of the others stand);
#  - with the target gone, no call is in flight, so the counters add up:
#    the calls made are the calls of the outer variants, each inner variant
#    ran twice as often as its outer one, but for the inner calls that a
#    forced transition crossed (no call lost or doubled);
#  - where ftrace has jump targets (x86_64, s390x), the call sites jump to the
#    variant in steady state, and not while another ftrace user shares
#    them; the sharer sees the calls.
#
# Only the failures are reported one by one; the cycles are counted.

. "$(dirname "$0")/functions.sh"

DRV=test_klp_hammer
TGT=test_klp_hammer_target
P1=test_klp_hammer_p1
P2=test_klp_hammer_p2
P3=test_klp_hammer_p3
OUTER=test_klp_hammer_outer
INNER=test_klp_hammer_inner
STATS=/sys/module/$DRV/parameters/stats
HAMMER=$KLP_DIR/test_klp-hammer
FEXIT=$KLP_DIR/test_klp-fexit
NR_USERS=2
NR_KTHREADS=2
CALLERS="kthread timer user"
[ "$(uname -m)" = x86_64 ] && CALLERS+=" nmi"
T=$KLP_TRACEFS
PROBE=klp_hammer_probe

if [ -n "${KLP_STRESS_CYCLES:-}" ]; then
	CYCLES=$KLP_STRESS_CYCLES
elif [ "$(uname -m)" = s390x ]; then
	CYCLES=4
else
	CYCLES=10
fi

klp_setup $DRV $TGT $P1 $P2 $P3
[ -x "$HAMMER" ] || klp_skip "no $HAMMER"

failed_cycles=0
forced=0
# The mixed calls that forced transitions explain; while one is being
# forced, read_stats does not check them.
mixed_ok=0
forcing=''

# --- The counters of test_klp_hammer, in S[name].
declare -A S

read_stats()
{
	local stats kv

	klp_read_var stats "$STATS"
	S=()
	for kv in $stats; do
		S[${kv%%=*}]=${kv#*=}
	done
	[ -n "$forcing" ] || [ "${S[mixed]:-}" = "$mixed_ok" ] ||
		klp_oops "calls mixed universes: mixed=${S[mixed]:-?} ($mixed_ok after a" \
			"forced transition), last result ${S[last]:-?}"
}

# outer_above ID VALUE: variant ID of the outer function ran more than
# VALUE times.
# shellcheck disable=SC2317 # run through klp_poll_ms
outer_above()
{
	read_stats
	[ "${S[outer$1]:-0}" -gt "$2" ]
}

# called_by CALLER: the callers of kind CALLER made calls.
# shellcheck disable=SC2317 # run through klp_poll_ms
called_by()
{
	read_stats
	[ "${S[$1]:-0}" -gt 0 ]
}

# runs ID: the calls run variant ID, and only that one: its outer and
# inner counters grow, those of the other variants stand.
runs()
{
	local id seen=() i

	read_stats
	for i in 0 1 2 3; do
		seen[i]="${S[outer$i]:-0} ${S[inner$i]:-0}"
	done
	if ! klp_poll_ms $KLP_PROGRESS_MS outer_above "$1" "${S[outer$1]:-0}"; then
		klp_oops "no call ran variant $1 within 5 s"
		return
	fi
	[ "${S[inner$1]:-0}" -gt "${seen[$1]#* }" ] ||
		klp_oops "the inner function did not run variant $1"
	for id in 0 1 2 3; do
		[ "$id" = "$1" ] && continue
		[ "${seen[id]}" = "${S[outer$id]:-0} ${S[inner$id]:-0}" ] ||
			klp_oops "variant $id ran after the transition to variant $1" \
				"(outer inner: ${seen[id]} -> ${S[outer$id]} ${S[inner$id]})"
	done
}

# adds_up: with the target gone, the counters add up: each variant of the
# inner function ran twice as often as the same variant of the outer one,
# but for the inner calls that forced transitions crossed (crossA_B: outer
# variant A, inner variant B).
adds_up()
{
	local id sum=0 kv a b
	local -a want

	read_stats
	for id in 0 1 2 3; do
		sum=$((sum + ${S[outer$id]:-0}))
		want[id]=$((2 * ${S[outer$id]:-0}))
	done
	for kv in "${!S[@]}"; do
		[[ $kv = cross* ]] || continue
		a=${kv#cross}
		b=${a#*_}
		a=${a%_*}
		[[ $a$b = [0-3][0-3] ]] || { klp_oops "unknown counter $kv"; continue; }
		want[a]=$((want[a] - S[$kv]))
		want[b]=$((want[b] + S[$kv]))
	done
	for id in 0 1 2 3; do
		[ "${S[inner$id]:-0}" = "${want[id]}" ] ||
			klp_oops "variant $id: ${S[inner$id]:-?} inner calls for" \
				"${S[outer$id]:-?} outer ones, ${want[id]} expected"
	done
	[ "${S[calls]:-}" = "$sum" ] ||
		klp_oops "${S[calls]:-?} calls made, $sum calls of the outer variants"
	[ "${S[calls]:-}" = $((S[kthread] + S[timer] + S[user] + S[nmi])) ] ||
		klp_oops "the calls of the callers do not add up: ${S[*]}"
}

# --- Patches and the target.

# disable PATCH: disable it, wait until it is gone, rmmod.
disable()
{
	klp_write "$KLP_SYSFS/$1/enabled" 0 || klp_oops "disabling $1 failed: $KLP_ERR"
	klp_poll_ms 15000 klp_patch_gone "$1" || klp_oops "$1: not gone after disable"
	rmmod "$1" 2>/dev/null || klp_oops "rmmod $1 failed"
}

# hold_tasks PATCH: make the tasks that call the outer function of PATCH
# wait in it, return once one does.  held_before: how many had waited
# before (not printed: klp_oops must count in this shell).
hold_tasks()
{
	held_before=$(klp_param "$1" holds)
	held_before=${held_before:-0}
	klp_write "/sys/module/$1/parameters/hold" 1
	klp_poll_ms $KLP_PROGRESS_MS klp_counter_above "$1" holds "$held_before" ||
		klp_oops "$1: no task waits in its outer function"
}

# reverse PATCH: tasks wait in the outer function of PATCH, which holds
# up its disabling; the transition is reversed, the tasks go on.
reverse()
{
	local p=$1

	hold_tasks "$p"
	klp_write "$KLP_SYSFS/$p/enabled" 0 || klp_oops "disabling $p failed: $KLP_ERR"
	klp_in_transition "$p" ||
		klp_oops "$p: the disabling is not held up by the waiting tasks"
	klp_write "$KLP_SYSFS/$p/enabled" 1 ||
		klp_oops "reversing the disabling of $p failed: $KLP_ERR"
	klp_write "/sys/module/$p/parameters/hold" 0
	klp_cycle_wait "$p"
	[ "$(klp_read "$KLP_SYSFS/$p/enabled")" = 1 ] ||
		klp_oops "$p: not enabled after the reversal"
}

# force_stack: stack test_klp_hammer_p2 while tasks wait in variant 1 of
# the outer function, force the transition, let the tasks go.  Every one
# that waited finishes its call with variant 2's inner function; only the
# calls in flight at the force may mix, one per task and per CPU and
# interrupt level (hrtimer, NMI) at most.
force_stack()
{
	local h0 h1 m0 c0 held mixed cross kv
	local max=$((NR_KTHREADS + NR_USERS + 2 * $(nproc)))

	read_stats
	m0=${S[mixed]:-0}
	c0=${S[cross1_2]:-0}
	hold_tasks $P1
	h0=$held_before
	forcing=1
	insmod "$KLP_MOD_DIR/$P2.ko" 2>/dev/null || klp_oops "insmod $P2 failed"
	klp_in_transition $P2 || klp_oops "$P2: not held up by the waiting tasks"
	klp_write "$KLP_SYSFS/$P2/force" 1 || klp_oops "forcing $P2 failed: $KLP_ERR"
	klp_poll_ms 15000 klp_transition_done $P2 ||
		klp_oops "$P2: the forced transition does not end"
	klp_write "/sys/module/$P1/parameters/hold" 0
	# The calls begun before this are done: none of them waits any more.
	klp_write "/sys/module/$DRV/parameters/sync" 1 ||
		klp_oops "sync failed: $KLP_ERR"
	h1=$(klp_param $P1 holds)
	read_stats
	forcing=''
	held=$((h1 - h0))
	mixed=$((S[mixed] - m0))
	cross=$((${S[cross1_2]:-0} - c0))
	if [ "$mixed" -lt "$held" ] || [ "$mixed" -gt "$max" ]; then
		klp_oops "forced transition: $mixed calls mixed, $held tasks waited" \
			"(at least those, at most $max may mix)"
	fi
	# Outer variant 1 with one or two inner calls of variant 2, nothing else.
	if [ "$cross" -lt "$mixed" ] || [ "$cross" -gt $((2 * mixed)) ]; then
		klp_oops "forced transition: $mixed calls mixed, $cross inner calls crossed"
	fi
	for kv in "${!S[@]}"; do
		[[ $kv = cross* ]] && [ "$kv" != cross1_2 ] &&
			klp_oops "forced transition: $kv=${S[$kv]} (last mixed result ${S[last]})"
	done
	mixed_ok=${S[mixed]}
	forced=$((forced + 1))
}

# reload_target ID: unload the target, check that the counters add up,
# load it again; its functions run variant ID.
reload_target()
{
	rmmod $TGT 2>/dev/null || klp_oops "rmmod $TGT failed"
	adds_up
	insmod "$KLP_MOD_DIR/$TGT.ko" 2>/dev/null || klp_oops "insmod $TGT failed"
	runs "$1"
}

# --- The sharers of the call sites.
sharers=(none)
if [ -e "$T/available_tracers" ] && [ "$(cat "$T/current_tracer")" = nop ]; then
	grep -qw function "$T/available_tracers" && sharers+=(function)
	[ -e "$T/kprobe_events" ] && sharers+=(kprobe)
	grep -qw function_graph "$T/available_tracers" && sharers+=(function_graph)
	# A kernel with BTF has BPF trampolines: they must share the sites too.
	[ -e /sys/kernel/btf/vmlinux ] && sharers+=(fexit)
fi
fexit_pid=''
fexit_runs=''
klp_info "ftrace users that share the call sites: ${sharers[*]}"

# shellcheck disable=SC2317 # also run by klp_cleanup
sharer_stop()
{
	case $1 in
	function|function_graph)
		klp_tracer_reset
		;;
	kprobe)
		klp_kprobe_event_remove $PROBE
		;;
	fexit)
		[ -n "$fexit_pid" ] || return 0
		# The program detaches when it exits.
		kill "$fexit_pid" 2>/dev/null
		wait "$fexit_pid" 2>/dev/null ||
			klp_oops "test_klp-fexit failed: $(cat "$fexit_runs.err" 2>/dev/null)"
		fexit_pid=''
		rm -f "$fexit_runs" "$fexit_runs.err"
		;;
	esac
}

# shellcheck disable=SC2317 # run through klp_poll_ms
fexit_attached()
{
	[ -s "$fexit_runs" ] || ! kill -0 "$fexit_pid" 2>/dev/null
}

sharer_start()
{
	case $1 in
	function|function_graph)
		echo > "$T/trace"
		if ! echo "$OUTER $INNER" > "$T/set_ftrace_filter" ||
		   ! echo "$1" > "$T/current_tracer"; then
			klp_oops "the $1 tracer does not start"
		fi
		;;
	kprobe)
		if ! echo "p:$PROBE $OUTER" >> "$T/kprobe_events" ||
		   ! echo 1 > "$T/events/kprobes/$PROBE/enable"; then
			klp_oops "kprobe event $PROBE on $OUTER does not start"
		fi
		;;
	fexit)
		fexit_runs=/tmp/klp-fexit.$$
		rm -f "$fexit_runs"
		"$FEXIT" $TGT $OUTER "$fexit_runs" 2> "$fexit_runs.err" &
		fexit_pid=$!
		klp_poll_ms $KLP_PROGRESS_MS fexit_attached
		if [ ! -s "$fexit_runs" ]; then
			klp_oops "BPF fexit on $OUTER does not start:" \
				"$(cat "$fexit_runs.err" 2>/dev/null)"
		fi
		;;
	esac
}

# sharer_saw KIND: the sharer saw a call of the outer function.
# shellcheck disable=SC2317 # run through klp_poll_ms
sharer_saw()
{
	case $1 in
	function|function_graph)
		grep -q -m1 "$OUTER" "$T/trace"
		;;
	kprobe)
		awk -v p="$PROBE" '$1 == p && $2 > 0 { found = 1 }
			END { exit !found }' "$T/kprobe_profile"
		;;
	fexit)
		[ "$(cat "$fexit_runs" 2>/dev/null)" -gt 0 ] 2>/dev/null
		;;
	*)
		true
		;;
	esac
}

# jumps FUNC WANT: the call site of FUNC jumps to WANT (nothing: it does
# not jump).  Only where ftrace has jump targets.
jumps()
{
	local got

	klp_jumps || return 0
	got=$(klp_jump_target "$1")
	[ "$got" = "$2" ] ||
		klp_oops "the call of $1 jumps to '${got:-nothing}', not to '${2:-nothing}'"
}

# jumps_to N SHARER: both sites jump to variant N (0: neither jumps),
# except where SHARER shares them.
jumps_to()
{
	local outer='' inner=''

	if [ "$1" != 0 ]; then
		outer=test_klp_hammer_p$1_outer
		inner=test_klp_hammer_p$1_inner
	fi
	case $2 in
	function|function_graph) outer='' inner='' ;;
	kprobe|fexit) outer='' ;;
	esac
	jumps $OUTER "$outer"
	jumps $INNER "$inner"
}

# --- Cleanup: the sharers go, the waiting tasks go on, the patches go,
# then the callers and the target.
# shellcheck disable=SC2317 # run by klp_cleanup
remove_patches()
{
	local p

	for p in $P3 $P2 $P1; do
		[ -e "/sys/module/$p/parameters/hold" ] &&
			echo 0 > "/sys/module/$p/parameters/hold"
	done
	for p in $P3 $P2 $P1; do
		klp_mod_loaded "$p" && klp_cleanup_patch "$p"
	done
}

klp_on_cleanup "rmmod $TGT 2>/dev/null; true"
klp_on_cleanup klp_kill_bg
klp_on_cleanup remove_patches
klp_on_cleanup "sharer_stop function; sharer_stop kprobe; sharer_stop fexit"

# --- The callers.
klp_load_mod $DRV || klp_finish
klp_load_mod $TGT || klp_finish
for i in $(seq $NR_USERS); do
	"$HAMMER" 1000000 "/proc/$DRV" &
	klp_bg_pids+=($!)
	renice -n 10 -p $! > /dev/null 2>&1
done
runs 0
for caller in $CALLERS; do
	if klp_poll_ms $KLP_PROGRESS_MS called_by "$caller"; then
		klp_pass "the $caller callers call $OUTER"
	else
		klp_fail "the $caller callers call $OUTER" "stats: ${S[*]}"
	fi
done
jumps_to 0 none

start=$(klp_now_ms)
for klp_cycle in $(seq "$CYCLES"); do
	before=$klp_failures
	sharer=${sharers[klp_cycle % ${#sharers[@]}]}
	early=$((klp_cycle % 2))

	[ $early = 1 ] && sharer_start "$sharer"
	klp_cycle_load $P1
	runs 1
	[ $early = 0 ] && sharer_start "$sharer"
	jumps_to 1 "$sharer"

	if [ $((klp_cycle % 3)) = 0 ]; then
		force_stack
	else
		klp_cycle_load $P2
	fi
	runs 2
	jumps_to 2 "$sharer"
	klp_poll_ms $KLP_PROGRESS_MS sharer_saw "$sharer" ||
		klp_oops "the $sharer sharer saw no call of $OUTER"
	sharer_stop "$sharer"
	jumps_to 2 none

	reverse $P2
	runs 2
	jumps_to 2 none

	klp_cycle_load $P3
	klp_cycle_replaced $P2
	klp_cycle_replaced $P1
	runs 3
	jumps_to 3 none

	if [ $((klp_cycle % 2)) = 1 ]; then
		reload_target 3
		jumps_to 3 none
	fi

	disable $P3
	runs 0
	jumps_to 0 none

	if [ $((klp_cycle % 2)) = 0 ]; then
		reload_target 0
		jumps_to 0 none
	fi

	[ $klp_failures = "$before" ] || failed_cycles=$((failed_cycles + 1))
	[ $((klp_cycle % 10)) = 0 ] && klp_info "$klp_cycle cycles, $failed_cycles failed"
done
elapsed=$(( $(klp_now_ms) - start ))

assert_true "the user callers ran all along" kill -0 "${klp_bg_pids[@]}"
klp_kill_bg
rmmod $TGT 2>/dev/null || klp_oops "rmmod $TGT failed"
adds_up
read_stats
klp_info "$CYCLES cycles in $(klp_duration $elapsed), $klp_failures failures"
klp_info "calls: ${S[calls]} (kthreads ${S[kthread]}, hrtimer ${S[timer]}," \
	"NMIs ${S[nmi]}, reads ${S[user]}); by variant: ${S[outer0]} ${S[outer1]}" \
	"${S[outer2]} ${S[outer3]}; mixed by $forced forced transitions: $mixed_ok"
assert_eq "no call mixed universes but those forced" "$mixed_ok" "${S[mixed]}"
steps="enable, stack (forced in $forced), reversal, replace, reload, disable"
assert_eq "$CYCLES cycles of $steps: failed cycles" 0 $failed_cycles
klp_remove $DRV

klp_finish
