/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The view of an ELF relocatable object that klp-diff compares and that
 * klp-emit writes the chosen functions from.
 */
#ifndef KLP_ELF_H
#define KLP_ELF_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum sym_class {
	CLASS_OTHER,
	CLASS_FUNC,
	CLASS_RODATA,
	CLASS_DATA,
};

/*
 * How a relocation type is applied: the size of the field it fills, the
 * bits of that field when not all of them (big-endian byte masks, for the
 * s390 12 and 20 bit displacements), and, for PC-relative types used in
 * code, how far the referenced address lies from symbol + addend.
 */
struct reloc_howto {
	unsigned char size;
	signed char bias;
	const unsigned char *mask;
};

struct rela {
	GElf_Addr offset;
	GElf_Sxword addend;
	unsigned int type;
	struct symbol *sym;	/* NULL for symbol index 0 */
	const struct symbol *owner;	/* the function whose code it refers to */
};

struct section {
	const char *name;
	char *norm_name;
	GElf_Shdr sh;
	Elf_Data *data;		/* NULL for SHT_NOBITS and ignored sections */
	struct rela *relas;	/* the relocations of this section, by offset */
	size_t nr_relas;
	struct symbol **syms;	/* functions and objects defined here, by value */
	size_t nr_syms;
	struct section *twin;	/* the same table in the other file */
	GElf_Addr *refs;	/* code without symbols: the offsets referred to */
	size_t nr_refs;
	bool ignored;		/* not compared */
	bool carried;		/* not compared, but read to be written out */
};

struct symbol {
	const char *name;
	char *norm_name;
	GElf_Sym sym;
	struct section *sec;	/* NULL when undefined, absolute or common */
	size_t index;
	enum sym_class class;
	bool ignored;
	struct symbol *twin;	/* the same symbol in the other file */
	struct symbol *cold;	/* the .cold part of a function */
	struct symbol *parent;	/* the function a .cold part belongs to */
	bool included;		/* a function the live patch carries */
};

struct elf_file {
	const char *path;
	int fd;
	Elf *elf;
	const struct reloc_howto *howtos;
	size_t nr_howtos;
	GElf_Half machine;
	struct section *secs;
	size_t nr_secs;
	struct symbol *syms;
	size_t nr_syms;
};

int klp_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int file_error(const struct elf_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool has_prefix(const char *s, const char *prefix);
bool is_rodata_section(const struct section *sec);
bool is_data_section(const struct section *sec);
bool is_string_section(const struct section *sec);
bool is_const_section(const struct section *sec);
bool is_anonymous(const struct symbol *s);
bool is_code_table(const struct section *sec);
struct symbol *symbol_at(const struct section *sec, GElf_Sxword offset);
int pc_bias(const struct elf_file *f, const struct section *from,
	    unsigned int type);

/* What klp_emit() writes, and what it needs to know */
struct emit_opts {
	const char *out;	/* the object to write */
	const char *map;	/* the list of the functions written */
	const char *target;	/* vmlinux or the module's .ko, as linked */
	const char *symvers;	/* Module.symvers of the build */
	const char *objname;	/* "vmlinux" or the module's name */
	const char *prefix;	/* of the global names of the functions */
};

int klp_emit(const struct elf_file *orig, const struct elf_file *patched,
	     const struct emit_opts *opts);

#endif /* KLP_ELF_H */
