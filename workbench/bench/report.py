#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py VANILLA_LOG OURS_LOG: one table from two benchmark runs.

Reads the "BENCH <metric> <value>" lines each guest printed and shows,
per metric, the median and the worst (highest) value of each kernel and
the ratio of the medians (vanilla / ours: above 1, ours is better).
"""
import statistics
import sys

UNITS = {"_ps": ("ns", 1000.0), "_ns": ("us", 1000.0), "_us": ("ms", 1000.0),
         "_bytes": ("B", 1.0)}


def read(path):
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "BENCH":
                try:
                    out.setdefault(parts[1], []).append(float(parts[2]))
                except ValueError:
                    out.setdefault("error", []).append(parts[2])
    return out


def fmt(values, scale):
    if not values:
        return "-", "-", None
    med = statistics.median(values) / scale
    worst = max(values) / scale
    return f"{med:.1f}", f"{worst:.1f}", med


def main():
    van, ours = read(sys.argv[1]), read(sys.argv[2])
    for name, runs in (("vanilla", van), ("ours", ours)):
        if "error" in runs:
            print(f"warning: {name} reported {len(runs['error'])} error(s)")
    metrics = sorted((set(van) | set(ours)) - {"error"})
    print(f"{'metric':34} {'unit':4} {'n':>3} {'vanilla med':>12} {'worst':>9}"
          f" {'ours med':>10} {'worst':>9} {'ratio':>7}")
    for m in metrics:
        unit, scale = next((u for k, u in UNITS.items() if m.endswith(k)),
                           ("", 1.0))
        vm, vw, vmed = fmt(van.get(m, []), scale)
        om, ow, omed = fmt(ours.get(m, []), scale)
        ratio = f"{vmed / omed:.1f}x" if vmed and omed else "-"
        n = max(len(van.get(m, [])), len(ours.get(m, [])))
        print(f"{m:34} {unit:4} {n:3} {vm:>12} {vw:>9} {om:>10} {ow:>9} {ratio:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
