// SPDX-License-Identifier: GPL-2.0
/*
 * klp-emit - write the functions a live patch carries into an object
 *
 * The functions klp-diff chose in PATCHED.o are written, section by section,
 * into a relocatable object that becomes part of the patch module, with
 * what they need and nothing else:
 *
 *  - the read-only data they refer to (strings, constants, const tables),
 *    copied whole, and code without a symbol (alternative replacements);
 *  - the entries of the tables that describe their code (__bug_table,
 *    __ex_table, __jump_table, .altinstructions, __mcount_loc, ...), found
 *    by the relocations that point into them;
 *  - for every other symbol they refer to, a reference to the running
 *    kernel's own: an undefined symbol when vmlinux (or another module)
 *    exports it, otherwise the live patch symbol ".klp.sym.OBJ.NAME,POS"
 *    of Documentation/livepatch/module-elf-format.rst, weak so that the
 *    module links.  POS is the position of the symbol among those of its
 *    name in OBJ's kallsyms, found in the linked vmlinux or module by the
 *    source file that defines it.  klp-rela turns these into live patch
 *    relocations once the module is linked.
 *
 * Writable data is never copied: the patch uses the kernel's variables, so
 * a static variable of a patched function keeps its state.
 *
 * Each function is written under its own name as a local symbol; one that
 * replaces a function of the kernel also under PREFIX_N as a global one,
 * for the klp_func that the map file lists:
 *
 *   func OLD_NAME SYMPOS NEW_SYMBOL	a function to replace
 *   new  NAME				a new function, called by the others
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klp-elf.h"

#define ENTRY_MAX	64	/* bytes of a table entry, at most */
#define NO_INDEX	((size_t)-1)

/* A symbol of the linked vmlinux or module */
struct linked_sym {
	const char *name;
	const char *file;	/* the source file of a local symbol */
	size_t group;		/* its object's locals: the index of their file */
	GElf_Addr value;
	GElf_Xword size;
	unsigned char type;
	unsigned char bind;
	size_t index;
};

struct linked {
	const char *path;
	int fd;
	Elf *elf;
	bool by_address;	/* kallsyms order: address (vmlinux) or index */
	struct linked_sym *syms;
	size_t nr_syms;
};

struct export {
	char *name;
	char *owner;		/* "vmlinux" or a module */
};

/* Where the entries of a table that were copied went */
struct entry_map {
	size_t out;		/* the output table */
	size_t size;		/* of an entry */
	GElf_Addr *from;	/* the offset of each entry copied, in order */
	GElf_Addr *to;		/* and its offset in the output */
	size_t nr;
};

struct out_sym {
	char *name;
	unsigned char info;
	size_t sec;		/* the output section, or 0 when undefined */
	GElf_Addr value;
	GElf_Xword size;
	size_t index;		/* in the written symbol table */
};

struct out_rela {
	GElf_Addr offset;
	size_t sym;		/* an out_sym, or NO_INDEX for none */
	unsigned int type;
	GElf_Sxword addend;
};

struct out_sec {
	const char *name;
	GElf_Shdr sh;
	unsigned char *buf;
	size_t size;
	struct out_rela *relas;
	size_t nr_relas;
	GElf_Rela *written;		/* the relocations as written */
	const struct section *src;	/* copied whole from here */
	size_t sym;			/* its section symbol */
	bool scanned;			/* its relocations are converted */
};

struct emitter {
	const struct elf_file *orig;
	const struct elf_file *patched;
	const struct emit_opts *opts;
	const char *file;		/* the source file PATCHED.o is built from */
	struct linked target;
	size_t group;			/* the linked locals of ORIG.o, or 0 */
	struct export *exports;
	size_t nr_exports;
	struct out_sec *secs;		/* [0] is unused */
	size_t nr_secs;
	size_t *copy_of;		/* output section of each input section */
	struct entry_map **maps;	/* the entries copied of each table */
	struct out_sym *syms;		/* [0] is unused */
	size_t nr_syms;
	FILE *map;
	bool refused;
};

/* A reason the patch cannot be built: on stdout, as klp-diff's records */
static void refusal(struct emitter *e, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refusal(struct emitter *e, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("refuse\t%s\t", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	e->refused = true;
}

static void *grow(void *array, size_t nr, size_t size)
{
	/* room for one more when @nr is 0 or a power of two */
	if (nr & (nr - 1))
		return array;
	return realloc(array, (nr ? nr * 2 : 1) * size);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The linked object's symbols, each local one with its source file */
static int open_linked(struct linked *l, const char *path)
{
	Elf_Data *data = NULL;
	const char *file = NULL;
	GElf_Shdr sh = { 0 };
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	size_t i, nr, group = 0;
	GElf_Sym sym;

	l->path = path;
	l->fd = open(path, O_RDONLY);
	if (l->fd < 0)
		return klp_error("%s: cannot open: %s", path, strerror(errno));
	l->elf = elf_begin(l->fd, ELF_C_READ_MMAP, NULL);
	if (!l->elf || !gelf_getehdr(l->elf, &ehdr))
		return klp_error("%s: %s", path, elf_errmsg(-1));
	l->by_address = ehdr.e_type != ET_REL;

	while ((scn = elf_nextscn(l->elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	}
	if (scn && sh.sh_entsize)
		data = elf_getdata(scn, NULL);
	if (!data)
		return klp_error("%s: no symbol table", path);

	nr = sh.sh_size / sh.sh_entsize;
	l->syms = calloc(nr ? nr : 1, sizeof(*l->syms));
	if (!l->syms)
		return klp_error("out of memory");
	for (i = 1; i < nr; i++) {
		struct linked_sym *s = &l->syms[l->nr_syms];

		if (!gelf_getsym(data, i, &sym))
			return klp_error("%s: %s", path, elf_errmsg(-1));
		s->name = elf_strptr(l->elf, sh.sh_link, sym.st_name);
		if (!s->name)
			return klp_error("%s: %s", path, elf_errmsg(-1));
		s->type = GELF_ST_TYPE(sym.st_info);
		s->bind = GELF_ST_BIND(sym.st_info);
		if (s->type == STT_FILE) {
			file = s->name;
			group = i;
			continue;
		}
		if (s->type == STT_SECTION || !s->name[0] ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		s->file = s->bind == STB_LOCAL ? file : NULL;
		s->group = s->bind == STB_LOCAL ? group : 0;
		s->value = sym.st_value;
		s->size = sym.st_size;
		s->index = i;
		l->nr_syms++;
	}
	return 0;
}

static void close_linked(struct linked *l)
{
	free(l->syms);
	if (l->elf)
		elf_end(l->elf);
	if (l->fd >= 0)
		close(l->fd);
}

static bool before(const struct linked *l, const struct linked_sym *a,
		   const struct linked_sym *b)
{
	if (l->by_address && a->value != b->value)
		return a->value < b->value;
	return a->index < b->index;
}

/*
 * The locals of ORIG.o in the linked object: those after an STT_FILE
 * symbol of its source file's name, of the object that has the most of the
 * named local functions and objects of ORIG.o (the linker drops some with
 * their sections), and at least half of them.  Two files may share a name
 * ("inode.c"), rarely their locals.
 */
static void find_group(struct emitter *e)
{
	const struct linked *l = &e->target;
	size_t i, j, k, end, score, best = 0, wanted = 0;
	const struct symbol *o;
	bool found = false, tie = false;

	for (j = 1; j < e->orig->nr_syms; j++) {
		o = &e->orig->syms[j];
		if (o->class != CLASS_OTHER && !o->ignored &&
		    GELF_ST_BIND(o->sym.st_info) == STB_LOCAL)
			wanted++;
	}
	for (i = 0; i < l->nr_syms; i = end) {
		for (end = i + 1; end < l->nr_syms &&
		     l->syms[end].group == l->syms[i].group; end++)
			;
		if (!l->syms[i].group || strcmp(l->syms[i].file, e->file))
			continue;
		score = 0;
		for (j = 1; j < e->orig->nr_syms; j++) {
			o = &e->orig->syms[j];
			if (o->class == CLASS_OTHER || o->ignored ||
			    GELF_ST_BIND(o->sym.st_info) != STB_LOCAL)
				continue;
			for (k = i; k < end; k++) {
				if (!strcmp(l->syms[k].name, o->name)) {
					score++;
					break;
				}
			}
		}
		if (score * 2 < wanted || (found && score < best))
			continue;
		tie = found && score == best;
		found = true;
		best = score;
		e->group = l->syms[i].group;
	}
	/* two equal candidates: none is known to be ours */
	if (tie)
		e->group = 0;
}

/*
 * The sympos of @name in the linked object: 0 when the name is unique,
 * else the position, from 1, of the one that @want describes among those
 * of its name in kallsyms order.  -1 when it is missing or ambiguous.
 */
static long linked_sympos(struct emitter *e, const char *name,
			  const struct symbol *want, const char *user)
{
	const struct linked *l = &e->target;
	const struct linked_sym *s, *found = NULL;
	size_t i, count = 0, matches = 0;
	bool local = want && GELF_ST_BIND(want->sym.st_info) == STB_LOCAL;
	long pos = 1;

	for (i = 0; i < l->nr_syms; i++) {
		s = &l->syms[i];
		if (strcmp(s->name, name))
			continue;
		count++;
		if (local ? (s->bind != STB_LOCAL || s->group != e->group ||
			     s->type != GELF_ST_TYPE(want->sym.st_info)) :
			    s->bind == STB_LOCAL)
			continue;
		matches++;
		found = s;
	}
	if (!found && local && !e->group) {
		refusal(e, user, "refers to %s: no object of %s has the local symbols of %s",
			name, base_name(l->path), e->orig->path);
		return -1;
	}
	if (!found) {
		refusal(e, user, "refers to %s, which %s does not have%s", name,
			base_name(l->path), local ? " from this object" : "");
		return -1;
	}
	if (matches > 1) {
		refusal(e, user, "refers to %s, which %s has %zu times from %s: cannot tell which",
			name, base_name(l->path), matches, e->file);
		return -1;
	}
	if (count == 1)
		return 0;
	for (i = 0; i < l->nr_syms; i++) {
		s = &l->syms[i];
		if (s != found && !strcmp(s->name, name) && before(l, s, found))
			pos++;
	}
	return pos;
}

static int cmp_exports(const void *a, const void *b)
{
	return strcmp(((const struct export *)a)->name,
		      ((const struct export *)b)->name);
}

/* Module.symvers: CRC, symbol, owner, export type[, namespace] */
static int read_exports(struct emitter *e, const char *path)
{
	char *line = NULL, *name, *owner, *save;
	struct export *x;
	size_t len = 0;
	int ret = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return klp_error("%s: cannot open: %s", path, strerror(errno));
	while (getline(&line, &len, f) > 0) {
		if (!strtok_r(line, "\t\n", &save))
			continue;
		name = strtok_r(NULL, "\t\n", &save);
		owner = strtok_r(NULL, "\t\n", &save);
		if (!name || !owner)
			continue;
		x = grow(e->exports, e->nr_exports, sizeof(*x));
		if (!x)
			goto out;
		e->exports = x;
		x = &e->exports[e->nr_exports];
		x->name = strdup(name);
		x->owner = strdup(owner);
		if (!x->name || !x->owner) {
			free(x->name);
			free(x->owner);
			goto out;
		}
		e->nr_exports++;
	}
	qsort(e->exports, e->nr_exports, sizeof(*e->exports), cmp_exports);
	ret = 0;
out:
	if (ret)
		klp_error("out of memory");
	free(line);
	fclose(f);
	return ret;
}

/* Is @name exported to the patch by an object other than the patched one? */
static bool exported(const struct emitter *e, const char *name)
{
	struct export key = { .name = (char *)name };
	const struct export *x;

	x = bsearch(&key, e->exports, e->nr_exports, sizeof(key), cmp_exports);
	return x && (!strcmp(x->owner, "vmlinux") ||
		     strcmp(x->owner, e->opts->objname));
}

static size_t add_sym(struct emitter *e, const char *name, unsigned char info,
		      size_t sec, GElf_Addr value, GElf_Xword size)
{
	struct out_sym *s;

	s = grow(e->syms, e->nr_syms, sizeof(*s));
	if (!s)
		return 0;
	e->syms = s;
	s = &e->syms[e->nr_syms];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return 0;
	s->info = info;
	s->sec = sec;
	s->value = value;
	s->size = size;
	return e->nr_syms++;
}

/* The undefined symbol @name, added the first time it is needed */
static size_t undefined_sym(struct emitter *e, const char *name, bool weak)
{
	size_t i;

	for (i = 1; i < e->nr_syms; i++) {
		if (!e->syms[i].sec && !strcmp(e->syms[i].name, name))
			return i;
	}
	return add_sym(e, name, GELF_ST_INFO(weak ? STB_WEAK : STB_GLOBAL,
					     STT_NOTYPE), 0, 0, 0);
}

static size_t add_section(struct emitter *e, const char *name,
			  const GElf_Shdr *like)
{
	struct out_sec *o;
	size_t i;

	o = grow(e->secs, e->nr_secs, sizeof(*o));
	if (!o)
		return 0;
	e->secs = o;
	i = e->nr_secs;
	o = &e->secs[i];
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->sh.sh_type = like->sh_type;
	o->sh.sh_flags = like->sh_flags & ~(GElf_Xword)SHF_GROUP;
	o->sh.sh_addralign = like->sh_addralign;
	o->sh.sh_entsize = like->sh_entsize;
	e->nr_secs++;
	o->sym = add_sym(e, "", GELF_ST_INFO(STB_LOCAL, STT_SECTION), i, 0, 0);
	return o->sym ? i : 0;
}

static int append(struct out_sec *o, const void *bytes, size_t len)
{
	unsigned char *buf = realloc(o->buf, o->size + len);

	if (!buf && o->size + len)
		return klp_error("out of memory");
	o->buf = buf;
	memcpy(o->buf + o->size, bytes, len);
	o->size += len;
	return 0;
}

static int add_rela(struct out_sec *o, GElf_Addr offset, size_t sym,
		    unsigned int type, GElf_Sxword addend)
{
	struct out_rela *r = grow(o->relas, o->nr_relas, sizeof(*r));

	if (!r)
		return klp_error("out of memory");
	o->relas = r;
	r = &o->relas[o->nr_relas++];
	r->offset = offset;
	r->sym = sym;
	r->type = type;
	r->addend = addend;
	return 0;
}

/* The output copy of @sec, made the first time it is needed */
static size_t copy_section(struct emitter *e, const struct section *sec)
{
	size_t i = e->copy_of[sec - e->patched->secs];

	if (i)
		return i;
	i = add_section(e, sec->name, &sec->sh);
	if (!i) {
		klp_error("out of memory");
		return 0;
	}
	e->secs[i].src = sec;
	if (sec->data && append(&e->secs[i], sec->data->d_buf,
				sec->data->d_size))
		return 0;
	e->copy_of[sec - e->patched->secs] = i;
	return i;
}

/*
 * Read-only data goes with the code that uses it, and so does code that no
 * function covers: the replacement instructions of alternatives.
 */
static bool goes_along(const struct section *sec, GElf_Sxword offset)
{
	if (!(sec->sh.sh_flags & SHF_ALLOC) || sec->ignored)
		return false;
	if (sec->sh.sh_flags & SHF_EXECINSTR)
		return !symbol_at(sec, offset);
	return is_rodata_section(sec) && !is_code_table(sec) &&
	       sec->sh.sh_type != SHT_NOBITS;
}

/*
 * The name under which the linked kernel knows @s, a symbol of PATCHED.o:
 * the name of its twin in ORIG.o, as gcc may number a local differently.
 */
static const char *linked_name(const struct symbol *s)
{
	return s->twin ? s->twin->name : s->name;
}

/* A reference from the patch to the running kernel's @s */
static size_t kernel_sym(struct emitter *e, const struct symbol *s,
			 const char *user)
{
	const char *name = linked_name(s);
	bool local = GELF_ST_BIND(s->sym.st_info) == STB_LOCAL;
	char klp[512];
	long pos;

	if (!local && exported(e, name))
		return undefined_sym(e, name, false);
	pos = linked_sympos(e, name, s->sec ? s->twin ? s->twin : s : NULL,
			    user);
	if (pos < 0)
		return NO_INDEX;
	if (snprintf(klp, sizeof(klp), ".klp.sym.%s.%s,%ld",
		     e->opts->objname, name, pos) >= (int)sizeof(klp)) {
		refusal(e, user, "the name of %s is too long", name);
		return NO_INDEX;
	}
	return undefined_sym(e, klp, true);
}

/* A reference from code to an entry of a table (x86 WARN() to its bug entry) */
static int entry_rela(struct emitter *e, size_t o, const struct symbol *s,
		      const struct rela *r, GElf_Addr offset, GElf_Sxword at,
		      const char *user)
{
	const struct entry_map *m = e->maps[s->sec - e->patched->secs];
	size_t i;

	for (i = 0; i < m->nr; i++) {
		if (at >= (GElf_Sxword)m->from[i] &&
		    at < (GElf_Sxword)(m->from[i] + m->size))
			return add_rela(&e->secs[o], offset, e->secs[m->out].sym,
					r->type, r->addend + s->sym.st_value -
					m->from[i] + m->to[i]);
	}
	refusal(e, user, "refers to an entry of %s that describes other code",
		s->sec->name);
	return 0;
}

/* Write relocation @r of @from, as the relocation at @offset of output @o */
static int convert_rela(struct emitter *e, size_t o, const struct section *from,
			const struct rela *r, GElf_Addr offset,
			const char *user)
{
	const struct symbol *s = r->sym, *n;
	GElf_Sxword addend = r->addend, at;
	size_t copy, sym;

	if (!s)
		return add_rela(&e->secs[o], offset, NO_INDEX, r->type, addend);

	at = (GElf_Sxword)s->sym.st_value + addend +
	     pc_bias(e->patched, from, r->type);
	if (s->sec && e->maps[s->sec - e->patched->secs])
		return entry_rela(e, o, s, r, offset, at, user);
	if (s->sec && (e->copy_of[s->sec - e->patched->secs] ||
		       goes_along(s->sec, at))) {
		copy = copy_section(e, s->sec);
		if (!copy)
			return -1;
		return add_rela(&e->secs[o], offset, e->secs[copy].sym,
				r->type, addend + s->sym.st_value);
	}

	n = s;
	if (s->sec && is_anonymous(s)) {
		n = symbol_at(s->sec, at);
		if (!n) {
			refusal(e, user, "refers to %s+0x%llx, where no symbol is",
				s->sec->name, (unsigned long long)at);
			return 0;
		}
		addend += (GElf_Sxword)(s->sym.st_value - n->sym.st_value);
	}
	sym = kernel_sym(e, n, user);
	if (sym == NO_INDEX)
		return 0;
	if (!sym)
		return klp_error("out of memory");
	return add_rela(&e->secs[o], offset, sym, r->type, addend);
}

/* Convert the relocations of the sections copied whole */
static int scan_copies(struct emitter *e)
{
	const struct section *src;
	const struct symbol *user;
	size_t i, j;

	for (i = 1; i < e->nr_secs; i++) {
		if (e->secs[i].scanned || !e->secs[i].src)
			continue;
		e->secs[i].scanned = true;
		src = e->secs[i].src;
		for (j = 0; j < src->nr_relas; j++) {
			user = symbol_at(src, src->relas[j].offset);
			if (convert_rela(e, i, src, &src->relas[j],
					 src->relas[j].offset,
					 user ? user->name : src->name))
				return -1;
		}
	}
	return 0;
}

static bool carries(const struct rela *r)
{
	return r->owner && r->owner->included;
}

/*
 * The size of the entries of a table: the smallest size that divides the
 * table into entries whose relocations all lie at the same offsets, with
 * the same types.  0 when there is none.
 */
static size_t entry_size(const struct section *t)
{
	size_t size, i, j, per;

	for (size = 1; size <= ENTRY_MAX; size++) {
		if (t->sh.sh_size % size || t->nr_relas % (t->sh.sh_size / size))
			continue;
		per = t->nr_relas / (t->sh.sh_size / size);
		if (!per)
			continue;
		for (i = 0; i < t->nr_relas; i++) {
			j = i % per;
			if (t->relas[i].offset - (i / per) * size !=
			    t->relas[j].offset ||
			    t->relas[i].type != t->relas[j].type)
				break;
		}
		if (i == t->nr_relas)
			return size;
	}
	return 0;
}

/* Tables whose entries describe code the patch does not need to carry */
static bool unwanted_table(const struct section *t)
{
	return has_prefix(t->name, "___ksymtab") ||
	       has_prefix(t->name, "__ksymtab") ||
	       has_prefix(t->name, "__kcrctab") ||
	       !strcmp(t->name, ".export_symbol");
}

/* Copy the entries of table @t that describe the carried functions */
static int copy_entries(struct emitter *e, const struct section *t)
{
	const unsigned char *bytes = t->data->d_buf;
	size_t size, i, j, o = 0, first, nr;
	struct entry_map *m;
	GElf_Addr start;
	bool wanted;

	for (i = 0; i < t->nr_relas && !carries(&t->relas[i]); i++)
		;
	if (i == t->nr_relas || unwanted_table(t))
		return 0;

	size = entry_size(t);
	if (!size) {
		refusal(e, t->relas[i].owner->name,
			"has entries in %s, whose entry size klp-diff cannot tell",
		       t->name);
		return 0;
	}
	nr = t->sh.sh_size / size;
	m = calloc(1, sizeof(*m));
	if (!m)
		return klp_error("out of memory");
	e->maps[t - e->patched->secs] = m;
	m->size = size;
	m->from = calloc(nr, sizeof(*m->from));
	m->to = calloc(nr, sizeof(*m->to));
	if (!m->from || !m->to)
		return klp_error("out of memory");

	for (i = 0; i < t->nr_relas; i = j) {
		start = t->relas[i].offset - t->relas[i].offset % size;
		wanted = false;
		for (j = i; j < t->nr_relas; j++) {
			if (t->relas[j].offset >= start + size)
				break;
			wanted |= carries(&t->relas[j]);
		}
		if (!wanted)
			continue;
		if (!o) {
			o = add_section(e, t->name, &t->sh);
			if (!o)
				return klp_error("out of memory");
			m->out = o;
		}
		first = e->secs[o].size;
		m->from[m->nr] = start;
		m->to[m->nr++] = first;
		if (append(&e->secs[o], bytes + start, size))
			return -1;
		for (; i < j; i++) {
			const struct rela *r = &t->relas[i];

			if (convert_rela(e, o, t, r, first + r->offset - start,
					 t->relas[j - 1].owner ?
					 t->relas[j - 1].owner->name : t->name))
				return -1;
		}
	}
	return 0;
}

/*
 * The relocations against a module's symbols are written only when the
 * module comes, after the module loader used the tables of the patch and
 * applied its alternatives: refuse them there.
 */
static void check_tables(struct emitter *e)
{
	const struct out_sec *o;
	const char *name;
	size_t i, j;

	if (!strcmp(e->opts->objname, "vmlinux"))
		return;
	for (i = 1; i < e->nr_secs; i++) {
		o = &e->secs[i];
		if (o->src && !((o->sh.sh_flags & SHF_EXECINSTR) &&
				!o->src->nr_syms))
			continue;
		for (j = 0; j < o->nr_relas; j++) {
			if (o->relas[j].sym == NO_INDEX)
				continue;
			name = e->syms[o->relas[j].sym].name;
			if (has_prefix(name, ".klp.sym."))
				refusal(e, o->name,
					"an entry refers to %s: the module loader reads %s before a live patch can resolve a symbol of module %s",
				       name, o->name, e->opts->objname);
		}
	}
}

/* The functions, their .cold parts, and the global names for klp_func */
static int copy_functions(struct emitter *e)
{
	const struct symbol *f, *parts[2];
	char global[256];
	size_t i, k, n = 0, o;
	long pos;

	for (i = 1; i < e->patched->nr_syms; i++) {
		f = &e->patched->syms[i];
		if (!f->included)
			continue;
		parts[0] = f;
		parts[1] = f->cold;
		for (k = 0; k < 2 && parts[k]; k++) {
			o = copy_section(e, parts[k]->sec);
			if (!o || !add_sym(e, parts[k]->name,
					   GELF_ST_INFO(STB_LOCAL, STT_FUNC), o,
					   parts[k]->sym.st_value,
					   parts[k]->sym.st_size))
				return klp_error("out of memory");
		}
		if (!f->twin) {
			fprintf(e->map, "new\t%s\n", f->name);
			continue;
		}
		snprintf(global, sizeof(global), "%s_%zu", e->opts->prefix,
			 n++);
		if (!add_sym(e, global, GELF_ST_INFO(STB_GLOBAL, STT_FUNC),
			     e->copy_of[f->sec - e->patched->secs],
			     f->sym.st_value, f->sym.st_size))
			return klp_error("out of memory");
		pos = linked_sympos(e, f->twin->name, f->twin, f->name);
		if (pos >= 0)
			fprintf(e->map, "func\t%s\t%ld\t%s\n", f->twin->name,
				pos, global);
	}
	return 0;
}

static int add_data(Elf_Scn *scn, void *buf, size_t size, Elf_Type type,
		    size_t align)
{
	Elf_Data *d = elf_newdata(scn);

	if (!d)
		return klp_error("%s", elf_errmsg(-1));
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = type;
	d->d_align = align ? align : 1;
	d->d_version = EV_CURRENT;
	return 0;
}

struct strtab {
	char *buf;
	size_t size;
};

static size_t add_string(struct strtab *t, const char *s)
{
	size_t len = strlen(s) + 1, at = t->size;
	char *buf = realloc(t->buf, t->size + len);

	if (!buf)
		return 0;
	t->buf = buf;
	memcpy(t->buf + at, s, len);
	t->size += len;
	return at;
}

static Elf_Scn *new_section(Elf *elf, struct strtab *shstr, const char *name,
			    const GElf_Shdr *like)
{
	Elf_Scn *scn = elf_newscn(elf);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh))
		return NULL;
	sh = *like;
	sh.sh_name = add_string(shstr, name);
	if (!sh.sh_name || !gelf_update_shdr(scn, &sh))
		return NULL;
	return scn;
}

/*
 * Sections: [1] .shstrtab, [2] .strtab, [3] .symtab, then the output
 * sections in order, then their relocations, then .note.GNU-stack.
 */
static int write_object(struct emitter *e)
{
	struct strtab shstr = { 0 }, str = { 0 };
	size_t i, j, k, nlocal = 1, shndx;
	GElf_Sym *syms = NULL;
	GElf_Rela *relas;
	GElf_Shdr sh;
	GElf_Ehdr eh, *peh;
	Elf_Scn *scn;
	Elf *elf;
	int fd, ret = -1;

	fd = open(e->opts->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return klp_error("%s: cannot create: %s", e->opts->out,
				 strerror(errno));
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf || !gelf_newehdr(elf, ELFCLASS64) ||
	    !gelf_getehdr(e->patched->elf, &eh))
		goto out_elf;
	peh = &eh;
	peh->e_shoff = 0;
	peh->e_phoff = 0;
	peh->e_phnum = 0;
	peh->e_shstrndx = 1;
	if (!gelf_update_ehdr(elf, peh))
		goto out_elf;

	if (add_string(&shstr, "") || add_string(&str, "") ||
	    !shstr.buf || !str.buf)
		goto out_elf;

	/* locals first: the index of the first global is sh_info */
	for (i = 1; i < e->nr_syms; i++) {
		if (GELF_ST_BIND(e->syms[i].info) == STB_LOCAL)
			e->syms[i].index = nlocal++;
	}
	j = nlocal;
	for (i = 1; i < e->nr_syms; i++) {
		if (GELF_ST_BIND(e->syms[i].info) != STB_LOCAL)
			e->syms[i].index = j++;
	}
	j = nlocal;
	syms = calloc(e->nr_syms, sizeof(*syms));
	if (!syms)
		goto out_elf;
	for (i = 1; i < e->nr_syms; i++) {
		GElf_Sym *s = &syms[e->syms[i].index];

		if (e->syms[i].name[0]) {
			s->st_name = add_string(&str, e->syms[i].name);
			if (!s->st_name)
				goto out_syms;
		}
		s->st_info = e->syms[i].info;
		/* sections 1-3 are the tables */
		s->st_shndx = e->syms[i].sec ? e->syms[i].sec + 3 : SHN_UNDEF;
		s->st_value = e->syms[i].value;
		s->st_size = e->syms[i].size;
	}

	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_STRTAB;
	sh.sh_addralign = 1;
	scn = new_section(elf, &shstr, ".shstrtab", &sh);
	if (!scn)
		goto out_syms;
	/* .shstrtab gets its data last, when all names are in */
	if (!new_section(elf, &shstr, ".strtab", &sh))
		goto out_syms;
	sh.sh_type = SHT_SYMTAB;
	sh.sh_link = 2;
	sh.sh_info = j;
	sh.sh_addralign = 8;
	sh.sh_entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	scn = new_section(elf, &shstr, ".symtab", &sh);
	if (!scn || add_data(scn, syms, e->nr_syms * sizeof(*syms), ELF_T_SYM,
			     8))
		goto out_syms;

	for (i = 1; i < e->nr_secs; i++) {
		scn = new_section(elf, &shstr, e->secs[i].name, &e->secs[i].sh);
		if (!scn || add_data(scn, e->secs[i].buf, e->secs[i].size,
				     ELF_T_BYTE, e->secs[i].sh.sh_addralign))
			goto out_syms;
	}
	for (i = 1; i < e->nr_secs; i++) {
		struct out_sec *o = &e->secs[i];
		char name[512];

		if (!o->nr_relas)
			continue;
		relas = calloc(o->nr_relas, sizeof(*relas));
		if (!relas)
			goto out_syms;
		o->written = relas;
		for (k = 0; k < o->nr_relas; k++) {
			shndx = o->relas[k].sym == NO_INDEX ? 0 :
				e->syms[o->relas[k].sym].index;
			relas[k].r_offset = o->relas[k].offset;
			relas[k].r_info = GELF_R_INFO(shndx, o->relas[k].type);
			relas[k].r_addend = o->relas[k].addend;
		}
		memset(&sh, 0, sizeof(sh));
		sh.sh_type = SHT_RELA;
		sh.sh_flags = SHF_INFO_LINK;
		sh.sh_link = 3;
		sh.sh_info = i + 3;
		sh.sh_addralign = 8;
		sh.sh_entsize = gelf_fsize(elf, ELF_T_RELA, 1, EV_CURRENT);
		snprintf(name, sizeof(name), ".rela%s", o->name);
		scn = new_section(elf, &shstr, name, &sh);
		if (!scn || add_data(scn, relas, o->nr_relas * sizeof(*relas),
				     ELF_T_RELA, 8))
			goto out_syms;
	}
	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_PROGBITS;
	sh.sh_addralign = 1;
	if (!new_section(elf, &shstr, ".note.GNU-stack", &sh))
		goto out_syms;

	if (add_data(elf_getscn(elf, 2), str.buf, str.size, ELF_T_BYTE, 1) ||
	    add_data(elf_getscn(elf, 1), shstr.buf, shstr.size, ELF_T_BYTE, 1))
		goto out_syms;
	if (elf_update(elf, ELF_C_WRITE) < 0)
		goto out_syms;
	ret = 0;

out_syms:
	free(syms);
out_elf:
	if (ret)
		klp_error("%s: %s", e->opts->out, elf_errmsg(-1));
	if (elf)
		elf_end(elf);
	free(str.buf);
	free(shstr.buf);
	close(fd);
	if (ret)
		unlink(e->opts->out);
	return ret;
}

/* The name of the source file PATCHED.o was compiled from */
static const char *source_file(const struct elf_file *f)
{
	size_t i;

	for (i = 1; i < f->nr_syms; i++) {
		if (GELF_ST_TYPE(f->syms[i].sym.st_info) == STT_FILE)
			return f->syms[i].name;
	}
	return "";
}

int klp_emit(const struct elf_file *orig, const struct elf_file *patched,
	     const struct emit_opts *opts)
{
	struct emitter e = {
		.orig = orig, .patched = patched, .opts = opts,
		.target = { .fd = -1 },
	};
	size_t i;
	int ret = 1;

	e.file = source_file(orig);
	/* entry 0 of either list stays unused, as in ELF */
	e.nr_secs = 1;
	e.nr_syms = 1;
	e.copy_of = calloc(patched->nr_secs, sizeof(*e.copy_of));
	e.maps = calloc(patched->nr_secs, sizeof(*e.maps));
	if (!e.copy_of || !e.maps) {
		klp_error("out of memory");
		goto out;
	}

	e.map = fopen(opts->map, "w");
	if (!e.map) {
		klp_error("%s: cannot create: %s", opts->map, strerror(errno));
		goto out;
	}
	if (open_linked(&e.target, opts->target) ||
	    read_exports(&e, opts->symvers))
		goto out_map;

	find_group(&e);

	/* tables before the code, which may refer to their entries */
	if (copy_functions(&e))
		goto out_map;
	for (i = 1; i < patched->nr_secs; i++) {
		const struct section *t = &patched->secs[i];

		if ((is_code_table(t) || t->carried) && t->data &&
		    copy_entries(&e, t))
			goto out_map;
	}
	if (scan_copies(&e))
		goto out_map;
	check_tables(&e);
	if (e.refused) {
		ret = 2;
		goto out_map;
	}
	if (write_object(&e))
		goto out_map;
	ret = 0;

out_map:
	if (fclose(e.map) && !ret) {
		klp_error("%s: %s", opts->map, strerror(errno));
		ret = 1;
	}
	if (ret)
		unlink(opts->map);
	close_linked(&e.target);
out:
	for (i = 1; i < e.nr_secs; i++) {
		free(e.secs[i].buf);
		free(e.secs[i].relas);
		free(e.secs[i].written);
	}
	for (i = 1; i < e.nr_syms; i++)
		free(e.syms[i].name);
	for (i = 0; i < e.nr_exports; i++) {
		free(e.exports[i].name);
		free(e.exports[i].owner);
	}
	free(e.exports);
	for (i = 0; e.maps && i < patched->nr_secs; i++) {
		if (e.maps[i]) {
			free(e.maps[i]->from);
			free(e.maps[i]->to);
			free(e.maps[i]);
		}
	}
	free(e.maps);
	free(e.secs);
	free(e.syms);
	free(e.copy_of);
	return ret;
}
