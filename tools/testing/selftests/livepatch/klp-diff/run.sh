#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of scripts/livepatch/klp-diff.
#
# Each case is a file CASE.c and a fix of it, CASE.patch, as a user writes
# one.  The file is compiled as it is and with the fix applied, klp-diff
# compares the two objects, and its output
# followed by "exit N" must equal CASE.expect (CASE.ARCH.expect where the
# result is specific to an architecture).  Optional files:
#   CASE.verbose.expect  the same for klp-diff -v
#   CASE.cflags          more compiler flags for the case
#   CASE.needs           lines "orig SYMBOL" or "fix SYMBOL": symbols the
#                        compiler must emit for the case to test what it is
#                        meant to (a .cold part, a clone, a renumbered local)
#   CASE.emit            extended regular expressions, one per line: the
#                        object "klp-diff -o" writes for the case as a
#                        patch of vmlinux (its sections, symbols and
#                        relocations as readelf shows them) must match
#                        each; the original object stands for the linked
#                        one, every undefined symbol counts as exported
#   CASE.module.emit     the same for a patch of a module named CASE, and
#                        the lines klp-diff -o prints then, with "exit N"
#
# The cases run with $CC alone when it is set; otherwise with gcc, and again
# with s390x-linux-gnu-gcc when it is installed.  klp-diff is built from the
# tree unless $KLP_DIFF names it.

set -u

dir=$(cd "$(dirname "$0")" && pwd)
srcdir=$dir/../../../../../scripts/livepatch
src=$srcdir/klp-diff.c
cflags=(-O2 -c -ffunction-sections -fdata-sections
	-fno-asynchronous-unwind-tables)
passed=0
failed=0

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

# check_needs CASE OBJ FIXOBJ: the compiler emitted the symbols CASE needs
check_needs()
{
	local needs=$dir/$1.needs which sym obj

	[ -f "$needs" ] || return 0
	while read -r which sym; do
		obj=$2
		[ "$which" = fix ] && obj=$3
		if ! nm "$obj" | grep -qw -- "$sym"; then
			echo "# $which object has no symbol $sym"
			return 1
		fi
	done < "$needs"
}

# expect_file CASE ARCH KIND: the expected output, or nothing
expect_file()
{
	local base=$dir/$1

	[ "$3" = verbose ] && base=$base.verbose
	if [ -f "$base.$2.expect" ]; then
		echo "$base.$2.expect"
	elif [ -f "$base.expect" ]; then
		echo "$base.expect"
	fi
}

# compare CASE TAG ARCH KIND OBJ FIXOBJ [OPTION]: run klp-diff, check output
compare()
{
	local name=$1 tag=$2 expect out

	expect=$(expect_file "$name" "$3" "$4")
	if [ -z "$expect" ]; then
		[ "$4" = plain ] && fail "$name$tag: no $name.expect"
		return
	fi
	[ "$4" = verbose ] && tag="$tag -v"
	out=$tmp/$3-$name-$4

	"$klp_diff" "${@:7}" "$5" "$6" > "$out.out" 2> "$out.err"
	echo "exit $?" >> "$out.out"
	if diff -u "$expect" "$out.out" > "$out.diff"; then
		pass "$name$tag"
	else
		fail "$name$tag"
		sed 's/^/# /' "$out.diff" "$out.err"
	fi
}

# emit CASE TAG ARCH OBJ FIXOBJ OBJNAME EXPECT: what klp-diff -o writes
# for the patch of object OBJNAME matches the expressions in EXPECT
emit()
{
	local name=$1 tag=$2 out=$tmp/$3-$1-emit-$6 re shown rc

	[ -f "$7" ] || return 0
	[ "$6" = vmlinux ] || tag="$tag (module)"
	nm -u "$5" | awk '{ printf "0x00000000\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", $2 }' \
		> "$out.symvers"
	"$klp_diff" -o "$out.o" -m "$out.map" -t "$4" -s "$out.symvers" \
		-n "$6" -p __klp_o1 "$4" "$5" > "$out.out" 2>&1
	rc=$?
	if [ "$6" = vmlinux ] && [ $rc != 0 ]; then
		fail "$name$tag: emit"
		sed 's/^/# /' "$out.out"
		return
	fi
	shown=$({ cat "$out.out" && echo "exit $rc" &&
		  readelf -SW -sW -rW "$out.o"; } 2>&1)
	while read -r re; do
		if ! grep -qE -- "$re" <<< "$shown"; then
			fail "$name$tag: emit: nothing matches '$re'"
			sed 's/^/# /' "$out.out"
			return
		fi
	done < "$7"
	pass "$name$tag: emit"
}

# run_case CC TAG CASE
run_case()
{
	local cc=$1 tag=$2 name=$3 arch out
	local -a ccv extra=()

	read -ra ccv <<< "$cc"
	arch=$("${ccv[@]}" -dumpmachine) || arch=unknown
	arch=${arch%%-*}
	[ -f "$dir/$name.cflags" ] && read -ra extra < "$dir/$name.cflags"
	out=$tmp/$arch-$name

	mkdir -p "$out.fix"
	cp "$dir/$name.c" "$out.fix/"
	if ! patch -s -d "$out.fix" -p1 < "$dir/$name.patch" > "$out.log" 2>&1 ||
	   ! "${ccv[@]}" "${cflags[@]}" "${extra[@]}" -o "$out.o" \
		"$dir/$name.c" 2>> "$out.log" ||
	   ! "${ccv[@]}" "${cflags[@]}" "${extra[@]}" -o "$out.fix.o" \
		"$out.fix/$name.c" 2>> "$out.log"; then
		fail "$name$tag"
		sed 's/^/# /' "$out.log"
		return
	fi
	if ! check_needs "$name" "$out.o" "$out.fix.o"; then
		fail "$name$tag"
		return
	fi

	compare "$name" "$tag" "$arch" plain "$out.o" "$out.fix.o"
	compare "$name" "$tag" "$arch" verbose "$out.o" "$out.fix.o" -v
	emit "$name" "$tag" "$arch" "$out.o" "$out.fix.o" vmlinux \
		"$dir/$name.emit"
	emit "$name" "$tag" "$arch" "$out.o" "$out.fix.o" "${name//-/_}" \
		"$dir/$name.module.emit"
}

# check_error TEST STATUS MESSAGE ARGS...: klp-diff fails as it should
check_error()
{
	local name=$1 status=$2 message=$3 rc

	shift 3
	"$klp_diff" "$@" > "$tmp/err.out" 2> "$tmp/err.err"
	rc=$?
	if [ "$rc" = "$status" ] && [ ! -s "$tmp/err.out" ] &&
	   grep -q -- "$message" "$tmp/err.err"; then
		pass "$name"
	else
		fail "$name"
		echo "# exit $rc, stderr:"
		sed 's/^/# /' "$tmp/err.err"
	fi
}

if [ -n "${KLP_DIFF:-}" ]; then
	klp_diff=$KLP_DIFF
else
	klp_diff=$tmp/klp-diff
	# From the files kbuild links it from.
	objs=$(sed -n 's/^klp-diff-objs[[:space:]]*:=//p' "$srcdir/Makefile")
	srcs=()
	for o in ${objs:-klp-diff.o}; do
		srcs+=("$srcdir/${o%.o}.c")
	done
	if ! gcc -O2 -Wall -Wextra -Wno-unused-parameter -o "$klp_diff" \
		"${srcs[@]}" -lelf; then
		echo "klp-diff: 0 passed, 1 failed"
		exit 1
	fi
fi

compilers=("${CC:-gcc}")
if [ -z "${CC:-}" ] && command -v s390x-linux-gnu-gcc > /dev/null; then
	compilers+=(s390x-linux-gnu-gcc)
fi

for fix in "$dir"/*.patch; do
	name=${fix##*/}
	name=${name%.patch}
	for cc in "${compilers[@]}"; do
		tag=
		[ "$cc" != "${compilers[0]}" ] && tag=" ($cc)"
		run_case "$cc" "$tag" "$name"
	done
done

check_error usage 1 "usage: klp-diff" "$tmp/none.o"
check_error not-elf 1 "klp-diff: $src: not an ELF object" "$src" "$src"
check_error missing 1 "klp-diff: $tmp/none.o: cannot open" \
	"$tmp/none.o" "$tmp/none.o"

echo "klp-diff: $passed passed, $failed failed"
[ "$failed" = 0 ]
