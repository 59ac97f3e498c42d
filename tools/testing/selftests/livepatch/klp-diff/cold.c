// SPDX-License-Identifier: GPL-2.0
/*
 * The fix changes only the unlikely path that gcc splits off into
 * poll_device.cold (s390x gcc splits only with the flag in cold.cflags).
 */
extern int log_msg(const char *fmt, ...);
extern void __attribute__((cold)) report_failure(const char *what, int code);
extern int device_read(int reg);

int poll_device(int reg, int retries)
{
	int val = device_read(reg);

	if (__builtin_expect(val < 0, 0)) {
		report_failure("poll: read failed", val);
		while (retries-- > 0) {
			val = device_read(reg);
			if (val >= 0)
				return val;
		}
		report_failure("poll: giving up", reg);
		return -5;
	}
	return val & 0xff;
}
