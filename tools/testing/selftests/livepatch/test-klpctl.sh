#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# klpctl, the command of tools/livepatch, against real patches.  Every
# subcommand is checked by what it does to the kernel (sysfs, lsmod,
# /proc/cmdline) and by what it says, as text and as JSON, which is
# parsed back:
#  - help, usage errors (exit 2) and bad input (exit 1): a missing file,
#    a file that is not a module, a module that is not a live patch (not
#    loaded), no such patch, not root;
#  - load --wait, stacking, a patch of a module that is not loaded,
#    functions, status, tasks, disable --wait and unload;
#  - a transition held by the kthread of test_klp_busy: status exits 3,
#    blockers name the kthread and its function, wait --timeout exits 4
#    and prints them, a second load is refused, disable reverses the
#    enable, force asks for --yes and then completes the transition, and
#    unload removes the forced patch's module.

. "$(dirname "$0")/functions.sh"

KLPCTL=$KLP_DIR/klpctl
TARGET=test_klp_busy
PATCH=test_klp_busy_patch
VMLINUX=test_klp_vmlinux
VMLINUX2=test_klp_vmlinux2
MODPATCH=test_klp_mod
BLOCK=/sys/module/$TARGET/parameters/block
WAIT_MS=5000
# The kthread wakes every 5 ms; klpctl names the function of a task that
# sleeps, so a check polls until it sees the kthread asleep.  Under
# emulation the kthread spends much of its time running: a bound that
# only a broken klpctl reaches.
ASLEEP_MS=30000

[ -x "$KLPCTL" ] || klp_skip "no $KLPCTL (built from tools/livepatch)"
klp_setup $TARGET $PATCH $VMLINUX $VMLINUX2 $MODPATCH
klp_on_cleanup "klp_write $BLOCK 0"

# ctl ARGS...: run klpctl; OUT and ERR get what it printed, RC its exit.
ctl()
{
	local e

	e=$(mktemp)
	OUT=$("$KLPCTL" "$@" 2> "$e")
	RC=$?
	ERR=$(cat "$e")
	rm -f "$e"
	klp_info "klpctl $*: exit $RC${ERR:+, stderr: ${ERR%%$'\n'*}}"
}

# show_out: what the last klpctl printed, in the log.
show_out()
{
	local line

	while IFS= read -r line; do
		klp_info "| $line"
	done <<< "$OUT${ERR:+$'\n'$ERR}"
}

# assert_ctl WHAT RC ARGS...: klpctl ARGS exits with RC.
assert_ctl()
{
	local what=$1 rc=$2

	shift 2
	ctl "$@"
	assert_eq "$what: exit $rc" "$rc" "$RC"
}

# has TEXT REGEX: TEXT has a line that matches the extended REGEX.
# shellcheck disable=SC2317 # run through assert_true
has()
{
	grep -qE -- "$2" <<< "$1"
}

# JSON, flattened to one "path=value" line per value, by a parser that
# rejects what is not JSON (but for the encoding of non-ASCII bytes,
# which it does not check).  Strings lose their quotes.
json_flat()
{
	awk '
	function fail(m) { print "json: " m " at " pos > "/dev/stderr"; exit 1 }
	function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1))) pos++ }
	function str(   out, c) {
		out = ""
		pos++
		while (pos <= n) {
			c = substr(s, pos, 1)
			if (c == "\\") {
				if (!index("\"\\/bfnrtu", substr(s, pos + 1, 1)))
					fail("bad escape")
				out = out substr(s, pos, 2); pos += 2; continue
			}
			if (c < " ") fail("control character in a string")
			pos++
			if (c == "\"") return out
			out = out c
		}
		fail("unterminated string")
	}
	function value(path,   c, i, k) {
		ws()
		c = substr(s, pos, 1)
		if (c == "\"") { print path "=" str(); return }
		if (c == "{") {
			pos++; ws()
			if (substr(s, pos, 1) == "}") { pos++; print path "={}"; return }
			for (;;) {
				ws()
				if (substr(s, pos, 1) != "\"") fail("key expected")
				k = str(); ws()
				if (substr(s, pos++, 1) != ":") fail("colon expected")
				value(path == "" ? k : path "." k); ws()
				c = substr(s, pos++, 1)
				if (c == "}") return
				if (c != ",") fail("comma or } expected")
			}
		}
		if (c == "[") {
			pos++; ws()
			if (substr(s, pos, 1) == "]") { pos++; print path "=[]"; return }
			for (i = 0; ; i++) {
				value(path "[" i "]"); ws()
				c = substr(s, pos++, 1)
				if (c == "]") return
				if (c != ",") fail("comma or ] expected")
			}
		}
		if (match(substr(s, pos), /^(true|false|null|-?[0-9]+)/)) {
			print path "=" substr(s, pos, RLENGTH)
			pos += RLENGTH
			return
		}
		fail("unexpected \"" c "\"")
	}
	{ s = s $0 "\n" }
	END { n = length(s); pos = 1; value(""); ws(); if (pos <= n) fail("text after the value") }'
}

# json PATH: the value at PATH of the JSON in OUT ("" if none).
json()
{
	json_flat <<< "$OUT" |
		awk -v p="$1=" 'index($0, p) == 1 { print substr($0, length(p) + 1); exit }'
}

# assert_json WHAT: OUT is valid JSON.
assert_json()
{
	local e

	if e=$(json_flat <<< "$OUT" 2>&1 > /dev/null); then
		klp_pass "$1: the JSON parses"
	else
		klp_fail "$1: the JSON parses" "$e"
	fi
}

# Modules that klpctl loads: the cleanup removes them like klp_load's.
ctl_loaded()
{
	klp_loaded+=("$1")
	klp_is_patch[$1]=1
}

# cmdline_is PATCH: /proc/cmdline is the one of PATCH's replacement.
# shellcheck disable=SC2317 # run through assert_true
cmdline_is()
{
	[ "$(klp_read /proc/cmdline)" = "$1: this has been live patched" ]
}

orig_cmdline=$(klp_read /proc/cmdline)

# --- Help and usage.
for c in status blockers functions tasks load disable unload wait force; do
	assert_ctl "help $c" 0 help $c
	assert_true "help $c shows its usage" has "$OUT" "^usage: klpctl $c"
	assert_ctl "$c --help" 0 $c --help
	assert_true "$c --help shows its usage" has "$OUT" "^usage: klpctl $c"
done
assert_ctl "no such command" 2 frobnicate
assert_true "no such command: says so" has "$ERR" "no command 'frobnicate'"
assert_ctl "load without a file" 2 load
assert_ctl "wait with a bad timeout" 2 wait --timeout=soon
assert_ctl "status with an unknown option" 2 status --verbose
assert_ctl "--json with a command that changes something" 2 disable x --json
assert_ctl "a timeout that is not a number" 2 wait --timeout=nan

# --- Nothing loaded (checked only where no other patch is).
others=$(ls "$KLP_SYSFS")
if [ -n "$others" ]; then
	klp_info "skipped: the checks without patches, other patches are loaded: $others"
else
	assert_ctl "status without patches" 0 status
	assert_eq "status without patches: says so" "no live patches" "$OUT"
	assert_ctl "status --json without patches" 0 status --json
	assert_json "status --json without patches"
	assert_eq "status --json: version" 1 "$(json version)"
	assert_eq "status --json: no transition" false "$(json transition)"
	assert_eq "status --json: no patches" "[]" "$(json patches)"
	assert_ctl "tasks --json" 0 tasks --json
	assert_json "tasks --json"
	total=$(json tasks.total)
	assert_true "tasks --json: tasks counted ($total)" [ "${total:-0}" -gt 1 ]
	assert_eq "tasks --json: every task outside a transition" "$total" \
		"$(json tasks.none)"
	assert_ctl "blockers without a transition" 0 blockers
	assert_eq "blockers without a transition: says so" \
		"no transition is running" "$OUT"
	assert_ctl "wait without a transition" 0 wait --timeout=1
fi

# --- Bad input: refused, nothing changed.
assert_ctl "load a missing file" 1 load "$KLP_MOD_DIR/no_such_patch.ko"
assert_true "load a missing file: names it" has "$ERR" "no_such_patch.ko: No such file"
assert_ctl "load a file that is not a module" 1 load "$KLPCTL"
assert_true "load a file that is not a module: says so" has "$ERR" "not a kernel module"
assert_ctl "load a module that is not a live patch" 1 load "$KLP_MOD_DIR/$TARGET.ko"
assert_true "load a module that is not a live patch: says so" \
	has "$ERR" "not a live patch"
assert_false "the module that is not a live patch is not loaded" \
	klp_mod_loaded $TARGET
for c in disable unload force wait status functions; do
	assert_ctl "$c of no such patch" 1 $c no_such_patch
	assert_true "$c of no such patch: says so" \
		has "$ERR" "no (live patch|module) '?no_such_patch"
done
if grep -q '^nobody:' /etc/passwd && command -v su > /dev/null; then
	# A copy that nobody may run, wherever the tests are installed.
	copy=$(mktemp "${TMPDIR:-/tmp}/klpctl.XXXXXX")
	cp "$KLPCTL" "$copy"
	chmod 755 "$copy"
	out=$(su -s /bin/sh nobody -c "$copy tasks" 2>&1)
	assert_eq "tasks as nobody: exit 1" 1 "$?"
	assert_true "tasks as nobody: needs root ($out)" has "$out" "needs root"
	rm -f "$copy"
fi

# --- Load, stack, functions, status, unload.
assert_ctl "load $VMLINUX --wait" 0 load "$KLP_MOD_DIR/$VMLINUX.ko" --wait=10
show_out
ctl_loaded $VMLINUX
assert_true "load --wait: the transition is complete" klp_transition_done $VMLINUX
assert_true "load --wait: /proc/cmdline is patched" cmdline_is $VMLINUX
assert_false "load --wait: no progress line without a terminal" \
	has "$ERR" $'\r'
assert_ctl "load $VMLINUX again" 1 load "$KLP_MOD_DIR/$VMLINUX.ko"
assert_true "load $VMLINUX again: already loaded" has "$ERR" "already loaded"

assert_ctl "status" 0 status
show_out
assert_true "status: $VMLINUX first, enabled, 1 function" \
	has "$OUT" "^\[1\] $VMLINUX: enabled, 1 function, last transition "
assert_true "status: its vmlinux object is patched" \
	has "$OUT" "^    vmlinux: patched, 1 function$"

assert_ctl "load $VMLINUX2 --wait" 0 load "$KLP_MOD_DIR/$VMLINUX2.ko" --wait
ctl_loaded $VMLINUX2
assert_true "/proc/cmdline is $VMLINUX2's" cmdline_is $VMLINUX2
assert_ctl "load $MODPATCH, whose module is not loaded" 0 \
	load "$KLP_MOD_DIR/$MODPATCH.ko" --wait=10
ctl_loaded $MODPATCH

assert_ctl "status --json" 0 status --json
assert_json "status --json"
for i in 0 1 2; do
	name=$(json "patches[$i].name")
	case $name in
	"$VMLINUX")	order=1 ;;
	"$VMLINUX2")	order=2 ;;
	*)		order=3 ;;
	esac
	assert_eq "status --json: patch $i is $name, stack order $order" \
		$order "$(json "patches[$i].stack_order")"
done
assert_eq "status --json: patch 0" $VMLINUX "$(json 'patches[0].name')"
assert_eq "status --json: $VMLINUX enabled" true "$(json 'patches[0].enabled')"
assert_eq "status --json: $VMLINUX not in transition" false \
	"$(json 'patches[0].transition')"
assert_eq "status --json: $VMLINUX's object" vmlinux \
	"$(json 'patches[0].objects[0].name')"
assert_eq "status --json: $VMLINUX's function" cmdline_proc_show \
	"$(json 'patches[0].objects[0].functions[0].name')"
assert_eq "status --json: its sympos" 1 \
	"$(json 'patches[0].objects[0].functions[0].sympos')"
ns=$(json 'patches[0].transition_ns')
assert_true "status --json: $VMLINUX's transition_ns ($ns)" [ "${ns:-0}" -gt 0 ]
assert_eq "status --json: $MODPATCH is third" $MODPATCH "$(json 'patches[2].name')"
assert_eq "status --json: $MODPATCH's object waits for test_klp_target" \
	"test_klp_target false" \
	"$(json 'patches[2].objects[0].name') $(json 'patches[2].objects[0].patched')"
ctl status $MODPATCH
assert_true "status $MODPATCH: waiting for its module" \
	has "$OUT" "^    test_klp_target: waiting for the module to be loaded, 1 function$"
assert_false "status $MODPATCH: only that patch" has "$OUT" "$VMLINUX"

assert_ctl "functions" 0 functions
show_out
assert_true "functions: cmdline_proc_show from $VMLINUX2, over $VMLINUX" \
	has "$OUT" "^vmlinux +cmdline_proc_show,1 +$VMLINUX2, over $VMLINUX$"
assert_true "functions: test_klp_target_value is the original's" \
	has "$OUT" "^test_klp_target +test_klp_target_value,1 +\(the original"
assert_ctl "functions --json $VMLINUX" 0 functions --json $VMLINUX
assert_json "functions --json"
assert_eq "functions --json $VMLINUX: cmdline_proc_show" cmdline_proc_show \
	"$(json 'functions[0].function')"
assert_eq "functions --json $VMLINUX: supplied by $VMLINUX2" $VMLINUX2 \
	"$(json 'functions[0].patch')"
assert_eq "functions --json $VMLINUX: $VMLINUX, then $VMLINUX2" \
	"$VMLINUX $VMLINUX2" \
	"$(json 'functions[0].patches[0]') $(json 'functions[0].patches[1]')"
assert_eq "functions --json $VMLINUX: no other function" "" \
	"$(json 'functions[1].function')"

assert_ctl "unload $VMLINUX2" 0 unload $VMLINUX2 --timeout=10
show_out
[ "$RC" = 0 ] && klp_forget $VMLINUX2
assert_false "unload: $VMLINUX2 is no module any more" klp_mod_loaded $VMLINUX2
assert_missing "$KLP_SYSFS/$VMLINUX2" "unload: $VMLINUX2 is gone from sysfs"
assert_true "unload: /proc/cmdline is $VMLINUX's again" cmdline_is $VMLINUX
assert_ctl "disable $VMLINUX --wait" 0 disable $VMLINUX --wait=10
show_out
assert_eq "disable --wait: /proc/cmdline is the original" "$orig_cmdline" \
	"$(klp_read /proc/cmdline)"
assert_true "disable --wait: the module stays loaded" klp_mod_loaded $VMLINUX
assert_ctl "unload $VMLINUX, disabled" 0 unload $VMLINUX
[ "$RC" = 0 ] && klp_forget $VMLINUX
assert_false "unload: $VMLINUX is no module any more" klp_mod_loaded $VMLINUX
assert_ctl "unload $MODPATCH" 0 unload $MODPATCH
[ "$RC" = 0 ] && klp_forget $MODPATCH

# --- A held transition.
klp_start_kthread $TARGET "the kthread sleeps in test_klp_busy_sleeper()"
kpid=$KLP_KTHREAD_PID
assert_ctl "unload of $TARGET, not a live patch" 1 unload $TARGET
assert_true "unload of $TARGET: says so" has "$ERR" "not a live patch module"
assert_true "$TARGET stays loaded" klp_mod_loaded $TARGET

assert_ctl "load $PATCH" 0 load "$KLP_MOD_DIR/$PATCH.ko"
show_out
ctl_loaded $PATCH
assert_true "load $PATCH: the transition started" has "$OUT" "transition started"
assert_true "$PATCH is held" klp_holds_ms 200 klp_in_transition $PATCH
assert_true "the blockers name the kthread" \
	klp_poll_ms $WAIT_MS klp_blocked_by $PATCH "$kpid" 'test_klp_busy_sleeper\+'

assert_ctl "status during the transition" 3 status
show_out
assert_true "status: enabling, tasks switched" has "$OUT" \
	"^    transition: enabling for [0-9.]+ (us|ms|s), [0-9]+ of [0-9]+ tasks switched"
assert_ctl "status --json during the transition" 3 status --json
assert_json "status --json during the transition"
assert_eq "status --json: a transition" true "$(json transition)"
assert_eq "status --json: $PATCH in transition" "$PATCH true" \
	"$(json 'patches[0].name') $(json 'patches[0].transition')"
sw=$(json 'patches[0].tasks.switched')
tot=$(json 'patches[0].tasks.total')
assert_true "status --json: $sw of $tot tasks switched, not all" \
	[ "${sw:-x}" -ge 0 -a "${sw:-0}" -lt "${tot:-0}" ]
ns=$(json 'patches[0].transition_ns')
assert_true "status --json: the transition has run ($ns ns)" [ "${ns:-0}" -gt 0 ]

# The kthread wakes every 5 ms: caught running, it is "running", as
# it should be; the checks retry until it is seen asleep.
# shellcheck disable=SC2317 # run through klp_poll_ms
blockers_name_kthread()
{
	ctl blockers
	[ "$RC" = 0 ] &&
		has "$OUT" "^  $kpid +kernel +$TARGET +test_klp_busy_sleeper\+"
}
# The kthread's kthread, reason and function, from blockers --json.
# shellcheck disable=SC2317 # run through klp_poll_ms
kthread_json()
{
	local i=0

	found=
	while [ -n "$(json "blockers[$i].pid")" ]; do
		if [ "$(json "blockers[$i].pid")" = "$kpid" ]; then
			found="$(json "blockers[$i].kthread") $(json "blockers[$i].reason")"
			found="$found $(json "blockers[$i].function")"
		fi
		i=$((i + 1))
	done
}
# shellcheck disable=SC2317 # run through klp_poll_ms
blockers_json_name_kthread()
{
	ctl blockers --json
	kthread_json
	[ "$RC" = 0 ] && has "$found" "^true function test_klp_busy_sleeper\+"
}
assert_true "blockers: the kthread, a kernel thread in the function" \
	klp_poll_ms $ASLEEP_MS blockers_name_kthread
show_out
assert_true "blockers --json: the kthread, in test_klp_busy_sleeper()" \
	klp_poll_ms $ASLEEP_MS blockers_json_name_kthread
show_out
assert_json "blockers --json"
assert_eq "blockers --json: the patch" $PATCH "$(json patch)"
ctl tasks
show_out
assert_ctl "tasks --json during the transition" 0 tasks --json
show_out
assert_eq "tasks --json: $PATCH enabling" "$PATCH enabling" \
	"$(json patch) $(json direction)"
assert_true "tasks --json: the kthread is unpatched" \
	[ "$(json tasks.unpatched)" -ge 1 ]

assert_ctl "wait --timeout=0.3" 4 wait --timeout=0.3
show_out
assert_true "wait: says it timed out" has "$ERR" "$PATCH: timed out after 0.3 s"
assert_true "wait: prints the blockers" has "$OUT" "^  $kpid +kernel"
assert_ctl "load $VMLINUX during the transition" 1 load "$KLP_MOD_DIR/$VMLINUX.ko"
assert_true "load during the transition: says why" has "$ERR" "$PATCH is in transition"
assert_false "load during the transition: $VMLINUX is not loaded" \
	klp_mod_loaded $VMLINUX

assert_ctl "disable $PATCH during its enable" 0 disable $PATCH --wait=10
show_out
assert_true "disable: reverses the enable" has "$OUT" "being reversed"
assert_true "the reversed patch goes" klp_poll_ms $WAIT_MS klp_patch_gone $PATCH
assert_ctl "unload $PATCH" 0 unload $PATCH --timeout=10
[ "$RC" = 0 ] && klp_forget $PATCH

assert_ctl "load $PATCH again" 0 load "$KLP_MOD_DIR/$PATCH.ko"
ctl_loaded $PATCH
klp_forced $PATCH
assert_ctl "force without --yes" 2 force $PATCH
show_out
assert_true "force without --yes: says what force means" \
	has "$ERR" "can never be"
assert_true "force without --yes: still in transition" klp_in_transition $PATCH
assert_ctl "force --yes" 0 force $PATCH --yes
show_out
assert_true "force: the transition is complete" \
	klp_poll_ms $WAIT_MS klp_transition_done $PATCH
assert_file_content "$KLP_SYSFS/$PATCH/enabled" 1 "force: $PATCH is enabled"
assert_ctl "force of a patch not in transition" 1 force $PATCH --yes
klp_write "$BLOCK" 0
# A forced enable of a patch that replaces nothing pins nothing.
assert_ctl "unload $PATCH after a forced enable" 0 unload $PATCH --timeout=10
[ "$RC" = 0 ] && klp_forget $PATCH
assert_false "unload: $PATCH is no module any more" klp_mod_loaded $PATCH
klp_remove $TARGET

klp_finish
