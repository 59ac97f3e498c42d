#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gen-many.sh DIR N: write a target module with N small functions and a
# live patch that replaces all of them (P4: the cost of a big patch).
dir=$1
n=${2:-1000}
{
	echo '// SPDX-License-Identifier: GPL-2.0'
	echo '/* Generated: a target with many functions. */'
	echo '#include <linux/module.h>'
	for i in $(seq 0 $((n - 1))); do
		echo "noinline int klp_many_f$i(int x) { asm volatile(\"\" : \"+r\" (x)); return x + $i; }"
		echo "EXPORT_SYMBOL_GPL(klp_many_f$i);"
	done
	echo 'MODULE_DESCRIPTION("Live patching benchmark: many functions");'
	echo 'MODULE_LICENSE("GPL");'
} > "$dir/klp_many_target.c"
{
	echo '// SPDX-License-Identifier: GPL-2.0'
	echo '/* Generated: a live patch replacing every function of klp_many_target. */'
	echo '#include <linux/livepatch.h>'
	echo '#include <linux/module.h>'
	for i in $(seq 0 $((n - 1))); do
		echo "static int new_f$i(int x) { asm volatile(\"\" : \"+r\" (x)); return x - $i; }"
	done
	echo 'static struct klp_func funcs[] = {'
	for i in $(seq 0 $((n - 1))); do
		echo "	{ .old_name = \"klp_many_f$i\", .new_func = new_f$i },"
	done
	echo '	{ }'
	echo '};'
	echo 'static struct klp_object objs[] = { { .name = "klp_many_target", .funcs = funcs }, { } };'
	echo 'static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };'
	echo 'static int __init klp_many_patch_init(void) { return klp_enable_patch(&patch); }'
	echo 'static void __exit klp_many_patch_exit(void) { }'
	echo 'module_init(klp_many_patch_init);'
	echo 'module_exit(klp_many_patch_exit);'
	echo 'MODULE_DESCRIPTION("Live patching benchmark: a patch of many functions");'
	echo 'MODULE_LICENSE("GPL");'
	echo 'MODULE_INFO(livepatch, "Y");'
} > "$dir/klp_many_patch.c"
