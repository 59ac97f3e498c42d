// SPDX-License-Identifier: GPL-2.0
/*
 * Live patch that reaches a symbol vmlinux does not export:
 * cmdline_proc_show() is replaced by a function that calls
 * version_proc_show(), static in fs/proc/version.c, so /proc/cmdline shows
 * what /proc/version shows.  The module also keeps the address of
 * version_proc_show() in a data word.  The Makefile turns both references
 * into .klp.rela relocations against .klp.sym.vmlinux.version_proc_show,0,
 * which the live patch core writes while the module loads: the init
 * function can already show the address, in the parameter "addr".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/*
 * Static in fs/proc/version.c: weak, so that modpost lets the module
 * build, until the Makefile turns it into a live patch symbol.
 */
extern int version_proc_show(struct seq_file *m, void *v);
asm(".weak version_proc_show");

/* A relocation in .data; read with READ_ONCE(), so it stays one. */
static int (*test_klp_rela_vmlinux_ptr)(struct seq_file *m, void *v) =
	version_proc_show;

static char test_klp_rela_vmlinux_addr[20];
module_param_string(addr, test_klp_rela_vmlinux_addr,
		    sizeof(test_klp_rela_vmlinux_addr), 0444);
MODULE_PARM_DESC(addr, "address of version_proc_show(), in hex");

static int test_klp_rela_vmlinux_show(struct seq_file *m, void *v)
{
	return version_proc_show(m, v);
}

static struct klp_func test_klp_rela_vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_rela_vmlinux_show,
	},
	{ }
};

static struct klp_object test_klp_rela_vmlinux_objs[] = {
	{
		/* .name == NULL: vmlinux */
		.funcs = test_klp_rela_vmlinux_funcs,
	},
	{ }
};

static struct klp_patch test_klp_rela_vmlinux_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_rela_vmlinux_objs,
};

static int __init test_klp_rela_vmlinux_init(void)
{
	snprintf(test_klp_rela_vmlinux_addr, sizeof(test_klp_rela_vmlinux_addr),
		 "%016lx", (unsigned long)READ_ONCE(test_klp_rela_vmlinux_ptr));
	return klp_enable_patch(&test_klp_rela_vmlinux_patch);
}

static void __exit test_klp_rela_vmlinux_exit(void)
{
}

module_init(test_klp_rela_vmlinux_init);
module_exit(test_klp_rela_vmlinux_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: reach a static vmlinux function through .klp.rela relocations");
