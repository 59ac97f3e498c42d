# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the workbench scripts: paths, progress lines, logs.
# Sourced, never run.

WB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$WB_DIR/.." && pwd)

# Everything big lives outside the repo and is reused by later runs.
WB_CACHE=${WB_CACHE:-/var/cache/klp-wb}
WB_ARCH=${WB_ARCH:-x86_64}
WB_JOBS=${WB_JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$WB_CACHE/ccache}
. "$WB_DIR/linux-source"

# The kernel's name of the guest architecture and the cross toolchain's
# prefix: the host is x86_64, an s390x guest is cross-built.
case $WB_ARCH in
x86_64) KARCH=x86; CROSS= ;;
s390x) KARCH=s390; CROSS=s390x-linux-gnu- ;;
*) echo "error: unsupported arch $WB_ARCH" >&2; exit 1 ;;
esac

VANILLA_TREE=$WB_CACHE/vanilla		# pristine Debian tree, git branch "vanilla"
BASE_TREE=$WB_CACHE/base		# worktree: vanilla minus livepatch
OURS_TREE=$WB_CACHE/ours		# worktree: base plus our series
LOG_DIR=$WB_CACHE/logs			# x86_64; another arch: a subdirectory
[ "$WB_ARCH" = x86_64 ] || LOG_DIR=$WB_CACHE/logs/$WB_ARCH

mkdir -p "$LOG_DIR" 2>/dev/null || true

die()
{
	echo "error: $*" >&2
	exit 1
}

# apt_install PACKAGE...: install those of the Debian packages that are
# missing.
apt_install()
{
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "installing: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# step "what" cmd...: run cmd, print "[what] … 1m02s", keep its output in a
# log file and show the log's tail when it fails.
step()
{
	local what=$1 log t0 rc
	shift
	log=$LOG_DIR/$(echo "$what" | tr -c 'a-zA-Z0-9\n' '-' | tr -s '-' | head -c 60).log
	printf '[%s] %s ...' "$(date +%H:%M:%S)" "$what"
	t0=$(date +%s)
	# A subshell with errexit of its own: any failing command inside the
	# step fails the step (errexit is ignored in "cmd || ..." contexts).
	local errexit=$-
	set +e
	(set -e; "$@") >"$log" 2>&1
	rc=$?
	[[ $errexit == *e* ]] && set -e
	local dt=$(( $(date +%s) - t0 ))
	if [ $rc -ne 0 ]; then
		printf ' FAILED after %dm%02ds (log: %s)\n' $((dt / 60)) $((dt % 60)) "$log"
		tail -n 40 "$log" | sed 's/^/    /'
		exit $rc
	fi
	printf ' %dm%02ds\n' $((dt / 60)) $((dt % 60))
}

tree_dir()
{
	case $1 in
	vanilla) echo "$VANILLA_TREE" ;;
	base) echo "$BASE_TREE" ;;
	ours) echo "$OURS_TREE" ;;
	*) die "unknown tree '$1'" ;;
	esac
}

build_dir()
{
	echo "$WB_CACHE/build/$1-$WB_ARCH${WB_FLAVOR:+-$WB_FLAVOR}"
}

# Where "wb klp-build" writes the live patches it builds for our kernel,
# which the guest of our kernel gets in /root/klp-build.
klp_build_dir()
{
	echo "$WB_CACHE/klp-build/$WB_ARCH"
}

# klp_build_ours DIR ARGS...: our tree's klp-build with ARGS on our
# kernel's build directory, run in DIR (where it writes the module).
klp_build_ours()
{
	local dir=$1

	shift
	(cd "$dir" && "$OURS_TREE/scripts/livepatch/klp-build" \
		O="$(build_dir ours)" "$@")
}

kernel_release()
{
	cat "$(build_dir "$1")/include/config/kernel.release"
}

# The address of the machine's Debian archive: the one its sources use for
# its own release (by codename or as "stable"), in either sources format.
debian_archive()
{
	local codename
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' |
		awk -v c="$codename" '$1 == "deb" && ($2 == c || $2 == "stable") { print $3; exit }'
}
