// SPDX-License-Identifier: GPL-2.0
/*
 * klp-diff - tell which functions a live patch has to replace
 *
 * Usage: klp-diff [-v] ORIG.o PATCHED.o
 *        klp-diff -o OUT.o -m MAP -t LINKED -s Module.symvers -n OBJECT
 *                 -p PREFIX ORIG.o PATCHED.o
 *
 * ORIG.o and PATCHED.o are two builds of one translation unit, before and
 * after a source fix, both compiled with -ffunction-sections and
 * -fdata-sections.  Each function of PATCHED.o is matched with its namesake
 * in ORIG.o and the two are compared by their normalised content: the bytes
 * of the function with every relocated field zeroed, and the ordered list of
 * its relocations (offset in the function, type, target, addend).
 *
 * Targets are normalised so that what varies between builds without changing
 * the meaning of the code does not count.  The numeric suffixes gcc gives to
 * local symbols are dropped ("count.3" is "count", "foo.isra.0" is
 * "foo.isra").  A reference into a mergeable string section stands for the
 * string, so a string that only moves is the same and a string whose text
 * changed is not.  A reference to a section plus an offset stands for the
 * symbol defined there; where there is none, a reference into data stands
 * for the table entry found there, and one into code that no symbol covers
 * (the replacement instructions of alternatives) for the piece of code up
 * to the next place referred to, both compared by content wherever they
 * moved.  Read-only data that a
 * function references is compared by content too, and so are the entries of
 * tables such as __jump_table or __ex_table that describe its code.
 *
 * A live patch replaces functions but cannot change data, so a changed
 * initial value of a writable variable and a new writable variable are
 * refused, and so is any change to __init or __exit code.  The ".cold" part
 * gcc splits off a function counts as part of that function.
 *
 * One record a line on stdout, tab separated, sorted by kind and name:
 *
 *   changed NAME REASON   a function present in both files changed
 *   new     NAME REASON   a function only in PATCHED.o
 *   refuse  NAME REASON   a change that a live patch cannot carry
 *   same    NAME          with -v: a function that did not change
 *   gone    NAME          with -v: a function only in ORIG.o
 *
 * With -o, the functions it reports as changed or new are also written to
 * OUT.o for a live patch module of OBJECT, as klp-emit.c describes.
 *
 * Exit status: 0 without refusals, 2 with at least one, 1 on errors.
 */

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klp-elf.h"

#ifndef R_390_PC12DBL
#define R_390_PC12DBL	62
#define R_390_PLT12DBL	63
#define R_390_PC24DBL	64
#define R_390_PLT24DBL	65
#endif

#define REASON_MAX	256	/* bytes of a reason, with its NUL */
#define SHOW_MAX	40	/* bytes of a string shown in a reason */
#define DEPTH_MAX	32	/* levels of read-only data followed */

enum target_kind {
	TARGET_NONE,		/* symbol index 0: an absolute value */
	TARGET_SYMBOL,		/* a named symbol */
	TARGET_STRING,		/* a string of a mergeable string section */
	TARGET_CONST,		/* a constant of a mergeable constant section */
	TARGET_SECTION,		/* an offset in code, no symbol there */
	TARGET_ENTRY,		/* an offset in data, no symbol there */
};

/* The normalised target of one relocation */
struct target {
	enum target_kind kind;
	const char *text;	/* a name, or the bytes of a string or constant */
	size_t len;		/* length of text */
	GElf_Sxword addend;
	GElf_Addr offset;	/* where a TARGET_ENTRY starts */
	const struct symbol *sym;	/* for TARGET_SYMBOL */
	const struct section *sec;	/* the section of other kinds */
};

/* A range of bytes, with its relocations: a function or an object */
struct blob {
	const struct elf_file *file;
	const struct section *sec;
	GElf_Addr start;
	GElf_Xword size;
};

/* The pairs of read-only data being compared, to stop at cycles */
struct visit {
	const struct blob *a;
	const struct blob *b;
	const struct visit *up;
	int depth;
};

enum diff_kind {
	DIFF_NONE,
	DIFF_CODE,		/* size, bytes or relocation layout */
	DIFF_REFS,		/* the target of a relocation */
	DIFF_DATA,		/* data that a relocation refers to */
};

struct diff {
	enum diff_kind kind;
	struct target old;
	struct target new;
};

struct record {
	const char *kind;
	const char *name;
	char reason[REASON_MAX];
};

struct report {
	struct record *recs;
	size_t nr;
	size_t cap;
	bool refused;
};

static const unsigned char mask12[] = { 0x0f, 0xff };
static const unsigned char mask20[] = { 0x0f, 0xff, 0xff, 0x00 };

static const struct reloc_howto x86_64_howtos[] = {
	[R_X86_64_64]		 = { 8,	0, NULL },
	[R_X86_64_PC32]		 = { 4,	4, NULL },
	[R_X86_64_GOT32]	 = { 4,	0, NULL },
	[R_X86_64_PLT32]	 = { 4,	4, NULL },
	[R_X86_64_GOTPCREL]	 = { 4,	4, NULL },
	[R_X86_64_32]		 = { 4,	0, NULL },
	[R_X86_64_32S]		 = { 4,	0, NULL },
	[R_X86_64_16]		 = { 2,	0, NULL },
	[R_X86_64_PC16]		 = { 2,	0, NULL },
	[R_X86_64_8]		 = { 1,	0, NULL },
	[R_X86_64_PC8]		 = { 1,	0, NULL },
	[R_X86_64_TPOFF32]	 = { 4,	0, NULL },
	[R_X86_64_PC64]		 = { 8,	0, NULL },
	[R_X86_64_SIZE32]	 = { 4,	0, NULL },
	[R_X86_64_SIZE64]	 = { 8,	0, NULL },
	[R_X86_64_GOTPCRELX]	 = { 4,	4, NULL },
	[R_X86_64_REX_GOTPCRELX] = { 4,	4, NULL },
};

/*
 * The PC-relative fields of larl, brasl, brcl and brc start two bytes into
 * the instruction, which is where the PC points.
 */
static const struct reloc_howto s390x_howtos[] = {
	[R_390_8]		= { 1,	0, NULL },
	[R_390_12]		= { 2,	0, mask12 },
	[R_390_16]		= { 2,	0, NULL },
	[R_390_32]		= { 4,	0, NULL },
	[R_390_PC32]		= { 4,	0, NULL },
	[R_390_GOT12]		= { 2,	0, mask12 },
	[R_390_GOT32]		= { 4,	0, NULL },
	[R_390_PLT32]		= { 4,	0, NULL },
	[R_390_PC16]		= { 2,	0, NULL },
	[R_390_PC16DBL]		= { 2, -2, NULL },
	[R_390_PLT16DBL]	= { 2, -2, NULL },
	[R_390_PC32DBL]		= { 4, -2, NULL },
	[R_390_PLT32DBL]	= { 4, -2, NULL },
	[R_390_GOTPCDBL]	= { 4, -2, NULL },
	[R_390_64]		= { 8,	0, NULL },
	[R_390_PC64]		= { 8,	0, NULL },
	[R_390_GOT64]		= { 8,	0, NULL },
	[R_390_PLT64]		= { 8,	0, NULL },
	[R_390_GOTENT]		= { 4, -2, NULL },
	[R_390_20]		= { 4,	0, mask20 },
	[R_390_GOT20]		= { 4,	0, mask20 },
	[R_390_PC12DBL]		= { 2,	0, mask12 },
	[R_390_PLT12DBL]	= { 2,	0, mask12 },
	[R_390_PC24DBL]		= { 3,	0, NULL },
	[R_390_PLT24DBL]	= { 3,	0, NULL },
};

/*
 * Sections that are regenerated or carry no code or data of the kernel.
 * Initcall entries are named after a counter and a line number, and the
 * init code they point to is checked by itself.
 */
static const char * const ignored_section_prefixes[] = {
	".note", ".debug", ".zdebug", ".orc_unwind", ".initcall",
};

static const char * const ignored_section_names[] = {
	".comment", ".eh_frame", "__patchable_function_entries",
	"__mcount_loc",
};

/* Ignored sections whose entries for a function go with it into a patch */
static const char * const carried_section_names[] = {
	"__patchable_function_entries", "__mcount_loc",
};

/*
 * Symbols named after a counter, that only export or keep another, or that
 * mark the padding and the CFI preamble in front of a function.
 */
static const char * const ignored_symbol_prefixes[] = {
	"__UNIQUE_ID_", "__addressable_", "__export_symbol_", "__ksymtab",
	"__pfx_", "__cfi_",
};

/* An error on stderr, "klp-diff: PATH: message" (no PATH if NULL); -1 */
static int report(const char *path, const char *fmt, va_list ap)
{
	fprintf(stderr, "klp-diff: ");
	if (path)
		fprintf(stderr, "%s: ", path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return -1;
}

int klp_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int file_error(const struct elf_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(f->path, fmt, ap);
	va_end(ap);
	return -1;
}

static int elf_fail(const struct elf_file *f, const char *what)
{
	return file_error(f, "%s: %s", what, elf_errmsg(-1));
}

bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Is @name @prefix or @prefix followed by a dot and more? */
static bool is_section_family(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	return !strncmp(name, prefix, len) &&
	       (name[len] == '\0' || name[len] == '.');
}

static bool in_list(const char *s, const char * const *list, size_t nr,
		    bool prefix)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (prefix ? has_prefix(s, list[i]) : !strcmp(s, list[i]))
			return true;
	}
	return false;
}

/*
 * Drop the parts of @name that gcc numbers per build: ".N" components
 * ("count.3", "foo.isra.0.cold"), and for __UNIQUE_ID_ names the counter
 * at the end.
 */
static char *normalise_name(const char *name, bool strip)
{
	char *norm = strdup(name);
	char *out = norm;
	const char *p = name;
	size_t digits;

	if (!norm || !strip)
		return norm;

	while (*p) {
		if (*p == '.') {
			digits = strspn(p + 1, "0123456789");
			if (digits && (p[digits + 1] == '.' || !p[digits + 1])) {
				p += digits + 1;
				continue;
			}
		}
		*out++ = *p++;
	}
	*out = '\0';

	if (has_prefix(norm, "__UNIQUE_ID_")) {
		while (out > norm && out[-1] >= '0' && out[-1] <= '9')
			*--out = '\0';
	}
	return norm;
}

static const struct reloc_howto *find_howto(const struct elf_file *f,
					    unsigned int type)
{
	if (type >= f->nr_howtos || !f->howtos[type].size)
		return NULL;
	return &f->howtos[type];
}

bool is_rodata_section(const struct section *sec)
{
	GElf_Xword flags = sec->sh.sh_flags;

	if (!(flags & SHF_ALLOC) || (flags & SHF_EXECINSTR))
		return false;
	/* .data.rel.ro is written by relocation only: vmlinux puts it in RO_DATA */
	return !(flags & SHF_WRITE) || has_prefix(sec->name, ".data.rel.ro");
}

bool is_data_section(const struct section *sec)
{
	GElf_Xword flags = sec->sh.sh_flags;

	return (flags & SHF_ALLOC) && (flags & SHF_WRITE) &&
	       !(flags & SHF_EXECINSTR) && !is_rodata_section(sec);
}

bool is_string_section(const struct section *sec)
{
	return (sec->sh.sh_flags & SHF_MERGE) &&
	       (sec->sh.sh_flags & SHF_STRINGS) && sec->sh.sh_entsize;
}

bool is_const_section(const struct section *sec)
{
	return (sec->sh.sh_flags & SHF_MERGE) &&
	       !(sec->sh.sh_flags & SHF_STRINGS) && sec->sh.sh_entsize;
}

static const char *init_exit_reason(const struct symbol *s)
{
	if (is_section_family(s->sec->name, ".init.text"))
		return "__init code runs only at boot: a live patch cannot change it";
	if (is_section_family(s->sec->name, ".exit.text"))
		return "__exit code runs only at module unload: a live patch cannot change it";
	return NULL;
}

/* A symbol that only marks a place: a section symbol or a .L label */
bool is_anonymous(const struct symbol *s)
{
	unsigned char type = GELF_ST_TYPE(s->sym.st_info);

	if (type == STT_SECTION)
		return true;
	return type == STT_NOTYPE && GELF_ST_BIND(s->sym.st_info) == STB_LOCAL &&
	       (!s->name[0] || has_prefix(s->name, ".L"));
}

static const unsigned char *section_bytes(const struct section *sec)
{
	return sec->data ? sec->data->d_buf : NULL;
}

static bool ignored_section(const char *name, const GElf_Shdr *sh)
{
	if (sh->sh_type == SHT_GROUP)
		return true;
	return in_list(name, ignored_section_prefixes,
		       ARRAY_SIZE(ignored_section_prefixes), true) ||
	       in_list(name, ignored_section_names,
		       ARRAY_SIZE(ignored_section_names), false);
}

static bool is_table(const GElf_Shdr *sh)
{
	return sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_SYMTAB_SHNDX ||
	       sh->sh_type == SHT_RELA || sh->sh_type == SHT_REL ||
	       sh->sh_type == SHT_STRTAB;
}

static int read_sections(struct elf_file *f)
{
	size_t shstrndx, i;
	Elf_Scn *scn;

	if (elf_getshdrnum(f->elf, &f->nr_secs) ||
	    elf_getshdrstrndx(f->elf, &shstrndx))
		return elf_fail(f, "section headers");

	f->secs = calloc(f->nr_secs, sizeof(*f->secs));
	if (!f->secs)
		return file_error(f, "out of memory");

	for (i = 1; i < f->nr_secs; i++) {
		struct section *sec = &f->secs[i];

		scn = elf_getscn(f->elf, i);
		if (!scn || !gelf_getshdr(scn, &sec->sh))
			return elf_fail(f, "section header");
		sec->name = elf_strptr(f->elf, shstrndx, sec->sh.sh_name);
		if (!sec->name)
			return elf_fail(f, "section name");
		sec->norm_name = normalise_name(sec->name, true);
		if (!sec->norm_name)
			return file_error(f, "out of memory");
		sec->ignored = ignored_section(sec->name, &sec->sh);
		sec->carried = in_list(sec->name, carried_section_names,
				       ARRAY_SIZE(carried_section_names),
				       false);
		if ((sec->ignored && !sec->carried) ||
		    sec->sh.sh_type == SHT_NOBITS ||
		    sec->sh.sh_type == SHT_NULL)
			continue;

		/* tables are read through gelf, contents as they are */
		if (is_table(&sec->sh))
			sec->data = elf_getdata(scn, NULL);
		else
			sec->data = elf_rawdata(scn, NULL);
		if (!sec->data)
			return file_error(f, "section %s: %s", sec->name,
					  elf_errmsg(-1));
		if (!is_table(&sec->sh) &&
		    (sec->data->d_size != sec->sh.sh_size ||
		     (sec->sh.sh_size && !sec->data->d_buf)))
			return file_error(f, "section %s: cannot read its contents",
					  sec->name);
	}
	return 0;
}

static enum sym_class classify(const struct symbol *s)
{
	unsigned char type = GELF_ST_TYPE(s->sym.st_info);

	if (!s->sec)
		return CLASS_OTHER;
	if (type == STT_FUNC)
		return CLASS_FUNC;
	if (type != STT_OBJECT)
		return CLASS_OTHER;
	if (is_rodata_section(s->sec))
		return CLASS_RODATA;
	if (is_data_section(s->sec))
		return CLASS_DATA;
	return CLASS_OTHER;
}

static int read_symbol(struct elf_file *f, struct symbol *s, size_t strndx,
		       Elf32_Word xndx)
{
	size_t shndx = s->sym.st_shndx;
	bool local = GELF_ST_BIND(s->sym.st_info) == STB_LOCAL;

	s->name = elf_strptr(f->elf, strndx, s->sym.st_name);
	if (!s->name)
		return elf_fail(f, "symbol name");
	s->norm_name = normalise_name(s->name, local ||
				      has_prefix(s->name, "__UNIQUE_ID_"));
	if (!s->norm_name)
		return file_error(f, "out of memory");

	if (shndx == SHN_XINDEX)
		shndx = xndx;
	else if (shndx >= SHN_LORESERVE)
		shndx = SHN_UNDEF;
	if (shndx >= f->nr_secs)
		return file_error(f, "symbol %s: bad section index %zu",
				  s->name, shndx);
	if (shndx != SHN_UNDEF)
		s->sec = &f->secs[shndx];

	s->ignored = in_list(s->name, ignored_symbol_prefixes,
			     ARRAY_SIZE(ignored_symbol_prefixes), true) ||
		     (s->sec && s->sec->ignored);
	s->class = classify(s);
	if (s->class != CLASS_OTHER &&
	    (s->sym.st_value > s->sec->sh.sh_size ||
	     s->sym.st_size > s->sec->sh.sh_size - s->sym.st_value))
		return file_error(f, "symbol %s lies outside section %s",
				  s->name, s->sec->name);
	return 0;
}

static int read_symbols(struct elf_file *f)
{
	struct section *symtab = NULL;
	Elf_Data *shndx_data = NULL;
	Elf32_Word xndx;
	size_t i;

	for (i = 1; i < f->nr_secs; i++) {
		if (f->secs[i].sh.sh_type == SHT_SYMTAB)
			symtab = &f->secs[i];
		else if (f->secs[i].sh.sh_type == SHT_SYMTAB_SHNDX)
			shndx_data = f->secs[i].data;
	}
	if (!symtab)
		return file_error(f, "no symbol table");
	if (!symtab->sh.sh_entsize || symtab->sh.sh_link >= f->nr_secs)
		return file_error(f, "section %s: bad header", symtab->name);

	f->nr_syms = symtab->sh.sh_size / symtab->sh.sh_entsize;
	f->syms = calloc(f->nr_syms, sizeof(*f->syms));
	if (!f->syms)
		return file_error(f, "out of memory");

	for (i = 1; i < f->nr_syms; i++) {
		struct symbol *s = &f->syms[i];

		s->index = i;
		xndx = 0;
		if (!gelf_getsymshndx(symtab->data, shndx_data, i, &s->sym,
				      &xndx))
			return elf_fail(f, "symbol table");
		if (read_symbol(f, s, symtab->sh.sh_link, xndx))
			return -1;
	}
	return 0;
}

static int cmp_relas(const void *a, const void *b)
{
	const struct rela *ra = a, *rb = b;

	if (ra->offset != rb->offset)
		return ra->offset < rb->offset ? -1 : 1;
	if (ra->type != rb->type)
		return ra->type < rb->type ? -1 : 1;
	return ra->addend < rb->addend ? -1 : ra->addend > rb->addend;
}

static int read_rela_section(struct elf_file *f, struct section *rsec)
{
	struct section *sec = &f->secs[rsec->sh.sh_info];
	const struct reloc_howto *howto;
	GElf_Rela rela;
	size_t i, nr, sym;

	if (sec->relas)
		return file_error(f, "section %s: more than one relocation section",
				  sec->name);
	if (rsec->sh.sh_link >= f->nr_secs ||
	    f->secs[rsec->sh.sh_link].sh.sh_type != SHT_SYMTAB ||
	    !rsec->sh.sh_entsize)
		return file_error(f, "section %s: bad header", rsec->name);

	nr = rsec->sh.sh_size / rsec->sh.sh_entsize;
	sec->relas = calloc(nr ? nr : 1, sizeof(*sec->relas));
	if (!sec->relas)
		return file_error(f, "out of memory");
	sec->nr_relas = nr;

	for (i = 0; i < nr; i++) {
		struct rela *r = &sec->relas[i];

		if (!gelf_getrela(rsec->data, i, &rela))
			return elf_fail(f, rsec->name);
		sym = GELF_R_SYM(rela.r_info);
		if (sym >= f->nr_syms)
			return file_error(f, "section %s: relocation %zu: bad symbol index %zu",
					  rsec->name, i, sym);
		r->offset = rela.r_offset;
		r->addend = rela.r_addend;
		r->type = GELF_R_TYPE(rela.r_info);
		r->sym = sym ? &f->syms[sym] : NULL;

		howto = find_howto(f, r->type);
		if (r->offset > sec->sh.sh_size ||
		    (howto && howto->size > sec->sh.sh_size - r->offset))
			return file_error(f, "section %s: relocation at 0x%llx lies outside %s",
					  rsec->name,
					  (unsigned long long)r->offset,
					  sec->name);
	}
	qsort(sec->relas, nr, sizeof(*sec->relas), cmp_relas);
	return 0;
}

static int read_relas(struct elf_file *f)
{
	struct section *rsec, *sec;
	size_t i;

	for (i = 1; i < f->nr_secs; i++) {
		rsec = &f->secs[i];
		if (rsec->sh.sh_type != SHT_RELA && rsec->sh.sh_type != SHT_REL)
			continue;
		if (!rsec->sh.sh_info || rsec->sh.sh_info >= f->nr_secs)
			return file_error(f, "section %s: bad target section",
					  rsec->name);
		sec = &f->secs[rsec->sh.sh_info];
		if (sec->ignored && !sec->carried)
			continue;
		if (rsec->sh.sh_type == SHT_REL)
			return file_error(f, "section %s: REL relocations are not supported",
					  rsec->name);
		if (read_rela_section(f, rsec))
			return -1;
	}
	return 0;
}

static int cmp_value(const void *a, const void *b)
{
	const struct symbol *sa = *(const struct symbol * const *)a;
	const struct symbol *sb = *(const struct symbol * const *)b;

	if (sa->sym.st_value != sb->sym.st_value)
		return sa->sym.st_value < sb->sym.st_value ? -1 : 1;
	if (sa->ignored != sb->ignored)
		return sa->ignored ? 1 : -1;
	if (GELF_ST_BIND(sa->sym.st_info) != GELF_ST_BIND(sb->sym.st_info))
		return GELF_ST_BIND(sa->sym.st_info) == STB_LOCAL ? 1 : -1;
	return strcmp(sa->name, sb->name);
}

/* List the functions and objects of each section, by address */
/*
 * A function without a size (assembly without .size) is compared up to the
 * next symbol or the end of its section: as size 0 it would never differ.
 */
static void size_functions(struct section *sec)
{
	struct symbol *s;
	GElf_Addr end;
	size_t i, j;

	for (i = 0; i < sec->nr_syms; i++) {
		s = sec->syms[i];
		if (s->class != CLASS_FUNC || s->sym.st_size)
			continue;
		end = sec->sh.sh_size;
		for (j = i + 1; j < sec->nr_syms; j++) {
			if (sec->syms[j]->sym.st_value > s->sym.st_value) {
				end = sec->syms[j]->sym.st_value;
				break;
			}
		}
		if (end > s->sym.st_value)
			s->sym.st_size = end - s->sym.st_value;
	}
}

static int index_symbols(struct elf_file *f)
{
	struct section *sec;
	size_t i;

	for (i = 1; i < f->nr_syms; i++) {
		if (f->syms[i].class != CLASS_OTHER)
			f->syms[i].sec->nr_syms++;
	}
	for (i = 1; i < f->nr_secs; i++) {
		sec = &f->secs[i];
		if (!sec->nr_syms)
			continue;
		sec->syms = calloc(sec->nr_syms, sizeof(*sec->syms));
		if (!sec->syms)
			return file_error(f, "out of memory");
		sec->nr_syms = 0;
	}
	for (i = 1; i < f->nr_syms; i++) {
		sec = f->syms[i].sec;
		if (f->syms[i].class != CLASS_OTHER)
			sec->syms[sec->nr_syms++] = &f->syms[i];
	}
	for (i = 1; i < f->nr_secs; i++) {
		sec = &f->secs[i];
		if (sec->nr_syms)
			qsort(sec->syms, sec->nr_syms, sizeof(*sec->syms),
			      cmp_value);
		size_functions(sec);
	}
	return 0;
}

static bool covers(const struct symbol *s, GElf_Addr offset)
{
	return offset == s->sym.st_value ||
	       offset - s->sym.st_value < s->sym.st_size;
}

/*
 * The function or object that covers @offset of @sec: of those that start
 * closest before it, the first in the order of cmp_value().
 */
struct symbol *symbol_at(const struct section *sec, GElf_Sxword offset)
{
	size_t lo = 0, hi = sec->nr_syms, mid;
	struct symbol *found = NULL, *s;

	if (offset < 0)
		return NULL;
	/* the first symbol that starts after @offset */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sec->syms[mid]->sym.st_value <= (GElf_Addr)offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo > 0; lo--) {
		s = sec->syms[lo - 1];
		if (found && s->sym.st_value != found->sym.st_value)
			break;
		if (covers(s, offset))
			found = s;
	}
	return found;
}

/* Attach each "foo.cold" to "foo", and "foo.isra.0.cold" to "foo.isra.0" */
static void link_cold_parts(struct elf_file *f)
{
	struct symbol *s, *p;
	const char *cold;
	size_t i, j, len;

	for (i = 1; i < f->nr_syms; i++) {
		s = &f->syms[i];
		if (s->class != CLASS_FUNC || s->ignored)
			continue;
		for (cold = strstr(s->name, ".cold"); cold;
		     cold = strstr(cold + 1, ".cold")) {
			if (cold[5] == '\0' || cold[5] == '.')
				break;
		}
		if (!cold)
			continue;
		len = cold - s->name;
		for (j = 1; j < f->nr_syms; j++) {
			p = &f->syms[j];
			if (p->class == CLASS_FUNC && p != s &&
			    !strncmp(p->name, s->name, len) && !p->name[len]) {
				s->parent = p;
				p->cold = s;
				break;
			}
		}
	}
}

/* The function, or the function of the .cold part, whose code @r refers to */
static const struct symbol *code_owner(const struct rela *r)
{
	const struct symbol *s = r->sym;

	if (!s || !s->sec || !(s->sec->sh.sh_flags & SHF_EXECINSTR))
		return NULL;
	if (s->class != CLASS_FUNC)
		s = symbol_at(s->sec, s->sym.st_value + r->addend);
	if (!s || s->class != CLASS_FUNC)
		return NULL;
	return s->parent ? s->parent : s;
}

static void find_owners(struct elf_file *f)
{
	struct section *sec;
	size_t i, j;

	for (i = 1; i < f->nr_secs; i++) {
		sec = &f->secs[i];
		for (j = 0; j < sec->nr_relas; j++)
			sec->relas[j].owner = code_owner(&sec->relas[j]);
	}
}

static bool is_bare_code(const struct section *sec)
{
	return (sec->sh.sh_flags & SHF_EXECINSTR) && !sec->nr_syms &&
	       !sec->ignored && sec->data;
}

static int cmp_addr(const void *a, const void *b)
{
	GElf_Addr x = *(const GElf_Addr *)a, y = *(const GElf_Addr *)b;

	return x < y ? -1 : x > y;
}

/*
 * Code that no symbol covers, such as the replacement instructions of
 * alternatives, is cut at the places other sections refer to: each piece
 * is compared by content, as a table entry is, wherever it moved.
 */
static int find_refs(struct elf_file *f)
{
	const struct section *from;
	struct section *sec;
	const struct rela *r;
	GElf_Sxword at;
	GElf_Addr *refs;
	size_t i, j, k;

	for (i = 1; i < f->nr_secs; i++) {
		from = &f->secs[i];
		for (j = 0; j < from->nr_relas; j++) {
			r = &from->relas[j];
			if (!r->sym || !r->sym->sec || !is_bare_code(r->sym->sec))
				continue;
			sec = r->sym->sec;
			at = (GElf_Sxword)r->sym->sym.st_value + r->addend +
			     pc_bias(f, from, r->type);
			if (at < 0 || (GElf_Xword)at >= sec->sh.sh_size)
				continue;
			refs = realloc(sec->refs, (sec->nr_refs + 1) *
				       sizeof(*refs));
			if (!refs)
				return file_error(f, "out of memory");
			sec->refs = refs;
			sec->refs[sec->nr_refs++] = at;
		}
	}
	for (i = 1; i < f->nr_secs; i++) {
		sec = &f->secs[i];
		if (!sec->nr_refs)
			continue;
		qsort(sec->refs, sec->nr_refs, sizeof(*sec->refs), cmp_addr);
		for (j = k = 1; j < sec->nr_refs; j++) {
			if (sec->refs[j] != sec->refs[k - 1])
				sec->refs[k++] = sec->refs[j];
		}
		sec->nr_refs = k;
	}
	return 0;
}

static void free_symbols(struct elf_file *f)
{
	size_t i;

	for (i = 0; f->syms && i < f->nr_syms; i++)
		free(f->syms[i].norm_name);
	free(f->syms);
	f->syms = NULL;
}

static void free_sections(struct elf_file *f)
{
	size_t i;

	for (i = 0; f->secs && i < f->nr_secs; i++) {
		free(f->secs[i].norm_name);
		free(f->secs[i].relas);
		free(f->secs[i].syms);
		free(f->secs[i].refs);
	}
	free(f->secs);
	f->secs = NULL;
}

static int open_file(struct elf_file *f, const char *path)
{
	GElf_Ehdr ehdr;

	f->path = path;
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0)
		return file_error(f, "cannot open: %s", strerror(errno));

	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf) {
		elf_fail(f, "elf_begin");
		goto out_fd;
	}
	if (elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &ehdr)) {
		file_error(f, "not an ELF object");
		goto out_elf;
	}
	if (ehdr.e_type != ET_REL) {
		file_error(f, "not a relocatable object");
		goto out_elf;
	}
	f->machine = ehdr.e_machine;
	if (f->machine == EM_X86_64) {
		f->howtos = x86_64_howtos;
		f->nr_howtos = ARRAY_SIZE(x86_64_howtos);
	} else if (f->machine == EM_S390) {
		f->howtos = s390x_howtos;
		f->nr_howtos = ARRAY_SIZE(s390x_howtos);
	}

	if (read_sections(f))
		goto out_sections;
	if (read_symbols(f))
		goto out_symbols;
	if (read_relas(f) || index_symbols(f))
		goto out_symbols;
	link_cold_parts(f);
	find_owners(f);
	if (find_refs(f))
		goto out_symbols;
	return 0;

out_symbols:
	free_symbols(f);
out_sections:
	free_sections(f);
out_elf:
	elf_end(f->elf);
out_fd:
	close(f->fd);
	return -1;
}

static void close_file(struct elf_file *f)
{
	free_symbols(f);
	free_sections(f);
	elf_end(f->elf);
	close(f->fd);
}

/* Where the piece of code without a symbol that starts at @offset ends */
static GElf_Addr piece_end(const struct section *sec, GElf_Addr offset)
{
	size_t i;

	for (i = 0; i < sec->nr_refs; i++) {
		if (sec->refs[i] > offset)
			return sec->refs[i];
	}
	return sec->sh.sh_size;
}

/* How far the referenced address lies from symbol + addend */
int pc_bias(const struct elf_file *f, const struct section *from,
	    unsigned int type)
{
	const struct reloc_howto *howto = find_howto(f, type);

	if (!howto || !(from->sh.sh_flags & SHF_EXECINSTR))
		return 0;
	return howto->bias;
}

/* A string of a mergeable string section ends with a zero character */
static size_t string_length(const struct section *sec, GElf_Addr offset)
{
	const unsigned char *p = section_bytes(sec) + offset;
	size_t entsize = sec->sh.sh_entsize;
	size_t max = sec->sh.sh_size - offset;
	size_t len, k;

	for (len = 0; len + entsize <= max; len += entsize) {
		for (k = 0; k < entsize && !p[len + k]; k++)
			;
		if (k == entsize)
			break;
	}
	return len;
}

static void resolve_target(const struct elf_file *f, const struct section *from,
			   const struct rela *r, struct target *t)
{
	const struct symbol *s = r->sym;
	const struct section *sec;
	GElf_Sxword offset, start;

	memset(t, 0, sizeof(*t));
	t->addend = r->addend;
	if (!s)
		return;

	sec = s->sec;
	if (!sec || (!is_anonymous(s) && !is_string_section(sec) &&
		     !is_const_section(sec))) {
		t->kind = TARGET_SYMBOL;
		t->text = s->norm_name;
		t->len = strlen(s->norm_name);
		t->sym = s;
		return;
	}

	t->sec = sec;
	offset = s->sym.st_value + r->addend + pc_bias(f, from, r->type);
	if (offset >= 0 && (GElf_Xword)offset < sec->sh.sh_size &&
	    section_bytes(sec)) {
		if (is_string_section(sec)) {
			t->kind = TARGET_STRING;
			t->text = (const char *)section_bytes(sec) + offset;
			t->len = string_length(sec, offset);
			t->addend = 0;
			return;
		}
		if (is_const_section(sec)) {
			start = offset - offset % sec->sh.sh_entsize;
			t->kind = TARGET_CONST;
			t->text = (const char *)section_bytes(sec) + start;
			t->len = sec->sh.sh_entsize;
			if ((GElf_Xword)start + t->len > sec->sh.sh_size)
				t->len = sec->sh.sh_size - start;
			t->addend = offset - start;
			return;
		}
	}

	s = symbol_at(sec, offset);
	if (s) {
		t->kind = TARGET_SYMBOL;
		t->text = s->norm_name;
		t->len = strlen(s->norm_name);
		t->sym = s;
		t->addend = r->addend + r->sym->sym.st_value - s->sym.st_value;
		return;
	}
	t->text = sec->norm_name;
	t->len = strlen(sec->norm_name);
	if (offset < 0 || (GElf_Xword)offset > sec->sh.sh_size ||
	    ((sec->sh.sh_flags & SHF_EXECINSTR) &&
	     (!is_bare_code(sec) || (GElf_Xword)offset == sec->sh.sh_size))) {
		t->kind = TARGET_SECTION;
		t->addend = offset;
	} else {
		/*
		 * Where it lies in the table or among the pieces of code
		 * without a symbol does not matter, what it holds does.
		 */
		t->kind = TARGET_ENTRY;
		t->offset = offset;
		t->addend = 0;
	}
}

static bool same_target(const struct target *a, const struct target *b)
{
	if (a->kind != b->kind || a->len != b->len || a->addend != b->addend ||
	    memcmp(a->text, b->text, a->len))
		return false;
	if (a->kind != TARGET_SYMBOL)
		return true;
	if (a->sym->class != b->sym->class)
		return false;
	/* Paired symbols: the same one, whatever their numeric suffixes */
	if (a->sym->twin || b->sym->twin)
		return a->sym->twin == b->sym;
	return true;
}

/* Append @len bytes of @s to @buf as a quoted C string, cut at SHOW_MAX */
static void quote_string(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0, i;
	int c;

	n += snprintf(buf + n, size - n, "\"");
	for (i = 0; i < len && i < SHOW_MAX && n < size; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			n += snprintf(buf + n, size - n, "\\n");
		else if (c == '\t')
			n += snprintf(buf + n, size - n, "\\t");
		else if (c == '"' || c == '\\')
			n += snprintf(buf + n, size - n, "\\%c", c);
		else if (c < ' ' || c > '~')
			n += snprintf(buf + n, size - n, "\\x%02x", c);
		else
			n += snprintf(buf + n, size - n, "%c", c);
	}
	if (n < size)
		snprintf(buf + n, size - n, "%s\"", i < len ? "..." : "");
}

static void describe_target(const struct target *t, char *buf, size_t size)
{
	switch (t->kind) {
	case TARGET_NONE:
		snprintf(buf, size, "an absolute address");
		break;
	case TARGET_SYMBOL:
		snprintf(buf, size, "%s", t->sym->name);
		break;
	case TARGET_STRING:
		quote_string(buf, size, t->text, t->len);
		break;
	case TARGET_CONST:
		snprintf(buf, size, "a constant in %s", t->sec->name);
		break;
	case TARGET_SECTION:
		snprintf(buf, size, "%s+0x%llx", t->sec->name,
			 (unsigned long long)t->addend);
		break;
	case TARGET_ENTRY:
		snprintf(buf, size, "%s+0x%llx", t->sec->name,
			 (unsigned long long)t->offset);
		break;
	}
}

/* The first relocation of @sec at or after @offset */
static size_t first_rela(const struct section *sec, GElf_Addr offset)
{
	size_t lo = 0, hi = sec->nr_relas, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sec->relas[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t count_relas(const struct blob *b, size_t first)
{
	size_t i;

	for (i = first; i < b->sec->nr_relas; i++) {
		if (b->sec->relas[i].offset >= b->start + b->size)
			break;
	}
	return i - first;
}

/*
 * Compare the bytes of two blobs whose relocations have the same offsets
 * and types, ignoring the relocated fields.  Overlapping fields do not
 * occur on the architectures handled; the bytes they share are compared
 * under the mask of the first field only.
 */
static bool same_bytes(const struct blob *a, const struct blob *b,
		       size_t first_a)
{
	const unsigned char *pa, *pb;
	const struct reloc_howto *howto;
	const struct rela *r;
	GElf_Addr pos = 0, off, k;
	unsigned char mask;
	size_t i;

	if (a->sec->sh.sh_type == SHT_NOBITS)
		return true;
	/* Sections whose content is not read compare by size alone */
	if (!section_bytes(a->sec) || !section_bytes(b->sec))
		return section_bytes(a->sec) == section_bytes(b->sec);
	pa = section_bytes(a->sec) + a->start;
	pb = section_bytes(b->sec) + b->start;

	for (i = first_a; i < a->sec->nr_relas; i++) {
		r = &a->sec->relas[i];
		if (r->offset >= a->start + a->size)
			break;
		howto = find_howto(a->file, r->type);
		if (!howto)
			continue;
		off = r->offset - a->start;
		if (off > pos && memcmp(pa + pos, pb + pos, off - pos))
			return false;
		for (k = off < pos ? pos - off : 0; k < howto->size; k++) {
			mask = howto->mask ? howto->mask[k] : 0xff;
			if (off + k < a->size && ((pa[off + k] ^ pb[off + k]) & ~mask))
				return false;
		}
		if (off + howto->size > pos)
			pos = off + howto->size;
	}
	return pos >= a->size || !memcmp(pa + pos, pb + pos, a->size - pos);
}

static enum diff_kind compare_blobs(const struct blob *a, const struct blob *b,
				    const struct visit *up, struct diff *d);

/*
 * Where the entry of a table that starts at @offset ends.  Tables such as
 * __bug_table serve many functions and code refers to its own entries by
 * section and offset, which shift whenever an entry is added before.  An
 * entry is taken to run up to the first relocation that refers to the code
 * of another function than the entries before it, so that it holds the
 * entries of one function: a jump table is one entry of its function.
 */
static GElf_Addr entry_end(const struct section *sec, GElf_Addr offset)
{
	const struct symbol *owner = NULL, *o;
	size_t i;

	for (i = first_rela(sec, offset); i < sec->nr_relas; i++) {
		o = sec->relas[i].owner;
		if (!o)
			continue;
		if (!owner)
			owner = o;
		else if (o != owner)
			return sec->relas[i].offset;
	}
	return sec->sh.sh_size;
}

/* The data behind a target: a read-only object or an entry of a table */
static bool data_blob(const struct elf_file *f, const struct target *t,
		      struct blob *b)
{
	b->file = f;
	if (t->kind == TARGET_SYMBOL && t->sym->class == CLASS_RODATA) {
		b->sec = t->sym->sec;
		b->start = t->sym->sym.st_value;
		b->size = t->sym->sym.st_size;
		return true;
	}
	if (t->kind == TARGET_ENTRY) {
		b->sec = t->sec;
		b->start = t->offset;
		b->size = (is_bare_code(t->sec) ?
			   piece_end(t->sec, t->offset) :
			   entry_end(t->sec, t->offset)) - t->offset;
		return true;
	}
	return false;
}

static bool same_blob(const struct blob *a, const struct blob *b)
{
	return a->sec == b->sec && a->start == b->start && a->size == b->size;
}

static bool data_changed(const struct blob *a, const struct target *ta,
			 const struct blob *b, const struct target *tb,
			 const struct visit *up)
{
	struct blob ra, rb;
	struct visit v;
	struct diff d;
	const struct visit *p;

	if (!data_blob(a->file, ta, &ra) || !data_blob(b->file, tb, &rb))
		return false;
	/* a pair already being compared is taken as the same */
	for (p = up; p; p = p->up) {
		if (same_blob(p->a, &ra) && same_blob(p->b, &rb))
			return false;
	}
	v.a = &ra;
	v.b = &rb;
	v.up = up;
	v.depth = up ? up->depth + 1 : 1;
	if (v.depth > DEPTH_MAX)
		return true;
	return compare_blobs(&ra, &rb, &v, &d) != DIFF_NONE;
}

static enum diff_kind compare_blobs(const struct blob *a, const struct blob *b,
				    const struct visit *up, struct diff *d)
{
	size_t first_a, first_b, nr, i;
	const struct rela *ra, *rb;
	bool nobits_a = a->sec->sh.sh_type == SHT_NOBITS;
	bool nobits_b = b->sec->sh.sh_type == SHT_NOBITS;

	d->kind = DIFF_CODE;
	if (a->size != b->size || nobits_a != nobits_b)
		return d->kind;

	first_a = first_rela(a->sec, a->start);
	first_b = first_rela(b->sec, b->start);
	nr = count_relas(a, first_a);
	if (nr != count_relas(b, first_b))
		return d->kind;
	for (i = 0; i < nr; i++) {
		ra = &a->sec->relas[first_a + i];
		rb = &b->sec->relas[first_b + i];
		if (ra->offset - a->start != rb->offset - b->start ||
		    ra->type != rb->type)
			return d->kind;
	}
	if (!same_bytes(a, b, first_a))
		return d->kind;

	d->kind = DIFF_REFS;
	for (i = 0; i < nr; i++) {
		resolve_target(a->file, a->sec, &a->sec->relas[first_a + i],
			       &d->old);
		resolve_target(b->file, b->sec, &b->sec->relas[first_b + i],
			       &d->new);
		if (!same_target(&d->old, &d->new))
			return d->kind;
	}

	d->kind = DIFF_DATA;
	for (i = 0; i < nr; i++) {
		resolve_target(a->file, a->sec, &a->sec->relas[first_a + i],
			       &d->old);
		resolve_target(b->file, b->sec, &b->sec->relas[first_b + i],
			       &d->new);
		if (data_changed(a, &d->old, b, &d->new, up))
			return d->kind;
	}

	d->kind = DIFF_NONE;
	return d->kind;
}

static void symbol_blob(const struct elf_file *f, const struct symbol *s,
			struct blob *b)
{
	b->file = f;
	b->sec = s->sec;
	b->start = s->sym.st_value;
	b->size = s->sym.st_size;
}

static enum diff_kind compare_symbols(const struct elf_file *fa,
				      const struct symbol *a,
				      const struct elf_file *fb,
				      const struct symbol *b, struct diff *d)
{
	struct blob ba, bb;

	symbol_blob(fa, a, &ba);
	symbol_blob(fb, b, &bb);
	return compare_blobs(&ba, &bb, NULL, d);
}

/*
 * Tables without symbols, such as __jump_table, __ex_table, __bug_table or
 * .altinstructions, describe code.  The runs of their entries that refer to
 * a function count as part of it, so that a changed static key or fixup is
 * seen where the code itself did not change.  A run starts at a relocation
 * that refers to the function and ends at the first that refers to another.
 */
bool is_code_table(const struct section *sec)
{
	GElf_Xword flags = sec->sh.sh_flags;

	return (flags & SHF_ALLOC) && !(flags & SHF_EXECINSTR) &&
	       !sec->ignored && !sec->nr_syms && sec->nr_relas;
}

/* Pair the code tables of two files by name */
static void match_tables(struct elf_file *orig, struct elf_file *patched)
{
	struct section *a, *b;
	size_t i, j;

	for (i = 1; i < patched->nr_secs; i++) {
		b = &patched->secs[i];
		if (!is_code_table(b))
			continue;
		for (j = 1; j < orig->nr_secs; j++) {
			a = &orig->secs[j];
			if (!a->twin && is_code_table(a) &&
			    !strcmp(a->norm_name, b->norm_name)) {
				a->twin = b;
				b->twin = a;
				break;
			}
		}
	}
}

/* The next run of @func in @sec, from relocation *@i on */
static bool next_run(const struct elf_file *f, const struct section *sec,
		     const struct symbol *func, size_t *i, struct blob *b)
{
	const struct symbol *o;
	size_t k;

	while (sec && *i < sec->nr_relas && sec->relas[*i].owner != func)
		(*i)++;
	if (!sec || *i >= sec->nr_relas)
		return false;

	for (k = *i + 1; k < sec->nr_relas; k++) {
		o = sec->relas[k].owner;
		if (o && o != func)
			break;
	}
	b->file = f;
	b->sec = sec;
	b->start = sec->relas[*i].offset;
	b->size = (k < sec->nr_relas ? sec->relas[k].offset :
		   sec->sh.sh_size) - b->start;
	*i = k;
	return true;
}

static bool runs_differ(const struct elf_file *fa, const struct section *a,
			const struct symbol *sa, const struct elf_file *fb,
			const struct section *b, const struct symbol *sb)
{
	struct blob ba, bb;
	size_t ia = 0, ib = 0;
	bool more_a, more_b;
	struct diff d;

	for (;;) {
		more_a = next_run(fa, a, sa, &ia, &ba);
		more_b = next_run(fb, b, sb, &ib, &bb);
		if (more_a != more_b)
			return true;
		if (!more_a)
			return false;
		if (compare_blobs(&ba, &bb, NULL, &d) != DIFF_NONE)
			return true;
	}
}

/* The first code table in which the entries of a function changed */
static const struct section *changed_table(const struct elf_file *orig,
					   const struct symbol *o,
					   const struct elf_file *patched,
					   const struct symbol *p)
{
	const struct section *sec;
	size_t i;

	for (i = 1; i < patched->nr_secs; i++) {
		sec = &patched->secs[i];
		if (is_code_table(sec) &&
		    runs_differ(orig, sec->twin, o, patched, sec, p))
			return sec;
	}
	for (i = 1; i < orig->nr_secs; i++) {
		sec = &orig->secs[i];
		if (is_code_table(sec) && !sec->twin &&
		    runs_differ(orig, sec, o, patched, NULL, p))
			return sec;
	}
	return NULL;
}

static int add_record(struct report *rep, const char *kind, const char *name,
		      const char *fmt, ...)
{
	struct record *rec, *recs;
	size_t cap;
	va_list ap;

	if (rep->nr == rep->cap) {
		cap = rep->cap ? rep->cap * 2 : 64;
		recs = realloc(rep->recs, cap * sizeof(*rep->recs));
		if (!recs) {
			fprintf(stderr, "klp-diff: out of memory\n");
			return -1;
		}
		rep->recs = recs;
		rep->cap = cap;
	}
	rec = &rep->recs[rep->nr++];
	rec->kind = kind;
	rec->name = name;
	rec->reason[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(rec->reason, sizeof(rec->reason), fmt, ap);
		va_end(ap);
	}
	if (!strcmp(kind, "refuse"))
		rep->refused = true;
	return 0;
}

static int cmp_records(const void *a, const void *b)
{
	const struct record *ra = a, *rb = b;
	int cmp;

	cmp = strcmp(ra->kind, rb->kind);
	if (!cmp)
		cmp = strcmp(ra->name, rb->name);
	if (!cmp)
		cmp = strcmp(ra->reason, rb->reason);
	return cmp;
}

static int print_report(struct report *rep)
{
	const struct record *rec;
	size_t i;

	if (rep->nr)
		qsort(rep->recs, rep->nr, sizeof(*rep->recs), cmp_records);
	for (i = 0; i < rep->nr; i++) {
		rec = &rep->recs[i];
		if (rec->reason[0])
			printf("%s\t%s\t%s\n", rec->kind, rec->name, rec->reason);
		else
			printf("%s\t%s\n", rec->kind, rec->name);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "klp-diff: cannot write the report\n");
		return -1;
	}
	return 0;
}

static int cmp_norm_names(const void *a, const void *b)
{
	const struct symbol *sa = *(const struct symbol * const *)a;
	const struct symbol *sb = *(const struct symbol * const *)b;
	int cmp = strcmp(sa->norm_name, sb->norm_name);

	if (cmp)
		return cmp;
	return sa->index < sb->index ? -1 : sa->index > sb->index;
}

/* The symbols of @class to compare, sorted by normalised name */
static int collect_symbols(struct elf_file *f, enum sym_class class,
			   struct symbol ***list, size_t *nr)
{
	struct symbol *s;
	size_t i;

	*nr = 0;
	*list = calloc(f->nr_syms ? f->nr_syms : 1, sizeof(**list));
	if (!*list)
		return file_error(f, "out of memory");
	for (i = 1; i < f->nr_syms; i++) {
		s = &f->syms[i];
		if (s->class == class && !s->ignored && !s->parent)
			(*list)[(*nr)++] = s;
	}
	qsort(*list, *nr, sizeof(**list), cmp_norm_names);
	return 0;
}

static void pair(struct symbol *a, struct symbol *b)
{
	a->twin = b;
	b->twin = a;
}

/* Pair symbols of one normalised name: same full name first, then in order */
static void match_group(struct symbol **a, size_t na, struct symbol **b,
			size_t nb)
{
	size_t i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (!b[j]->twin && !strcmp(a[i]->name, b[j]->name)) {
				pair(a[i], b[j]);
				break;
			}
		}
	}
	for (i = 0, j = 0; i < na && j < nb;) {
		if (a[i]->twin)
			i++;
		else if (b[j]->twin)
			j++;
		else
			pair(a[i++], b[j++]);
	}
}

static size_t group_end(struct symbol **list, size_t nr, size_t first)
{
	size_t i;

	for (i = first + 1; i < nr; i++) {
		if (strcmp(list[i]->norm_name, list[first]->norm_name))
			break;
	}
	return i;
}

static void match_symbols(struct symbol **a, size_t na, struct symbol **b,
			  size_t nb)
{
	size_t i = 0, j = 0, ie, je;
	int cmp;

	while (i < na && j < nb) {
		cmp = strcmp(a[i]->norm_name, b[j]->norm_name);
		if (cmp < 0) {
			i++;
		} else if (cmp > 0) {
			j++;
		} else {
			ie = group_end(a, na, i);
			je = group_end(b, nb, j);
			match_group(a + i, ie - i, b + j, je - j);
			i = ie;
			j = je;
		}
	}
}

/* The first by name of the functions or objects using a symbol */
struct users {
	const char *first;
	bool more;
};

static void add_user(struct users *u, const char *name)
{
	if (u->first && strcmp(name, u->first))
		u->more = true;
	if (!u->first || strcmp(name, u->first) < 0)
		u->first = name;
}

static size_t print_users(char *buf, size_t size, const char *what,
			  const struct users *u)
{
	int n = snprintf(buf, size, ", %s %s%s", what, u->first,
			 u->more ? " and others" : "");

	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size;
}

/* Say which functions and objects of @f refer to @s */
static void describe_users(const struct elf_file *f, const struct symbol *s,
			   char *buf, size_t size)
{
	struct users callers = { 0 }, objects = { 0 };
	const struct section *sec;
	const struct rela *r;
	const struct symbol *user;
	struct target t;
	size_t i, j, n = 0;

	for (i = 1; i < f->nr_secs; i++) {
		sec = &f->secs[i];
		for (j = 0; j < sec->nr_relas; j++) {
			r = &sec->relas[j];
			/* only @s and the section symbol can refer to it */
			if (r->sym != s && (!r->sym || r->sym->sec != s->sec ||
					    !is_anonymous(r->sym)))
				continue;
			resolve_target(f, sec, r, &t);
			if (t.kind != TARGET_SYMBOL || t.sym != s)
				continue;
			user = symbol_at(sec, r->offset);
			if (!user || user == s || user->ignored)
				continue;
			if (user->parent)
				user = user->parent;
			if (user->class == CLASS_FUNC)
				add_user(&callers, user->name);
			else
				add_user(&objects, user->name);
		}
	}

	buf[0] = '\0';
	if (callers.first)
		n = print_users(buf, size, "called by", &callers);
	if (objects.first)
		print_users(buf + n, size - n, "referenced by", &objects);
}

static const char *change_reason(const struct diff *d, char *buf, size_t size)
{
	char what[REASON_MAX / 2];

	switch (d->kind) {
	case DIFF_NONE:
		break;
	case DIFF_CODE:
		return "code differs";
	case DIFF_REFS:
		describe_target(&d->new, what, sizeof(what));
		if (d->old.kind == TARGET_STRING && d->new.kind == TARGET_STRING)
			snprintf(buf, size, "string literal changed: now %s", what);
		else
			snprintf(buf, size, "calls or references differ: now references %s",
				 what);
		return buf;
	case DIFF_DATA:
		describe_target(&d->new, what, sizeof(what));
		snprintf(buf, size, "references changed %s %s",
			 d->new.kind == TARGET_ENTRY ? "data at" : "read-only data",
			 what);
		return buf;
	}
	return NULL;
}

static bool cold_changed(const struct elf_file *orig, const struct symbol *o,
			 const struct elf_file *patched, const struct symbol *p)
{
	struct diff d;

	if (!o->cold || !p->cold)
		return o->cold != p->cold;
	return compare_symbols(orig, o->cold, patched, p->cold, &d) != DIFF_NONE;
}

static int report_function(const struct elf_file *orig,
			   const struct elf_file *patched,
			   struct symbol *p, struct report *rep,
			   bool verbose)
{
	const struct symbol *o = p->twin;
	char buf[REASON_MAX], users[REASON_MAX];
	const char *reason, *refusal;
	const struct section *table;
	struct diff d;

	refusal = init_exit_reason(p);
	if (!o) {
		if (refusal)
			return add_record(rep, "refuse", p->name,
					  "new function: %s", refusal);
		describe_users(patched, p, users, sizeof(users));
		p->included = true;
		return add_record(rep, "new", p->name, "new function%s", users);
	}
	if (!refusal)
		refusal = init_exit_reason(o);

	reason = NULL;
	if (compare_symbols(orig, o, patched, p, &d) != DIFF_NONE) {
		reason = change_reason(&d, buf, sizeof(buf));
	} else if (cold_changed(orig, o, patched, p)) {
		reason = "its .cold part changed";
	} else {
		table = changed_table(orig, o, patched, p);
		if (table) {
			snprintf(buf, sizeof(buf), "its entries in %s changed",
				 table->name);
			reason = buf;
		}
	}

	if (!reason)
		return verbose ? add_record(rep, "same", p->name, NULL) : 0;
	if (refusal)
		return add_record(rep, "refuse", p->name, "%s", refusal);
	p->included = true;
	return add_record(rep, "changed", p->name, "%s", reason);
}

static int report_data(const struct elf_file *orig,
		       const struct elf_file *patched,
		       const struct symbol *p, struct report *rep)
{
	char what[REASON_MAX / 2];
	struct diff d;

	if (!p->twin)
		return add_record(rep, "refuse", p->name,
				  "new data object that is not read-only: live patches cannot add global or static variables; keep the new state in a shadow variable (klp_shadow_alloc)");

	switch (compare_symbols(orig, p->twin, patched, p, &d)) {
	case DIFF_NONE:
		return 0;
	case DIFF_DATA:
		describe_target(&d.new, what, sizeof(what));
		return add_record(rep, "refuse", p->name,
				  "the data at %s it points to changed: live patches cannot change data; keep the new state in a shadow variable (klp_shadow_alloc)",
				  what);
	default:
		return add_record(rep, "refuse", p->name,
				  "the initial value of a global or static variable changed: live patches cannot change data; keep the new state in a shadow variable (klp_shadow_alloc)");
	}
}

/*
 * Pair the symbols of @class of two files.  All classes are paired before
 * any content is compared: a reference to a local symbol is the same only
 * if it goes to the symbol's twin, so that a call that moves from one
 * clone to another ("foo.constprop.0" to "foo.constprop.1") is a change.
 */
static int match_class(struct elf_file *orig, struct elf_file *patched,
		       enum sym_class class)
{
	struct symbol **a, **b;
	size_t na, nb;

	if (collect_symbols(orig, class, &a, &na))
		return -1;
	if (collect_symbols(patched, class, &b, &nb)) {
		free(a);
		return -1;
	}
	match_symbols(a, na, b, nb);
	free(b);
	free(a);
	return 0;
}

/* Report on the functions or the writable objects of two matched files */
static int diff_symbols(struct elf_file *orig, struct elf_file *patched,
			enum sym_class class, struct report *rep, bool verbose)
{
	struct symbol **a, **b;
	size_t na, nb, i;
	int ret = -1;

	if (collect_symbols(orig, class, &a, &na))
		return -1;
	if (collect_symbols(patched, class, &b, &nb))
		goto out_a;

	for (i = 0; i < nb; i++) {
		if (class == CLASS_FUNC ?
		    report_function(orig, patched, b[i], rep, verbose) :
		    report_data(orig, patched, b[i], rep))
			goto out_b;
	}
	for (i = 0; class == CLASS_FUNC && verbose && i < na; i++) {
		if (!a[i]->twin && add_record(rep, "gone", a[i]->name, NULL))
			goto out_b;
	}
	ret = 0;

out_b:
	free(b);
out_a:
	free(a);
	return ret;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: klp-diff [-v] ORIG.o PATCHED.o\n"
		"       klp-diff -o OUT.o -m MAP -t LINKED -s Module.symvers -n OBJECT\n"
		"                -p PREFIX ORIG.o PATCHED.o\n");
}

int main(int argc, char **argv)
{
	struct elf_file orig = { 0 }, patched = { 0 };
	struct emit_opts emit = { 0 };
	struct report rep = { 0 };
	bool verbose = false;
	int opt, ret = 1;

	while ((opt = getopt(argc, argv, "vo:m:t:s:n:p:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'o':
			emit.out = optarg;
			break;
		case 'm':
			emit.map = optarg;
			break;
		case 't':
			emit.target = optarg;
			break;
		case 's':
			emit.symvers = optarg;
			break;
		case 'n':
			emit.objname = optarg;
			break;
		case 'p':
			emit.prefix = optarg;
			break;
		default:
			print_usage();
			return 1;
		}
	}
	if (argc - optind != 2 ||
	    (emit.out && (!emit.map || !emit.target || !emit.symvers ||
			  !emit.objname || !emit.prefix))) {
		print_usage();
		return 1;
	}

	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "klp-diff: libelf: %s\n", elf_errmsg(-1));
		return 1;
	}
	if (open_file(&orig, argv[optind]))
		return 1;
	if (open_file(&patched, argv[optind + 1]))
		goto out_orig;
	if (orig.machine != patched.machine) {
		file_error(&patched, "machine %u differs from %u of %s",
			   patched.machine, orig.machine, orig.path);
		goto out_patched;
	}

	match_tables(&orig, &patched);
	if (match_class(&orig, &patched, CLASS_FUNC) ||
	    match_class(&orig, &patched, CLASS_DATA) ||
	    match_class(&orig, &patched, CLASS_RODATA))
		goto out_patched;
	if (diff_symbols(&orig, &patched, CLASS_FUNC, &rep, verbose) ||
	    diff_symbols(&orig, &patched, CLASS_DATA, &rep, verbose))
		goto out_report;
	if (print_report(&rep))
		goto out_report;
	ret = rep.refused ? 2 : 0;
	if (!ret && emit.out)
		ret = klp_emit(&orig, &patched, &emit);

out_report:
	free(rep.recs);
out_patched:
	close_file(&patched);
out_orig:
	close_file(&orig);
	return ret;
}
