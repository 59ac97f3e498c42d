#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh TREE: configure and build the kernel of TREE (vanilla, base or
# ours) for $WB_ARCH in an O= build directory, with ccache.
#
# The config is tinyconfig plus the fragments in workbench/config/, merged
# by the kernel's own merge_config.sh.  Every option a fragment sets must
# survive olddefconfig, otherwise the build stops and names the option.
set -e
. "$(dirname "$0")/lib.sh"

tree=$1
src=$(tree_dir "$tree")
out=$(build_dir "$tree")
[ -d "$src" ] || die "no tree at $src (run prepare first)"
mkdir -p "$out"
# uname -r names the tree (6.12.y-vanilla, -base, -ours); being set, it also
# keeps setlocalversion from adding "+" for a git tree off a tag.
export LOCALVERSION=-$tree

frags=("$WB_DIR/config/$WB_ARCH.config")
# The stripped base has no livepatch options at all.
[ "$tree" = base ] || frags+=("$WB_DIR/config/livepatch.config")
# Options of our series alone.
[ "$tree" = ours ] && frags+=("$WB_DIR/config/ours.config")
# A flavor adds its own options, in a build directory of its own.
[ -z "${WB_FLAVOR:-}" ] || frags+=("$WB_DIR/config/$WB_FLAVOR.config")

kmake()
{
	make -C "$src" O="$out" ARCH=$KARCH ${CROSS:+CROSS_COMPILE=$CROSS} \
		CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" -j"$WB_JOBS" "$@"
}

configure()
{
	local want=$out/.config.wanted
	cat "${frags[@]}" > "$want.new"
	# Reconfigure only when the fragments changed: a fresh .config would
	# touch include/generated/autoconf.h and rebuild everything.
	if [ -f "$out/.config" ] && cmp -s "$want.new" "$want"; then
		rm -f "$want.new"
		return 0
	fi
	kmake tinyconfig
	(cd "$out" && ARCH=$KARCH "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$out" "$out/.config" "${frags[@]}")
	kmake olddefconfig
	local bad=0 line opt
	while read -r line; do
		case $line in
		CONFIG_*=*) opt=${line%%=*} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
			line="# $opt is not set" ;;
		*) continue ;;
		esac
		if ! grep -qxF "$line" "$out/.config"; then
			echo "option did not survive: $line (got: $(grep -E "^$opt=|^# $opt is not set" "$out/.config" || echo unset))" >&2
			bad=1
		fi
	done < <(cat "${frags[@]}")
	[ $bad = 0 ] || { rm -f "$want.new"; return 1; }
	mv "$want.new" "$want"
}

# One kernel build at a time on this machine, whatever cache or clone it
# comes from: two builds on two cores only make both slow.
exec 9>"${WB_BUILD_LOCK:-/var/lock/klp-wb-build.lock}"
flock 9

what=${2:-all}
case $what in
config) step "configuring $tree ($WB_ARCH)" configure ;;
all)
	step "configuring $tree ($WB_ARCH)" configure
	step "building $tree kernel ($WB_ARCH)" kmake
	step "building $tree modules ($WB_ARCH)" kmake modules
	;;
esac
