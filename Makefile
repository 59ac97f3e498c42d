# SPDX-License-Identifier: GPL-2.0
#
# The project's commands.  Everything runs through workbench/wb; see
# README.md.  ARCH selects the guest architecture (x86_64).

ARCH ?= x86_64
WB := WB_ARCH=$(ARCH) ./workbench/wb

.PHONY: demo test test-vanilla gate shell bench bisect export check

demo:
	$(WB) demo

test:
	$(WB) test ours

test-vanilla:
	$(WB) test vanilla

gate:
	$(WB) gate

shell:
	$(WB) shell ours

bench:
	$(WB) bench

bisect:
	$(WB) bisect

export:
	$(WB) export

check:
	$(WB) check
