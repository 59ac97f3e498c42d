#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh TREE: build the guest initramfs for the kernel of TREE:
# busybox, plus bash and the GNU tools the kselftest scripts need (busybox's
# date, stat, diff, sysctl and modinfo lack options they use), the kernel's
# modules, the livepatch kselftests installed from TREE with their modules
# built out-of-tree against the build, and the init script.
#
# An x86_64 guest gets the host's own binaries.  Any other guest gets
# Debian's binaries of its architecture, from the packages prepare.sh
# downloaded, and everything it runs is cross-compiled.
set -e
. "$(dirname "$0")/lib.sh"

tree=$1
src=$(tree_dir "$tree")
out=$(build_dir "$tree")
stage=$WB_CACHE/initramfs/$tree-$WB_ARCH${WB_FLAVOR:+-$WB_FLAVOR}
image=$out/initramfs.cpio.gz
release=$(kernel_release "$tree")
export LOCALVERSION=-$tree	# as build.sh
KMAKE_ARCH=(ARCH=$KARCH ${CROSS:+CROSS_COMPILE=$CROSS})

# Binaries copied with the libraries they link.
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

# The guest's binaries from the host (x86_64, the host's architecture).
stage_host_tools()
{
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
}

# The guest's binaries from Debian's packages of its architecture, which
# the host cannot run: no ldd, the libraries each binary needs are read
# from its dynamic section and must all be there.  A tool the packages do
# not have (dmesg, mount: util-linux is not worth its libraries) stays
# busybox's.
stage_foreign_tools()
{
	local debs=$WB_CACHE/debs/$WB_ARCH root=$WB_CACHE/guest-root/$WB_ARCH
	local deb t d path lib need missing=
	[ -f "$debs/LIST" ] || die "no $WB_ARCH packages in $debs (run prepare.sh)"
	if ! [ "$root/.done" -nt "$debs/LIST" ]; then
		rm -rf "$root"
		mkdir -p "$root"
		for deb in "$debs"/*.deb; do
			dpkg-deb -x "$deb" "$root"
		done
		touch "$root/.done"
	fi
	cp "$root/bin/busybox" "$stage/bin/busybox"
	# Same Debian version and build options as the host's busybox-static.
	for app in $(/bin/busybox --list); do
		[ -e "$stage/bin/$app" ] || ln -s busybox "$stage/bin/$app"
	done
	for t in "${TOOLS[@]}"; do
		path=
		for d in usr/sbin usr/bin sbin bin; do
			path=$root/$d/$t
			[ -f "$path" ] && break
			# awk is an alternative that the packages do not ship.
			path=$root/$d/g$t
			[ "$t" = awk ] && [ -f "$path" ] && break
			path=
		done
		if [ -z "$path" ]; then
			[ -L "$stage/bin/$t" ] || die "$WB_ARCH tool $t not found"
			continue
		fi
		rm -f "$stage/bin/$t"
		install -m 755 "$path" "$stage/bin/$t"
	done
	# The loader and the shared libraries, not glibc's gconv modules.
	cp -a "$root/lib/ld64.so.1" "$stage/lib/"
	for d in lib usr/lib; do
		mkdir -p "$stage/$d/$WB_ARCH-linux-gnu"
		cp -a "$root/$d/$WB_ARCH-linux-gnu/"*.so* "$stage/$d/$WB_ARCH-linux-gnu/"
	done
	for path in "$stage"/bin/*; do
		[ -f "$path" ] && ! [ -L "$path" ] || continue
		for lib in $("${CROSS}readelf" -d "$path" 2>/dev/null |
			     sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			for d in lib usr/lib; do
				need=$stage/$d/$WB_ARCH-linux-gnu/$lib
				[ -e "$need" ] && continue 2
			done
			missing="$missing ${path##*/}:$lib"
		done
	done
	[ -z "$missing" ] || die "libraries missing from the $WB_ARCH packages:$missing"
}

stage_base()
{
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,root,etc}
	if [ "$WB_ARCH" = x86_64 ]; then
		stage_host_tools
	else
		stage_foreign_tools
	fi
	local t
	# kmod is one binary that acts by its name.
	for t in insmod rmmod modprobe modinfo lsmod depmod; do
		ln -sf kmod "$stage/bin/$t"
	done
	ln -sf bash "$stage/bin/sh.bash"
	# nobody: the tests check what an unprivileged user cannot do.
	printf '%s\n' "root:x:0:0:root:/root:/bin/bash" \
		"nobody:x:65534:65534:nobody:/:/bin/sh" > "$stage/etc/passwd"
	printf '%s\n' "root:x:0:" "nogroup:x:65534:" > "$stage/etc/group"
	install -m 755 "$WB_DIR/guest/init" "$stage/init"
	mkdir -p "$stage/usr/share/wb"
	install -m 755 "$WB_DIR/guest/demo.sh" "$stage/usr/share/wb/demo.sh"
}

stage_modules()
{
	make -C "$src" O="$out" "${KMAKE_ARCH[@]}" INSTALL_MOD_PATH="$stage" \
		INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install
	# Tests look for the modules of samples/ by name.
	rm -f "$stage/lib/modules/$release/"{build,source}
}

# The upstream livepatch selftests compare the kernel log with the text
# they expect, and both contain the log lines of mainline's core
# ("livepatch: enabling patch ...", "...: starting patching transition"),
# which ours does not print.  This is the one place where they are adapted
# to our kernel: check_result() drops the lines of the core's log prefix
# from both sides before it compares them.  The lines of the test
# modules, of the module loader and of the commands stay, in their order,
# and every check of sysfs, /proc and module state is left as it is.
UPSTREAM_FILTER="sed '/^livepatch: /d'"

filter_upstream_log()
{
	local f=$1/functions.sh
	local anchor='	if [[ "$expect" == "$result" ]] ; then'
	[ "$(grep -cxF -- "$anchor" "$f")" = 1 ] ||
		die "$f: check_result() changed: adapt filter_upstream_log()"
	awk -v anchor="$anchor" -v filter="$UPSTREAM_FILTER" '
		$0 == anchor {
			print "\texpect=$(" filter " <<<\"$expect\")"
			print "\tresult=$(" filter " <<<\"$result\")"
		}
		{ print }' "$f" > "$f.new"
	cat "$f.new" > "$f"
	rm "$f.new"
}

stage_kselftests()
{
	local src_st=$src/tools/testing/selftests
	local dir=$WB_CACHE/kselftest-src/$tree-$WB_ARCH
	local targets=livepatch lp=${WB_KSELFTEST_SRC:-$src_st/livepatch}
	[ -d "$lp" ] || { echo "no livepatch selftests in $tree"; return 0; }
	# The selftests are built in a copy of the tree's, one per tree and
	# arch: make compares timestamps, which the copy keeps.
	# WB_KSELFTEST_SRC=DIR runs the livepatch selftests of DIR instead of
	# the tree's own: e.g. our tests against the vanilla kernel.
	mkdir -p "$dir"
	rsync -a --exclude /livepatch --exclude /livepatch-upstream \
		"$src_st/" "$dir/"
	rsync -a "$lp/" "$dir/livepatch/"
	# Our kernel also runs mainline's own livepatch selftests and test
	# modules, unmodified, as the collection livepatch-upstream.
	if [ "$tree" = ours ]; then
		rsync -a "$VANILLA_TREE/tools/testing/selftests/livepatch/" \
			"$dir/livepatch-upstream/"
		targets="livepatch livepatch-upstream"
	fi
	# top_srcdir: the copy is not inside the kernel tree.  O: the
	# selftests pass theirs down to the build of the test modules.
	rm -rf "$stage/kselftest"
	# FORCE_TARGETS: without it, a target that fails to build or install
	# is forgotten once the next one succeeds.
	make -C "$dir" "${KMAKE_ARCH[@]}" TARGETS="$targets" KDIR="$out" O="$out" \
		top_srcdir="$src" INSTALL_PATH="$stage/kselftest" FORCE_TARGETS=1 \
		install
	[ "$tree" = ours ] && filter_upstream_log "$stage/kselftest/livepatch-upstream"
	# As modules_install does with INSTALL_MOD_STRIP=1: the DWARF goes,
	# the BTF stays.  Not from live patches: strip renumbers the symbol
	# table, and binutils 2.40 renumbers one relocation section per
	# section they apply to: .klp.rela.vmlinux..text next to .rela.text
	# keeps the old indices (s390x: "relocation 0: no symbol 49").
	local ko
	find "$stage/kselftest" -name '*.ko' -print0 |
		while IFS= read -r -d '' ko; do
			[ "$(modinfo -F livepatch "$ko" 2>/dev/null)" = Y ] ||
				"${CROSS}strip" --strip-debug "$ko"
		done
	return 0
}

stage_bench()
{
	# The same benchmark modules for every tree: they use the public API.
	local tmp=$WB_CACHE/bench-build/$tree-$WB_ARCH${WB_FLAVOR:+-$WB_FLAVOR}
	rm -rf "$tmp"
	mkdir -p "$tmp" "$stage/usr/share/wb/bench"
	cp "$WB_DIR"/bench/modules/*.c "$WB_DIR"/bench/modules/Makefile "$tmp/"
	local n
	for n in 10 100 1000; do
		"$WB_DIR/bench/modules/gen-many.sh" "$tmp" $n
	done
	make -C "$out" "${KMAKE_ARCH[@]}" M="$tmp" modules
	cp "$tmp"/*.ko "$stage/usr/share/wb/bench/"
	"${CROSS}gcc" -O2 -Wall -pthread -o "$stage/usr/share/wb/bench/klp-sleepers" \
		"$WB_DIR/bench/user/klp-sleepers.c"
	"${CROSS}gcc" -O2 -Wall -o "$stage/usr/share/wb/bench/klp-hookcost" \
		"$WB_DIR/bench/user/klp-hookcost.c"
	install -m 755 "$WB_DIR/bench/guest-bench.sh" "$stage/usr/share/wb/bench/"
}

# klpctl, the command of tools/livepatch, statically linked as an operator
# would build it for a rescue system.  Only our tree has it.
stage_klpctl()
{
	local tmp=$WB_CACHE/klpctl-build/$tree-$WB_ARCH
	mkdir -p "$tmp"
	make -C "$src/tools/livepatch" O="$tmp" ${CROSS:+CROSS_COMPILE=$CROSS} \
		LDFLAGS=-static
	install -D -m 755 "$tmp/klpctl" "$stage/usr/sbin/klpctl"
}

# The live patches "wb klp-build" built for our kernel.
stage_klp_build()
{
	local dir
	dir=$(klp_build_dir)
	rm -rf "$stage/root/klp-build"
	compgen -G "$dir/*.ko" > /dev/null || return 0
	mkdir -p "$stage/root/klp-build"
	cp "$dir"/*.ko "$stage/root/klp-build/"
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
[ -d "$src/tools/livepatch" ] && step "building klpctl ($tree)" stage_klpctl
[ "$tree" = ours ] && step "adding the live patches of make klp-build" stage_klp_build
step "packing initramfs ($tree)" pack
