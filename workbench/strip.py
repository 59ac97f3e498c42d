#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the Debian 6.12 tree into the "pre-livepatch" base.

Run in the root of a 6.12 kernel tree.  Removes the in-tree livepatch
implementation and every hook of it, so that our series adds the subsystem
for real.  Each edit names what it removes and why; each one must match
exactly as often as it says, so a new 6.12.y that moves code around stops
the strip instead of leaving a hook behind.

The deleted code is not kept anywhere: the edits below are anchors (a line,
or the first and last line of a block), never copies of the removed code.
"""

import os
import re
import shutil
import sys


class StripError(Exception):
    pass


def _read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def _write(path, text):
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)


def remove(path):
    """Delete a file or a whole directory."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    else:
        raise StripError(f"{path}: expected to exist")


def sub(path, pattern, repl, count=1, flags=re.M):
    """Replace PATTERN (a regex) by REPL; it must match exactly COUNT times."""
    text = _read(path)
    new, n = re.subn(pattern, repl, text, flags=flags)
    if n != count:
        raise StripError(f"{path}: /{pattern}/ matched {n} times, "
                         f"expected {count}")
    _write(path, new)


def drop_line(path, line, count=1):
    """Drop whole lines equal to LINE (leading/trailing blanks kept exact)."""
    sub(path, r"^" + re.escape(line) + r"\n", "", count)


def drop_block(path, first, last, count=1, blank_before=False,
               blank_after=False):
    """Drop the lines from one matching regex FIRST to the next matching LAST.

    blank_before/blank_after also drop one empty line around the block, so
    that no double blank line is left behind.
    """
    pat = (r"\n" if blank_before else "") + \
        r"^" + first + r".*\n(?:.*\n)*?" + last + r"\n" + \
        (r"\n" if blank_after else "")
    sub(path, pat, "", count)


def strip():
    # --- the implementation itself, its samples, tests and documents -----
    for path in ("kernel/livepatch",
                 "kernel/module/livepatch.c",
                 "include/linux/livepatch.h",
                 "include/linux/livepatch_sched.h",
                 "samples/livepatch",
                 "tools/testing/selftests/livepatch",
                 "Documentation/livepatch",
                 "Documentation/ABI/testing/sysfs-kernel-livepatch"):
        remove(path)

    # --- build glue -------------------------------------------------------
    drop_line("kernel/Makefile", "obj-y += livepatch/")
    drop_line("kernel/module/Makefile", "obj-$(CONFIG_LIVEPATCH) += livepatch.o")
    drop_block("samples/Kconfig", r"config SAMPLE_LIVEPATCH", r"\t  .*",
               blank_after=True)
    sub("samples/Makefile", r"^obj-\$\(CONFIG_SAMPLE_LIVEPATCH\).*\n", "")
    drop_line("tools/testing/selftests/Makefile", "TARGETS += livepatch")
    drop_line("Documentation/index.rst", "   Livepatching <livepatch/index>")
    drop_block("MAINTAINERS", r"LIVE PATCHING", r"F:\ttools/testing/selftests/livepatch/",
               blank_after=True)

    # Every architecture that offered livepatch sources its Kconfig; the
    # file is gone, so all of them must drop the line, not only ours.
    for arch in ("x86", "s390", "powerpc", "loongarch"):
        kconfig = f"arch/{arch}/Kconfig"
        sub(kconfig, r"^\tselect HAVE_LIVEPATCH\b.*\n", "")
        sub(kconfig, r'^source "kernel/livepatch/Kconfig"\n\n?', "")
    for cfg in ("arch/s390/configs/defconfig",
                "arch/s390/configs/debug_defconfig"):
        drop_line(cfg, "CONFIG_LIVEPATCH=y")

    # --- the per-task state and its switch points -----------------------
    drop_line("include/linux/sched.h", "#include <linux/livepatch_sched.h>")
    drop_block("include/linux/sched.h", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif")
    sub("include/linux/sched.h",
        r"^void sched_dynamic_klp_(?:enable|disable)\(void\);\n", "", 2)
    sub("include/linux/sched.h", r"^\n(?=DECLARE_STATIC_CALL\(cond_resched)",
        "")
    drop_line("include/linux/sched.h", "\tklp_sched_try_switch();", 2)

    drop_line("include/linux/init_task.h", "#include <linux/livepatch.h>")
    drop_block("init/init_task.c", r"#ifdef CONFIG_LIVEPATCH", r"#endif")

    drop_line("kernel/fork.c", "#include <linux/livepatch.h>")
    sub("kernel/fork.c", r"^\tklp_copy_process\(p\);\n\n", "")

    drop_line("include/linux/entry-common.h", "#include <linux/livepatch.h>")
    drop_block("include/linux/entry-common.h", r"#ifndef _TIF_PATCH_PENDING",
               r"#endif", blank_after=True)
    sub("include/linux/entry-common.h",
        r"_TIF_NEED_RESCHED \| _TIF_PATCH_PENDING \| _TIF_NOTIFY_SIGNAL \|\t",
        "_TIF_NEED_RESCHED | _TIF_NOTIFY_SIGNAL |\t\t\t")
    drop_line("kernel/entry/common.c", "#include <linux/livepatch.h>")
    sub("kernel/entry/common.c",
        r"^\t\tif \(ti_work & _TIF_PATCH_PENDING\)\n\t\t\tklp_\w+\(current\);\n\n",
        "")

    drop_line("kernel/sched/build_policy.c", "#include <linux/livepatch.h>")
    sub("kernel/sched/idle.c",
        r"\n\tif \(unlikely\(klp_patch_pending\(current\)\)\)\n\t\tklp_\w+\(current\);\n",
        "")
    # cond_resched() with PREEMPT_DYNAMIC: the override that let a
    # transition hook into cond_resched(), and the hook in the static-key
    # variant.
    drop_line("kernel/sched/core.c", "\tklp_sched_try_switch();")
    drop_line("kernel/sched/core.c", "static bool klp_override;")
    sub("kernel/sched/core.c",
        r"^(\t+)if \(!klp_override\)\n\t+(preempt_dynamic_\w+\(cond_resched\);)$",
        r"\1\2", 4)
    drop_block("kernel/sched/core.c", r"#ifdef CONFIG_HAVE_PREEMPT_DYNAMIC_CALL\n\nstatic int klp_cond_resched\(void\)",
               r"#endif /\* CONFIG_HAVE_PREEMPT_DYNAMIC_CALL \*/",
               blank_before=True)

    # x86 and s390 thread flags: the bit numbers stay free.
    for ti in ("arch/x86/include/asm/thread_info.h",
               "arch/s390/include/asm/thread_info.h"):
        sub(ti, r"^#define _?TIF_PATCH_PENDING\b.*\n", "", 2)

    # --- /proc/<pid>/patch_state -----------------------------------------
    drop_block("fs/proc/base.c", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif /\* CONFIG_LIVEPATCH \*/", blank_after=True)
    sub("fs/proc/base.c",
        r'^#ifdef CONFIG_LIVEPATCH\n\tONE\("patch_state",.*\n#endif\n', "", 2)

    # --- the module loader ----------------------------------------------
    drop_block("include/linux/module.h", r"#ifdef CONFIG_LIVEPATCH\n/\*\*\n \* struct klp_modinfo",
               r"#endif", blank_after=True)
    drop_block("include/linux/module.h", r"#ifdef CONFIG_LIVEPATCH\n\tbool klp;.*",
               r"#endif", blank_after=True)
    drop_block("include/linux/module.h", r"static inline bool is_livepatch_module\(struct module \*mod\)",
               r"}", blank_after=True)
    drop_block("include/linux/moduleloader.h", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif")
    drop_block("kernel/module/internal.h", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif /\* CONFIG_LIVEPATCH \*/", blank_after=True)
    drop_block("kernel/module/internal.h", r"static inline bool set_livepatch_module\(struct module \*mod\)",
               r"}", blank_after=True)
    sub("kernel/module/kallsyms.c", r"i == 0 \|\| is_livepatch_module\(mod\) \|\|",
        "i == 0 ||", 2)

    main = "kernel/module/main.c"
    drop_line(main, "#include <linux/livepatch.h>")
    drop_line(main, "\tklp_module_going(mod);", 3)
    sub(main, r"^\tif \(is_livepatch_module\(mod\)\)\n\t\tfree_module_elf\(mod\);\n\n", "")
    sub(main, r"^\t\tcase SHN_LIVEPATCH:\n.*\n\t\t\tbreak;\n\n", "")
    sub(main, r"^\t\tif \(info->sechdrs\[i\]\.sh_flags & SHF_RELA_LIVEPATCH\)\n(?:\t\t\t.*\n)+\t\telse if ",
        "\t\tif ")
    drop_block(main, r"static int check_modinfo_livepatch\(struct module \*mod, struct load_info \*info\)",
               r"}", blank_after=True)
    sub(main, r"^\terr = check_modinfo_livepatch\(mod, info\);\n\tif \(err\)\n\t\treturn err;\n\n", "")
    drop_block(main, r"\tif \(is_livepatch_module\(mod\)\) \{\n\t\tadd_taint_module\(mod, TAINT_LIVEPATCH.*",
               r"\t}", blank_after=True)
    sub(main, r"^\terr = klp_module_coming\(mod\);\n\tif \(err\)\n\t\treturn err;\n\n", "")
    sub(main, r"^\tif \(err\)\n\t\tklp_module_going\(mod\);\n\n", "")
    drop_block(main, r"\tif \(is_livepatch_module\(mod\)\) \{\n\t\terr = copy_module_elf.*",
               r"\t}", blank_after=True)
    # Only the ELF copy jumped to this label.
    sub(main, r"^ sysfs_cleanup:\n\tmod_sysfs_teardown\(mod\);\n", "")

    drop_block("arch/x86/kernel/module.c", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif", blank_before=True)
    sub("arch/s390/kernel/module.c",
        r"^\tif \(is_livepatch_module\(mod\) &&\n.*\n\t\treturn;\n\n", "")


def main():
    try:
        strip()
    except StripError as e:
        print(f"strip: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
