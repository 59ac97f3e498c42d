#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare.sh: everything before a build, each step skipped when done:
#   - install the Debian packages the workbench needs,
#   - unpack Debian's linux-source-6.12 once into the cache, as git branch
#     "vanilla" (the tree we compare against),
#   - strip the in-tree livepatch into git branch "base" (strip.py),
#   - assemble our series on top of it into the worktree "ours".
set -e
. "$(dirname "$0")/lib.sh"

PACKAGES=(linux-source-6.12 build-essential flex bison bc libelf-dev
	  libssl-dev cpio xz-utils gzip ccache qemu-system-x86 busybox-static
	  kmod procps rsync python3 git diffutils gawk findutils util-linux
	  coreutils)
[ "$WB_ARCH" = s390x ] && PACKAGES+=(gcc-s390x-linux-gnu qemu-system-misc)

install_packages()
{
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "installing: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

unpack_vanilla()
{
	local version
	version=$(dpkg-query -W -f '${Version}' linux-source-6.12)
	if [ -f "$WB_CACHE/VERSION" ] && [ "$(cat "$WB_CACHE/VERSION")" = "$version" ] &&
	   git -C "$VANILLA_TREE" rev-parse -q --verify vanilla >/dev/null; then
		return 0
	fi
	rm -rf "$VANILLA_TREE" "$BASE_TREE" "$OURS_TREE" "$WB_CACHE/build"
	mkdir -p "$WB_CACHE"
	tar -C "$WB_CACHE" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$WB_CACHE/linux-source-6.12" "$VANILLA_TREE"
	cd "$VANILLA_TREE"
	git init -q -b vanilla
	git config user.name "Workbench"
	git config user.email "workbench@localhost"
	git config gc.auto 0
	git add -A -f .
	git commit -q -m "Debian linux-source-6.12 $version"
	echo "$version" > "$WB_CACHE/VERSION"
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
step "unpacking linux-source-6.12 $(dpkg-query -W -f '${Version}' linux-source-6.12)" unpack_vanilla
step "stripping livepatch into the base tree" strip_base
step "assembling our series" assemble
