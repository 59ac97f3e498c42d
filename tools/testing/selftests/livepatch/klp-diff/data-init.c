// SPDX-License-Identifier: GPL-2.0
/* The fix changes the initial value of a global variable. */
int limit = 10;

int over_limit(int x)
{
	return x > limit;
}
