#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh TREE MODE [LOG]: boot the kernel of TREE with its initramfs in
# QEMU, in wb.mode=MODE (see guest/init), console to stdout and to LOG.
#
# KVM is used only when a short probe boot under it succeeds; on hosts
# whose /dev/kvm is slow or absent, TCG.  Every run has a hard timeout
# (WB_TIMEOUT seconds, default 1500).
set -e
. "$(dirname "$0")/lib.sh"

tree=$1
mode=$2
log=${3:-$LOG_DIR/console-$tree-$mode.log}
out=$(build_dir "$tree")
kernel=$out/arch/$KARCH/boot/bzImage
initrd=$out/initramfs.cpio.gz
timeout=${WB_TIMEOUT:-1500}
[ -f "$kernel" ] && [ -f "$initrd" ] || die "build $tree first"

# The machine of each guest architecture and its console.
case $WB_ARCH in
x86_64)
	# HPET and the ACPI PM timer are there to validate the TSC, so that
	# the TSC becomes the clocksource (not refined-jiffies).
	qemu=(qemu-system-x86_64 -machine pc)
	console=ttyS0
	;;
s390x)
	# The first serial device of s390-ccw-virtio is the SCLP VT220
	# console, ttysclp0; the TOD clock is the clocksource.
	qemu=(qemu-system-s390x -machine s390-ccw-virtio)
	console=ttysclp0
	;;
esac
append="console=$console loglevel=5 panic=-1 wb.mode=$mode ${WB_APPEND:-}"

pick_accel()
{
	local cache=$WB_CACHE/accel-$WB_ARCH
	local key
	key=$(cat /proc/sys/kernel/random/boot_id)
	if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
		tail -1 "$cache"
		return
	fi
	local accel=tcg
	# KVM only runs a guest of the host's own architecture.
	if [ "$WB_ARCH" = "$(uname -m)" ] && [ -w /dev/kvm ]; then
		# A usable KVM boots this guest in a few seconds.
		if timeout 20 "${qemu[@]}" -accel kvm -cpu host \
			-smp 2 -m 1G -kernel "$kernel" -initrd "$initrd" \
			-append "console=$console loglevel=5 panic=-1 wb.mode=probe" \
			-nographic -no-reboot -nodefaults -serial stdio 2>/dev/null |
			grep -q WB-DONE; then
			accel=kvm
		fi
	fi
	printf '%s\n%s\n' "$key" "$accel" > "$cache"
	echo $accel
}

accel=${WB_ACCEL:-$(pick_accel)}
cpu=max
accel_opt=$accel
[ "$accel" = kvm ] && cpu=host
# TCG with one thread for all vCPUs by default: QEMU's multi-threaded
# TCG (7.2, 10.0 and later; QEMU work item 4669) lets a vCPU run a stale
# int3 at a function entry that another vCPU has just rewritten (ftrace
# text patching), which oopses any kernel, vanilla included.  The
# benchmark asks for real parallelism with WB_TCG_THREAD=multi.
if [ "$accel" = tcg ]; then
	accel_opt="tcg,thread=${WB_TCG_THREAD:-single}"
	append="$append wb.tcg=${WB_TCG_THREAD:-single}"
fi
# Two CPUs, and room for two more that are not there, as a virtual
# machine with CPU hotplug slots or an s390 system with standby CPUs has:
# possible CPUs that do not run are part of what live patching must cope
# with.  The s390 guest has them; an x86 kernel counts the disabled
# MADT entries of QEMU's pc machine only under a hypervisor it knows
# (KVM, not TCG), and otherwise has two possible CPUs.
smp=2,maxcpus=4
echo "[$(date +%H:%M:%S)] booting $tree ($WB_ARCH, $accel_opt, timeout ${timeout}s) in mode $mode"
rc=0
timeout --foreground -k 5 "$timeout" \
	"${qemu[@]}" -accel "$accel_opt" -cpu $cpu -smp $smp -m 2G \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-display none -no-reboot -nodefaults -serial stdio </dev/null 2>&1 |
	tee "$log" || rc=$?
exit $rc
