// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relocations of a patch module against the objects it patches.
 *
 * New code often uses symbols that its object does not export, or symbols
 * of a module that is not loaded when the patch is.  The module loader
 * cannot resolve those; a patch module leaves them to the core in the
 * format of Documentation/livepatch/module-elf-format.rst:
 *
 *  - each such symbol is named ".klp.sym.<object>.<name>,<sympos>" and
 *    has st_shndx SHN_LIVEPATCH; <sympos> picks one of several local
 *    symbols of that name, counted from 1, and 0 asks for a unique name;
 *  - the relocations that use them are in SHF_RELA_LIVEPATCH sections
 *    named ".klp.rela.<object>.<section>", one per object and section
 *    they apply to, and refer to symbols of that object only.
 *
 * vmlinux is always there: its relocations are written while the module
 * loader loads the patch module, before any of its code runs.  Those of a
 * module are written while the module is present for an enabled patch:
 * by klp_enable_patch() when it is loaded already, when it comes
 * otherwise, before any of the patch's functions for it can run.  They
 * are cleared when it goes, so that they can be written again if it comes
 * back (x86 refuses to relocate a location that is not zero).
 *
 * A module object's relocations are written exactly while the object is
 * resolved, that is while obj->mod is set: klp_apply_relocs() runs before
 * resolve.c sets it, klp_clear_relocs() before it is cleared.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/string.h>

#include "internal.h"

#define KLP_RELA_PREFIX	".klp.rela."
#define KLP_SYM_PREFIX	".klp.sym."

/* An object name inside a section or symbol name: not NUL-terminated. */
struct klp_objname {
	const char *start;
	size_t len;
};

/* What a ".klp.sym.<object>.<name>,<sympos>" symbol name says. */
struct klp_symname {
	struct klp_objname obj;
	char name[KSYM_NAME_LEN];
	unsigned long sympos;
};

/* The parts of a patch module's ELF image that its relocations need. */
struct klp_elf {
	const Elf_Shdr *sechdrs;
	unsigned int shnum;
	const char *secstrings;
	unsigned int symndx;
	Elf_Sym *syms;
	unsigned int nsyms;
	const char *strtab;
};

static bool klp_objname_is(const struct klp_objname *obj, const char *name)
{
	return strlen(name) == obj->len && !memcmp(obj->start, name, obj->len);
}

/* The object part of a name, up to the next dot: a possible module name. */
static const char *klp_parse_objname(const char *str, struct klp_objname *obj)
{
	const char *dot = strchr(str, '.');

	if (!dot || dot == str || dot - str >= MODULE_NAME_LEN)
		return NULL;
	obj->start = str;
	obj->len = dot - str;
	return dot + 1;
}

/* ".klp.rela.<object>.<section>", <section> not empty. */
static bool klp_parse_rela_name(const char *name, struct klp_objname *obj)
{
	if (!str_has_prefix(name, KLP_RELA_PREFIX))
		return false;
	name = klp_parse_objname(name + strlen(KLP_RELA_PREFIX), obj);
	return name && *name;
}

/* ".klp.sym.<object>.<name>,<sympos>", <sympos> in decimal digits. */
static bool klp_parse_sym_name(const char *str, struct klp_symname *sym)
{
	const char *name, *comma;
	size_t len;

	if (!str_has_prefix(str, KLP_SYM_PREFIX))
		return false;
	name = klp_parse_objname(str + strlen(KLP_SYM_PREFIX), &sym->obj);
	if (!name)
		return false;

	comma = strrchr(name, ',');
	if (!comma || comma == name || comma - name >= KSYM_NAME_LEN)
		return false;
	len = strlen(comma + 1);
	if (!len || strspn(comma + 1, "0123456789") != len ||
	    kstrtoul(comma + 1, 10, &sym->sympos))
		return false;

	len = comma - name;
	memcpy(sym->name, name, len);
	sym->name[len] = '\0';
	return true;
}

static const char *klp_secname(const struct klp_elf *elf, unsigned int secndx)
{
	return elf->secstrings + elf->sechdrs[secndx].sh_name;
}

static const Elf_Rela *klp_relas(const struct klp_elf *elf,
				 unsigned int secndx, unsigned int *nr)
{
	const Elf_Shdr *sec = &elf->sechdrs[secndx];

	*nr = sec->sh_size / sizeof(Elf_Rela);
	return (const Elf_Rela *)sec->sh_addr;
}

/*
 * Check one SHF_RELA_LIVEPATCH section of @pmod and every symbol its
 * relocations use, and tell which object it is for.  Does not depend on
 * what is loaded.
 */
static int klp_check_section(struct module *pmod, const struct klp_elf *elf,
			     unsigned int secndx, struct klp_objname *obj)
{
	const Elf_Shdr *sec = &elf->sechdrs[secndx];
	const char *secname = klp_secname(elf, secndx);
	struct klp_symname symname;
	const Elf_Rela *relas;
	const Elf_Shdr *target;
	const Elf_Sym *sym;
	unsigned int i, nr;
	const char *name;

	if (!klp_parse_rela_name(secname, obj)) {
		pr_err("%s: relocation section '%s': name is not .klp.rela.<object>.<section>\n",
		       pmod->name, secname);
		return -ENOEXEC;
	}
	if (sec->sh_type != SHT_RELA || !(sec->sh_flags & SHF_ALLOC) ||
	    sec->sh_link != elf->symndx || sec->sh_size % sizeof(Elf_Rela)) {
		pr_err("%s: relocation section '%s': must be SHT_RELA and SHF_ALLOC, linked to the symbol table\n",
		       pmod->name, secname);
		return -ENOEXEC;
	}
	if (sec->sh_info >= elf->shnum ||
	    !(elf->sechdrs[sec->sh_info].sh_flags & SHF_ALLOC)) {
		pr_err("%s: relocation section '%s': applies to no allocated section\n",
		       pmod->name, secname);
		return -ENOEXEC;
	}
	/* A module may come after the patch module's init memory is gone. */
	target = &elf->sechdrs[sec->sh_info];
	if (!klp_objname_is(obj, "vmlinux") &&
	    within_module_init(target->sh_addr, pmod)) {
		pr_err("%s: relocation section '%s': a module's relocations cannot apply to init sections\n",
		       pmod->name, secname);
		return -ENOEXEC;
	}

	relas = klp_relas(elf, secndx, &nr);
	for (i = 0; i < nr; i++) {
		if (ELF_R_SYM(relas[i].r_info) >= elf->nsyms) {
			pr_err("%s: relocation section '%s': relocation %u: no symbol %lu\n",
			       pmod->name, secname, i,
			       (unsigned long)ELF_R_SYM(relas[i].r_info));
			return -ENOEXEC;
		}
		sym = &elf->syms[ELF_R_SYM(relas[i].r_info)];
		name = elf->strtab + sym->st_name;
		if (sym->st_shndx != SHN_LIVEPATCH) {
			pr_err("%s: relocation section '%s': symbol '%s' is not a live patch symbol (SHN_LIVEPATCH)\n",
			       pmod->name, secname, name);
			return -ENOEXEC;
		}
		if (!klp_parse_sym_name(name, &symname)) {
			pr_err("%s: relocation section '%s': symbol '%s': name is not .klp.sym.<object>.<symbol>,<sympos>\n",
			       pmod->name, secname, name);
			return -ENOEXEC;
		}
		if (symname.obj.len != obj->len ||
		    memcmp(symname.obj.start, obj->start, obj->len)) {
			pr_err("%s: relocation section '%s': symbol '%s' belongs to another object\n",
			       pmod->name, secname, name);
			return -ENOEXEC;
		}
	}
	return 0;
}

struct klp_lookup_sym {
	const char *name;
	unsigned long sympos;
	unsigned long count;
	unsigned long addr;
};

static void klp_lookup_sym_hit(struct klp_lookup_sym *lookup,
			       unsigned long addr)
{
	unsigned long want = lookup->sympos ? lookup->sympos : 1;

	if (++lookup->count == want)
		lookup->addr = addr;
}

static int klp_lookup_vmlinux_sym(void *data, unsigned long addr)
{
	klp_lookup_sym_hit(data, addr);
	return 0;
}

static int klp_lookup_module_sym(void *data, const char *name,
				 unsigned long addr)
{
	struct klp_lookup_sym *lookup = data;

	if (!strcmp(name, lookup->name))
		klp_lookup_sym_hit(lookup, addr);
	return 0;
}

/* The address of the symbol @symname of object @objname. */
static int klp_find_sym(struct module *pmod, const char *objname,
			const struct klp_symname *symname, unsigned long *addr)
{
	struct klp_lookup_sym lookup = {
		.name = symname->name,
		.sympos = symname->sympos,
	};

	/* Count every match: a name given with sympos 0 must be unique. */
	if (strcmp(objname, "vmlinux"))
		module_kallsyms_on_each_symbol(objname, klp_lookup_module_sym,
					       &lookup);
	else
		kallsyms_on_each_match_symbol(klp_lookup_vmlinux_sym,
					      symname->name, &lookup);

	if (!lookup.count) {
		pr_err("%s: object '%s': symbol '%s' not found\n",
		       pmod->name, objname, symname->name);
		return -ENOENT;
	}
	if (!symname->sympos && lookup.count > 1) {
		pr_err("%s: object '%s': %lu symbols are named '%s'; sympos 0 needs a unique name\n",
		       pmod->name, objname, lookup.count, symname->name);
		return -EINVAL;
	}
	if (!lookup.addr) {
		pr_err("%s: object '%s': symbol '%s,%lu': sympos out of range, there are %lu\n",
		       pmod->name, objname, symname->name, symname->sympos,
		       lookup.count);
		return -EINVAL;
	}
	*addr = lookup.addr;
	return 0;
}

/*
 * Give every symbol used by section @secndx, checked already, its address
 * in @objname.
 */
static int klp_resolve_section(struct module *pmod, const struct klp_elf *elf,
			       unsigned int secndx, const char *objname)
{
	struct klp_symname symname;
	const Elf_Rela *relas;
	unsigned int i, nr;
	unsigned long addr;
	Elf_Sym *sym;
	int ret;

	relas = klp_relas(elf, secndx, &nr);
	for (i = 0; i < nr; i++) {
		sym = &elf->syms[ELF_R_SYM(relas[i].r_info)];
		if (!klp_parse_sym_name(elf->strtab + sym->st_name, &symname))
			return -ENOEXEC;
		ret = klp_find_sym(pmod, objname, &symname, &addr);
		if (ret)
			return ret;
		/*
		 * kallsyms readers of the patch module's symbol table do not
		 * take klp_mutex.
		 */
		WRITE_ONCE(sym->st_value, addr);
	}
	return 0;
}

/**
 * klp_relocate_section() - the module loader's hook for a .klp.rela section
 * @mod:	a live patch module being loaded
 * @hdr:	its ELF header
 * @sechdrs:	its section headers, with the addresses of the loaded sections
 * @secstrings:	its section names
 * @symndx:	index of its symbol table section
 * @secndx:	index of a SHF_RELA_LIVEPATCH section
 *
 * Called by the module loader instead of apply_relocate_add(), before the
 * module is formed.  The section and its symbols are checked; relocations
 * against vmlinux are written now, those against a module when the module
 * is present for the enabled patch.
 *
 * Return: 0, -ENOEXEC for a malformed section or symbol, or the error of
 * the symbol lookup (-ENOENT: not found, -EINVAL: no unique match) or of
 * apply_relocate_add().
 */
int klp_relocate_section(struct module *mod, const Elf_Ehdr *hdr,
			 Elf_Shdr *sechdrs, const char *secstrings,
			 unsigned int symndx, unsigned int secndx)
{
	const Elf_Shdr *symsec = &sechdrs[symndx];
	struct klp_elf elf = {
		.sechdrs = sechdrs,
		.shnum = hdr->e_shnum,
		.secstrings = secstrings,
		.symndx = symndx,
		.syms = (Elf_Sym *)symsec->sh_addr,
		.nsyms = symsec->sh_size / sizeof(Elf_Sym),
		.strtab = (const char *)sechdrs[symsec->sh_link].sh_addr,
	};
	struct klp_objname obj;
	int ret;

	ret = klp_check_section(mod, &elf, secndx, &obj);
	if (ret)
		return ret;
	if (!klp_objname_is(&obj, "vmlinux"))
		return 0;

	ret = klp_resolve_section(mod, &elf, secndx, "vmlinux");
	if (ret)
		return ret;
	return apply_relocate_add(sechdrs, elf.strtab, symndx, secndx, mod);
}

/* The ELF data that the module loader kept for the patch module. */
static bool klp_patch_elf(struct klp_patch *patch, struct klp_elf *elf)
{
	const struct klp_modinfo *info = patch->mod->klp_info;
	const Elf_Shdr *symsec;

	if (!info)
		return false;
	symsec = &info->sechdrs[info->symndx];
	elf->sechdrs = info->sechdrs;
	elf->shnum = info->hdr.e_shnum;
	elf->secstrings = info->secstrings;
	elf->symndx = info->symndx;
	elf->syms = (Elf_Sym *)symsec->sh_addr;
	elf->nsyms = symsec->sh_size / sizeof(Elf_Sym);
	elf->strtab = (const char *)info->sechdrs[symsec->sh_link].sh_addr;
	return true;
}

/* Section @secndx is a .klp.rela section for the object named @objname. */
static bool klp_section_is_for(const struct klp_elf *elf, unsigned int secndx,
			       const char *objname)
{
	struct klp_objname obj;

	return (elf->sechdrs[secndx].sh_flags & SHF_RELA_LIVEPATCH) &&
	       klp_parse_rela_name(klp_secname(elf, secndx), &obj) &&
	       klp_objname_is(&obj, objname);
}

static bool klp_patch_has_object(struct klp_patch *patch,
				 const struct klp_objname *name)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj)
		if (klp_objname_is(name, klp_object_name(obj)))
			return true;
	return false;
}

/**
 * klp_check_relocs() - check the .klp.rela sections of a patch module
 * @patch: the patch, not registered yet
 *
 * Besides what the module loader checked already, every section that a
 * module's relocations are in must be for an object of the patch: the
 * core follows no other module.
 *
 * Return: 0, -ENOEXEC for a malformed section, or -EINVAL for a section
 * that is not marked SHF_RELA_LIVEPATCH or is for an object the patch
 * does not have.
 */
int klp_check_relocs(struct klp_patch *patch)
{
	struct klp_objname obj;
	struct klp_elf elf;
	const char *secname;
	unsigned int i;
	int ret;

	if (!klp_patch_elf(patch, &elf))
		return 0;

	for (i = 1; i < elf.shnum; i++) {
		secname = klp_secname(&elf, i);
		if (!(elf.sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH)) {
			if (!str_has_prefix(secname, KLP_RELA_PREFIX))
				continue;
			pr_err("%s: relocation section '%s' is not marked SHF_RELA_LIVEPATCH\n",
			       patch->mod->name, secname);
			return -EINVAL;
		}
		ret = klp_check_section(patch->mod, &elf, i, &obj);
		if (ret)
			return ret;
		if (!klp_objname_is(&obj, "vmlinux") &&
		    !klp_patch_has_object(patch, &obj)) {
			pr_err("%s: relocation section '%s' is for object '%.*s', which the patch does not patch\n",
			       patch->mod->name, secname, (int)obj.len,
			       obj.start);
			return -EINVAL;
		}
	}
	return 0;
}

/* Clear the relocations of @obj in the sections before @end. */
static void klp_clear_sections(struct klp_patch *patch,
			       const struct klp_elf *elf,
			       const struct klp_object *obj, unsigned int end)
{
	unsigned int i;

	for (i = 1; i < end; i++)
		if (klp_section_is_for(elf, i, obj->name))
			clear_relocate_add((Elf_Shdr *)elf->sechdrs,
					   elf->strtab, elf->symndx, i,
					   patch->mod);
}

/**
 * klp_apply_relocs() - write a patch module's relocations against a module
 * @patch: the patch
 * @obj:   one of its objects, a module that is present; its functions
 *	   are not redirected yet
 *
 * Nothing to do for vmlinux, whose relocations were written at load.
 * Called with klp_mutex held, before resolve.c sets obj->mod.
 *
 * Return: 0, or an error with nothing written: the error of the symbol
 * lookup (-ENOENT: not found, -EINVAL: no unique match) or of
 * apply_relocate_add().
 */
int klp_apply_relocs(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_elf elf;
	unsigned int i;
	int ret;

	lockdep_assert_held(&klp_mutex);

	if (!klp_is_module(obj) || !klp_patch_elf(patch, &elf))
		return 0;

	/* Every symbol first, so that a missing one leaves nothing written. */
	for (i = 1; i < elf.shnum; i++) {
		if (!klp_section_is_for(&elf, i, obj->name))
			continue;
		ret = klp_resolve_section(patch->mod, &elf, i, obj->name);
		if (ret)
			return ret;
	}

	/* apply_relocate_add() takes text_mutex, inside klp_mutex. */
	for (i = 1; i < elf.shnum; i++) {
		if (!klp_section_is_for(&elf, i, obj->name))
			continue;
		ret = apply_relocate_add((Elf_Shdr *)elf.sechdrs, elf.strtab,
					 elf.symndx, i, patch->mod);
		if (ret) {
			pr_err("%s: object '%s': relocation section '%s' cannot be applied (%d)\n",
			       patch->mod->name, obj->name,
			       klp_secname(&elf, i), ret);
			/* Section @i stops at the relocation that failed. */
			klp_clear_sections(patch, &elf, obj, i + 1);
			return ret;
		}
	}
	return 0;
}

/**
 * klp_clear_relocs() - clear a patch module's relocations against a module
 * @patch: the patch
 * @obj:   one of its objects; nothing happens unless it is a resolved
 *	   module, that is one whose relocations klp_apply_relocs() wrote
 *
 * For a module that goes, or that is refused after its relocations were
 * written: they can be written again when the module comes back.  Called
 * with klp_mutex held, before resolve.c clears obj->mod.
 */
void klp_clear_relocs(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_elf elf;

	lockdep_assert_held(&klp_mutex);

	if (!klp_is_module(obj) || !obj->mod || !klp_patch_elf(patch, &elf))
		return;

	klp_clear_sections(patch, &elf, obj, elf.shnum);
}
