#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest: the benchmark, printing "BENCH <metric> <value>" lines.
# The same script runs on every kernel: it uses only the mainline API and
# sysfs ABI, and measures time from user space.
set -u
cd /usr/share/wb/bench
N=${BENCH_CALLS:-2000000}
REPS=${BENCH_REPS:-5}
RUNS=${BENCH_RUNS:-20}
sys=/sys/kernel/livepatch/klp_bench_patch

# EPOCHREALTIME is a bash builtin variable: no fork to read the clock.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $(( 10#$t )); }

# Poll for the end of the transition; prints its latency in us, measured
# from $1 (us).  Bash builtins only: a fork per poll would cost more than
# what is measured.
wait_transition()
{
	local t0=$1 v deadline=$(( $1 + 600000000 ))
	while :; do
		v=0
		[ -e "$sys/transition" ] && read -r v < "$sys/transition"
		if [ "$v" = 0 ]; then
			echo $(( $(now_us) - t0 ))
			return 0
		fi
		if [ "$(now_us)" -gt $deadline ]; then
			echo "BENCH error transition-stuck" >&2
			echo -1
			return 1
		fi
	done
}

# Kernel memory in use, in bytes: slab, vmalloc (modules included) and
# per-cpu allocations.
kmem_bytes()
{
	awk '/^(Slab|VmallocUsed|Percpu):/ { kb += $2 } END { print kb * 1024 }' \
		/proc/meminfo
}

# What a patch module costs the kernel beyond its own code and data:
# the growth of kernel memory since $1 minus the module's core size.
patch_mem_bytes()
{
	local before=$1 mod=$2
	sleep 1		# let RCU-deferred frees of the transition happen
	echo $(( $(kmem_bytes) - before - $(cat /sys/module/$mod/coresize) ))
}

percall()
{
	local name=$1 r
	for r in $(seq "$REPS"); do
		echo "$N" > /sys/kernel/klp_bench/run
		echo "BENCH $name $(cat /sys/kernel/klp_bench/run)"
	done
}

# P2: enable and disable latency, from the write to the end of the
# transition.
transitions()
{
	local tag=$1 r t0
	for r in $(seq "$RUNS"); do
		t0=$(now_us)
		insmod klp_bench_patch.ko
		echo "BENCH ${tag}_enable_us $(wait_transition "$t0")"
		# The kernel's own measure, where the kernel offers one.
		[ -e $sys/transition_ns ] &&
			echo "BENCH ${tag}_enable_kernel_us $(( $(cat $sys/transition_ns) / 1000 ))"
		t0=$(now_us)
		echo 0 > $sys/enabled
		echo "BENCH ${tag}_disable_us $(wait_transition "$t0")"
		while [ -d $sys ]; do sleep 0.001; done
		rmmod klp_bench_patch
	done
}

insmod klp_bench_target.ko
percall p1_unpatched_ps
insmod klp_ftrace_floor.ko
percall p1_empty_ftrace_callback_ps
rmmod klp_ftrace_floor
m0=$(kmem_bytes)
insmod klp_bench_patch.ko
wait_transition "$(now_us)" >/dev/null
echo "BENCH p6_mem_patch_of_1_func_bytes $(patch_mem_bytes "$m0" klp_bench_patch)"
[ "$(cat /sys/kernel/klp_bench/value)" = 2 ] || echo "BENCH error not-patched"
percall p1_patched_ps
# The patched call while another ftrace user (an empty callback) shares
# the function: the site calls ftrace's list function again.
insmod klp_ftrace_floor.ko
percall p1_patched_shared_ps
rmmod klp_ftrace_floor
echo 0 > $sys/enabled
wait_transition "$(now_us)" >/dev/null
while [ -d $sys ]; do sleep 0.01; done
rmmod klp_bench_patch

# The patched call during a transition that involves the function: the
# kthread sleeps in klp_bench_sleepy(), which the patch replaces too,
# and holds up the enable; every call looks up the calling task's state.
echo 1 > /sys/kernel/klp_bench/hold
echo 1 > /sys/kernel/klp_bench/kthread
sleep 0.1
insmod klp_bench_patch.ko
v=0
read -r v < $sys/transition
[ "$v" = 1 ] || echo "BENCH error transition-not-held"
percall p1_patched_transition_ps
echo 0 > /sys/kernel/klp_bench/hold
wait_transition "$(now_us)" >/dev/null
echo 0 > /sys/kernel/klp_bench/kthread
echo 0 > $sys/enabled
wait_transition "$(now_us)" >/dev/null
while [ -d $sys ]; do sleep 0.01; done
rmmod klp_bench_patch

# The benchmark's own shell keeps running; everything else is what each
# scenario adds.
only=${BENCH_ONLY:-p2 p3 p3b p4 p5 p7}

# P7: what the hooks at the safe points cost the paths they sit on, with
# no patch loaded and with one enabled (no transition running): a
# system call that does nearly nothing, and fork + exit + wait.
hookcost()
{
	local tag=$1 r
	for r in $(seq "$REPS"); do
		echo "BENCH p7_${tag}_syscall_ps $(./klp-hookcost syscall 200000)"
		echo "BENCH p7_${tag}_fork_exit_ns $(./klp-hookcost fork 300)"
	done
}

case " $only " in *" p7 "*)
	hookcost idle
	insmod klp_bench_patch.ko
	wait_transition "$(now_us)" >/dev/null
	hookcost patched
	echo 0 > $sys/enabled
	wait_transition "$(now_us)" >/dev/null
	while [ -d $sys ]; do sleep 0.01; done
	rmmod klp_bench_patch
esac

case " $only " in *" p2 "*)
	transitions p2_idle
esac

# P3: 2 CPU-bound user tasks, 200 tasks sleeping in syscalls (100 in
# nanosleep, 100 reading a pipe).
case " $only " in *" p3 "*)
	hogs=() sleepers=()
	for i in 1 2; do
		(while :; do :; done) &
		hogs+=($!)
	done
	for i in $(seq 100); do
		sleep 100000 | cat &
	done
	sleep 1
	transitions p3_load
	kill "${hogs[@]}"
	pkill -f 'sleep 100000'
	wait 2>/dev/null
esac

# P3b: a kthread that lives in the patched function.
case " $only " in *" p3b "*)
	echo 1 > /sys/kernel/klp_bench/kthread
	sleep 0.1
	transitions p3b_kthread
	echo 0 > /sys/kernel/klp_bench/kthread
esac

# P5: 10,000 threads sleeping in the kernel.  The kernel must not
# report an RCU stall or a soft lockup (the host's verdict reads the
# console); the transition latency is measured as in P2.
case " $only " in *" p5 "*)
	coproc SLEEPERS { ./klp-sleepers "${BENCH_TASKS:-10000}"; }
	read -r ready count <&"${SLEEPERS[0]}"
	echo "BENCH p5_threads $count"
	RUNS=${BENCH_P5_RUNS:-5} transitions p5_10k
	kill "$SLEEPERS_PID"
	wait 2>/dev/null
esac

rmmod klp_bench_target

# P4: patches of 10, 100 and 1000 functions, one run each (vanilla takes
# minutes for 1000).  P6: the memory of the one of 1000.
case " $only " in *" p4 "*)
	for n in 10 100 1000; do
		insmod klp_many_${n}_target.ko
		sys=/sys/kernel/livepatch/klp_many_${n}_patch
		m0=$(kmem_bytes)
		t0=$(now_us)
		insmod klp_many_${n}_patch.ko
		echo "BENCH p4_${n}_funcs_enable_us $(wait_transition "$t0")"
		if [ $n = 1000 ]; then
			m1=$(patch_mem_bytes "$m0" klp_many_${n}_patch)
			echo "BENCH p6_mem_patch_of_1000_funcs_bytes $m1"
			echo "BENCH p6_mem_per_func_bytes $(( m1 / 1000 ))"
		fi
		t0=$(now_us)
		echo 0 > $sys/enabled
		wait_transition "$t0" >/dev/null
		while [ -d $sys ]; do :; done
		echo "BENCH p4_${n}_funcs_disable_us $(( $(now_us) - t0 ))"
		rmmod klp_many_${n}_patch
		rmmod klp_many_${n}_target
	done
esac
