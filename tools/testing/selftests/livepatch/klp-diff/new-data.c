// SPDX-License-Identifier: GPL-2.0
/* The fix adds a new writable global variable. */
extern int deliver(const void *buf, int len);

unsigned long rx_packets;

int rx_packet(const void *buf, int len)
{
	rx_packets++;
	return deliver(buf, len);
}
