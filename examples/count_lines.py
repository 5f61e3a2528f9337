#!/usr/bin/env python3
"""Counts code lines of each ported example (examples/<name>.rs) over its Go twin
(examples/go/<name>.go) and prints a Markdown table with the ratio per example and on average.

A code line is a line that is neither blank nor only a comment (`//`, `///`, `//!`, or inside a
`/* ... */` block). Attributes, braces and `use`/`import` lines count on both sides.

    python3 examples/count_lines.py            print the table
    python3 examples/count_lines.py --write    also replace the table in docs/PORTING.md
                                               (between its `lines:begin` / `lines:end` markers)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- lines:begin -->", "<!-- lines:end -->"


def code_lines(path):
    n, in_block = 0, False
    for line in path.read_text().splitlines():
        s = line.strip()
        if in_block:
            if "*/" in s:
                in_block = False
                s = s.split("*/", 1)[1].strip()
            else:
                continue
        if s.startswith("/*"):
            if "*/" not in s:
                in_block = True
            continue
        if not s or s.startswith("//"):
            continue
        n += 1
    return n


def table():
    rows = []
    for go in sorted((ROOT / "examples/go").glob("*.go")):
        rs = ROOT / "examples" / (go.stem + ".rs")
        if rs.exists():
            g, r = code_lines(go), code_lines(rs)
            rows.append((go.stem, g, r, r / g))
    if not rows:
        sys.exit("count_lines.py: no examples with a Go twin")
    out = ["| example | Go lines | Rust lines | Rust / Go |", "|---|--:|--:|--:|"]
    out += [f"| {n} | {g} | {r} | {q:.2f} |" for n, g, r, q in rows]
    tg, tr = sum(r[1] for r in rows), sum(r[2] for r in rows)
    avg = sum(r[3] for r in rows) / len(rows)
    out.append(f"| **all {len(rows)}** | {tg} | {tr} | **{avg:.2f}** average, {tr / tg:.2f} overall |")
    return "\n".join(out) + "\n"


def main():
    t = table()
    print(t, end="")
    if "--write" in sys.argv[1:]:
        doc = ROOT / "docs/PORTING.md"
        text = doc.read_text()
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if not pattern.search(text):
            sys.exit(f"count_lines.py: no {BEGIN} ... {END} markers in {doc}")
        doc.write_text(pattern.sub(lambda _: f"{BEGIN}\n{t}{END}", text))
        print(f"wrote {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
