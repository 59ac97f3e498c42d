#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: the checks a series must pass before it goes to LKML, on the
# exported series and on the files it adds:
#
#   checkpatch  scripts/checkpatch.pl --strict on every patch; findings
#               listed in series/checkpatch-accepted are kept on purpose
#   sparse      make C=2 on kernel/livepatch/, samples/livepatch/ and the
#               ftrace jump sample, with a sparse that 7.3 accepts
#   W=1         make W=1 on the same directories
#   coccicheck  make coccicheck MODE=report on the same directories
#   kernel-doc  scripts/kernel-doc -none -Wall on our sources and headers
#   htmldocs    make htmldocs SPHINXDIRS=livepatch
#   MAINTAINERS every file the series adds has an F: line of its entry
#
# Prints one line per check with its count, the findings themselves, and
# exits non-zero if any check has a finding.  Logs in $WB_CACHE/logs/check-*.
# The builds take the machine-wide build lock and use a build directory
# of their own, so they neither wait for nor disturb "make test".
set -e
. "$(dirname "$0")/lib.sh"

# Two of the kernel's semantic patches are scripted in OCaml, which
# spatch compiles on the fly: coccicheck stops at them without ocamlopt.
CHECK_PACKAGES=(sparse coccinelle ocaml-nox python3-sphinx python3-yaml)

install_check_packages()
{
	apt_install "${CHECK_PACKAGES[@]}"
}

# 7.3 runs sparse only if it knows __typeof_unqual__
# (scripts/checker-valid.sh); Debian 12's sparse 0.6.4 does not, and
# "make C=2" then checks nothing and says so in one line.  The sparse of
# Debian's unstable suite does, but its binary package needs a newer C
# library: its source package is built here instead (seconds), from the
# machine's own Debian archive, without touching the machine's apt
# sources.
SPARSE_DIR=$WB_CACHE/sparse

sparse_valid()
{
	[ -x "$1" ] && [ "$("$OURS_TREE/scripts/checker-valid.sh" "$1" \
		--arch=x86_64 -mlittle-endian -m64 2>/dev/null)" = 1 ]
}

build_sparse()
{
	local uri apt=$SPARSE_DIR/apt opts

	uri=$(debian_archive)
	[ -n "$uri" ] || die "no Debian archive in this machine's apt sources"
	rm -rf "$SPARSE_DIR"
	mkdir -p "$apt/lists/partial" "$apt/sources" "$SPARSE_DIR/src"
	printf '%s\n' "Types: deb-src" "URIs: $uri" "Suites: unstable" \
		"Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
		> "$apt/sources/unstable-src.sources"
	opts=(-o Dir::State::Lists="$apt/lists" -o Dir::Etc::SourceList=/dev/null
	      -o Dir::Etc::SourceParts="$apt/sources")
	apt-get "${opts[@]}" update
	(cd "$SPARSE_DIR/src" && apt-get "${opts[@]}" source --download-only sparse)
	tar -C "$SPARSE_DIR/src" -xzf "$SPARSE_DIR"/src/sparse_*.orig.tar.gz
	make -C "$(echo "$SPARSE_DIR"/src/sparse-*/)" -j"$WB_JOBS" sparse \
		HAVE_LLVM=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LIBXML=no
	cp "$SPARSE_DIR"/src/sparse-*/sparse "$SPARSE_DIR/sparse"
}

"$WB_DIR/prepare.sh"
step "installing the checkers" install_check_packages
SPARSE=$(command -v sparse)
if ! sparse_valid "$SPARSE"; then
	SPARSE=$SPARSE_DIR/sparse
	sparse_valid "$SPARSE" ||
		step "building sparse from Debian unstable's source package" build_sparse
	sparse_valid "$SPARSE" || die "no sparse that 7.3 accepts: $SPARSE"
fi

src=$OURS_TREE
out=$WB_CACHE/build/check-$WB_ARCH
[ "$WB_ARCH" = x86_64 ] || die "check runs on x86_64 only"
export LOCALVERSION=-check

# Our C sources and headers, and the directories that hold our code.
OUR_DIRS=(kernel/livepatch/ samples/livepatch/ samples/ftrace/)
OUR_PATHS='(kernel/livepatch/|samples/livepatch/|samples/ftrace/ftrace-jmp\.c|include/linux/livepatch|arch/x86/include/asm/livepatch\.h)'
mapfile -t OUR_SOURCES < <(cd "$src" && ls kernel/livepatch/*.[ch] \
	include/linux/livepatch*.h arch/x86/include/asm/livepatch.h \
	samples/livepatch/*.c)

kmake()
{
	make -C "$src" O="$out" ARCH=x86 CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$WB_JOBS" "$@"
}

exec 9>/var/lock/klp-wb-build.lock

failed=0
summary=()
# findings: the lines of stdin, shown on stderr and counted on stdout.
findings()
{
	local lines
	lines=$(cat)
	[ -z "$lines" ] && { echo 0; return; }
	printf '%s\n' "$lines" >&2
	printf '%s\n' "$lines" | wc -l
}

# report NAME COUNT [DETAIL]: one summary line; a count above 0 fails.
report()
{
	summary+=("$(printf '%-12s %s' "$1" "$2${3:+ ($3)}")")
	[ "$2" = 0 ] || failed=1
}

# --- checkpatch -------------------------------------------------------
patches=$(mktemp -d)
trap 'rm -rf "$patches"' EXIT
"$WB_DIR/export.sh" "$patches" >/dev/null
run_checkpatch()
{
	local p
	for p in "$patches"/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] && continue
		echo "=== $(basename "$p")"
		"$src/scripts/checkpatch.pl" --strict --no-signoff --show-types \
			--no-summary --no-tree --root="$src" "$p" || true
	done
}
step "checkpatch --strict on the series" run_checkpatch
read -r unaccepted accepted stale < <(python3 - "$LOG_DIR/checkpatch-strict-on-the-series.log" \
	"$REPO_DIR/series/checkpatch-accepted" "$patches" <<'EOF'
import glob, os, re, sys
log, accepted_file, patches = sys.argv[1:4]
subjects = {}
for p in glob.glob(os.path.join(patches, "0*.patch")):
    with open(p, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^Subject: \[PATCH[^\]]*\] (.*(?:\n .*)*)", text, re.M)
    subjects[os.path.basename(p)] = " ".join(m.group(1).split())
rules = []
for line in open(accepted_file, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    prefix, finding, _why = [x.strip() for x in line.split("|", 2)]
    rules.append([prefix, finding, 0])
findings, cur = [], None
lines = open(log, encoding="utf-8", errors="replace").read().split("\n")
for i, line in enumerate(lines):
    if line.startswith("=== "):
        cur = line[4:]
        continue
    m = re.match(r"^(ERROR|WARNING|CHECK):([A-Z_]+:)? ?(.*)", line)
    if m:
        where = lines[i + 1] if i + 1 < len(lines) else ""
        findings.append((cur, m.group(0), where))
bad = 0
for patch, msg, where in findings:
    subj = subjects.get(patch, "")
    for rule in rules:
        if subj.startswith(rule[0]) and rule[1] in msg:
            rule[2] += 1
            break
    else:
        bad += 1
        print(f"checkpatch: {patch}: {msg}\n    {where}", file=sys.stderr)
stale = [r for r in rules if not r[2]]
for r in stale:
    print(f"checkpatch-accepted: no longer needed: {r[0]} | {r[1]}",
          file=sys.stderr)
print(bad, len(findings) - bad, len(stale))
EOF
)
report checkpatch "$unaccepted" "$accepted accepted in series/checkpatch-accepted, $stale stale entries"
[ "$stale" = 0 ] || failed=1

# --- kernel-doc -------------------------------------------------------
run_kerneldoc()
{
	cd "$src" && scripts/kernel-doc -none -Wall "${OUR_SOURCES[@]}"
}
step "kernel-doc -none -Wall on our sources" run_kerneldoc
kd=$(grep -ciE "warning|error" "$LOG_DIR/kernel-doc-none-Wall-on-our-sources.log" || true)
grep -iE "warning|error" "$LOG_DIR/kernel-doc-none-Wall-on-our-sources.log" >&2 || true
report kernel-doc "$kd"

# --- htmldocs ---------------------------------------------------------
step "make htmldocs SPHINXDIRS=livepatch" \
	make -C "$src" O="$WB_CACHE/build/check-docs" SPHINXDIRS=livepatch htmldocs
# Sphinx draws graphs with graphviz if it is installed; the livepatch
# pages have none, so its absence is not a finding.  The ABI extension
# reads all of Documentation/ABI whatever SPHINXDIRS says: its warnings
# that name only other ABI files (7.3 has a few: entries defined twice)
# are not ours.
hd=$(grep -E "WARNING|ERROR" "$LOG_DIR/make-htmldocs-SPHINXDIRS-livepatch.log" |
	grep -v 'dot(1) not found' |
	awk '/Documentation\/ABI\// && !/livepatch/ { next } { print }' |
	findings)
report htmldocs "$hd" "$WB_CACHE/build/check-docs/Documentation/output/livepatch/index.html"

# --- MAINTAINERS ------------------------------------------------------
mnt=$(python3 - "$src" "$VANILLA_TREE" <<'EOF'
import fnmatch, subprocess, sys
src, git = sys.argv[1:3]
added = subprocess.run(["git", "-C", git, "diff", "--name-only",
                        "--diff-filter=A", "base", "ours"],
                       capture_output=True, text=True, check=True).stdout.split()
entry, pats = None, []
for line in open(f"{src}/MAINTAINERS", encoding="utf-8"):
    if line.strip() == "LIVE PATCHING":
        entry = []
    elif entry is not None:
        if not line.strip():
            break
        if line.startswith("F:"):
            pats.append(line[2:].strip())
# Files of other subsystems (a sample of ftrace) belong to those
# subsystems' entries, where their directory already is.
other = []
for line in open(f"{src}/MAINTAINERS", encoding="utf-8"):
    if line.startswith("F:"):
        other.append(line[2:].strip())
def covered(path, patterns):
    return any(path.startswith(p) if p.endswith("/") else
               fnmatch.fnmatch(path, p) or path.startswith(p + "/")
               for p in patterns)
bad = 0
for path in added:
    ours = "livepatch" in path or path.startswith("tools/livepatch/")
    if not covered(path, pats) and (ours or not covered(path, other)):
        print(f"MAINTAINERS: {path} is in no F: line of LIVE PATCHING",
              file=sys.stderr)
        bad += 1
if entry is None:
    print("MAINTAINERS: no LIVE PATCHING entry", file=sys.stderr)
    bad += 1
print(bad)
EOF
)
report MAINTAINERS "$mnt"
# --- sparse and W=1 ---------------------------------------------------
configure()
{
	local frag=$out/check.config
	mkdir -p "$out"
	cat "$WB_DIR/config/$WB_ARCH.config" "$WB_DIR/config/livepatch.config" \
		"$WB_DIR/config/ours.config" > "$frag.new"
	if [ -f "$out/.config" ] && cmp -s "$frag.new" "$frag"; then
		rm "$frag.new"
		return 0
	fi
	kmake tinyconfig
	(cd "$out" && ARCH=x86 "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$frag.new")
	kmake olddefconfig
	grep -qx CONFIG_LIVEPATCH=y "$out/.config"
	mv "$frag.new" "$frag"
}
# One turn of the build lock for all of them.
flock 9
step "configuring the check build" configure
# W=1 first: it compiles; C=2 then runs sparse on every file without
# compiling again (same flags).  Only what points into our files counts.
# Warnings only show when a file is compiled: compile ours every time
# (ccache replays the warnings of a file it has seen).
for d in "${OUR_DIRS[@]}"; do
	find "$out/$d" -name '*.o' -delete 2>/dev/null || true
done
step "building our directories with W=1" kmake W=1 "${OUR_DIRS[@]}"
step "sparse (C=2) on our directories" kmake W=1 C=2 CHECK="$SPARSE" "${OUR_DIRS[@]}"
grep -q 'is not available or not up to date' \
	"$LOG_DIR/sparse-C-2-on-our-directories.log" &&
	die "sparse did not run: $LOG_DIR/sparse-C-2-on-our-directories.log"
w1=$(grep -E "^$OUR_PATHS.*: (warning|error):" "$LOG_DIR/building-our-directories-with-W-1.log" |
	findings)
report "W=1" "$w1"
sp=$(grep -E "^$OUR_PATHS.*: (warning|error):" "$LOG_DIR/sparse-C-2-on-our-directories.log" |
	grep -v '\[-W' | findings)
report sparse "$sp"

# --- coccicheck -------------------------------------------------------
run_coccicheck()
{
	local d
	for d in "${OUR_DIRS[@]}"; do
		kmake coccicheck MODE=report M="$src/$d" J="$WB_JOBS"
	done
}
step "coccicheck MODE=report on our directories" run_coccicheck
flock -u 9
cocci=$(grep -E "^($src/|\./)?$OUR_PATHS[^ ]*:[0-9]+" "$LOG_DIR/coccicheck-MODE-report-on-our-directories.log" |
	findings)
report coccicheck "$cocci"


echo
printf '%s\n' "${summary[@]}"
if [ $failed = 0 ]; then
	echo "check: all clean"
else
	echo "check: findings above (logs: $LOG_DIR/)"
fi
exit $failed
