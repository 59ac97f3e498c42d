#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict.sh LOG [RESULTS]: judge a guest test run from its console log.
# RESULTS, if given, holds host-side results, one "PASS name" or
# "FAIL name" a line, counted with the guest's.  Prints one
# line per test, then "N passed, N failed" (and skipped, when any).  Exits
# non-zero when a test failed or skipped, when the guest did not finish
# (timeout, crash), or when the console shows a splat: oops, BUG, WARNING,
# a lockdep report, KASAN, an RCU stall, a hung task.
log=$1
[ -f "$log" ] || { echo "no console log $log"; exit 1; }

# KTAP from run_kselftest.sh: "ok N selftests: livepatch: NAME [# SKIP]".
passed=0 failed=0 skipped=0
while IFS= read -r line; do
	name=${line#*selftests: }
	name=${name%% # *}
	if [[ $line == "not ok "* ]]; then
		echo "FAIL  $name"
		failed=$((failed + 1))
	elif [[ $line == *"# SKIP"* ]]; then
		echo "SKIP  $name"
		skipped=$((skipped + 1))
	else
		echo "PASS  $name"
		passed=$((passed + 1))
	fi
done < <(grep -aE '^(not )?ok [0-9]+ selftests: ' "$log")

if [ -n "$2" ] && [ -f "$2" ]; then
	while read -r res name; do
		echo "$res  $name"
		case $res in
		PASS) passed=$((passed + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done < "$2"
fi

rc=0
if ! grep -aq '^WB-DONE' "$log"; then
	echo "guest did not finish (timeout or crash): see $log"
	rc=1
fi
splats=$(grep -anE 'Oops|BUG:|kernel BUG at|WARNING:|general protection fault|Kernel panic|possible recursive locking|possible circular locking|inconsistent lock state|KASAN:|UBSAN:|rcu: INFO:|self-detected stall|blocked for more than|soft lockup|hard LOCKUP|Call Trace:|kmemleak:.*new suspected' "$log" | head -20)
if [ -n "$splats" ]; then
	echo "splat in the console log ($log):"
	echo "$splats" | sed 's/^/    /'
	rc=1
fi
if [ $((passed + failed + skipped)) = 0 ]; then
	echo "no test ran"
	rc=1
fi
[ $failed = 0 ] && [ $skipped = 0 ] || rc=1
if [ $skipped != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit $rc
