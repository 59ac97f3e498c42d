# SPDX-License-Identifier: GPL-2.0
#
# The project's commands.  Everything runs through workbench/wb; see
# README.md.
#
# ARCH selects the guest architecture: x86_64 or s390x.  Without it,
# "make test" tests every architecture of TEST_ARCHS in turn and ends with
# the sum of their verdicts; the other commands use x86_64.

TEST_ARCHS := x86_64 s390x
# Only "make ARCH=..." counts, not an ARCH left in the environment.
ARCH_ARG := $(if $(filter command line,$(origin ARCH)),$(ARCH))
GUEST_ARCH := $(or $(ARCH_ARG),x86_64)
# The kernel's own makefiles must not see our ARCH through MAKEFLAGS.
WB := env -u MAKEFLAGS -u MAKELEVEL -u ARCH WB_ARCH=$(GUEST_ARCH) ./workbench/wb

.PHONY: demo test test-vanilla gate shell bench stress bisect export check \
	klp-show klp-build klp-bench

demo:
	$(WB) demo

test:
	$(WB) test-arches ours $(or $(ARCH_ARG),$(TEST_ARCHS))

test-vanilla:
	$(WB) test vanilla

gate:
	$(WB) gate

shell:
	$(WB) shell ours

# ONLY="p2 p4": run these scenarios of the benchmark besides P1 and the
# one-function P6 (default: all); ONLY=p1 runs only those.
bench:
	$(WB) bench $(ONLY)

# CYCLES=N: how many cycles of test-hammer.sh and test-stress.sh
# (default 1000).  TESTS=test-hammer.sh,...: only these tests.
# KERNEL=test: on the test kernel (lockdep and the other debug options,
# no KASAN or kmemleak), which runs the cycles about nine times faster.
stress:
	WB_STRESS_TESTS=$(TESTS) WB_STRESS_KERNEL=$(KERNEL) $(WB) stress $(CYCLES)

bisect:
	$(WB) bisect

# FIX="a.patch b.patch": what a live patch of these fixes to our tree
# replaces in our kernel, and why (scripts/livepatch/klp-build --show).
klp-show:
	$(WB) klp-show $(abspath $(FIX))

# FIX="a.patch b.patch": build the live patch of these fixes to our tree
# for our kernel (scripts/livepatch/klp-build); "make shell" has it in
# /root/klp-build.
klp-build:
	$(WB) klp-build $(abspath $(FIX))

# Vanilla's klp-build and ours, side by side on the same fixes (x86_64).
klp-bench:
	$(WB) klp-bench

export:
	$(WB) export

check:
	$(WB) check
