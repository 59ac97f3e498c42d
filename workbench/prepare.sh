#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare.sh: everything before a build, each step skipped when done:
#   - install the Debian packages the workbench needs,
#   - for an s390x guest, download the Debian s390x packages its
#     userspace is made of (dpkg multiarch, nothing installed),
#   - fetch the kernel source package that workbench/linux-source names
#     (fetch-source.sh) and unpack it once into the cache, as git branch
#     "vanilla" (the tree we compare against),
#   - strip the in-tree livepatch into git branch "base" (strip.py),
#   - assemble our series on top of it into the worktree "ours".
set -e
. "$(dirname "$0")/lib.sh"

# libxxhash-dev and patchutils: the vanilla tree's klp-build (objtool
# builds its "klp" subcommand only with xxhash; klp-build runs recountdiff).
# dwarves: pahole, which turns the x86_64 kernels' DWARF into the BTF that
# BPF trampolines need (the hammer's BPF sharer).  QEMU: install-qemu.sh.
PACKAGES=(build-essential flex bison bc libelf-dev
	  libssl-dev cpio xz-utils gzip ccache busybox-static
	  kmod procps rsync python3 git diffutils gawk findutils util-linux
	  coreutils libxxhash-dev patchutils dwarves)
[ "$WB_ARCH" = s390x ] && PACKAGES+=(gcc-s390x-linux-gnu libc6-dev-s390x-cross)

# The s390x guest's userspace: busybox, bash and the GNU tools of
# mkinitramfs.sh's TOOLS with every library they need.  Downloaded, never
# installed; mkinitramfs.sh unpacks them and checks that each library a
# binary needs is there.
GUEST_DEBS=(busybox-static bash coreutils grep sed gawk findutils diffutils
	    kmod procps libc6 libc-bin libgcc-s1 libtinfo6 libacl1 libattr1
	    libgmp10 libselinux1 libpcre2-8-0 libmpfr6 libreadline8
	    libsigsegv2 liblzma5 libssl3 libzstd1 libkmod2 libncursesw6
	    libproc2-0 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1)

install_packages()
{
	apt_install "${PACKAGES[@]}"
}

fetch_guest_debs()
{
	local dir=$WB_CACHE/debs/$WB_ARCH want have
	want=$(printf '%s\n' "${GUEST_DEBS[@]}")
	have=$(cat "$dir/LIST" 2>/dev/null || true)
	[ "$want" = "$have" ] && return 0
	if ! dpkg --print-foreign-architectures | grep -qx "$WB_ARCH"; then
		dpkg --add-architecture "$WB_ARCH"
		apt-get update -q
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	# A point release may have replaced a version the lists still name.
	(cd "$dir" && apt-get download -q "${GUEST_DEBS[@]/%/:$WB_ARCH}") ||
		{ apt-get update -q &&
		  (cd "$dir" && apt-get download -q "${GUEST_DEBS[@]/%/:$WB_ARCH}"); }
	echo "$want" > "$dir/LIST"
}

unpack_vanilla()
{
	local stamp="$SOURCE_PACKAGE $SOURCE_VERSION"
	if [ -f "$WB_CACHE/VERSION" ] && [ "$(cat "$WB_CACHE/VERSION")" = "$stamp" ] &&
	   git -C "$VANILLA_TREE" rev-parse -q --verify vanilla >/dev/null; then
		return 0
	fi
	[ "$(dpkg-query -W -f '${Version}' "$SOURCE_PACKAGE" 2>/dev/null)" = "$SOURCE_VERSION" ] ||
		die "$SOURCE_PACKAGE $SOURCE_VERSION is not installed"
	rm -rf "$VANILLA_TREE" "$BASE_TREE" "$OURS_TREE" "$WB_CACHE/build"
	mkdir -p "$WB_CACHE"
	tar -C "$WB_CACHE" -xf "/usr/src/$SOURCE_PACKAGE.tar.xz"
	mv "$WB_CACHE/$SOURCE_PACKAGE" "$VANILLA_TREE"
	cd "$VANILLA_TREE"
	git init -q -b vanilla
	git config user.name "Workbench"
	git config user.email "workbench@localhost"
	git config gc.auto 0
	git add -A -f .
	git commit -q -m "Debian $SOURCE_PACKAGE $SOURCE_VERSION"
	echo "$stamp" > "$WB_CACHE/VERSION"
}

strip_base()
{
	local sum
	sum=$(sha256sum "$WB_DIR/strip.py" | cut -c1-16)
	if git -C "$VANILLA_TREE" log -1 --format=%B base 2>/dev/null | grep -q "strip.py $sum"; then
		[ -d "$BASE_TREE" ] || git -C "$VANILLA_TREE" worktree add -q --detach "$BASE_TREE" base
		return 0
	fi
	if [ -d "$BASE_TREE" ]; then
		git -C "$BASE_TREE" checkout -q -f --detach vanilla
		git -C "$BASE_TREE" clean -fdq
	else
		git -C "$VANILLA_TREE" worktree prune
		git -C "$VANILLA_TREE" worktree add -q --detach "$BASE_TREE" vanilla
	fi
	(cd "$BASE_TREE" && python3 "$WB_DIR/strip.py")
	git -C "$BASE_TREE" add -A
	git -C "$BASE_TREE" commit -q -m "Strip the in-tree livepatch" -m "strip.py $sum"
	git -C "$BASE_TREE" branch -f base HEAD
	"$WB_DIR/gate.sh" "$BASE_TREE"
}

assemble()
{
	git -C "$VANILLA_TREE" worktree prune
	python3 "$WB_DIR/assemble.py" "$REPO_DIR" "$VANILLA_TREE" base "$OURS_TREE"
}

step "installing packages" install_packages
step "installing QEMU" "$WB_DIR/install-qemu.sh"
[ "$WB_ARCH" = x86_64 ] ||
	step "fetching $WB_ARCH guest packages" fetch_guest_debs
step "fetching $SOURCE_PACKAGE $SOURCE_VERSION" "$WB_DIR/fetch-source.sh"
step "unpacking $SOURCE_PACKAGE $SOURCE_VERSION" unpack_vanilla
step "stripping livepatch into the base tree" strip_base
step "assembling our series" assemble
