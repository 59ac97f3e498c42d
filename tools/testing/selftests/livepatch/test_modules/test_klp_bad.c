// SPDX-License-Identifier: GPL-2.0
/*
 * A live patch module that is malformed on purpose.  The string parameter
 * "mode" picks the defect; klp_enable_patch() must refuse each of them and
 * the module then fails to load with the error it returned:
 *
 *   null_func      cmdline_proc_show() without a replacement (NULL new_func)
 *   no_symbol      a function that does not exist in vmlinux
 *   long_objname   an object name longer than MODULE_NAME_LEN - 1
 *   slash_objname  an object name containing '/', never a module name
 *   dup_func       cmdline_proc_show() twice in the same object
 *   bad_sympos     cmdline_proc_show() with old_sympos = 5, although the
 *                  name is unique in vmlinux (only 0 and 1 are valid)
 *   notrace        a sched_clock() that is notrace, so it has no ftrace
 *                  location: native_sched_clock() on x86_64, sched_clock()
 *                  on s390
 *   ambiguous      the function named by the "ambiguous" parameter, a name
 *                  that exists more than once in vmlinux, without old_sympos
 *   empty_name     a function whose old_name is ""
 *   long_name      a function name of KSYM_NAME_LEN characters
 *   empty_objname  an object named ""
 *   huge_funcs     "count" functions, test_klp_huge_0 ..., none of which
 *                  exists
 *   huge_dup       the same, with test_klp_huge_0 once more at the end
 *   init_func      start_kernel(), init code of vmlinux, freed after boot
 *
 * Well-formed variants load and patch:
 *
 *   sympos_one     cmdline_proc_show() with old_sympos = 1
 *   sympos_ok      the "ambiguous" function with old_sympos = 2
 *   huge_objs      "count" objects, modules test_klp_huge_0 ... that are
 *                  not loaded, each replacing test_klp_target_value()
 *   module_init    test_klp_target_init(), the init function of the module
 *                  test_klp_target; while the patch is enabled, loading
 *                  that module must fail
 *
 * The replacement used for the "ambiguous" function ignores its arguments
 * and returns 0, which is harmless only for a few kinds of function (for a
 * show() callback it means empty output).  The caller must choose the name
 * accordingly and must not rely on that function while it is patched.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "";
module_param(mode, charp, 0400);
MODULE_PARM_DESC(mode, "Defect of the patch: null_func, no_symbol, long_objname, slash_objname, dup_func, bad_sympos, notrace, ambiguous, empty_name, long_name, empty_objname, huge_funcs, huge_dup, init_func; or sympos_one, sympos_ok, huge_objs, module_init");

static unsigned int count = 10000;
module_param(count, uint, 0400);
MODULE_PARM_DESC(count, "Functions or objects of the huge_* modes");

static char *ambiguous = "";
module_param(ambiguous, charp, 0400);
MODULE_PARM_DESC(ambiguous, "Function with more than one instance in vmlinux, for the modes ambiguous and sympos_ok");

static int test_klp_bad_cmdline_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: this has been live patched\n", KBUILD_MODNAME);
	return 0;
}

static int test_klp_bad_value(void)
{
	return 3;
}

#ifdef CONFIG_S390
#define TEST_KLP_BAD_NOTRACE	"sched_clock"
#else
#define TEST_KLP_BAD_NOTRACE	"native_sched_clock"
#endif

/* long_name: "test_klp_long_xxx...", KSYM_NAME_LEN characters, one too many. */
static char test_klp_bad_long_name[KSYM_NAME_LEN + 1];

static u64 test_klp_bad_sched_clock(void)
{
	return 0;
}

static long test_klp_bad_stub(void)
{
	return 0;
}

static int test_klp_bad_init_stub(void)
{
	return 0;
}

struct test_klp_bad_case {
	const char *mode;
	const char *objname;	/* NULL: vmlinux */
	const char *old_name;	/* NULL: the "ambiguous" parameter */
	void *new_func;
	unsigned long old_sympos;
	bool twice;
	bool long_name;		/* old_name: test_klp_bad_long_name */
};

static const struct test_klp_bad_case test_klp_bad_cases[] = {
	{
		.mode = "null_func",
		.old_name = "cmdline_proc_show",
	},
	{
		.mode = "no_symbol",
		.old_name = "test_klp_no_such_function_xyz",
		.new_func = test_klp_bad_cmdline_show,
	},
	{
		.mode = "long_objname",
		.objname = "test_klp_object_name_that_is_much_too_long_for_any_module_name_x",
		.old_name = "test_klp_target_value",
		.new_func = test_klp_bad_value,
	},
	{
		.mode = "slash_objname",
		.objname = "bad/name",
		.old_name = "test_klp_target_value",
		.new_func = test_klp_bad_value,
	},
	{
		.mode = "dup_func",
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_bad_cmdline_show,
		.twice = true,
	},
	{
		.mode = "bad_sympos",
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_bad_cmdline_show,
		.old_sympos = 5,
	},
	{
		.mode = "notrace",
		.old_name = TEST_KLP_BAD_NOTRACE,
		.new_func = test_klp_bad_sched_clock,
	},
	{
		.mode = "ambiguous",
		.new_func = test_klp_bad_stub,
	},
	{
		.mode = "empty_name",
		.old_name = "",
		.new_func = test_klp_bad_cmdline_show,
	},
	{
		.mode = "long_name",
		.new_func = test_klp_bad_cmdline_show,
		.long_name = true,
	},
	{
		.mode = "empty_objname",
		.objname = "",
		.old_name = "test_klp_target_value",
		.new_func = test_klp_bad_value,
	},
	{
		.mode = "init_func",
		.old_name = "start_kernel",
		.new_func = test_klp_bad_init_stub,
	},
	{
		.mode = "module_init",
		.objname = "test_klp_target",
		.old_name = "test_klp_target_init",
		.new_func = test_klp_bad_init_stub,
	},
	{
		.mode = "sympos_one",
		.old_name = "cmdline_proc_show",
		.new_func = test_klp_bad_cmdline_show,
		.old_sympos = 1,
	},
	{
		.mode = "sympos_ok",
		.new_func = test_klp_bad_stub,
		.old_sympos = 2,
	},
};

/* At most two functions (dup_func) and the terminating entry. */
static struct klp_func test_klp_bad_funcs[3];
static struct klp_object test_klp_bad_objs[2];

static struct klp_patch test_klp_bad_patch = {
	.mod = THIS_MODULE,
	.objs = test_klp_bad_objs,
};

/* The arrays of the huge_* modes and their names, freed at module exit. */
static struct klp_func *test_klp_huge_funcs;
static struct klp_object *test_klp_huge_objs;
static char **test_klp_huge_names;

static void test_klp_huge_free(void)
{
	unsigned int i;

	if (test_klp_huge_names)
		for (i = 0; i < count; i++)
			kfree(test_klp_huge_names[i]);
	kvfree(test_klp_huge_names);
	kvfree(test_klp_huge_funcs);
	kvfree(test_klp_huge_objs);
}

/* huge_funcs, huge_dup and huge_objs: build the patch, then enable it. */
static int test_klp_huge_init(void)
{
	bool objs = !strcmp(mode, "huge_objs");
	bool dup = !strcmp(mode, "huge_dup");
	unsigned int i;
	int ret;

	if (!count)
		return -EINVAL;
	test_klp_huge_names = kvcalloc(count, sizeof(char *), GFP_KERNEL);
	/* The functions, or one function per object, and the end marks. */
	test_klp_huge_funcs = kvcalloc(objs ? 2 * count : count + 2,
				       sizeof(struct klp_func), GFP_KERNEL);
	test_klp_huge_objs = kvcalloc(objs ? count + 1 : 2,
				      sizeof(struct klp_object), GFP_KERNEL);
	if (!test_klp_huge_names || !test_klp_huge_funcs || !test_klp_huge_objs)
		goto nomem;
	for (i = 0; i < count; i++) {
		test_klp_huge_names[i] = kasprintf(GFP_KERNEL, "test_klp_huge_%u",
						   i);
		if (!test_klp_huge_names[i])
			goto nomem;
	}

	if (objs) {
		for (i = 0; i < count; i++) {
			/* funcs[2 * i] replaces, funcs[2 * i + 1] ends. */
			test_klp_huge_funcs[2 * i].old_name = "test_klp_target_value";
			test_klp_huge_funcs[2 * i].new_func = test_klp_bad_value;
			test_klp_huge_objs[i].name = test_klp_huge_names[i];
			test_klp_huge_objs[i].funcs = &test_klp_huge_funcs[2 * i];
		}
	} else {
		for (i = 0; i < count; i++) {
			test_klp_huge_funcs[i].old_name = test_klp_huge_names[i];
			test_klp_huge_funcs[i].new_func = test_klp_bad_stub;
		}
		if (dup)
			test_klp_huge_funcs[count] = test_klp_huge_funcs[0];
		test_klp_huge_objs[0].funcs = test_klp_huge_funcs;
	}
	test_klp_bad_patch.objs = test_klp_huge_objs;

	ret = klp_enable_patch(&test_klp_bad_patch);
	if (ret)
		test_klp_huge_free();
	return ret;

nomem:
	test_klp_huge_free();
	return -ENOMEM;
}

static const struct test_klp_bad_case *test_klp_bad_find_case(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(test_klp_bad_cases); i++)
		if (!strcmp(mode, test_klp_bad_cases[i].mode))
			return &test_klp_bad_cases[i];
	return NULL;
}

static int __init test_klp_bad_init(void)
{
	const struct test_klp_bad_case *c = test_klp_bad_find_case();
	struct klp_func *func = &test_klp_bad_funcs[0];

	if (!strncmp(mode, "huge_", 5))
		return test_klp_huge_init();
	if (!c) {
		pr_err("unknown mode '%s'\n", mode);
		return -EINVAL;
	}

	func->old_name = c->old_name ? c->old_name : ambiguous;
	if (c->long_name) {
		memset(test_klp_bad_long_name, 'x', KSYM_NAME_LEN);
		memcpy(test_klp_bad_long_name, "test_klp_long_", 14);
		func->old_name = test_klp_bad_long_name;
	} else if (!c->old_name && !ambiguous[0]) {
		pr_err("mode %s needs the parameter ambiguous=<function>\n",
		       mode);
		return -EINVAL;
	}
	func->new_func = c->new_func;
	func->old_sympos = c->old_sympos;
	if (c->twice)
		test_klp_bad_funcs[1] = *func;

	test_klp_bad_objs[0].name = c->objname;
	test_klp_bad_objs[0].funcs = test_klp_bad_funcs;

	return klp_enable_patch(&test_klp_bad_patch);
}

static void __exit test_klp_bad_exit(void)
{
	test_klp_huge_free();
}

module_init(test_klp_bad_init);
module_exit(test_klp_bad_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: malformed live patches, one per mode");
