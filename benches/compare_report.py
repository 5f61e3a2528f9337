#!/usr/bin/env python3
"""Turns the raw lines of benches/compare.sh into a table (stdout and RESULTS.md) and a chart
(results.svg). Standard library only.

Input: a file of lines `<impl> <workload line>`, where <impl> is `go` or `rungo` and the workload
line is the benchmark's output,
    <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
or `<impl> <workload>: FAILED <reason>` for a run that did not finish.

With one raw file (positional argument) it writes today's single table and chart. With one or more
`--condition KIND RAW COMMAND DESCRIPTION` (compare.sh's MODES and HOGS) it writes one table per
condition, each flagged against its targets (TARGETS below), and a chart of the time ratios of
all conditions side by side per workload.
"""

import argparse
import datetime
import html
import math
import os
import platform
import re
import statistics
import sys

LINE = re.compile(
    r"^(?P<impl>go|rungo) (?P<workload>\w+): (?P<total>\S+) total, (?P<nsop>[\d.]+) ns/op, "
    r"peak RSS (?P<rss>-?\d+) MB, GOMAXPROCS=(?P<procs>\d+)$"
)
FAILED = re.compile(r"^(?P<impl>go|rungo) (?P<workload>\w+): FAILED")
UNIT_NS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "µs": 1e3, "us": 1e3, "ns": 1.0}
TIME_COLOUR, RSS_COLOUR = "#3b6fb6", "#e08a2c"
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|µs|us|ns|m|s)")
CONDITION_COLOURS = ["#3b6fb6", "#d0542c", "#3c9a5f", "#8a5cb8", "#b8860b"]

# Quiet-machine targets, rungo / Go median time ratio per workload: the published quiet-machine
# ratios of README's Performance section and benches/RESULTS.md (RUNS=5, GOMAXPROCS=2,
# 2026-11-23). Neither file states targets of its own, so a quiet run is held to what was
# published: not slower relative to Go than then. `--target workload=ratio` overrides one.
QUIET_TARGETS = {
    "skynet": 0.13,
    "parked": 1.49,
    "sleepers": 0.91,
    "spawn": 0.39,
    "whispers": 1.04,
    "pingpong": 0.41,
    "yield": 0.059,
    "bufchan": 0.42,
    "mutex": 0.57,
}
# Under load (busy, oversubscribed) every workload keeps its quiet target, and the two whose
# quiet spread is widest must also stay at or below parity in the median with no single run
# over LOADED_RUN_LIMIT.
LOADED_MEDIAN_LIMITS = {"whispers": 1.0, "bufchan": 1.0}
LOADED_RUN_LIMIT = 1.5
# Oversubscribed: no workload's slowest rungo run may exceed this multiple of its median.
OVERSUBSCRIBED_WORST_OVER_MEDIAN = 1.5
KINDS = ("quiet", "busy", "oversubscribed")


def parse_go_duration(text):
    """Nanoseconds of a Go-formatted duration such as `1m2.5s`, `273.4ms` or `12.5µs`."""
    parts = DURATION_PART.findall(text)
    if not parts or "".join(v + u for v, u in parts) != text:
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(v) * UNIT_NS[u] for v, u in parts)


def read_runs(path):
    """{workload: {impl: [(total_ns, ns_per_op, rss_mb)]}}, the set of GOMAXPROCS seen, failures."""
    runs, procs, failed = {}, set(), set()
    with open(path, encoding="utf-8") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = LINE.match(raw)
            if m:
                sample = (parse_go_duration(m["total"]), float(m["nsop"]), int(m["rss"]))
                runs.setdefault(m["workload"], {}).setdefault(m["impl"], []).append(sample)
                procs.add(int(m["procs"]))
            elif FAILED.match(raw):
                f_m = FAILED.match(raw)
                failed.add((f_m["workload"], f_m["impl"]))
                runs.setdefault(f_m["workload"], {})
            elif raw.strip():
                print(f"compare_report: ignoring line: {raw}", file=sys.stderr)
    return runs, procs, failed


def fmt_time(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.3f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e3:.1f} µs"


def fmt_ratio(v):
    return f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def summarize(runs, failed):
    """One row per workload, in the order run: medians of each implementation and the ratios."""
    rows = []
    for workload, by_impl in runs.items():
        row = {"workload": workload}
        for impl in ("go", "rungo"):
            samples = by_impl.get(impl, [])
            if samples and (workload, impl) not in failed:
                row[impl] = {
                    "total": statistics.median(s[0] for s in samples),
                    "nsop": statistics.median(s[1] for s in samples),
                    "rss": statistics.median(s[2] for s in samples),
                    "n": len(samples),
                    "worst": max(s[0] for s in samples),
                }
        if "go" in row and "rungo" in row:
            row["time_ratio"] = row["rungo"]["total"] / row["go"]["total"]
            # Runs alternate Go, rungo, Go, rungo...: pair them in order for the spread.
            pairs = [r[0] / g[0] for g, r in zip(by_impl["go"], by_impl["rungo"])]
            row["pair_ratios"] = (min(pairs), max(pairs))
            row["pairs"] = pairs
            go_rss = row["go"]["rss"]
            row["rss_ratio"] = row["rungo"]["rss"] / go_rss if go_rss > 0 else None
        rows.append(row)
    return rows


def table(rows):
    head = (
        "| workload | Go median (ns/op) | rungo median (ns/op) | rungo / Go time "
        "| run by run | Go peak RSS | rungo peak RSS | rungo / Go RSS |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        cells = [r["workload"]]
        for impl in ("go", "rungo"):
            m = r.get(impl)
            cells.append(f"{fmt_time(m['total'])} ({m['nsop']:.1f})" if m else "failed")
        cells.append(fmt_ratio(r["time_ratio"]) if "time_ratio" in r else "–")
        lo_hi = r.get("pair_ratios")
        cells.append(f"{fmt_ratio(lo_hi[0])}–{fmt_ratio(lo_hi[1])}" if lo_hi else "–")
        for impl in ("go", "rungo"):
            m = r.get(impl)
            cells.append(f"{m['rss']:g} MB" if m else "–")
        ratio = r.get("rss_ratio")
        cells.append(fmt_ratio(ratio) if ratio is not None else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(args, procs):
    procs_text = ", ".join(str(p) for p in sorted(procs)) or "unknown"
    return [
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("kernel", f"Linux {platform.release()}"),
        ("GOMAXPROCS", procs_text),
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("Go", args.go_version),
        ("rustc", args.rustc_version),
        ("runs per workload", f"{args.runs}, alternating Go and rungo; medians shown"),
    ]


def write_markdown(path, rows, info, command, note):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Million-coroutine benchmark: rungo vs Go\n\n")
        f.write(
            "Generated by `benches/compare.sh`: each workload of `examples/million.rs` and its Go "
            "twin `benches/go/workloads.go`, run alternately. Ratios are rungo / Go: below 1.0 "
            "rungo is faster or smaller. ns/op is per operation as each workload counts them "
            "(see `--help` of either program). *Run by run* is the lowest and the highest ratio "
            "of a Go run to the rungo run right after it: the spread this machine gives.\n\n"
        )
        if note:
            f.write(f"**Note:** {note}\n\n")
        f.write(table(rows))
        f.write("\n![time and peak RSS ratios](results.svg)\n\n## Machine\n\n")
        for key, value in info:
            f.write(f"- {key}: {value}\n")
        f.write(f"\nReproduce: `{command}`\n")


def svg_chart(rows, info, note):
    """A diverging bar chart on a log2 scale around 1.0: one pair of bars (time, peak RSS) per
    workload. Bars to the left of the 1.0 line are where rungo is faster or smaller."""
    rows = [r for r in rows if "time_ratio" in r]
    values = [r["time_ratio"] for r in rows] + [r["rss_ratio"] for r in rows if r.get("rss_ratio")]
    span = max([2.0] + [max(v, 1 / v) for v in values if v > 0])
    k = math.ceil(math.log2(span))  # axis from 2^-k to 2^k
    step = 1 if k <= 4 else 2  # label every power of two, or every other one on a wide axis
    k += k % step
    left, width, label_w, top = 20, 520, 130, 70
    bar_h, gap = 14, 12
    row_h = 2 * bar_h + gap
    height = top + len(rows) * row_h + 80
    total_w = left + label_w + width + 80
    x0 = left + label_w  # left edge of the plot area (bar labels may overhang it by 40)

    def x(v):
        return x0 + (math.log2(v) + k) / (2 * k) * width

    one = x(1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{total_w}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        "rungo / Go, million-coroutine benchmark (lower is better for rungo)</text>",
    ]
    subtitle = "; ".join(f"{key} {value}" for key, value in info[:3])
    out.append(f'<text x="{left}" y="40" fill="#555">{html.escape(subtitle)}</text>')
    if note:
        out.append(f'<text x="{left}" y="56" fill="#a00">{html.escape(note)}</text>')
    # Grid and axis labels at powers of two.
    axis_y = top + len(rows) * row_h
    for e in range(-k, k + 1):
        if e % step:
            continue
        v = 2.0**e
        gx = x(v)
        stroke = "#000" if e == 0 else "#ddd"
        out.append(
            f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{axis_y}" stroke="{stroke}"/>'
        )
        text = f"{v:g}" if v >= 1 else f"1/{int(1 / v)}"
        out.append(f'<text x="{gx:.1f}" y="{axis_y + 16}" text-anchor="middle">{text}×</text>')
    for i, r in enumerate(rows):
        y = top + i * row_h
        out.append(
            f'<text x="{x0 - 44}" y="{y + bar_h + 4}" text-anchor="end" font-weight="bold">'
            f'{html.escape(r["workload"])}</text>'
        )
        bars = [(r["time_ratio"], TIME_COLOUR), (r.get("rss_ratio"), RSS_COLOUR)]
        for j, (v, colour) in enumerate(bars):
            by = y + j * bar_h
            if v is None or v <= 0:
                out.append(f'<text x="{one + 4:.1f}" y="{by + bar_h - 3}" fill="#888">n/a</text>')
                continue
            vx = min(max(x(v), x0), x0 + width)
            bx, bw = min(one, vx), max(abs(vx - one), 1)
            out.append(
                f'<rect x="{bx:.1f}" y="{by}" width="{bw:.1f}" height="{bar_h - 2}" '
                f'fill="{colour}"/>'
            )
            tx, anchor = (vx + 4, "start") if v >= 1 else (vx - 4, "end")
            out.append(
                f'<text x="{tx:.1f}" y="{by + bar_h - 3}" text-anchor="{anchor}">'
                f"{fmt_ratio(v)}</text>"
            )
    out.append(
        f'<text x="{one - 10:.1f}" y="{axis_y + 34}" text-anchor="end" fill="#555">'
        "\u2190 rungo faster / smaller</text>"
    )
    out.append(
        f'<text x="{one + 10:.1f}" y="{axis_y + 34}" fill="#555">'
        "rungo slower / larger \u2192</text>"
    )
    ly = axis_y + 58
    legend = [("time ratio", TIME_COLOUR), ("peak RSS ratio", RSS_COLOUR)]
    for j, (name, colour) in enumerate(legend):
        lx = x0 + j * 160
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 18}" y="{ly}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def check_targets(row, kind, targets):
    """(met, text) for one row of a condition of `kind`: met is True, False, or None when the
    workload has no target; text says what was checked, or each miss."""
    workload = row["workload"]
    if "time_ratio" not in row:
        return False, "✗ a run failed"
    misses, checked = [], []
    median, worst_pair = row["time_ratio"], row["pair_ratios"][1]
    target = targets.get(workload)
    if target is not None:
        checked.append(f"≤ {fmt_ratio(target)}")
        if median > target:
            misses.append(f"median {fmt_ratio(median)} > {fmt_ratio(target)}")
    if kind != "quiet" and workload in LOADED_MEDIAN_LIMITS:
        limit = LOADED_MEDIAN_LIMITS[workload]
        checked.append(f"≤ {limit:.1f}, runs ≤ {LOADED_RUN_LIMIT:.1f}")
        if median > limit:
            misses.append(f"median {fmt_ratio(median)} > {limit:.1f}")
        if worst_pair > LOADED_RUN_LIMIT:
            misses.append(f"a run {fmt_ratio(worst_pair)} > {LOADED_RUN_LIMIT:.1f}")
    if kind == "oversubscribed":
        spread = row["rungo"]["worst"] / row["rungo"]["total"]
        checked.append(f"worst ≤ {OVERSUBSCRIBED_WORST_OVER_MEDIAN:.1f}× median")
        if spread > OVERSUBSCRIBED_WORST_OVER_MEDIAN:
            misses.append(
                f"worst run {spread:.2f}× median > {OVERSUBSCRIBED_WORST_OVER_MEDIAN:.1f}×"
            )
    if misses:
        return False, "✗ " + "; ".join(misses)
    if not checked:
        return None, "no target"
    return True, "✓ " + ", ".join(checked)


def condition_table(rows, kind, targets):
    """The table of one condition: today's columns, the worst run of each implementation over
    its median, and the target check."""
    head = (
        "| workload | Go median (ns/op) | rungo median (ns/op) | rungo / Go time "
        "| run by run | worst run / median, Go · rungo | peak RSS Go · rungo (ratio) | target |\n"
        "|---|---:|---:|---:|---:|---:|---:|---|\n"
    )
    lines, met = [], 0
    for r in rows:
        cells = [r["workload"]]
        for impl in ("go", "rungo"):
            m = r.get(impl)
            cells.append(f"{fmt_time(m['total'])} ({m['nsop']:.1f})" if m else "failed")
        cells.append(fmt_ratio(r["time_ratio"]) if "time_ratio" in r else "–")
        lo_hi = r.get("pair_ratios")
        cells.append(f"{fmt_ratio(lo_hi[0])}–{fmt_ratio(lo_hi[1])}" if lo_hi else "–")
        spreads = [
            f"{r[impl]['worst'] / r[impl]['total']:.2f}" if impl in r else "–"
            for impl in ("go", "rungo")
        ]
        cells.append(" · ".join(spreads))
        rss = [f"{r[impl]['rss']:g} MB" if impl in r else "–" for impl in ("go", "rungo")]
        ratio = r.get("rss_ratio")
        cells.append(" · ".join(rss) + (f" ({fmt_ratio(ratio)})" if ratio is not None else ""))
        ok, text = check_targets(r, kind, targets)
        met += ok is True
        cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n", met


def targets_text(targets):
    quiet = ", ".join(
        f"{w} ≤ {fmt_ratio(v)}" + (" (set by --target)" if QUIET_TARGETS.get(w) != v else "")
        for w, v in targets.items()
    )
    loaded = ", ".join(f"{w} ≤ {v:.1f}" for w, v in LOADED_MEDIAN_LIMITS.items())
    return (
        "Every target is on the rungo / Go time ratio.\n\n"
        f"- **quiet**: the median at or below the workload's quiet-machine target: {quiet}. "
        "These are the ratios published for a quiet machine in README's Performance section "
        "(RUNS=5, GOMAXPROCS=2); a quiet run is held to not falling behind them.\n"
        "- **busy** and **oversubscribed**: the median still within the quiet-machine target; "
        f"besides, {loaded} in the median and no single run's ratio over "
        f"{LOADED_RUN_LIMIT:.1f} (the top of *run by run*).\n"
        "- **oversubscribed** also: no workload's slowest rungo run over "
        f"{OVERSUBSCRIBED_WORST_OVER_MEDIAN:.1f}× its median (*worst run / median*).\n"
    )


def write_conditions_markdown(path, conditions, info, command, note, targets):
    """RESULTS.md with one section per condition (`conditions`: dicts of kind, description,
    command and rows), the chart, the targets and the machine."""
    names = ", ".join(c["kind"] for c in conditions)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# Million-coroutine benchmark: rungo vs Go ({names})\n\n")
        f.write(
            "Generated by `benches/compare.sh`: each workload of `examples/million.rs` and its Go "
            "twin `benches/go/workloads.go`, run alternately, under each condition below in "
            "turn. Ratios are rungo / Go: below 1.0 rungo is faster or smaller. ns/op is per "
            "operation as each workload counts them (see `--help` of either program). *Run by "
            "run* is the lowest and the highest ratio of a Go run to the rungo run right after "
            "it: the spread this machine gives; its top is the worst run's ratio. *Worst run / "
            "median* is each implementation's slowest run over its own median. *Target* checks "
            "the row against the targets listed under Targets.\n\n"
        )
        if note:
            f.write(f"**Note:** {note}\n\n")
        for c in conditions:
            body, met = condition_table(c["rows"], c["kind"], targets)
            f.write(f"## {c['kind']}: {c['description']}\n\n")
            f.write(f"Reproduce: `{c['command']}`\n\n")
            f.write(body)
            f.write(f"\n{met} of {len(c['rows'])} workloads meet their targets.\n\n")
        f.write("![time ratios per condition](results.svg)\n\n## Targets\n\n")
        f.write(targets_text(targets))
        f.write("\n## Machine\n\n")
        for key, value in info:
            f.write(f"- {key}: {value}\n")
        f.write(f"\nReproduce all: `{command}`\n")


def svg_conditions_chart(conditions, info, note, targets):
    """Time ratios only, on the log2 scale around 1.0 of svg_chart: per workload one bar per
    condition, side by side, over a black tick at the workload's quiet-machine target. A ✗
    after a value marks a row that misses its condition's targets."""
    workloads = []
    for c in conditions:
        for r in c["rows"]:
            if r["workload"] not in workloads:
                workloads.append(r["workload"])
    by_cond = [{r["workload"]: r for r in c["rows"]} for c in conditions]
    values = [r["time_ratio"] for rows in by_cond for r in rows.values() if "time_ratio" in r]
    values += [targets[w] for w in workloads if w in targets]
    span = max([2.0] + [max(v, 1 / v) for v in values if v > 0])
    k = math.ceil(math.log2(span))
    step = 1 if k <= 4 else 2
    k += k % step
    n = len(conditions)
    left, width, label_w, top = 20, 520, 130, 90 if note else 74
    bar_h, gap = 13, 12
    row_h = n * bar_h + gap
    height = top + len(workloads) * row_h + 80
    total_w = left + label_w + width + 110
    x0 = left + label_w

    def x(v):
        return x0 + (math.log2(v) + k) / (2 * k) * width

    one = x(1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{total_w}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        "rungo / Go time, million-coroutine benchmark (lower is better for rungo)</text>",
    ]
    subtitle = "; ".join(f"{key} {value}" for key, value in info[:2])
    out.append(f'<text x="{left}" y="40" fill="#555">{html.escape(subtitle)}</text>')
    # Legend: one swatch per condition, and the target tick.
    lx = left
    for i, c in enumerate(conditions):
        colour = CONDITION_COLOURS[i % len(CONDITION_COLOURS)]
        out.append(f'<rect x="{lx}" y="48" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 17}" y="58">{html.escape(c["kind"])}</text>')
        lx += 30 + 7 * len(c["kind"])
    out.append(
        f'<line x1="{lx + 6}" y1="47" x2="{lx + 6}" y2="61" stroke="#000" stroke-width="2"/>'
    )
    out.append(f'<text x="{lx + 13}" y="58">quiet target</text>')
    out.append(f'<text x="{lx + 100}" y="58" fill="#555">✗ misses its targets</text>')
    if note:
        out.append(f'<text x="{left}" y="76" fill="#a00">{html.escape(note)}</text>')
    axis_y = top + len(workloads) * row_h
    for e in range(-k, k + 1):
        if e % step:
            continue
        v = 2.0**e
        gx = x(v)
        stroke = "#000" if e == 0 else "#ddd"
        out.append(
            f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{axis_y}" stroke="{stroke}"/>'
        )
        text = f"{v:g}" if v >= 1 else f"1/{int(1 / v)}"
        out.append(f'<text x="{gx:.1f}" y="{axis_y + 16}" text-anchor="middle">{text}×</text>')
    for i, w in enumerate(workloads):
        y = top + i * row_h
        out.append(
            f'<text x="{x0 - 58}" y="{y + n * bar_h / 2 + 4:.1f}" text-anchor="end" '
            f'font-weight="bold">{html.escape(w)}</text>'
        )
        if w in targets:  # under the bars, so their labels stay legible
            tx = x(targets[w])
            out.append(
                f'<line x1="{tx:.1f}" y1="{y - 2}" x2="{tx:.1f}" y2="{y + n * bar_h}" '
                f'stroke="#000" stroke-width="2"/>'
            )
        for j, (c, rows) in enumerate(zip(conditions, by_cond)):
            by = y + j * bar_h
            r = rows.get(w)
            if r is None:
                continue
            if "time_ratio" not in r:
                out.append(
                    f'<text x="{one + 4:.1f}" y="{by + bar_h - 3}" fill="#a00">failed</text>'
                )
                continue
            v = r["time_ratio"]
            colour = CONDITION_COLOURS[j % len(CONDITION_COLOURS)]
            vx = min(max(x(v), x0), x0 + width)
            bx, bw = min(one, vx), max(abs(vx - one), 1)
            out.append(
                f'<rect x="{bx:.1f}" y="{by}" width="{bw:.1f}" height="{bar_h - 2}" '
                f'fill="{colour}"/>'
            )
            ok, _ = check_targets(r, c["kind"], targets)
            label = fmt_ratio(v) + (" ✗" if ok is False else "")
            tx, anchor = (vx + 4, "start") if v >= 1 else (vx - 4, "end")
            out.append(
                f'<text x="{tx:.1f}" y="{by + bar_h - 3}" text-anchor="{anchor}" font-size="11" '
                f'stroke="white" stroke-width="3" paint-order="stroke">{html.escape(label)}</text>'
            )
    out.append(
        f'<text x="{one - 10:.1f}" y="{axis_y + 34}" text-anchor="end" fill="#555">'
        "\u2190 rungo faster</text>"
    )
    out.append(f'<text x="{one + 10:.1f}" y="{axis_y + 34}" fill="#555">rungo slower \u2192</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def parse_target(text):
    workload, _, ratio = text.partition("=")
    try:
        return workload, float(ratio)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not workload=ratio: {text!r}") from None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs_file", nargs="?", help="the raw lines of one quiet run (today's report)")
    p.add_argument(
        "--condition",
        nargs=4,
        action="append",
        default=[],
        metavar=("KIND", "RAW", "COMMAND", "DESCRIPTION"),
        help=f"a condition's raw lines and how to reproduce them; KIND is one of {KINDS}",
    )
    p.add_argument("--md", required=True)
    p.add_argument("--svg", required=True)
    p.add_argument("--command", required=True, help="the command that reproduces the results")
    p.add_argument("--go-version", required=True)
    p.add_argument("--rustc-version", required=True)
    p.add_argument("--runs", required=True)
    p.add_argument("--note", default="", help="a remark printed above the table and chart")
    p.add_argument(
        "--target",
        type=parse_target,
        action="append",
        default=[],
        metavar="WORKLOAD=RATIO",
        help="override one workload's quiet-machine target",
    )
    args = p.parse_args()
    if (args.runs_file is None) == (not args.condition):
        p.error("give either one raw file or --condition options")

    if args.runs_file is not None:
        runs, procs, failed = read_runs(args.runs_file)
        rows = summarize(runs, failed)
        info = machine(args, procs)
        print(table(rows))
        write_markdown(args.md, rows, info, args.command, args.note)
        with open(args.svg, "w", encoding="utf-8") as f:
            f.write(svg_chart(rows, info, args.note))
        return 1 if failed else 0

    targets = dict(QUIET_TARGETS)
    targets.update(args.target)
    conditions, all_procs, any_failed = [], [], False
    for kind, raw, command, description in args.condition:
        if kind not in KINDS:
            p.error(f"unknown condition {kind!r}: one of {KINDS}")
        runs, procs, failed = read_runs(raw)
        rows = summarize(runs, failed)
        conditions.append(
            {"kind": kind, "description": description, "command": command, "rows": rows}
        )
        all_procs.append(f"{', '.join(str(x) for x in sorted(procs)) or 'unknown'} ({kind})")
        any_failed |= bool(failed)
    info = machine(args, set())
    info[2] = ("GOMAXPROCS", "; ".join(all_procs))
    for c in conditions:
        body, met = condition_table(c["rows"], c["kind"], targets)
        print(f"{c['kind']}: {c['description']}\n{body}")
        print(f"{met} of {len(c['rows'])} workloads meet their targets\n")
    write_conditions_markdown(args.md, conditions, info, args.command, args.note, targets)
    with open(args.svg, "w", encoding="utf-8") as f:
        f.write(svg_conditions_chart(conditions, info, args.note, targets))
    return 1 if any_failed else 0

if __name__ == "__main__":
    sys.exit(main())
