// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl: check that a file is a live patch module before loading it.
 * The .modinfo section of a module holds "key=value" strings; modpost
 * adds "name=<module>", and a live patch module (MODULE_INFO(livepatch,
 * "Y")) has "livepatch=Y".  The file may be of another architecture's
 * byte order: the reader handles ELF32 and ELF64 of either.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "klpctl.h"

struct elf_file {
	const unsigned char *data;
	size_t size;
	bool is64;
	bool big;
};

static uint64_t get(const struct elf_file *e, const void *p, int bytes)
{
	uint64_t v = 0;
	uint32_t v32;
	uint16_t v16;

	switch (bytes) {
	case 2:
		memcpy(&v16, p, 2);
		return e->big ? be16toh(v16) : le16toh(v16);
	case 4:
		memcpy(&v32, p, 4);
		return e->big ? be32toh(v32) : le32toh(v32);
	default:
		memcpy(&v, p, 8);
		return e->big ? be64toh(v) : le64toh(v);
	}
}

/* What the reader needs of the ELF header and a section header. */
struct ehdr {
	uint64_t type, shoff, shentsize, shnum, shstrndx;
};

struct shdr {
	uint64_t name, offset, size;
};

static void read_ehdr(const struct elf_file *e, struct ehdr *h)
{
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;

	if (e->is64) {
		memcpy(&h64, e->data, sizeof(h64));
		h->type = get(e, &h64.e_type, 2);
		h->shoff = get(e, &h64.e_shoff, 8);
		h->shentsize = get(e, &h64.e_shentsize, 2);
		h->shnum = get(e, &h64.e_shnum, 2);
		h->shstrndx = get(e, &h64.e_shstrndx, 2);
	} else {
		memcpy(&h32, e->data, sizeof(h32));
		h->type = get(e, &h32.e_type, 2);
		h->shoff = get(e, &h32.e_shoff, 4);
		h->shentsize = get(e, &h32.e_shentsize, 2);
		h->shnum = get(e, &h32.e_shnum, 2);
		h->shstrndx = get(e, &h32.e_shstrndx, 2);
	}
}

/* The section header at @p, inside the file (checked by the caller). */
static void read_shdr(const struct elf_file *e, const unsigned char *p,
		      struct shdr *sh)
{
	Elf64_Shdr s64;
	Elf32_Shdr s32;

	if (e->is64) {
		memcpy(&s64, p, sizeof(s64));
		sh->name = get(e, &s64.sh_name, 4);
		sh->offset = get(e, &s64.sh_offset, 8);
		sh->size = get(e, &s64.sh_size, 8);
	} else {
		memcpy(&s32, p, sizeof(s32));
		sh->name = get(e, &s32.sh_name, 4);
		sh->offset = get(e, &s32.sh_offset, 4);
		sh->size = get(e, &s32.sh_size, 4);
	}
}

static bool in_file(const struct elf_file *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

/* Find the section named @want.  Return: 0 with @found filled in, or -1. */
static int find_section(const struct elf_file *e, const char *want,
			struct shdr *found)
{
	struct shdr strtab, sh;
	const char *names;
	struct ehdr h;
	uint64_t i;

	read_ehdr(e, &h);
	if (h.shentsize != (e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) ||
	    h.shstrndx >= h.shnum || !in_file(e, h.shoff, h.shnum * h.shentsize))
		return -1;
	read_shdr(e, e->data + h.shoff + h.shstrndx * h.shentsize, &strtab);
	if (!in_file(e, strtab.offset, strtab.size))
		return -1;
	names = (const char *)e->data + strtab.offset;
	for (i = 0; i < h.shnum; i++) {
		read_shdr(e, e->data + h.shoff + i * h.shentsize, &sh);
		/* A name inside the table and NUL-terminated there. */
		if (sh.name >= strtab.size ||
		    !memchr(names + sh.name, '\0', strtab.size - sh.name) ||
		    strcmp(names + sh.name, want))
			continue;
		if (!in_file(e, sh.offset, sh.size))
			return -1;
		*found = sh;
		return 0;
	}
	return -1;
}

static int check_modinfo(const struct elf_file *e, char *name, size_t size)
{
	const char *p, *end;
	bool livepatch = false;
	struct shdr sh;

	if (find_section(e, ".modinfo", &sh))
		return -ENOEXEC;
	p = (const char *)e->data + sh.offset;
	end = p + sh.size;
	*name = '\0';
	while (p < end) {
		size_t len = strnlen(p, end - p);

		if (len == (size_t)(end - p))
			break;
		if (!strcmp(p, "livepatch=Y"))
			livepatch = true;
		else if (!strncmp(p, "name=", 5))
			snprintf(name, size, "%s", p + 5);
		p += len + 1;
	}
	if (!*name)
		return -ENOEXEC;
	return livepatch ? 0 : -EMEDIUMTYPE;
}

/**
 * klp_check_module_file() - is @path a live patch module?
 * @path: a .ko file
 * @name: gets the module's name, the name of its patch
 * @size: the size of @name
 *
 * Return: 0 for a live patch module; -ENOEXEC for a file that is not a
 * module (or compressed), -EMEDIUMTYPE for a module that is not a live
 * patch, -errno when the file cannot be read.
 */
int klp_check_module_file(const char *path, char *name, size_t size)
{
	struct elf_file e;
	struct ehdr h;
	struct stat sb;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		ret = -errno;
		goto close;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(Elf32_Ehdr)) {
		ret = -ENOEXEC;
		goto close;
	}
	map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto close;
	}
	e.data = map;
	e.size = sb.st_size;
	ret = -ENOEXEC;
	if (memcmp(e.data, ELFMAG, SELFMAG) ||
	    e.data[EI_CLASS] < ELFCLASS32 || e.data[EI_CLASS] > ELFCLASS64 ||
	    e.data[EI_DATA] < ELFDATA2LSB || e.data[EI_DATA] > ELFDATA2MSB)
		goto unmap;
	e.is64 = e.data[EI_CLASS] == ELFCLASS64;
	e.big = e.data[EI_DATA] == ELFDATA2MSB;
	if (e.is64 && e.size < sizeof(Elf64_Ehdr))
		goto unmap;
	read_ehdr(&e, &h);
	if (h.type != ET_REL)
		goto unmap;
	ret = check_modinfo(&e, name, size);
	if (!ret)
		klp_module_name(name);
unmap:
	munmap(map, sb.st_size);
close:
	close(fd);
	return ret;
}
