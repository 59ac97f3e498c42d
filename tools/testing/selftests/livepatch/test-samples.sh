#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sample live patches of samples/livepatch, built with
# CONFIG_SAMPLE_LIVEPATCH=m and installed with the kernel's modules, do
# what they claim:
#
#  - livepatch-sample changes /proc/cmdline while it is enabled;
#  - livepatch-shadow-mod leaks one unit of its pool's quota per retired
#    ticket until the pool refuses tickets; livepatch-shadow-fix1 stops
#    the leak for tickets issued under it, on a running module and on one
#    loaded after it, and the module's exit under it returns every unit;
#    livepatch-shadow-fix2 on top keeps it stopped, tickets of either
#    patch retired by the other included, and counts scans; the leak
#    comes back when both are gone;
#  - livepatch-callbacks-demo waits for livepatch-callbacks-busymod's work
#    to leave the function it replaces, runs its callbacks in the
#    documented order for vmlinux and modules that come and go, and
#    refuses a module when its pre_patch fails.
#
# The states come from sysfs and the samples' parameters; the order of
# the callbacks from the lines the demo logs.

. "$(dirname "$0")/functions.sh"

SAMPLE=livepatch_sample
SMOD=livepatch_shadow_mod
FIX1=livepatch_shadow_fix1
FIX2=livepatch_shadow_fix2
DEMO=livepatch_callbacks_demo
CMOD=livepatch_callbacks_mod
BUSY=livepatch_callbacks_busymod
SAMPLES="$SAMPLE $SMOD $FIX1 $FIX2 $DEMO $CMOD $BUSY"

# The pool of livepatch-shadow-mod in this test: a ticket every 50 ms,
# living 500 ms, so about 10 live tickets.
PERIOD_MS=50
TTL_MS=500
SHADOW_PARAMS=("period_ms=$PERIOD_MS" "ttl_ms=$TTL_MS")
# Small enough to run out within a few seconds, large enough for the
# live tickets: 2 * TTL_MS / PERIOD_MS.
QUOTA=20
# How long the pool may take for a given number of tickets: generous,
# the guest may be slow.
POOL_MS=30000

# ---------------------------------------------------------------------------
# The samples are modules of the kernel, not test modules: klp_load finds
# them, by module name, through links in a directory of their own.

samples_find()
{
	local name ko dir

	dir=$(mktemp -d /tmp/klp-samples.XXXXXX) || klp_skip "no mktemp"
	KLP_MOD_DIR=$dir
	klp_on_cleanup "rm -rf '$dir'"
	for name in $SAMPLES; do
		ko=$(modinfo -n "$name" 2>/dev/null)
		[ -f "$ko" ] ||
			ko=/lib/modules/$(uname -r)/kernel/samples/livepatch/${name//_/-}.ko
		[ -f "$ko" ] ||
			klp_skip "sample module $name is not installed (CONFIG_SAMPLE_LIVEPATCH=m)"
		ln -s "$ko" "$dir/$name.ko"
	done
	modinfo -F parm "$dir/$SMOD.ko" | grep -q '^stats:' ||
		klp_skip "the installed $SMOD is not the sample this test knows"
}

# The samples are found once the test is known to run, see samples_find.
# shellcheck disable=SC2119
klp_setup
samples_find

# A sample left loaded by someone else would change what this test sees.
left=
for mod in $SAMPLES; do
	klp_mod_loaded "$mod" && left="$left $mod"
done
if [ -n "$left" ]; then
	klp_fail "no sample module is loaded before the test" "found$left"
	klp_finish
fi
klp_pass "no sample module is loaded before the test"

# ---------------------------------------------------------------------------
# livepatch-sample

original=$(cat /proc/cmdline)

klp_load_patch $SAMPLE
assert_file_content "$KLP_SYSFS/$SAMPLE/enabled" 1
assert_file_content "$KLP_SYSFS/$SAMPLE/vmlinux/patched" 1
assert_file_content /proc/cmdline "this has been live patched" \
	"$SAMPLE: /proc/cmdline shows the replacement"
klp_disable $SAMPLE
assert_file_content /proc/cmdline "$original" \
	"$SAMPLE: /proc/cmdline is back after disabling"
klp_remove $SAMPLE

# ---------------------------------------------------------------------------
# The shadow variable samples.

# shadow_snapshot: read the stats of the pool, one consistent line, into
# issued, retired, refused, live, reserved and max_scans (empty when the
# line has no max_scans).
shadow_snapshot()
{
	local field line

	issued='' retired='' refused='' live='' reserved='' max_scans=''
	line=$(klp_param $SMOD stats)
	for field in $line; do
		case $field in
		issued=*|retired=*|refused=*|live=*|reserved=*|max_scans=*)
			printf -v "${field%%=*}" '%s' "${field#*=}" ;;
		esac
	done
	[ -n "$issued" ] && [ -n "$retired" ] && [ -n "$refused" ] &&
		[ -n "$live" ] && [ -n "$reserved" ]
}

# shellcheck disable=SC2317 # run through klp_poll_ms
shadow_retired_reaches()
{
	shadow_snapshot && [ "$retired" -ge "$1" ]
}

# shellcheck disable=SC2317 # run through klp_poll_ms
shadow_refuses()
{
	shadow_snapshot && [ "$refused" -gt 0 ]
}

# shadow_all_back: since the mark, livepatch-shadow-mod went and reported
# no unit lost.
# shellcheck disable=SC2317 # run through assert_true
shadow_all_back()
{
	klp_log_since_mark |
		grep -q "$SMOD: retired every ticket; 0 units were never given back"
}

# shadow_wait_retired WHAT N: the pool retires its Nth ticket.
shadow_wait_retired()
{
	if klp_poll_ms $POOL_MS shadow_retired_reaches "$2"; then
		return 0
	fi
	klp_fail "$1" "the pool did not retire $2 tickets in" \
		"$(klp_duration $POOL_MS): '$(klp_param $SMOD stats)'"
	return 1
}

# shadow_wait_settled WHAT: every ticket issued until now is retired.
shadow_wait_settled()
{
	shadow_snapshot || { klp_fail "$1" "no stats"; return 1; }
	shadow_wait_retired "$1" "$issued"
}

# shadow_leak_grows WHAT: over 10 retirements, each retired ticket leaks
# its unit: reserved - live grows by the number of tickets retired.
shadow_leak_grows()
{
	local what=$1 leak0 retired0

	shadow_snapshot || { klp_fail "$what" "no stats"; return; }
	leak0=$((reserved - live))
	retired0=$retired
	shadow_wait_retired "$what" $((retired0 + 10)) || return
	assert_eq "$what" $((retired - retired0)) \
		$((reserved - live - leak0))
}

# shadow_leak_stays WHAT: over 10 retirements, the leak does not change
# and the pool refuses nothing.
shadow_leak_stays()
{
	local what=$1 leak0 retired0

	shadow_snapshot || { klp_fail "$what" "no stats"; return; }
	leak0=$((reserved - live))
	retired0=$retired
	shadow_wait_retired "$what" $((retired0 + 10)) || return
	assert_eq "$what" "$leak0 refused=0" \
		"$((reserved - live)) refused=$refused"
}

# shadow_balanced_until WHAT N: in every snapshot until the Nth ticket is
# retired, the pool has as many units reserved as tickets alive, and
# refuses none.
shadow_balanced_until()
{
	local what=$1 bad='' deadline

	deadline=$(($(klp_now_ms) + POOL_MS))
	while shadow_snapshot; do
		if [ "$reserved" != "$live" ] || [ "$refused" != 0 ]; then
			bad="live=$live reserved=$reserved refused=$refused"
			break
		fi
		[ "$retired" -ge "$2" ] && break
		if [ "$(klp_now_ms)" -ge "$deadline" ]; then
			bad="the pool did not retire $2 tickets: retired=$retired"
			break
		fi
		sleep 0.1
	done
	[ -n "$issued" ] || bad="no stats"
	if [ -z "$bad" ]; then
		klp_pass "$what"
	else
		klp_fail "$what" "$bad"
	fi
}

# 1. A running module, fixed by fix1 and unfixed again.
klp_load_mod $SMOD "${SHADOW_PARAMS[@]}"
shadow_wait_retired "$SMOD retires tickets" 5 &&
	klp_pass "$SMOD retires tickets"
shadow_leak_grows "without a patch, every retired ticket of $SMOD leaks its unit"

klp_load_patch $FIX1
assert_file_content "$KLP_SYSFS/$FIX1/$SMOD/patched" 1
# Tickets issued by the old code keep leaking when they are retired.
shadow_wait_settled "$FIX1: the tickets issued before it are retired"
shadow_leak_stays "$FIX1: retired tickets give their units back"

klp_disable $FIX1
shadow_leak_grows "$FIX1 disabled: every retired ticket leaks its unit again"
klp_remove $FIX1
klp_remove $SMOD

# 2. The leak is a bug: the pool runs out and refuses tickets.
klp_load_mod $SMOD "${SHADOW_PARAMS[@]}" quota=$QUOTA
if klp_poll_ms $POOL_MS shadow_refuses; then
	klp_pass "without a patch, $SMOD runs out of quota and refuses tickets"
	assert_eq "$SMOD issued exactly its quota of tickets" $QUOTA "$issued"
else
	klp_fail "without a patch, $SMOD runs out of quota and refuses tickets" \
		"'$(klp_param $SMOD stats)'"
fi
klp_remove $SMOD

# 3. fix1 first: the module is patched as it comes, before its code runs.
klp_load_patch $FIX1
assert_file_content "$KLP_SYSFS/$FIX1/$SMOD/patched" 0 \
	"$FIX1: $SMOD is not patched before it is loaded"
klp_load_mod $SMOD "${SHADOW_PARAMS[@]}" quota=$QUOTA
assert_file_content "$KLP_SYSFS/$FIX1/$SMOD/patched" 1 \
	"$FIX1: $SMOD is patched when it is loaded"
shadow_balanced_until \
	"$FIX1: every unit comes back, $SMOD issues three times its quota" \
	$((3 * QUOTA))

# 4. fix2 on top of fix1: tickets issued under fix1 and retired under
# fix2 give their units back too.
klp_load_patch $FIX2
assert_file_content "$KLP_SYSFS/$FIX2/$SMOD/patched" 1
assert_file_content "$KLP_SYSFS/$FIX1/enabled" 1 \
	"$FIX1 stays enabled below $FIX2"
shadow_snapshot
assert_true "$FIX2: the stats of $SMOD show max_scans" [ -n "$max_scans" ]
shadow_balanced_until \
	"$FIX2: every unit comes back, tickets issued under $FIX1 included" \
	$((issued + 2 * QUOTA))
# A ticket goes through at most one scan per period of its life, and
# tickets issued before fix2 were counted late.
max=$((TTL_MS / PERIOD_MS + 2))
if [ -n "$max_scans" ] && [ "$max_scans" -ge 1 ] &&
   [ "$max_scans" -le $max ]; then
	klp_pass "$FIX2: max_scans is between 1 and $max"
else
	klp_fail "$FIX2: max_scans is between 1 and $max" \
		"'$(klp_param $SMOD stats)'"
fi

# 5. fix2 goes: fix1 carries on.  fix2 gave back the units of the live
# tickets when it went; they are balanced again once those are retired.
klp_disable $FIX2
assert_file_content "$KLP_SYSFS/$FIX1/enabled" 1 \
	"$FIX1 is still enabled after $FIX2 is gone"
shadow_snapshot
assert_eq "$FIX2 disabled: the stats of $SMOD no longer show max_scans" "" \
	"$max_scans"
klp_remove $FIX2
shadow_wait_settled "the tickets alive when $FIX2 went are retired"
shadow_balanced_until "$FIX1 alone again: every unit comes back" \
	$((retired + 2 * QUOTA))

# 6. The module goes while fix1 is enabled: its exit retires the live
# tickets through fix1, so it reports every unit given back.
klp_mark_log
klp_remove $SMOD
assert_file_content "$KLP_SYSFS/$FIX1/$SMOD/patched" 0 \
	"$FIX1: $SMOD is not patched once it is gone"
assert_true "$SMOD: every unit came back when it went" shadow_all_back
klp_load_mod $SMOD "${SHADOW_PARAMS[@]}" quota=$QUOTA
assert_file_content "$KLP_SYSFS/$FIX1/$SMOD/patched" 1 \
	"$FIX1: $SMOD is patched again when it is loaded again"
shadow_wait_retired "$SMOD retires tickets under $FIX1" 5 &&
	klp_pass "$SMOD retires tickets under $FIX1"

# 7. Without either patch, the pool runs out again.
klp_disable $FIX1
if klp_poll_ms $POOL_MS shadow_refuses; then
	klp_pass "$FIX1 disabled: $SMOD runs out of quota again"
else
	klp_fail "$FIX1 disabled: $SMOD runs out of quota again" \
		"'$(klp_param $SMOD stats)'"
fi
klp_remove $FIX1
klp_remove $SMOD

# ---------------------------------------------------------------------------
# The callbacks demo.

# demo_calls: the callbacks the demo logged since the mark, one
# "<callback>: <object>[ (<state>)]" a line, joined with ";".
demo_calls()
{
	klp_log_since_mark |
		sed -n "s/^\[[^]]*\] $DEMO: //p" |
		grep -E '^(pre|post)_(un)?patch: (vmlinux$|livepatch_)' |
		tr '\n' ';' | sed 's/;$//'
}

# demo_all CALLBACK: what demo_calls shows when CALLBACK runs for the
# three objects, the modules being loaded.
demo_all()
{
	echo "$1: vmlinux;$1: $CMOD (live);$1: $BUSY (live)"
}

# shellcheck disable=SC2317 # run through klp_poll_ms
demo_logged()
{
	klp_log_since_mark | grep -q "$DEMO: $1"
}

# shellcheck disable=SC2317 # run through klp_poll_ms
busy_sleeps()
{
	[ "$(klp_param "$BUSY" busy)" = Y ]
}

mod_state()
{
	klp_read "$KLP_SYSFS/$DEMO/$1/patched"
}

original=$(cat /proc/cmdline)
greeting=/sys/module/$CMOD/parameters/greeting

# 1. The transition waits for the work sleeping in the replaced function.
klp_load_mod $CMOD
assert_file_content "$greeting" "hello from $CMOD"
klp_load_mod $BUSY sleep_secs=600
klp_on_cleanup "echo 0 > /sys/module/$BUSY/parameters/sleep_secs"
if klp_poll_ms $KLP_PROGRESS_MS busy_sleeps; then
	klp_pass "$BUSY: the work sleeps in callbacks_busymod_work_func()"
else
	klp_fail "$BUSY: the work sleeps in callbacks_busymod_work_func()" \
		"busy reads '$(klp_param $BUSY busy)'"
fi
worker=$(klp_param $BUSY worker)

klp_mark_log
klp_load_mod $DEMO
assert_file_content "$KLP_SYSFS/$DEMO/enabled" 1
assert_true "$DEMO: the transition waits while the work sleeps" \
	klp_holds_ms 1000 klp_in_transition $DEMO
if klp_poll_ms $KLP_PROGRESS_MS klp_blocked_by $DEMO "$worker" \
	'callbacks_busymod_work_func\+'; then
	klp_pass "$DEMO: blockers name the worker $worker in the replaced function"
else
	klp_fail "$DEMO: blockers name the worker $worker in the replaced function" \
		"blockers: '$(klp_blockers $DEMO | tr '\n' ';')'"
fi
assert_eq "$DEMO: only the pre_patch callbacks ran during the transition" \
	"$(demo_all pre_patch)" "$(demo_calls)"

assert_write_ok "$BUSY: end the sleep" \
	"/sys/module/$BUSY/parameters/sleep_secs" 0
klp_wait_transition $DEMO
assert_eq "$BUSY: the work left the replaced function" N \
	"$(klp_param $BUSY busy)"
assert_eq "$DEMO: the post_patch callbacks ran once the transition completed" \
	"$(demo_all pre_patch);$(demo_all post_patch)" "$(demo_calls)"
for obj in vmlinux $CMOD $BUSY; do
	assert_eq "$DEMO: object $obj is patched" 1 "$(mod_state "$obj")"
done
assert_file_content /proc/cmdline "$DEMO is enabled" \
	"$DEMO: /proc/cmdline shows the replacement"
assert_file_content "$greeting" "hello from $DEMO" \
	"$DEMO: the greeting of $CMOD shows the replacement"

# 2. Modules that go and come while the patch is enabled.
klp_mark_log
klp_remove $CMOD
assert_eq "$DEMO: object $CMOD is not patched once it is gone" 0 \
	"$(mod_state $CMOD)"
assert_eq "$DEMO: unpatch callbacks of $CMOD ran as it went" \
	"pre_unpatch: $CMOD (going);post_unpatch: $CMOD (going)" \
	"$(demo_calls)"

klp_mark_log
klp_load_mod $CMOD
assert_eq "$DEMO: object $CMOD is patched as it comes" 1 "$(mod_state $CMOD)"
assert_eq "$DEMO: patch callbacks of $CMOD ran as it came" \
	"pre_patch: $CMOD (coming);post_patch: $CMOD (coming)" \
	"$(demo_calls)"
assert_file_content "$greeting" "hello from $DEMO" \
	"$DEMO: the greeting of the reloaded $CMOD shows the replacement"

# A failing pre_patch refuses the module, and no post_unpatch follows.
klp_remove $CMOD
assert_write_ok "$DEMO: make pre_patch fail with -ENODEV" \
	"/sys/module/$DEMO/parameters/pre_patch_ret" -19
klp_mark_log
if klp_load $CMOD; then
	klp_fail "$DEMO: a failing pre_patch refuses $CMOD" "it loaded"
else
	assert_eq "$DEMO: a failing pre_patch refuses $CMOD with its error" \
		ENODEV "$KLP_ERRNO"
fi
assert_false "$CMOD is not loaded after the refusal" klp_mod_loaded $CMOD
assert_eq "$DEMO: only pre_patch ran for the refused $CMOD" \
	"pre_patch: $CMOD (coming)" "$(demo_calls)"
assert_eq "$DEMO: object $CMOD is not patched after the refusal" 0 \
	"$(mod_state $CMOD)"
assert_write_ok "$DEMO: let pre_patch succeed again" \
	"/sys/module/$DEMO/parameters/pre_patch_ret" 0
klp_load_mod $CMOD
assert_eq "$DEMO: object $CMOD is patched again" 1 "$(mod_state $CMOD)"

# The work of a busymod loaded now runs the replacement: the original,
# which would set "worker", never runs.
klp_remove $BUSY
klp_mark_log
klp_load_mod $BUSY sleep_secs=600
if klp_poll_ms $KLP_PROGRESS_MS demo_logged \
	"the patched work of $BUSY does not sleep"; then
	klp_pass "$DEMO: the work of the reloaded $BUSY runs the replacement"
else
	klp_fail "$DEMO: the work of the reloaded $BUSY runs the replacement" \
		"no such line in the kernel log"
fi
assert_eq "$BUSY: the original work function did not run" "0 N" \
	"$(klp_param $BUSY worker) $(klp_param $BUSY busy)"

# 3. Disabling: pre_unpatch for every object, then post_unpatch.
klp_mark_log
klp_disable $DEMO
assert_eq "$DEMO: unpatch callbacks ran in order when it was disabled" \
	"$(demo_all pre_unpatch);$(demo_all post_unpatch)" "$(demo_calls)"
assert_file_content /proc/cmdline "$original" \
	"$DEMO: /proc/cmdline is back after disabling"
assert_file_content "$greeting" "hello from $CMOD" \
	"$DEMO: the greeting of $CMOD is back after disabling"
klp_remove $DEMO
klp_remove $BUSY
klp_remove $CMOD

klp_finish
