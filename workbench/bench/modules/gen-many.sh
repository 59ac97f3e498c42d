#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gen-many.sh DIR N: write a target module with N small functions and a
# live patch that replaces all of them (P4: the cost of a big patch),
# klp_many_N_target.c and klp_many_N_patch.c.
dir=$1
n=${2:-1000}
m=klp_many_$n
{
	echo '// SPDX-License-Identifier: GPL-2.0'
	echo '/* Generated: a target with many functions. */'
	echo '#include <linux/module.h>'
	for i in $(seq 0 $((n - 1))); do
		echo "noinline int ${m}_f$i(int x) { asm volatile(\"\" : \"+r\" (x)); return x + $i; }"
		echo "EXPORT_SYMBOL_GPL(${m}_f$i);"
	done
	echo 'MODULE_DESCRIPTION("Live patching benchmark: many functions");'
	echo 'MODULE_LICENSE("GPL");'
} > "$dir/${m}_target.c"
{
	echo '// SPDX-License-Identifier: GPL-2.0'
	echo '/* Generated: a live patch replacing every function of the target. */'
	echo '#include <linux/livepatch.h>'
	echo '#include <linux/module.h>'
	for i in $(seq 0 $((n - 1))); do
		echo "static int new_f$i(int x) { asm volatile(\"\" : \"+r\" (x)); return x - $i; }"
	done
	echo 'static struct klp_func funcs[] = {'
	for i in $(seq 0 $((n - 1))); do
		echo "	{ .old_name = \"${m}_f$i\", .new_func = new_f$i },"
	done
	echo '	{ }'
	echo '};'
	echo "static struct klp_object objs[] = { { .name = \"${m}_target\", .funcs = funcs }, { } };"
	echo 'static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };'
	echo 'static int __init patch_init(void) { return klp_enable_patch(&patch); }'
	echo 'static void __exit patch_exit(void) { }'
	echo 'module_init(patch_init);'
	echo 'module_exit(patch_exit);'
	echo 'MODULE_DESCRIPTION("Live patching benchmark: a patch of many functions");'
	echo 'MODULE_LICENSE("GPL");'
	echo 'MODULE_INFO(livepatch, "Y");'
} > "$dir/${m}_patch.c"
