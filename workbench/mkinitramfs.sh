#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh TREE: build the guest initramfs for the kernel of TREE:
# busybox, plus bash and the GNU tools the kselftest scripts need (busybox's
# date, stat, diff, sysctl and modinfo lack options they use), the kernel's
# modules, the livepatch kselftests installed from TREE with their modules
# built out-of-tree against the build, and the init script.
set -e
. "$(dirname "$0")/lib.sh"

tree=$1
src=$(tree_dir "$tree")
out=$(build_dir "$tree")
stage=$WB_CACHE/initramfs/$tree-$WB_ARCH
image=$out/initramfs.cpio.gz
release=$(kernel_release "$tree")
export LOCALVERSION=-$tree	# as build.sh

# Host binaries copied with the libraries they link (the guest is the same
# architecture as the host: x86_64).
TOOLS=(bash date stat diff timeout sleep cat ls grep sed awk gawk find xargs
       sort uniq head tail wc tr cut mktemp dmesg sysctl kmod insmod rmmod
       modprobe modinfo lsmod depmod seq tee env mount umount basename dirname
       readlink realpath touch rm mkdir printf expr nproc id ps pgrep pkill
       kill chmod cmp getconf)

copy_with_libs()
{
	local bin=$1 dest=$2 lib
	install -D -m 755 "$bin" "$stage$dest"
	for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+'); do
		[ -e "$stage$lib" ] || install -D -m 755 "$lib" "$stage$lib"
	done
}

stage_base()
{
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,root,etc}
	cp /bin/busybox "$stage/bin/busybox"
	for app in $("$stage/bin/busybox" --list); do
		[ -e "$stage/bin/$app" ] || ln -s busybox "$stage/bin/$app"
	done
	local t path
	for t in "${TOOLS[@]}"; do
		path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$t") ||
			die "host tool $t not found"
		rm -f "$stage/bin/$t"
		copy_with_libs "$path" "/bin/$t"
	done
	# kmod is one binary that acts by its name.
	for t in insmod rmmod modprobe modinfo lsmod depmod; do
		ln -sf kmod "$stage/bin/$t"
	done
	ln -sf bash "$stage/bin/sh.bash"
	echo "root:x:0:0:root:/root:/bin/bash" > "$stage/etc/passwd"
	echo "root:x:0:" > "$stage/etc/group"
	install -m 755 "$WB_DIR/guest/init" "$stage/init"
	mkdir -p "$stage/usr/share/wb"
	install -m 755 "$WB_DIR/guest/demo.sh" "$stage/usr/share/wb/demo.sh"
}

stage_modules()
{
	make -C "$src" O="$out" INSTALL_MOD_PATH="$stage" INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod modules_install
	# Tests look for the modules of samples/ by name.
	rm -f "$stage/lib/modules/$release/"{build,source}
}

stage_kselftests()
{
	local dir=$src/tools/testing/selftests
	# WB_KSELFTEST_SRC=DIR runs the livepatch selftests of DIR instead of
	# the tree's own: e.g. our tests against the vanilla kernel.
	if [ -n "${WB_KSELFTEST_SRC:-}" ]; then
		local tmp=$WB_CACHE/kselftest-overlay
		rm -rf "$tmp"
		mkdir -p "$tmp"
		cp -a "$dir" "$tmp/selftests"
		rm -rf "$tmp/selftests/livepatch"
		cp -a "$WB_KSELFTEST_SRC" "$tmp/selftests/livepatch"
		dir=$tmp/selftests
	fi
	[ -d "$dir/livepatch" ] || { echo "no livepatch selftests in $tree"; return 0; }
	# top_srcdir: the overlay copy is not inside the kernel tree.
	make -C "$dir" TARGETS=livepatch KDIR="$out" top_srcdir="$src" \
		INSTALL_PATH="$stage/kselftest" install
	# A test module left from an earlier build of another tree would be
	# picked up: the install above rebuilt them against this build.
}

stage_bench()
{
	# The same benchmark modules for every tree: they use the public API.
	local tmp=$WB_CACHE/bench-build/$tree-$WB_ARCH
	rm -rf "$tmp"
	mkdir -p "$tmp" "$stage/usr/share/wb/bench"
	cp "$WB_DIR"/bench/modules/*.c "$WB_DIR"/bench/modules/Makefile "$tmp/"
	"$WB_DIR/bench/modules/gen-many.sh" "$tmp" "${WB_BENCH_FUNCS:-1000}"
	make -C "$out" M="$tmp" modules
	cp "$tmp"/*.ko "$stage/usr/share/wb/bench/"
	gcc -O2 -Wall -pthread -o "$stage/usr/share/wb/bench/klp-sleepers" \
		"$WB_DIR/bench/user/klp-sleepers.c"
	install -m 755 "$WB_DIR/bench/guest-bench.sh" "$stage/usr/share/wb/bench/"
}

pack()
{
	(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 > "$image.new"
	mv "$image.new" "$image"
}

step "staging guest userspace ($tree)" stage_base
step "installing $tree modules into the guest" stage_modules
[ -n "${WB_NO_KSELFTEST:-}" ] ||
	step "building and installing $tree livepatch kselftests" stage_kselftests
[ "$tree" = base ] || step "building benchmark modules ($tree)" stage_bench
step "packing initramfs ($tree)" pack
