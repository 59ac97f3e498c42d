#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the Debian 7.3 tree into the "pre-livepatch" base.

Run in the root of a 7.3 kernel tree.  Removes the in-tree livepatch
implementation and every hook of it, so that our series adds the subsystem
for real.  Each edit names what it removes and why; each one must match
exactly as often as it says, so a new upload that moves code around stops
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
    strip_subsystem()
    strip_task_state()
    strip_module_loader()
    strip_klp_build()


def strip_subsystem():
    """The implementation, its headers, samples, tests and documents."""
    for path in ("kernel/livepatch",
                 "kernel/module/livepatch.c",
                 "include/linux/livepatch.h",
                 "include/linux/livepatch_sched.h",
                 "include/linux/livepatch_helpers.h",
                 "include/linux/livepatch_external.h",
                 "samples/livepatch",
                 "tools/testing/selftests/livepatch",
                 "Documentation/livepatch",
                 "Documentation/ABI/testing/sysfs-kernel-livepatch"):
        remove(path)

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
    for arch in ("x86", "s390", "arm64", "powerpc", "loongarch"):
        kconfig = f"arch/{arch}/Kconfig"
        sub(kconfig, r"^\tselect HAVE_LIVEPATCH\b.*\n", "")
        sub(kconfig, r'^source "kernel/livepatch/Kconfig"\n\n?', "")
    for cfg in ("arch/s390/configs/defconfig",
                "arch/s390/configs/debug_defconfig"):
        drop_line(cfg, "CONFIG_LIVEPATCH=y")


def strip_task_state():
    """The per-task state, its flag and its switch points."""
    drop_block("include/linux/sched.h", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif")
    drop_line("include/linux/init_task.h", "#include <linux/livepatch.h>")
    drop_block("init/init_task.c", r"#ifdef CONFIG_LIVEPATCH", r"#endif")

    drop_line("kernel/fork.c", "#include <linux/livepatch.h>")
    sub("kernel/fork.c", r"^\tklp_copy_process\(p\);\n\n", "")

    # TIF_PATCH_PENDING is one of the generic thread flags that x86, s390
    # and other architectures share since 6.18; arm64 keeps its own.  The
    # bit numbers stay free.
    sub("include/asm-generic/thread_info_tif.h",
        r"^#define TIF_PATCH_PENDING\b.*\n#define _TIF_PATCH_PENDING\b.*\n\n", "")
    sub("arch/arm64/include/asm/thread_info.h",
        r"^#define _?TIF_PATCH_PENDING\b.*\n", "", 2)

    # Exit to user mode: the work flag and its handler.
    drop_line("include/linux/entry-common.h", "#include <linux/livepatch.h>")
    drop_block("include/linux/irq-entry-common.h",
               r"/\*\n \* Define dummy _TIF work flags if not defined by the architecture",
               r"#endif", blank_after=True)
    sub("include/linux/irq-entry-common.h",
        r"^\t _TIF_PATCH_PENDING \| _TIF_NOTIFY_SIGNAL \| _TIF_RSEQ \|\t\t\\$",
        "\t _TIF_NOTIFY_SIGNAL | _TIF_RSEQ |\t\t\t\t\\\\")
    drop_line("kernel/entry/common.c", "#include <linux/livepatch.h>")
    sub("kernel/entry/common.c",
        r"^\t\tif \(ti_work & _TIF_PATCH_PENDING\)\n\t\t\tklp_\w+\(current\);\n\n",
        "")
    drop_line("arch/arm64/kernel/entry-common.c", "#include <linux/livepatch.h>")

    # The scheduler: idle, and the voluntary switch in __schedule() that
    # replaced the cond_resched() override in 6.13.
    drop_line("kernel/sched/build_policy.c", "#include <linux/livepatch.h>")
    drop_line("kernel/sched/idle.c", "#include <linux/livepatch.h>")
    sub("kernel/sched/idle.c",
        r"\n\tif \(unlikely\(klp_patch_pending\(current\)\)\)\n\t\tklp_\w+\(current\);\n",
        "")
    drop_line("kernel/sched/core.c", "#include <linux/livepatch_sched.h>")
    sub("kernel/sched/core.c", r"^\tklp_sched_try_switch\(prev\);\n\n", "")

    # /proc/<pid>/patch_state
    drop_block("fs/proc/base.c", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif /\* CONFIG_LIVEPATCH \*/", blank_after=True)
    sub("fs/proc/base.c",
        r'^#ifdef CONFIG_LIVEPATCH\n\tONE\("patch_state",.*\n#endif\n', "", 2)


def strip_module_loader():
    """The marking of patch modules, their taint, relocations and ELF copy."""
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
    # The error path of load_module(): the label that freed the ELF copy
    # goes; the allocation tag setup after it unwinds to sysfs.
    sub(main, r"^ livepatch_cleanup:\n\tif \(is_livepatch_module\(mod\)\)\n\t\tfree_module_elf\(mod\);\n", "")
    sub(main, r"^(\terr = codetag_load_module\(mod\);\n\tif \(err\)\n\t\tgoto )livepatch_cleanup;",
        r"\1sysfs_cleanup;")
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

    drop_block("arch/x86/kernel/module.c", r"#ifdef CONFIG_LIVEPATCH",
               r"#endif", blank_before=True)
    sub("arch/s390/kernel/module.c",
        r"^\tif \(is_livepatch_module\(mod\) &&\n.*\n\t\treturn;\n\n", "")


def strip_klp_build():
    """klp-build: the script, objtool's "klp" subcommand and what feeds it.

    klp-build compares two builds of the kernel with "objtool klp diff"
    and turns the result into a patch module.  A kernel built for it
    (KLP_BUILD, which x86_64 selects through HAVE_KLP_BUILD) links vmlinux
    from vmlinux.o with a .klp.symid section, and keeps the sections that
    the generated module's init code reads.
    """
    remove("scripts/livepatch")
    sub("arch/x86/Kconfig", r"^\tselect HAVE_KLP_BUILD\b.*\n", "")
    sub("scripts/Makefile.lib",
        r"^(delay-objtool := \$\(or \$\(CONFIG_LTO_CLANG\),\$\(CONFIG_X86_KERNEL_IBT\)),\$\(CONFIG_KLP_BUILD\)\)$",
        r"\1)")
    sub("scripts/link-vmlinux.sh",
        r"^(\tif is_enabled CONFIG_LTO_CLANG \|\| is_enabled CONFIG_X86_KERNEL_IBT) \|\|\n\t   is_enabled CONFIG_KLP_BUILD;",
        r"\1;")
    sub("scripts/Makefile.vmlinux_o",
        r"^# Only used for builds initiated by klp-build\n.*--klp-symids\n\n", "")
    sub("scripts/module.lds.S", r"^\t\.init\.klp_funcs\t.*\n\t\.init\.klp_objects\t.*\n\n", "")
    drop_block("include/asm-generic/vmlinux.lds.h", r"#ifdef CONFIG_KLP_BUILD",
               r"#endif", blank_after=True)
    sub("include/asm-generic/vmlinux.lds.h",
        r"^(\t\t\.shstrtab 0 : \{ \*\(\.shstrtab\) \})\t+\\\n\t\tKLP_SYMID\n",
        r"\1\n")

    # objtool: the subcommand, its files, and the hooks of the check
    # command that only served it (symbol ids, checksums, the marking of
    # patch modules and of their .klp.sym symbols).
    obj = "tools/objtool"
    for path in ("builtin-klp.c", "klp-checksum.c", "klp-diff.c",
                 "klp-post-link.c", "klp-sympos.c", "klp-symid.c",
                 "include/objtool/klp.h", "include/objtool/checksum.h",
                 "include/objtool/checksum_types.h"):
        remove(f"{obj}/{path}")
    drop_line(f"{obj}/Build", "objtool-y += klp-symid.o")
    sub(f"{obj}/Build", r"^objtool-\$\(BUILD_KLP\) \+= .*\\\n\t+klp-.*\n", "")
    drop_line(f"{obj}/Makefile", "\tARCH_HAS_KLP := y")
    drop_block(f"{obj}/Makefile", r"ifeq \(\$\(ARCH_HAS_KLP\),y\)", r"endif",
               blank_after=True)
    sub(f"{obj}/Makefile", r"^export BUILD_ORC BUILD_KLP$", "export BUILD_ORC")
    sub(f"{obj}/Makefile", r" \$\(LIBXXHASH_(?:CFLAGS|LIBS)\)", "", 2)
    drop_block(f"{obj}/objtool.c", r'\tif \(argc > 1 && !strcmp\(argv\[1\], "klp"\)\) \{',
               r"\t}", blank_after=True)
    for line in ("\tbool checksum;", "\tbool klp_symids;",
                 "\tconst char *debug_checksum;"):
        drop_line(f"{obj}/include/objtool/builtin.h", line)
    sub(f"{obj}/include/objtool/builtin.h",
        r"^\nint cmd_klp\(int argc, const char \*\*argv\);\n", "")
    drop_line(f"{obj}/builtin-check.c", "\tOPT_BOOLEAN(0,\t\t \"klp-symids\", "
              "&opts.klp_symids, \"generate .klp.symids for duplicate symbol "
              "disambiguation\"),")
    drop_block(f"{obj}/builtin-check.c", r"\tif \(opts\.klp_symids && !opts\.link\) \{",
               r"\t}", blank_after=True)
    drop_line(f"{obj}/builtin-check.c", "\t    opts.klp_symids\t\t||")
    check = f"{obj}/check.c"
    drop_line(check, "#include <objtool/klp.h>")
    drop_block(check, r"static bool is_livepatch_module\(struct objtool_file \*file\)",
               r"}", blank_after=True)
    sub(check, r"^\tfile->klp = is_livepatch_module\(file\);\n\n", "")
    # Patch modules arrive with these sections already extracted; any
    # other object that has one gets the warning again.
    sub(check, r"^\t\t/\*\n\t\t \* Livepatch modules (?:.*\n)*?\t\t \*/\n"
        r"\t\tif \(!file->klp\)\n\t\t\t(WARN\(.*\);)\n",
        r"\t\t\1\n", 2)
    sub(check, r"\t\t\t\|\|\n\t       opts\.checksum;", ";")
    drop_line(check, '\t\t    !strcmp(sec->name, ".init.klp_funcs")\t\t||')
    drop_block(check, r"\tif \(opts\.klp_symids\) \{", r"\t}",
               blank_after=True)
    elf = f"{obj}/elf.c"
    drop_line(elf, "#include <objtool/klp.h>")
    sub(elf, r'^\tif \(strstarts\(sym->name, "\.klp\.sym"\)\)\n\t\tsym->klp = 1;\n\n', "")
    sub(elf, r"^\tif \(!sym->klp && !is_sec_sym", "\tif (!is_sec_sym")
    sub(elf, r'^\t\t/\*\n\t\t \* "klp diff" renames (?:.*\n)*?\t\t \*/\n'
        r"\t\tif \(strstarts\(sym->name, KLP_TOMBSTONE_PREFIX\)\)\n.*\n\n", "")
    elfh = f"{obj}/include/objtool/elf.h"
    drop_line(elfh, "#include <objtool/checksum_types.h>")
    for field in ("debug_checksum", "changed", "included", "klp",
                  "dont_correlate", "fake"):
        sub(elfh, r"^\tu8 " + field + r"\s+: 1;\n", "")
    drop_line(elfh, "\tstruct checksum csum;")
    sub(elfh, r"^\tstruct symbol \*twin, \*clone;\n", "")
    sub(f"{obj}/include/objtool/objtool.h",
        r"^(\tbool ignore_unreachables, hints, rodata), klp;$", r"\1;")
    # The debug output of "klp diff": checksums, correlation, cloning.
    drop_block(f"{obj}/include/objtool/warn.h",
               r"extern bool debug, debug_correlate, debug_clone;",
               r"\t__dbg_clone\(args\);\t+\\\n\tindent\+\+", blank_after=True)
    drop_line(f"{obj}/sync-check.sh", "include/linux/livepatch_external.h")
    drop_block(f"{obj}/weak.c", r"int __weak cmd_klp\(int argc, const char \*\*argv\)",
               r"}", blank_before=True)
    # modpost: the section that objtool --klp-symids added to vmlinux.
    sub("scripts/mod/modpost.c", r'^\t"\.klp\.symid",\t+/\* objtool --klp-symids \*/\n', "")


def main():
    try:
        strip()
    except StripError as e:
        print(f"strip: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
