#!/usr/bin/env python3
"""Grouped bar charts (SVG) for the crawler's and the email sender's RESULTS.md.

    python3 benches/results_chart.py crawler benches/crawler/RESULTS.md benches/crawler/results.svg
    python3 benches/results_chart.py email benches/email/RESULTS.md benches/email/results.svg

Reads the markdown tables of a RESULTS.md (parse_tables) and draws them as horizontal grouped
bars in plain SVG text (grouped_bars; standard library only, no matplotlib): a title, a subtitle
saying whether lower or higher is better, a legend, value labels and an axis with a few ticks.
The kind only picks the columns:

- crawler: the crawl's median wall time (s) per concurrency level, Go vs rungo (lower is better);
- email: emails/s per policy, one bar per implementation, one panel per sink latency (one per
  "## Sink latency ..." section; higher is better).

benches/crawler/compare.sh and benches/email/compare.sh run it as their last step, after
RESULTS.md is written, so every run regenerates results.svg next to it. rungo is always drawn in
the same colour (COLOURS). A cell that is not a number (bench.py writes "n/a" when every run of a
cell failed) gets no bar, only its text.
"""
import html
import math
import re
import sys

COLOURS = {"rungo": "#b7410e", "go": "#00add8", "python-threads": "#3776ab",
           "python-asyncio": "#d9a400", "php": "#777bb4"}
SPARE = ["#5a9e3a", "#888888", "#c0507a"]
WIDTH, LEFT, RIGHT, BAR, GAP, GROUP_GAP = 760, 150, 60, 14, 3, 14


def parse_tables(text):
    """Every markdown table in text as (heading, header, rows): heading is the nearest "## "
    line above the table ("" if none), header the column names, rows lists of cell texts."""
    def cells(line):
        return [c.strip() for c in line.strip()[1:-1].split("|")]

    tables, heading, lines, i = [], "", text.splitlines(), 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("## "):
            heading = line[3:].strip()
        elif (line.startswith("|") and i + 1 < len(lines)
              and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip())):
            header, rows, i = cells(line), [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            tables.append((heading, header, rows))
            continue
        i += 1
    return tables


def number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def colour(name, series):
    spare = [s for s in series if s.lower() not in COLOURS]
    return COLOURS.get(name.lower()) or SPARE[spare.index(name) % len(SPARE)]


def ticks(top, count=5):
    """0 and a few round steps (1, 2, 2.5 or 5 times a power of ten) reaching at least top."""
    raw = max(top, 1e-9) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def grouped_bars(y, title, groups, series, values, unit):
    """SVG elements of one panel of horizontal grouped bars whose top is at y, and the y below
    it. values[g][s] is series s's value in group g: a number or its text (the label shown)."""
    out = []
    if title:
        out.append(f'<text x="20" y="{y + 14}" font-weight="bold">{html.escape(title)}</text>')
        y += 24
    nums = [number(v) for row in values for v in row]
    scale = ticks(max([n for n in nums if n is not None] or [1]))
    plot_w = WIDTH - LEFT - RIGHT
    x = lambda v: LEFT + v / scale[-1] * plot_w  # noqa: E731
    bottom = y + len(groups) * (len(series) * (BAR + GAP) - GAP + GROUP_GAP) - GROUP_GAP
    for t in scale:
        out.append(f'<line x1="{x(t):.1f}" y1="{y - 4}" x2="{x(t):.1f}" y2="{bottom + 4}" '
                   f'stroke="{"#000" if t == 0 else "#ddd"}"/>')
        out.append(f'<text x="{x(t):.1f}" y="{bottom + 18}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{bottom + 34}" text-anchor="middle" '
               f'fill="#555">{html.escape(unit)}</text>')
    for group, row in zip(groups, values):
        block = len(series) * (BAR + GAP) - GAP
        out.append(f'<text x="{LEFT - 8}" y="{y + block / 2 + 4:.0f}" text-anchor="end">'
                   f'{html.escape(group)}</text>')
        for name, v in zip(series, row):
            n = number(v)
            if n is not None:
                out.append(f'<rect x="{LEFT}" y="{y}" width="{x(n) - LEFT:.1f}" height="{BAR}" '
                           f'fill="{colour(name, series)}"><title>{html.escape(name)}: '
                           f'{html.escape(str(v))}</title></rect>')
            if v is not None:
                out.append(f'<text x="{x(n or 0) + 4:.1f}" y="{y + BAR - 3}" font-size="11">'
                           f'{html.escape(str(v))}</text>')
            y += BAR + GAP
        y += GROUP_GAP - GAP
    return out, bottom + 46


def chart(title, subtitle, series, panels):
    """A whole SVG document: title, subtitle, legend, then one grouped_bars panel per
    (panel title, groups, values, unit) of panels."""
    body = [f'<text x="20" y="24" font-size="16" font-weight="bold">{html.escape(title)}</text>',
            f'<text x="20" y="43" fill="#555">{html.escape(subtitle)}</text>']
    lx = 20
    for name in series:
        body.append(f'<rect x="{lx}" y="54" width="12" height="12" '
                    f'fill="{colour(name, series)}"/>')
        body.append(f'<text x="{lx + 17}" y="64">{html.escape(name)}</text>')
        lx += 17 + 7 * len(name) + 20
    y = 84
    for panel in panels:
        elements, y = grouped_bars(y, *panel[:2], series, *panel[2:])
        body += elements
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" '
            f'font-family="sans-serif" font-size="12">\n<rect width="{WIDTH}" height="{y}" '
            f'fill="white"/>')
    return "\n".join([head] + body + ["</svg>\n"])


def crawler(tables):
    _, header, rows = tables[0]
    go, ru = header.index("Go time (s)"), header.index("rungo time (s)")
    return chart("Crawler: wall time of the crawl, rungo vs Go",
                 "median of the runs, 5000-page site; lower is better",
                 ["Go", "rungo"],
                 [(None, [f"concurrency {r[0]}" for r in rows], [[r[go], r[ru]] for r in rows],
                   "wall time (s)")])


def email(tables):
    series, panels = [], []
    for heading, header, rows in tables:
        pol, imp, rate = (header.index(c) for c in ("policy", "implementation", "emails/s"))
        series += [s for s in dict.fromkeys(r[imp] for r in rows) if s not in series]
        groups = list(dict.fromkeys(r[pol] for r in rows))
        panels.append((heading, groups, {(r[pol], r[imp]): r[rate] for r in rows}))
    return chart("Email sender: emails/s, rungo vs Go, Python and PHP",
                 "median of the runs, one SMTP session per email, each panel on its own scale; "
                 "higher is better", series,
                 [(h, g, [[cell.get((p, s)) for s in series] for p in g], "emails/s")
                  for h, g, cell in panels])


def main(argv):
    if len(argv) != 4 or argv[1] not in ("crawler", "email"):
        sys.exit(f"usage: {argv[0]} crawler|email RESULTS.md OUT.svg")
    with open(argv[2], encoding="utf-8") as f:
        tables = parse_tables(f.read())
    if not tables:
        sys.exit(f"{argv[2]}: no markdown table")
    svg = (crawler if argv[1] == "crawler" else email)(tables)
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(svg)


if __name__ == "__main__":
    main(sys.argv)
