#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bisect.sh: build the kernel after each patch of the series, so that the
# series stays bisectable.  Every commit from the stripped base to the last
# patch is built twice for $WB_ARCH: with the test config (the workbench
# fragments, CONFIG_LIVEPATCH=y once the series makes it selectable) and
# with CONFIG_LIVEPATCH=n.  Stops at the first patch that does not build
# and names it.
#
# WB_BISECT_FROM=N starts at patch N, to resume a run that was stopped.
#
# The builds use a worktree and two build directories of their own
# ($WB_CACHE/bisect, $WB_CACHE/build/bisect-*): moving from one patch to
# the next only rewrites the files it changes, so only what depends on
# them is rebuilt.  ccache keeps the objects of earlier runs.
set -e
. "$(dirname "$0")/lib.sh"

"$WB_DIR/prepare.sh"

case $WB_ARCH in
x86_64) karch=x86; cross= ;;
s390x) karch=s390; cross=s390x-linux-gnu- ;;
*) die "unsupported arch $WB_ARCH" ;;
esac

tree=$WB_CACHE/bisect
git -C "$VANILLA_TREE" worktree prune
if [ ! -d "$tree" ]; then
	git -C "$VANILLA_TREE" worktree add -q --detach "$tree" base
fi
export LOCALVERSION=-bisect

commits=$(git -C "$VANILLA_TREE" rev-list --reverse base..ours)
[ -n "$commits" ] || die "the series is empty"

# The two configs: the test config, and the same without live patching.
frag_dir=$WB_CACHE/bisect-config
mkdir -p "$frag_dir"
cat "$WB_DIR/config/$WB_ARCH.config" "$WB_DIR/config/livepatch.config" \
	"$WB_DIR/config/ours.config" \
	> "$frag_dir/lp-y.config"
{
	cat "$WB_DIR/config/$WB_ARCH.config"
	echo "# CONFIG_LIVEPATCH is not set"
} > "$frag_dir/lp-n.config"

kmake()
{
	local out=$1
	shift
	make -C "$tree" O="$out" ARCH=$karch ${cross:+CROSS_COMPILE=$cross} \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" -j"$WB_JOBS" "$@"
}

# Configure $out for the checked-out commit: tinyconfig plus the fragment,
# as build.sh does.  Options the commit does not have yet (live patching
# before the series makes it selectable) are simply dropped.  The .config
# is only replaced when it changes, so that an unchanged config does not
# rebuild the whole tree.
configure()
{
	local cfg=$1 out=$2 scratch=$WB_CACHE/build/bisect-kconfig
	mkdir -p "$out" "$scratch"
	kmake "$scratch" tinyconfig
	(cd "$scratch" && ARCH=$karch "$tree/scripts/kconfig/merge_config.sh" \
		-m -O "$scratch" "$scratch/.config" "$frag_dir/$cfg.config") >/dev/null
	kmake "$scratch" olddefconfig
	if ! cmp -s "$scratch/.config" "$out/.config"; then
		cp "$scratch/.config" "$out/.config"
	fi
}

build_one()
{
	local cfg=$1 out=$2
	configure "$cfg" "$out"
	kmake "$out" vmlinux modules
	# What the commit says about live patching, for the log.
	grep -E '^CONFIG_LIVEPATCH=|^# CONFIG_LIVEPATCH is not set' "$out/.config" ||
		echo "CONFIG_LIVEPATCH: not in this tree"
}

# One kernel build at a time on the machine, as build.sh.
exec 9>/var/lock/klp-wb-build.lock

# Does the commit change nothing that a build for $karch reads?  Then the
# build of the previous commit stands for it.
builds_nothing()
{
	! git -C "$VANILLA_TREE" diff --name-only "$1^" "$1" |
		grep -qvE "^(Documentation/|tools/|MAINTAINERS$|arch/)" &&
	! git -C "$VANILLA_TREE" diff --name-only "$1^" "$1" |
		grep -qE "^arch/$karch/"
}

# WB_BISECT_FROM=N resumes an interrupted run at patch N (0: the base).
from=${WB_BISECT_FROM:-0}
n=0
total=$(echo "$commits" | wc -l)
for c in base $commits; do
	subject=$(git -C "$VANILLA_TREE" log -1 --format=%s "$c")
	if [ $n -lt "$from" ]; then
		n=$((n + 1))
		continue
	fi
	if [ "$c" != base ] && builds_nothing "$c"; then
		echo "[$(date +%H:%M:%S)] bisect $n/$total: $subject: nothing to build for $karch"
		n=$((n + 1))
		continue
	fi
	# One turn of the build lock per patch, for both configs.
	flock 9
	git -C "$tree" checkout -q -f --detach "$c"
	for cfg in lp-y lp-n; do
		rc=0
		(step "bisect $n/$total $cfg: $subject" \
			build_one "$cfg" "$WB_CACHE/build/bisect-$cfg-$WB_ARCH") || rc=$?
		if [ $rc != 0 ]; then
			echo "bisect: patch $n/$total does not build with $cfg: $subject" >&2
			exit 1
		fi
	done
	flock -u 9
	n=$((n + 1))
done
echo "bisect: all $total patches build with CONFIG_LIVEPATCH=y and =n"
