// SPDX-License-Identifier: GPL-2.0
/* The fix changes a read-only table. */
static const int weights[] = { 1, 2, 4, 8, 16, 32, 64, 128 };

int weight_of(int i)
{
	return weights[i & 7];
}

int twice(int x)
{
	return 2 * x;
}
