#!/usr/bin/env python3
"""Turns the raw lines of benches/compare.sh into a table (stdout and RESULTS.md) and a chart
(results.svg). Standard library only.

Input: a file of lines `<impl> <workload line>`, where <impl> is `go` or `rungo` and the workload
line is the benchmark's output,
    <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
or `<impl> <workload>: FAILED <reason>` for a run that did not finish.
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
                }
        if "go" in row and "rungo" in row:
            row["time_ratio"] = row["rungo"]["total"] / row["go"]["total"]
            # Runs alternate Go, rungo, Go, rungo...: pair them in order for the spread.
            pairs = [r[0] / g[0] for g, r in zip(by_impl["go"], by_impl["rungo"])]
            row["pair_ratios"] = (min(pairs), max(pairs))
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs_file")
    p.add_argument("--md", required=True)
    p.add_argument("--svg", required=True)
    p.add_argument("--command", required=True, help="the command that reproduces the results")
    p.add_argument("--go-version", required=True)
    p.add_argument("--rustc-version", required=True)
    p.add_argument("--runs", required=True)
    p.add_argument("--note", default="", help="a remark printed above the table and chart")
    args = p.parse_args()

    runs, procs, failed = read_runs(args.runs_file)
    rows = summarize(runs, failed)
    info = machine(args, procs)
    print(table(rows))
    write_markdown(args.md, rows, info, args.command, args.note)
    with open(args.svg, "w", encoding="utf-8") as f:
        f.write(svg_chart(rows, info, args.note))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
