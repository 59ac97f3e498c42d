#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# klp-build-bench.sh: the time from a source fix to its live patch module,
# the vanilla tree's klp-build side by side with ours, on the same fixes
# (tools/testing/selftests/livepatch/klp-build/*.patch) and the same
# kernel configuration.  x86_64 only: vanilla's klp-build has no other
# architecture.
#
# Vanilla's klp-build works in its source tree and first rebuilds the
# whole kernel there ("original"), then builds the patched kernel for each
# fix; it runs in a clone of the vanilla tree.  Ours reuses the build
# directory of our kernel.  ccache is off for both.
#
# Rows: the first fix (vanilla: including its full build), then each fix
# on its own (vanilla: "-S 2", which starts from the original build),
# with the functions each tool includes (replaced + new) and the size of
# the module.  The table goes to stdout and to results/klp-build.txt.

set -e
. "$(dirname "$0")/../lib.sh"

[ "$WB_ARCH" = x86_64 ] || die "vanilla's klp-build is x86_64 only"

FIXES=(proc-string inline ex-table included-c header)
fixdir=$REPO_DIR/tools/testing/selftests/livepatch/klp-build
work=$WB_CACHE/klp-bench
vtree=$work/vanilla
out=$work/out
results=$WB_DIR/bench/results/klp-build.txt
export CCACHE_DISABLE=1

"$WB_DIR/prepare.sh"
"$WB_DIR/build.sh" vanilla
"$WB_DIR/build.sh" ours

# A pristine clone of the vanilla tree, configured as the vanilla kernel.
vhead=$(git -C "$VANILLA_TREE" rev-parse HEAD)
if [ ! -d "$vtree/.git" ] || [ "$(git -C "$vtree" rev-parse HEAD)" != "$vhead" ]; then
	rm -rf "$vtree"
	git clone -q --shared "$VANILLA_TREE" "$vtree"
	git -C "$vtree" checkout -q "$vhead"
fi
git -C "$vtree" reset -q --hard
git -C "$vtree" clean -q -fdx
cp "$(build_dir vanilla)/.config" "$vtree/.config"
make -s -C "$vtree" olddefconfig
rm -rf "$out"
mkdir -p "$out"

# seconds CMD...: run CMD, its output to $log; print the seconds it took.
seconds()
{
	local t0 t1

	t0=$(date +%s.%N)
	"$@" > "$log" 2>&1 || { tail -20 "$log" >&2; die "failed: $* (log: $log)"; }
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }'
}

vanilla_build()
{
	(cd "$vtree" && ./scripts/livepatch/klp-build -j "$WB_JOBS" "$@")
}

ours_build()
{
	klp_build_ours "$out" -j "$WB_JOBS" "$@"
}

# funcs_vanilla: "replaced+new" from objtool klp diff's log.
funcs_vanilla()
{
	local log=$vtree/klp-tmp/4-diff/diff.log

	echo "$(grep -c ': changed function: ' "$log")+$(grep -c ': new function: ' "$log")"
}

# funcs_ours LOG: "replaced+new" from klp-build's summary line.
funcs_ours()
{
	sed -n 's/^klp-build: \([0-9]*\) functions\{0,1\} to replace\(, \([0-9]*\) new.*\)\{0,1\}$/\1+\3/p' "$1" |
		sed 's/+$/+0/'
}

kib()
{
	echo $(( ($(stat -c %s "$1") + 1023) / 1024 ))
}

{
	echo "klp-build, x86_64, $WB_JOBS jobs, kernel built, ccache off; seconds to the module"
	printf '%-12s %12s %12s %8s %8s %11s %11s\n' fix vanilla ours ratio \
		"" "functions" "module KiB"
	printf '%-12s %12s %12s %8s %8s %11s %11s\n' "" "" "" "" "" \
		"van / ours" "van / ours"
} > "$out/table"

first=${FIXES[0]}
log=$out/vanilla-first.log
vfirst=$(seconds vanilla_build -T -o "$out/v-$first.ko" "$fixdir/$first.patch")
log=$out/ours-first.log
ofirst=$(seconds ours_build -o "$out/o-$first.ko" "$fixdir/$first.patch")
printf '%-12s %12s %12s %7.0fx\n' "first fix" "$vfirst" "$ofirst" \
	"$(echo "$vfirst $ofirst" | awk '{ print $1 / $2 }')" >> "$out/table"
for fix in "${FIXES[@]}"; do
	log=$out/vanilla-$fix.log
	v=$(seconds vanilla_build -T -S 2 -o "$out/v-$fix.ko" "$fixdir/$fix.patch")
	vf=$(funcs_vanilla)
	log=$out/ours-$fix.log
	o=$(seconds ours_build -o "$out/o-$fix.ko" "$fixdir/$fix.patch")
	of=$(funcs_ours "$log")
	printf '%-12s %12s %12s %7.1fx %8s %11s %11s\n' "$fix" "$v" "$o" \
		"$(echo "$v $o" | awk '{ print $1 / $2 }')" "" "$vf / $of" \
		"$(kib "$out/v-$fix.ko") / $(kib "$out/o-$fix.ko")" >> "$out/table"
done
echo "first fix: $first; vanilla's includes its full kernel build;" \
	"functions: replaced+new" >> "$out/table"
git -C "$vtree" clean -q -fdx
cp "$out/table" "$results"
cat "$results"
