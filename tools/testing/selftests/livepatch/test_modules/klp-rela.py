#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn references of a built live patch module into live patch relocations.

usage: klp-rela.py [--name SYMBOL=NAME]... [--section NAME] MODULE.ko
                   OBJECT:SYMBOL[,SYMPOS]...

A test patch module refers to a symbol that its object does not export by
declaring it as a weak external, so that modpost lets the module build.
For each OBJECT:SYMBOL given, this rewrites MODULE.ko in place into the
form of Documentation/livepatch/module-elf-format.rst:

  - the undefined symbol SYMBOL is renamed .klp.sym.OBJECT.SYMBOL,SYMPOS
    (SYMPOS defaults to 0) and gets st_shndx SHN_LIVEPATCH;
  - the relocations that use it and apply to an allocated section SEC are
    moved out of their .rela section into a new section
    .klp.rela.OBJECT.SEC, marked SHF_ALLOC | SHF_INFO_LINK |
    SHF_RELA_LIVEPATCH.

Malformed modules for the tests of bad input: --name gives the symbol
SYMBOL the name NAME instead, --section names every new section NAME.

A module converted already is left as it is, so that running this again
after a build that did not relink the module is harmless.  Only ELF64
relocatable objects with RELA relocations are handled, of either byte
order.  Plain struct parsing: nothing beyond the Python standard library.
"""

import os
import struct
import sys

SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_NOBITS = 8
SHF_ALLOC = 0x2
SHF_INFO_LINK = 0x40
SHF_RELA_LIVEPATCH = 0x00100000
SHN_UNDEF = 0
SHN_LIVEPATCH = 0xff20
STB_GLOBAL = 1

EHDR = "16sHHIQQQIHHHHHH"
SHDR = "IIQQQQIIQQ"
SYM = "IBBHQQ"
RELA = "QQq"


class ConvertError(Exception):
    pass


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2:
            raise ConvertError("not an ELF64 file")
        self.bo = "<" if data[5] == 1 else ">"
        self.ehdr = list(struct.unpack_from(self.bo + EHDR, data, 0))
        shoff, shentsize, shnum = self.ehdr[6], self.ehdr[11], self.ehdr[12]
        if self.ehdr[1] != 1:		# e_type ET_REL
            raise ConvertError("not a relocatable object")
        self.shdrs = []
        self.data = []
        for i in range(shnum):
            sh = list(struct.unpack_from(self.bo + SHDR, data,
                                         shoff + i * shentsize))
            self.shdrs.append(sh)
            if sh[1] == SHT_NOBITS:
                self.data.append(b"")
            else:
                self.data.append(bytes(data[sh[4]:sh[4] + sh[5]]))
        self.shstrndx = self.ehdr[13]

    def string(self, secndx, off):
        buf = self.data[secndx]
        return buf[off:buf.index(b"\0", off)].decode()

    def secname(self, i):
        return self.string(self.shstrndx, self.shdrs[i][0])

    def add_string(self, secndx, s):
        off = len(self.data[secndx])
        self.data[secndx] += s.encode() + b"\0"
        return off

    def add_section(self, name, shtype, flags, link, info, align, entsize,
                    data):
        name_off = self.add_string(self.shstrndx, name)
        self.shdrs.append([name_off, shtype, flags, 0, 0, len(data), link,
                           info, align, entsize])
        self.data.append(data)

    def write(self):
        out = bytearray(64)
        for i, sh in enumerate(self.shdrs):
            if i == 0:
                continue
            sh[5] = len(self.data[i]) if sh[1] != SHT_NOBITS else sh[5]
            align = max(sh[8], 1)
            out += b"\0" * (-len(out) % align)
            sh[4] = len(out)
            out += self.data[i]
        out += b"\0" * (-len(out) % 8)
        self.ehdr[6] = len(out)
        self.ehdr[11] = struct.calcsize(SHDR)
        self.ehdr[12] = len(self.shdrs)
        for sh in self.shdrs:
            out += struct.pack(self.bo + SHDR, *sh)
        struct.pack_into(self.bo + EHDR, out, 0, *self.ehdr)
        return bytes(out)


def parse_spec(spec):
    obj, sep, rest = spec.partition(":")
    if not sep or not obj or not rest:
        raise ConvertError(f"'{spec}' is not OBJECT:SYMBOL[,SYMPOS]")
    sym, _, pos = rest.partition(",")
    if pos and not pos.isdigit():
        raise ConvertError(f"'{spec}': SYMPOS is not a number")
    return obj, sym, int(pos or 0)


def convert(path, specs, names, section):
    with open(path, "rb") as f:
        elf = Elf(f.read())
    bo = elf.bo
    symndx = next((i for i, sh in enumerate(elf.shdrs)
                   if sh[1] == SHT_SYMTAB), None)
    if symndx is None:
        raise ConvertError("no symbol table")
    strndx = elf.shdrs[symndx][6]
    symsize = struct.calcsize(SYM)
    syms = [list(struct.unpack_from(bo + SYM, elf.data[symndx], off))
            for off in range(0, len(elf.data[symndx]), symsize)]

    moved = {}		# symbol index -> object name
    done = 0
    for obj, name, pos in specs:
        klp_name = names.get(name, f".klp.sym.{obj}.{name},{pos}")
        hits = [i for i, s in enumerate(syms)
                if elf.string(strndx, s[0]) == name and s[3] == SHN_UNDEF]
        if not hits:
            if any(elf.string(strndx, s[0]) == klp_name and
                   s[3] == SHN_LIVEPATCH for s in syms):
                done += 1
                continue
            raise ConvertError(f"no undefined symbol '{name}'")
        for i in hits:
            syms[i][0] = elf.add_string(strndx, klp_name)
            syms[i][1] = (STB_GLOBAL << 4) | (syms[i][1] & 0xf)
            syms[i][3] = SHN_LIVEPATCH
            moved[i] = obj
    if done == len(specs):
        return False

    elf.data[symndx] = b"".join(struct.pack(bo + SYM, *s) for s in syms)

    relasize = struct.calcsize(RELA)
    new = {}		# (object, target section) -> relocations
    for i in range(1, len(elf.shdrs)):
        sh = elf.shdrs[i]
        if sh[1] != SHT_RELA or sh[6] != symndx or sh[2] & SHF_RELA_LIVEPATCH:
            continue
        if not elf.shdrs[sh[7]][2] & SHF_ALLOC:
            continue
        kept = b""
        buf = elf.data[i]
        for off in range(0, len(buf), relasize):
            entry = buf[off:off + relasize]
            _, info, _ = struct.unpack(bo + RELA, entry)
            obj = moved.get(info >> 32)
            if obj is None:
                kept += entry
            else:
                new.setdefault((obj, sh[7]), []).append(entry)
        elf.data[i] = kept

    for (obj, target), entries in sorted(new.items()):
        name = section or f".klp.rela.{obj}.{elf.secname(target)}"
        elf.add_section(name, SHT_RELA,
                        SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
                        symndx, target, 8, relasize, b"".join(entries))

    with open(path + ".tmp", "wb") as f:
        f.write(elf.write())
    os.replace(path + ".tmp", path)
    return True


def main(argv):
    names = {}
    section = None
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--name" and args:
            sym, sep, name = args.pop(0).partition("=")
            if not sep:
                print(__doc__, file=sys.stderr)
                return 2
            names[sym] = name
        elif opt == "--section" and args:
            section = args.pop(0)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        specs = [parse_spec(s) for s in args[1:]]
        if convert(args[0], specs, names, section):
            print(f"  KLP-RELA {args[0]}")
    except (ConvertError, OSError, struct.error) as e:
        print(f"klp-rela.py: {args[0]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
