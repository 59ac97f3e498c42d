#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh DIR: write the series as git format-patch files to DIR: a cover
# letter (series/cover-letter, with the benchmark table of README.md) and
# one file per patch of series/series, against the stripped base.
#
# export.sh --check DIR: export to a scratch directory and compare with
# DIR (the committed patches/), then apply DIR with git am to the stripped
# base and compare the result with the assembled tree.  Prints one
# "PASS name" or "FAIL name" line per check, for the verdict.
#
# The output depends on the repo and the Debian version of the base only:
# the author, the dates and the commit ids are fixed (the series is
# replayed on a root commit that holds the base's tree, with fixed dates),
# git runs without user or system config, and no version string goes in.
# Run prepare.sh first.
set -e
. "$(dirname "$0")/lib.sh"

AUTHOR_NAME="Livepatch Developers"
AUTHOR_EMAIL="livepatch@localhost"
DATE="1733011200 +0000"	# as assemble.py

# git with a fixed identity and date, and none of the user's config.
xgit()
{
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	GIT_AUTHOR_NAME="$AUTHOR_NAME" GIT_AUTHOR_EMAIL="$AUTHOR_EMAIL" \
	GIT_COMMITTER_NAME="$AUTHOR_NAME" GIT_COMMITTER_EMAIL="$AUTHOR_EMAIL" \
	GIT_AUTHOR_DATE="$DATE" GIT_COMMITTER_DATE="$DATE" \
		git -c core.abbrev=12 -c diff.renames=true -c diff.algorithm=myers \
		    -c diff.noprefix=false -c diff.mnemonicPrefix=false \
		    -c diff.suppressBlankEmpty=false -c format.signature= \
		    -c user.useConfigOnly=false "$@"
}

version=$SOURCE_VERSION
# The kernel version the Debian package holds, e.g. 7.3-rc7.
kversion=$(make -s -C "$VANILLA_TREE" kernelversion | sed 's/^\([0-9]*\.[0-9]*\)\.0-/\1-/')

# The base as a root commit of its own: its id depends on the base's
# content only, not on when the cache was unpacked.
root_commit()
{
	local msg
	msg="Linux $kversion without live patching

Debian's $SOURCE_PACKAGE $version with the in-tree live patching
removed by workbench/strip.py: the base the series applies to."
	xgit -C "$VANILLA_TREE" commit-tree "base^{tree}" <<<"$msg"
}

# Replay base..ours on the root; prints the last commit.
replay()
{
	local head=$1 c tree
	for c in $(git -C "$VANILLA_TREE" rev-list --reverse base..ours); do
		tree=$(git -C "$VANILLA_TREE" rev-parse "$c^{tree}")
		head=$(git -C "$VANILLA_TREE" log -1 --format=%B "$c" |
			xgit -C "$VANILLA_TREE" commit-tree "$tree" -p "$head")
	done
	echo "$head"
}

# The cover letter's subject and body: series/cover-letter, whose first
# line is the subject; @BENCHMARK@ stands for the first table of
# README.md's "Measured" section, @VERSION@ for the Debian version of the
# base.
cover_text()
{
	python3 - "$REPO_DIR" "$version" <<'EOF'
import re, sys
repo, version = sys.argv[1], sys.argv[2]
readme = open(f"{repo}/README.md", encoding="utf-8").read()
measured = readme.split("\n## Measured\n", 1)[1].split("\n## ", 1)[0]
# The first table: the section goes on with the tables of s390x.
table = re.search(r"(?m)^\|.*(?:\n\|.*)*", measured)
table = table.group(0) if table else ""
if not table:
    sys.exit("README.md: no table in the Measured section")
text = open(f"{repo}/series/cover-letter", encoding="utf-8").read()
text = text.replace("@BENCHMARK@", table).replace("@VERSION@", version)
sys.stdout.write(text)
EOF
}

export_to()
{
	local out=$1 root head tmp subject
	root=$(root_commit)
	head=$(replay "$root")
	tmp=$(mktemp -d)
	xgit -C "$VANILLA_TREE" format-patch -q --cover-letter --no-signature \
		--subject-prefix=PATCH --base="$root" --stat=80 \
		--stat-graph-width=20 -o "$tmp" "$root..$head"
	cover_text > "$tmp/.cover"
	subject=$(head -n 1 "$tmp/.cover")
	tail -n +3 "$tmp/.cover" > "$tmp/.blurb"
	python3 - "$tmp/0000-cover-letter.patch" "$subject" "$tmp/.blurb" <<'EOF'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(path, encoding="utf-8").read()
assert "*** SUBJECT HERE ***" in text and "*** BLURB HERE ***" in text
text = text.replace("*** SUBJECT HERE ***", subject, 1)
text = text.replace("*** BLURB HERE ***\n", blurb.rstrip("\n") + "\n", 1)
open(path, "w", encoding="utf-8").write(text)
EOF
	rm -f "$tmp/.cover" "$tmp/.blurb"
	mkdir -p "$out"
	rm -f "$out"/*.patch
	cp "$tmp"/*.patch "$out/"
	rm -rf "$tmp"
}

check()
{
	local committed=$1 tmp root wt tree want
	tmp=$(mktemp -d)
	export_to "$tmp/patches"
	if diff -r -q "$committed" "$tmp/patches" >/dev/null 2>&1; then
		echo "PASS export: patches/ is the series the tree exports"
	else
		echo "FAIL export: patches/ is not what the tree exports: run make export and commit patches/"
		diff -r -u "$committed" "$tmp/patches" 2>&1 | head -n 40 | sed 's/^/    /' >&2
	fi

	# git am of the committed files onto the base gives the assembled tree.
	root=$(root_commit)
	wt=$tmp/am
	git -C "$VANILLA_TREE" worktree add -q --detach "$wt" "$root"
	if ls "$committed"/0*.patch >/dev/null 2>&1 &&
	   xgit -C "$wt" am -q $(ls "$committed"/0*.patch | grep -v /0000-) \
		>"$LOG_DIR/export-git-am.log" 2>&1; then
		tree=$(git -C "$wt" rev-parse "HEAD^{tree}")
		want=$(git -C "$VANILLA_TREE" rev-parse "ours^{tree}")
		if [ "$tree" = "$want" ]; then
			echo "PASS export: patches/ applies with git am to the stripped base"
		else
			echo "FAIL export: patches/ applies with git am but differs from the tree: run make export"
		fi
	else
		echo "FAIL export: patches/ does not apply with git am to the stripped base (log: $LOG_DIR/export-git-am.log): run make export"
	fi
	git -C "$VANILLA_TREE" worktree remove --force "$wt"
	rm -rf "$tmp"
}

if [ "$1" = --check ]; then
	check "${2:-$REPO_DIR/patches}"
else
	export_to "${1:-$REPO_DIR/patches}"
	echo "exported $(ls "${1:-$REPO_DIR/patches}"/*.patch | wc -l) files to ${1:-$REPO_DIR/patches}"
fi
