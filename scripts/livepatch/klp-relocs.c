// SPDX-License-Identifier: GPL-2.0
/*
 * klp-relocs - give a linked patch module its live patch relocations
 *
 * Usage: klp-relocs MODULE.ko
 *
 * klp-diff -o refers to a symbol that the patched object does not export to
 * the patch as a weak undefined symbol named ".klp.sym.OBJ.NAME,POS", so
 * that the module links and modpost lets it be.  Once the module is linked,
 * this turns each of them into the form that
 * Documentation/livepatch/module-elf-format.rst describes: the symbol gets
 * st_shndx SHN_LIVEPATCH, and the relocations that use it move out of the
 * relocation section of the section they apply to, SEC, into the section
 * ".klp.rela.OBJ.SEC", marked SHF_RELA_LIVEPATCH.  The module is written
 * anew and renamed over the old one; one that has no such symbol is left
 * as it is.
 */

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH		0xff20
#endif
#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH	0x00100000
#endif

#define KLP_SYM_PREFIX		".klp.sym."

static const char *path;

/* A section to add: its header, and its relocations */
struct new_section {
	GElf_Shdr sh;
	GElf_Rela *relas;
	size_t nr;
};

static struct new_section *added;
static size_t nr_added;

static int fail(const char *what)
{
	fprintf(stderr, "klp-relocs: %s: %s: %s\n", path, what,
		elf_errmsg(-1));
	return -1;
}

static int error(const char *msg)
{
	fprintf(stderr, "klp-relocs: %s: %s\n", path, msg);
	return -1;
}

/* The object a ".klp.sym.OBJ.NAME,POS" name is for: its length */
static size_t object_len(const char *name)
{
	const char *obj = name + strlen(KLP_SYM_PREFIX);
	const char *dot = strchr(obj, '.');

	return dot ? (size_t)(dot - obj) : 0;
}

/* Append @s to the string table of @scn; its offset, or 0 on failure */
static size_t add_string(Elf_Scn *scn, const char *s)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t len = strlen(s) + 1, at;
	char *buf;

	if (!d)
		return 0;
	at = d->d_size;
	buf = malloc(at + len);
	if (!buf)
		return 0;
	memcpy(buf, d->d_buf, at);
	memcpy(buf + at, s, len);
	/* the old buffer belongs to libelf; the new one lives until exit */
	d->d_buf = buf;
	d->d_size = at + len;
	return at;
}

/* Does the ".klp.sym." name @name belong to the object @obj of @len? */
static bool same_object(const char *name, const char *obj, size_t len)
{
	return object_len(name) == len &&
	       !strncmp(name + strlen(KLP_SYM_PREFIX), obj, len);
}

/*
 * Move the relocations of section @rscn against live patch symbols into
 * new sections, one per object; @objects[i] names the object of symbol i.
 */
static int move_relocations(Elf *elf, Elf_Scn *rscn, size_t symndx,
			    const char **objects, size_t shstrndx)
{
	Elf_Data *d = elf_getdata(rscn, NULL);
	size_t nr, i, k, m, len, sym;
	const char *obj, *target;
	GElf_Rela *kept, *moved;
	struct new_section *n;
	GElf_Shdr rsh, tsh;
	char name[512];

	if (!d || !gelf_getshdr(rscn, &rsh) ||
	    !gelf_getshdr(elf_getscn(elf, rsh.sh_info), &tsh))
		return fail("relocation section");
	target = elf_strptr(elf, shstrndx, tsh.sh_name);
	if (!target)
		return fail("section name");
	nr = rsh.sh_size / rsh.sh_entsize;
	kept = calloc(nr + 1, sizeof(*kept));
	moved = calloc(nr + 1, sizeof(*moved));
	if (!kept || !moved)
		return error("out of memory");

	/* one object at a time: the first one left, until none is */
	for (;;) {
		obj = NULL;
		len = 0;
		for (i = k = m = 0; i < nr; i++) {
			if (!gelf_getrela(d, i, &kept[k]))
				return fail("relocation");
			sym = GELF_R_SYM(kept[k].r_info);
			if (sym >= symndx || !objects[sym] ||
			    (obj && !same_object(objects[sym], obj, len))) {
				k++;
				continue;
			}
			if (!obj) {
				obj = objects[sym] + strlen(KLP_SYM_PREFIX);
				len = object_len(objects[sym]);
			}
			moved[m++] = kept[k];
		}
		if (!m)
			return 0;

		for (i = 0; i < k; i++)
			gelf_update_rela(d, i, &kept[i]);
		d->d_size = k * rsh.sh_entsize;
		nr = k;

		n = realloc(added, (nr_added + 1) * sizeof(*added));
		if (!n)
			return error("out of memory");
		added = n;
		n = &added[nr_added++];
		memset(n, 0, sizeof(*n));
		snprintf(name, sizeof(name), ".klp.rela.%.*s.%s", (int)len, obj,
			 target);
		n->sh.sh_name = add_string(elf_getscn(elf, shstrndx), name);
		if (!n->sh.sh_name)
			return error("out of memory");
		n->sh.sh_type = SHT_RELA;
		n->sh.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;
		n->sh.sh_link = rsh.sh_link;
		n->sh.sh_info = rsh.sh_info;
		n->sh.sh_addralign = 8;
		n->sh.sh_entsize = rsh.sh_entsize;
		n->relas = malloc(m * sizeof(*moved));
		if (!n->relas)
			return error("out of memory");
		memcpy(n->relas, moved, m * sizeof(*moved));
		n->nr = m;
	}
}

static int convert(Elf *elf)
{
	size_t shstrndx, nsyms, i, converted = 0;
	Elf_Scn *scn = NULL, *symscn = NULL;
	const char **objects;
	const char *name;
	GElf_Shdr sh, tsh;
	Elf_Data *d;
	GElf_Sym sym;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return fail("section names");
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			break;
		}
	}
	if (!symscn || !sh.sh_entsize)
		return error("no symbol table");
	d = elf_getdata(symscn, NULL);
	if (!d)
		return fail("symbol table");
	nsyms = sh.sh_size / sh.sh_entsize;
	objects = calloc(nsyms + 1, sizeof(*objects));
	if (!objects)
		return error("out of memory");

	for (i = 1; i < nsyms; i++) {
		if (!gelf_getsym(d, i, &sym))
			return fail("symbol");
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || strncmp(name, KLP_SYM_PREFIX,
				     strlen(KLP_SYM_PREFIX)))
			continue;
		if (sym.st_shndx == SHN_LIVEPATCH)
			continue;
		if (sym.st_shndx != SHN_UNDEF || !object_len(name) ||
		    !strchr(name, ','))
			return error("a .klp.sym. symbol that klp-diff did not write");
		sym.st_shndx = SHN_LIVEPATCH;
		sym.st_info = GELF_ST_INFO(STB_GLOBAL, GELF_ST_TYPE(sym.st_info));
		if (!gelf_update_sym(d, i, &sym))
			return fail("symbol");
		objects[i] = name;
		converted++;
	}
	if (!converted)
		return 0;

	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return fail("section header");
		if (sh.sh_type != SHT_RELA || (sh.sh_flags & SHF_RELA_LIVEPATCH) ||
		    sh.sh_link != elf_ndxscn(symscn) || !sh.sh_entsize)
			continue;
		if (!gelf_getshdr(elf_getscn(elf, sh.sh_info), &tsh))
			return fail("section header");
		if (!(tsh.sh_flags & SHF_ALLOC))
			continue;
		if (move_relocations(elf, scn, nsyms, objects, shstrndx))
			return -1;
	}
	return 1;
}

static int add_data(Elf_Scn *scn, void *buf, size_t size, Elf_Type type,
		    size_t align)
{
	Elf_Data *d = elf_newdata(scn);

	if (!d)
		return fail("new data");
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = type;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	return 0;
}

/*
 * Write @in, as convert() changed it in memory, and the new sections to
 * @out.  Sections keep their indices; libelf lays the file out.
 */
static int write_module(Elf *in, const char *out)
{
	Elf_Scn *iscn = NULL, *oscn;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Data *d;
	int fd, ret = -1;
	size_t i;
	Elf *elf;

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "klp-relocs: %s: %s\n", out, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf || !gelf_getehdr(in, &eh) ||
	    !gelf_newehdr(elf, gelf_getclass(in)) || !gelf_update_ehdr(elf, &eh))
		goto out;
	while ((iscn = elf_nextscn(in, iscn))) {
		oscn = elf_newscn(elf);
		if (!oscn || !gelf_getshdr(iscn, &sh) ||
		    !gelf_update_shdr(oscn, &sh))
			goto out;
		for (d = NULL; (d = elf_getdata(iscn, d));) {
			if (add_data(oscn, d->d_buf, d->d_size, d->d_type,
				     d->d_align))
				goto out;
		}
	}
	for (i = 0; i < nr_added; i++) {
		oscn = elf_newscn(elf);
		if (!oscn || !gelf_update_shdr(oscn, &added[i].sh) ||
		    add_data(oscn, added[i].relas,
			     added[i].nr * sizeof(GElf_Rela), ELF_T_RELA, 8))
			goto out;
	}
	if (elf_update(elf, ELF_C_WRITE) >= 0)
		ret = 0;
out:
	if (ret)
		fail(out);
	if (elf)
		elf_end(elf);
	if (close(fd) && !ret)
		ret = error("cannot write the module");
	return ret;
}

int main(int argc, char **argv)
{
	char tmp[4096];
	int fd, ret;
	Elf *elf;

	if (argc != 2) {
		fprintf(stderr, "usage: klp-relocs MODULE.ko\n");
		return 1;
	}
	path = argv[1];
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fail("libelf");
		return 1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.klp-relocs", path) >=
	    (int)sizeof(tmp)) {
		error("path too long");
		return 1;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "klp-relocs: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* read, not mapped: convert() changes the data in memory */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		fail("elf_begin");
		close(fd);
		return 1;
	}
	ret = convert(elf);
	if (ret > 0) {
		ret = write_module(elf, tmp);
		if (!ret && rename(tmp, path))
			ret = error("cannot replace the module");
		if (ret)
			unlink(tmp);
	}
	elf_end(elf);
	close(fd);
	return ret < 0;
}
