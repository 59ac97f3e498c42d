// SPDX-License-Identifier: GPL-2.0
/*
 * Static branches as the kernel's jump labels make them: a nop in the
 * code and a __jump_table entry with the code, the target and the key.
 * The key is writable data of the running kernel: the entry the patch
 * carries for the changed function must refer to it, not to a copy, and
 * the entry of the unchanged function stays behind.
 */
struct key {
	int enabled;
};

static struct key feature_key;

#if defined(__x86_64__)
#define BRANCH_NOP	".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
#elif defined(__s390x__)
#define BRANCH_NOP	"brcl 0, %l[l_yes]\n\t"
#else
#error "no BRANCH_NOP for this architecture"
#endif

static inline __attribute__((always_inline)) int feature_on(void)
{
	asm goto("1: " BRANCH_NOP
		 ".pushsection __jump_table, \"aw\"\n\t"
		 ".balign 8\n\t"
		 ".long 1b - ., %l[l_yes] - .\n\t"
		 ".quad %c0 - .\n\t"
		 ".popsection"
		 : : "i" (&feature_key) : : l_yes);
	return 0;
l_yes:
	return 1;
}

int scale(int x)
{
	if (feature_on())
		return x * 2;
	return x;
}

int shift(int x)
{
	if (feature_on())
		return x + 1;
	return x;
}
