#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""plot.py VANILLA_LOG OURS_LOG OUTDIR [FORMAT]: draw the benchmark's results.

Reads the same "BENCH <metric> <value>" lines as report.py and writes
three pictures to OUTDIR, SVG unless FORMAT says otherwise (png):
  transitions.svg  every enable and disable latency of P2, P3 and P3b,
                   vanilla next to ours, log scale;
  p4-scaling.svg   enable and disable time of a patch of 10, 100 and
                   1000 functions, log-log;
  p1-percall.svg   the cost of one call: unpatched, through an empty
                   ftrace callback, patched.
"""
import os
import sys

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from report import read  # noqa: E402

VANILLA = "#888888"
EXT = "svg"
OURS = "#1f6fb4"


def transitions(van, ours, out):
    groups = [("p2_idle", "P2 idle"), ("p3_load", "P3 load"),
              ("p3b_kthread", "P3b kthread")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, what in zip(axes, ("enable", "disable")):
        data, pos, colors, ticks = [], [], [], []
        for i, (tag, label) in enumerate(groups):
            for j, (runs, color) in enumerate(((van, VANILLA), (ours, OURS))):
                vals = [v / 1000.0 for v in runs.get(f"{tag}_{what}_us", [])]
                data.append(vals or [float("nan")])
                pos.append(3 * i + j)
                colors.append(color)
            ticks.append((3 * i + 0.5, label))
        parts = ax.boxplot(data, positions=pos, widths=0.7, patch_artist=True,
                           showfliers=False)
        for box, color in zip(parts["boxes"], colors):
            box.set_facecolor(color)
            box.set_alpha(0.35)
        for x, vals, color in zip(pos, data, colors):
            ax.scatter([x] * len(vals), vals, s=9, color=color, zorder=3)
        ax.set_yscale("log")
        ax.set_xticks([t for t, _ in ticks], [lbl for _, lbl in ticks])
        ax.set_title(f"{what} latency, write to transition end")
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("ms (log scale)")
    axes[1].legend(handles=[plt.Rectangle((0, 0), 1, 1, color=VANILLA, alpha=0.6),
                            plt.Rectangle((0, 0), 1, 1, color=OURS, alpha=0.6)],
                   labels=["vanilla 7.3", "ours"], loc="upper right")
    fig.tight_layout()
    fig.savefig(os.path.join(out, f"transitions.{EXT}"))
    plt.close(fig)


def scaling(van, ours, out):
    sizes = [10, 100, 1000]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for runs, name, color in ((van, "vanilla 7.3", VANILLA), (ours, "ours", OURS)):
        for what, style in (("enable", "-o"), ("disable", "--s")):
            pts = [(n, runs[f"p4_{n}_funcs_{what}_us"][0] / 1000.0)
                   for n in sizes if runs.get(f"p4_{n}_funcs_{what}_us")]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                        color=color, label=f"{name} {what}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.set_xlabel("functions in the patch")
    ax.set_ylabel("ms (log scale)")
    ax.set_title("P4: enable and disable of a big patch")
    ax.grid(which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, f"p4-scaling.{EXT}"))
    plt.close(fig)


def median(vals):
    vals = sorted(vals)
    n = len(vals)
    if not n:
        return float("nan")
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


def percall(van, ours, out):
    rows = [("p1_unpatched_ps", "unpatched"),
            ("p1_empty_ftrace_callback_ps", "empty ftrace\ncallback"),
            ("p1_patched_ps", "patched"),
            ("p1_patched_shared_ps", "patched, site\nshared"),
            ("p1_patched_transition_ps", "patched, in a\ntransition")]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for j, (runs, name, color) in enumerate(((van, "vanilla 7.3", VANILLA),
                                             (ours, "ours", OURS))):
        xs = [i + 0.38 * (j - 0.5) for i in range(len(rows))]
        ys = [median(runs.get(m, [])) / 1000.0 for m, _ in rows]
        bars = ax.bar(xs, ys, width=0.38, color=color, alpha=0.8, label=name)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks(range(len(rows)), [lbl for _, lbl in rows])
    ax.set_ylabel("ns per call (median)")
    ax.set_title("P1: the cost of one call")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, f"p1-percall.{EXT}"))
    plt.close(fig)


def main():
    global EXT
    van, ours = read(sys.argv[1]), read(sys.argv[2])
    out = sys.argv[3]
    if len(sys.argv) > 4:
        EXT = sys.argv[4]
    os.makedirs(out, exist_ok=True)
    # A run of some scenarios only (make bench ONLY=...) draws what it has.
    drawn = []
    for name, fn, prefixes in (("transitions", transitions, ("p2_", "p3")),
                               ("p4-scaling", scaling, ("p4_",)),
                               ("p1-percall", percall, ("p1_",))):
        if any(k.startswith(prefixes) for k in list(van) + list(ours)):
            fn(van, ours, out)
            drawn.append(name)
    print(f"pictures: {out}/{{{','.join(drawn)}}}.{EXT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
