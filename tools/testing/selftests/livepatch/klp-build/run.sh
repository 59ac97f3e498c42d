#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of scripts/livepatch/klp-build on a kernel built with
# CONFIG_KLP_BUILD=y: what --show prints, and the modules it builds
# (test-klp-build.sh loads them in the kernel).
#
# usage: run.sh SRCTREE OBJTREE
#
# Each case is one or more fixes of the kernel's sources (CASE.patch, or
# the patches listed below) and the output klp-build must print for them,
# followed by "exit N", in CASE.expect (CASE.ARCH.expect where the
# compiler's inlining makes it specific to an architecture).  After every
# case the source tree and the build directory must be as they were: the
# same "git status" of the tree, no file of the build directory newer
# than the start of the case.

set -u

[ $# = 2 ] || { echo "usage: $0 SRCTREE OBJTREE" >&2; exit 1; }
dir=$(cd "$(dirname "$0")" && pwd)
srctree=$(cd "$1" && pwd) || exit 1
objtree=$(cd "$2" && pwd) || exit 1
# KLP_BUILD: another klp-build to test than the tree's own.
klp_build=${KLP_BUILD:-$srctree/scripts/livepatch/klp-build}
passed=0
failed=0

if grep -qx 'CONFIG_X86_64=y' "$objtree/.config"; then
	arch=x86_64
elif grep -qx 'CONFIG_S390=y' "$objtree/.config"; then
	arch=s390x
else
	arch=unknown
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

pass()
{
	echo "ok - $1"
	passed=$((passed + 1))
}

fail()
{
	echo "not ok - $1"
	failed=$((failed + 1))
}

tree_state()
{
	git -C "$srctree" status --porcelain 2>/dev/null
}

# run_case NAME [PATCH...]: klp-build's output and exit status for the
# fixes (NAME.patch by default) are the expected ones, and the tree and
# the build directory are untouched.
run_case()
{
	local name=$1 expect=$dir/$1.expect
	local -a fixes=()

	shift
	[ $# = 0 ] && set -- "$name.patch"
	for p in "$@"; do
		fixes+=("$dir/$p")
	done
	[ -f "$dir/$name.$arch.expect" ] && expect=$dir/$name.$arch.expect
	before=$(tree_state)
	touch "$tmp/stamp"
	sleep 1
	"$klp_build" --show O="$objtree" "${fixes[@]}" > "$tmp/out" 2> "$tmp/err"
	echo "exit $?" >> "$tmp/out"
	if ! diff -u "$expect" "$tmp/out" > "$tmp/diff"; then
		fail "$name"
		sed 's/^/# /' "$tmp/diff" "$tmp/err"
		return
	fi
	untouched "$name" || return
	pass "$name"
}

# untouched WHAT: nothing in the tree or the build directory changed since
# the stamp and the tree state $before.
untouched()
{
	local changed

	changed=$(find "$objtree" -newer "$tmp/stamp" -print -quit)
	if [ "$(tree_state)" != "$before" ] || [ -n "$changed" ]; then
		fail "$1: the tree or the build directory changed${changed:+: $changed}"
		return 1
	fi
}

# build_module NAME STATUS [REGEX...] -- PATCH...: klp-build without
# --show, run as "klp-build -n NAME O=OBJTREE PATCH...", exits with
# STATUS.  With 0 it wrote livepatch-NAME.ko, a live patch module
# (livepatch=Y in .modinfo) whose section headers and symbol table, as
# readelf shows them without a warning, match every REGEX; otherwise it
# wrote nothing.  Either way the tree and the build directory are
# untouched.
build_module()
{
	local name=$1 status=$2 ko rc re names
	local -a want=() fixes=()

	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		want+=("$1")
		shift
	done
	shift
	for p in "$@"; do
		fixes+=("$dir/$p")
	done
	ko=$tmp/mod/livepatch-$name.ko
	rm -rf "$tmp/mod"
	mkdir "$tmp/mod"
	before=$(tree_state)
	touch "$tmp/stamp"
	sleep 1
	(cd "$tmp/mod" && "$klp_build" -n "$name" O="$objtree" "${fixes[@]}") \
		> "$tmp/out.log" 2>&1
	rc=$?
	if [ "$rc" != "$status" ]; then
		fail "build $name: exit $rc, not $status"
		sed 's/^/# /' "$tmp/out.log"
		return
	fi
	untouched "build $name" || return
	if [ "$status" != 0 ]; then
		if [ -n "$(ls "$tmp/mod")" ]; then
			fail "build $name: failed but wrote $(ls "$tmp/mod")"
			return
		fi
		pass "build $name: exit $status, nothing written"
		return
	fi
	if [ ! -f "$ko" ]; then
		fail "build $name: no $ko"
		sed 's/^/# /' "$tmp/out.log"
		return
	fi
	if ! readelf -p .modinfo "$ko" 2>/dev/null | grep -q 'livepatch=Y'; then
		fail "build $name: no livepatch=Y in its .modinfo"
		return
	fi
	names=$({ readelf -SW "$ko" && readelf -sW "$ko"; } 2>&1)
	if grep -q 'Warning' <<< "$names"; then
		fail "build $name: readelf warns"
		grep 'Warning' <<< "$names" | head -5 | sed 's/^/# /'
		return
	fi
	for re in "${want[@]}"; do
		if ! grep -qE -- "$re" <<< "$names"; then
			fail "build $name: nothing in $ko matches '$re'"
			return
		fi
	done
	pass "build $name"
}

# check_error NAME STATUS MESSAGE ARGS...: klp-build fails as it should.
check_error()
{
	local name=$1 status=$2 message=$3 rc

	shift 3
	"$klp_build" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = "$status" ] && grep -q -- "$message" "$tmp/err"; then
		pass "$name"
	else
		fail "$name"
		echo "# exit $rc, stderr:"
		sed 's/^/# /' "$tmp/err"
	fi
}

# A function of vmlinux that prints to /proc.
run_case proc-string
# Lines added above the WARN()s of a file change no function.
run_case line-shift
# A helper that the compiler inlines: its callers change.
run_case inline
# A function of a module.
run_case module
# A header: the objects that include it are compared.
run_case header
# A header that another one includes by a path relative to itself
# ("../x.h"), used by a driver of the x86_64 test kernel only.
run_case header-relative
# A C file that another one includes (kernel/sched/build_policy.c).
run_case included-c
# Two fixes at once.
run_case two-fixes proc-string.patch module.patch
# A function with __ex_table entries (unsafe_put_user()).
run_case ex-table
# A static function whose name vmlinux has twice (m_show).
run_case dup-name
# A struct whose members keep their types and order: only white space
# and a comment change.
run_case struct-comment
# An entry of a constant table whose element type the same declaration
# defines: the table changes, not the type.
run_case struct-table
# What a live patch cannot carry.
run_case struct
# A new enumeration constant that changes an array size in two structs.
run_case struct-enum
run_case init
run_case data
run_case module-data
run_case asm
run_case new-file
run_case removed-file

check_error usage 1 "usage: klp-build" --show

# The modules: live patch relocations against vmlinux, against a module,
# with a sympos (a static local of a name that vmlinux has more than once),
# with the __bug_table entries of the changed functions; a refusal, and a
# fix that changes no function, build nothing.
klp_sym='OS \[0xff20\] \.klp\.sym\.'
build_module proc_string 0 '\.klp\.rela\.vmlinux\.\.text' \
	"${klp_sym}vmlinux\.saved_command_line,0\$" -- proc-string.patch
build_module module 0 '\.klp\.rela\.ftrace_jmp\.\.text' \
	"${klp_sym}ftrace_jmp\.calls,0\$" -- module.patch
build_module two_fixes 0 '\.klp\.rela\.vmlinux\.' '\.klp\.rela\.ftrace_jmp\.' \
	-- proc-string.patch module.patch
build_module included_c 0 ' __bug_table ' \
	"${klp_sym}vmlinux\.__warned\.[0-9]+,[1-9][0-9]*\$" -- included-c.patch
build_module ex_table 0 ' __ex_table ' -- ex-table.patch
build_module dup_name 0 -- dup-name.patch
build_module data 2 -- data.patch
build_module line_shift 1 -- line-shift.patch
check_error stale 1 "does not apply" --show O="$objtree" "$dir/stale.patch"
check_error no-build 1 "not a configured kernel build" --show O="$tmp" \
	"$dir/proc-string.patch"

echo "klp-build: $passed passed, $failed failed"
[ "$failed" = 0 ]
