#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Assemble our series on top of the stripped base, one git commit a patch.

usage: assemble.py REPO_DIR KERNEL_GIT_DIR BASE_REF WORKTREE

The series is described by REPO_DIR/series/series: one patch description
file a line, in order.  A description holds mail-style headers, a blank
line and the changelog:

    Subject: livepatch: Add the core
    Add: kernel/livepatch/Kconfig kernel/livepatch/Makefile
    Add: include/linux/livepatch.h
    Edit: kernel-module-hooks.diff

    Changelog text ...

"Add:" names files kept at their kernel paths at the root of the repo and
new to the kernel (a path ending in "/" adds every file below it); "Edit:"
names a unified diff in series/edits/ that changes files the kernel already
has.  Every file under the repo's kernel paths must belong to exactly one
patch.

A new file that grows over the series (kernel/livepatch/Makefile gains an
object with each patch of the core) is created and extended by "Edit:"
diffs in the earlier patches; the patch that "Add:"s it brings it to its
content in the repo.  Only files that the base does not have can be
grown that way.

The commits are built in a private index, so the worktree is only touched
where the result differs from what it had: editing one repo file and
assembling again rebuilds only what depends on that file.
"""

import os
import subprocess
import sys
import tempfile

KERNEL_ROOTS = ("Documentation", "arch", "include", "kernel", "samples",
                "scripts", "tools")
AUTHOR = ("Livepatch Developers", "livepatch@localhost")
DATE = "1733011200 +0000"	# fixed, so that the same input gives the same commits


class AssembleError(Exception):
    pass


def parse_description(path):
    headers = {"Subject": [], "Add": [], "Edit": []}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines) and lines[i].strip():
        key, sep, value = lines[i].partition(":")
        if not sep or key not in headers:
            raise AssembleError(f"{path}:{i + 1}: unknown header '{lines[i]}'")
        headers[key].extend(value.split())
        i += 1
    if len(headers["Subject"]) == 0:
        raise AssembleError(f"{path}: no Subject")
    with open(path, encoding="utf-8") as f:
        subject = next(l for l in f if l.startswith("Subject:"))
    body = "\n".join(lines[i + 1:]).strip() + "\n"
    return subject.partition(":")[2].strip(), headers["Add"], \
        headers["Edit"], body


def repo_kernel_files(repo):
    out = set()
    for root in KERNEL_ROOTS:
        top = os.path.join(repo, root)
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, repo)
                if name.endswith((".o", ".ko", ".cmd", ".mod", ".mod.c",
                                  ".order", ".symvers")) or \
                        name.startswith(".") or "/.tmp" in rel:
                    continue
                out.add(rel)
    return out


def git(gitdir, *args, env=None, inp=None):
    res = subprocess.run(["git", "-C", gitdir] + list(args), env=env,
                         input=inp, capture_output=True, text=True)
    if res.returncode:
        raise AssembleError(f"git {' '.join(args)}: {res.stderr.strip()}")
    return res.stdout.strip()


def assemble(repo, gitdir, base, worktree):
    series_file = os.path.join(repo, "series", "series")
    entries = []
    if os.path.exists(series_file):
        with open(series_file, encoding="utf-8") as f:
            entries = [l.strip() for l in f
                       if l.strip() and not l.startswith("#")]

    seen = {}
    patches = []
    present = repo_kernel_files(repo)
    for entry in entries:
        subject, adds, edits, body = parse_description(
            os.path.join(repo, "series", entry))
        expanded = []
        for path in adds:
            if path.endswith("/"):
                expanded += sorted(p for p in present if p.startswith(path))
            else:
                expanded.append(path)
        adds = expanded
        for path in adds:
            if path in seen:
                raise AssembleError(f"{path} added by both {seen[path]} "
                                    f"and {entry}")
            if not os.path.isfile(os.path.join(repo, path)):
                raise AssembleError(f"{entry}: no such file {path}")
            seen[path] = entry
        patches.append((entry, subject, adds, edits, body))

    orphans = sorted(present - set(seen))
    if orphans:
        raise AssembleError("files in no patch of series/series: " +
                            " ".join(orphans))

    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1],
               GIT_COMMITTER_NAME=AUTHOR[0], GIT_COMMITTER_EMAIL=AUTHOR[1],
               GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE)
    with tempfile.TemporaryDirectory() as tmp:
        env["GIT_INDEX_FILE"] = os.path.join(tmp, "index")
        head = git(gitdir, "rev-parse", base + "^{commit}")
        git(gitdir, "read-tree", head, env=env)
        # New files that Edit diffs create before the patch that Adds them.
        grown = set()
        for entry, subject, adds, edits, body in patches:
            for diff in edits:
                dpath = os.path.join(repo, "series", "edits", diff)
                with open(dpath, encoding="utf-8") as f:
                    text = f.read()
                grown.update(line[len("+++ b/"):].strip()
                             for line, prev in zip(text.split("\n")[1:],
                                                   text.split("\n"))
                             if prev == "--- /dev/null" and
                             line.startswith("+++ b/"))
                dpath = os.path.join(repo, "series", "edits", diff)
                res = subprocess.run(["git", "-C", gitdir, "apply",
                                      "--cached", "--whitespace=nowarn",
                                      dpath], env=env,
                                     capture_output=True, text=True)
                if res.returncode:
                    raise AssembleError(f"{entry}: {diff} does not apply: "
                                        f"{res.stderr.strip()}")
            for path in adds:
                if git(gitdir, "ls-files", "--", path, env=env) and \
                        path not in grown:
                    raise AssembleError(f"{entry}: {path} exists in the "
                                        "kernel already: keep an Edit for it")
                full = os.path.join(repo, path)
                blob = git(gitdir, "hash-object", "-w", full)
                mode = "100755" if os.access(full, os.X_OK) else "100644"
                git(gitdir, "update-index", "--add", "--cacheinfo",
                    f"{mode},{blob},{path}", env=env)
            tree = git(gitdir, "write-tree", env=env)
            msg = f"{subject}\n\n{body}\nSigned-off-by: {AUTHOR[0]} <{AUTHOR[1]}>\n"
            head = git(gitdir, "commit-tree", tree, "-p", head, env=env,
                       inp=msg)

    git(gitdir, "branch", "-f", "ours", head)
    if not os.path.isdir(worktree):
        git(gitdir, "worktree", "add", "-q", "--detach", worktree, head)
    else:
        dirty = git(worktree, "status", "--porcelain", "--untracked-files=no")
        if dirty:
            raise AssembleError(f"{worktree} has local changes; edit the "
                                "repo instead:\n" + dirty)
        git(worktree, "checkout", "-q", "--detach", head)
    print(f"assembled {len(patches)} patches on {base}: {head[:12]}")
    return 0


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return assemble(*sys.argv[1:])
    except AssembleError as e:
        print(f"assemble: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
