#!/usr/bin/env python3
"""Runs the email senders against a local SMTP sink and writes a results table.

Called by compare.sh (which installs and builds what it needs); see there for the knobs. For
each sink latency, policy (sequential, one worker per CPU, 100 in flight) and run, every
implementation runs once, in an order rotated from run to run, each against a fresh sink:
Postfix's smtp-sink when the latency is 0 and $SMTP_SINK is set, else sink.py (which can delay
its reply to each message). A run counts only if the client exits 0 and the sink accepted
exactly N messages. Client CPU time (user+sys) and peak RSS come from wait4's rusage of the
client process, which includes its reaped children (PHP's forked workers: their CPU is summed,
the peak RSS is the largest single process's).
"""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

IMPLS = {
    "rungo": [os.path.join(ROOT, "target/release/examples/email_sender")],
    "go": [os.path.join(ROOT, "target/email-bench/email_sender")],
    "python-threads": [sys.executable, os.path.join(HERE, "email_sender.py"), "--mode", "threads"],
    "python-asyncio": [sys.executable, os.path.join(HERE, "email_sender.py"), "--mode", "asyncio"],
    "php": ["php", os.path.join(HERE, "email_sender.php")],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sink exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("sink did not start listening")


class Sink:
    """A fresh sink on a free port; stop() returns the number of messages it accepted."""

    def __init__(self, delay_ms):
        self.port = free_port()
        smtp_sink = os.environ.get("SMTP_SINK")
        if delay_ms == 0 and smtp_sink:
            self.kind = "smtp-sink"
            cmd = [smtp_sink, "-u", "nobody", "-c", "-m", "1024", f"127.0.0.1:{self.port}", "1024"]
        else:
            self.kind = "sink.py"
            cmd = [sys.executable, os.path.join(HERE, "sink.py"), "--port", str(self.port),
                   "--delay-ms", str(delay_ms)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc)
        # The readiness probe was a session of its own: smtp-sink counts it, sink.py does not
        # count sessions, only messages.

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        text = out.decode(errors="replace")
        counts = re.findall(r"mesg=(\d+)", text) or re.findall(r"messages: (\d+)", text)
        return int(counts[-1]) if counts else -1


def sink_cpu(pid):
    """The sink's user+sys CPU seconds so far, read from /proc before it is stopped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def run_client(impl, addr, n, conc, timeout):
    """Runs one client under GNU time (its rusage via wait: children included; measured from
    a small process, not from this interpreter, whose RSS a forked child would inherit)."""
    usage = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"email-bench-{os.getpid()}.time")
    cmd = ["/usr/bin/time", "-f", "%U %S %M", "-o", usage] + IMPLS[impl] + [
        "--addr", addr, "--n", str(n), "--concurrency", str(conc)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
        out, err, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, err, code = e.stdout or b"", (e.stderr or b"") + b"timed out", -1
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    try:
        with open(usage) as f:
            user, sys_, rss_kb = f.read().split()[-3:]
        cpu, rss_mb = float(user) + float(sys_), int(rss_kb) / 1024
    except (OSError, ValueError):
        cpu, rss_mb = float("nan"), float("nan")
    rate = re.search(r"rate: ([\d.]+) emails/s", out)
    return {
        "ok": code == 0 and rate is not None,
        "rate": float(rate.group(1)) if rate else 0.0,
        "cpu": cpu,
        "rss_mb": rss_mb,
        "err": err.strip().splitlines()[:3],
        "stderr": err,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--n-delayed", type=int, default=200,
                   help="emails per run when the sink delays (sequential runs take n*delay)")
    p.add_argument("--delays", default="0,30", help="sink latencies per message, ms")
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--policies", default="1,cpu,100")
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--note", default="")
    a = p.parse_args()
    impls = a.impls.split(",")
    cpus = os.cpu_count()
    policies = [cpus if x == "cpu" else int(x) for x in a.policies.split(",")]
    names = {1: "sequential", cpus: f"workers={cpus} (CPUs)", 100: "100 in flight"}
    rows = []
    for delay in [float(x) for x in a.delays.split(",")]:
        n = a.n if delay == 0 else a.n_delayed
        for conc in policies:
            results = {i: [] for i in impls}
            sink_kind = None
            for r in range(a.runs):
                order = impls[r % len(impls):] + impls[:r % len(impls)]
                for impl in order:
                    sink = Sink(delay)
                    sink_kind = sink.kind
                    res = run_client(impl, f"127.0.0.1:{sink.port}", n, conc, a.timeout)
                    cpu = sink_cpu(sink.proc.pid)
                    count = sink.stop()
                    res["sink_cpu"] = cpu
                    res["count"] = count
                    res["ok"] = res["ok"] and count == n
                    results[impl].append(res)
                    status = "ok" if res["ok"] else f"FAILED (sink count {count}, {res['err']})"
                    if not res["ok"]:
                        # Keep the whole stderr (a goroutine dump, say) for a look afterwards.
                        keep = os.path.join(ROOT, "target/email-bench",
                                            f"failed-{impl}-{delay:g}ms-c{conc}-run{r + 1}.txt")
                        with open(keep, "w") as f:
                            f.write(res["stderr"])
                        status += f"; stderr in {keep}"
                    print(f"delay {delay:g} ms, concurrency {conc}, run {r + 1}, {impl}: "
                          f"{res['rate']:.0f} emails/s, cpu {res['cpu']:.2f} s, "
                          f"rss {res['rss_mb']:.1f} MB, sink cpu {cpu:.2f} s: {status}",
                          file=sys.stderr, flush=True)
            for impl in impls:
                good = [x for x in results[impl] if x["ok"]]
                rows.append({
                    "delay": delay, "n": n, "policy": names.get(conc, str(conc)), "conc": conc,
                    "impl": impl, "sink": sink_kind, "good": len(good),
                    "runs": len(results[impl]),
                    "rate": statistics.median([x["rate"] for x in good]) if good else None,
                    "rates": [x["rate"] for x in results[impl]],
                    "cpu": statistics.median([x["cpu"] for x in good]) if good else None,
                    "rss": statistics.median([x["rss_mb"] for x in good]) if good else None,
                    "sink_cpu": statistics.median([x["sink_cpu"] for x in good]) if good else None,
                })
    write(a, rows, impls)


def write(a, rows, impls):
    lines = [
        "# Email sender: rungo vs Go, Python and PHP",
        "",
        "Written by `benches/email/compare.sh` on "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + ".",
        "",
        f"Each client sends N emails of about 1 KiB to a local SMTP sink, one SMTP session per email "
        f"(EHLO, MAIL FROM, RCPT TO, DATA, QUIT, no pipelining), {a.runs} runs per cell, "
        f"implementations alternating, a fresh sink per run; medians of the runs whose client "
        f"succeeded and whose sink accepted exactly N messages (*ok* column). *emails/s* is the "
        f"client's own count over its own elapsed time (interpreter start-up excluded); *CPU* "
        f"is the client's user+sys time for the whole process (start-up included, PHP's "
        f"forked workers summed); *peak RSS* is the largest single process's. *sink CPU* is the "
        f"sink's user+sys time in that run: when it nears the wall time, the sink is the limit.",
        "",
        "Machine: 2-core VM shared with other builds and benchmarks while this ran "
        f"(load average {os.getloadavg()[0]:.1f} at the end): the numbers are noisy, "
        "compare within a row, and look at the run-by-run rates.",
    ]
    if a.note:
        lines += ["", a.note]
    for delay in sorted({r["delay"] for r in rows}):
        sub = [r for r in rows if r["delay"] == delay]
        lines += ["", f"## Sink latency {delay:g} ms per message (N = {sub[0]['n']}, sink: "
                  f"{sub[0]['sink']})", "",
                  "| policy | implementation | emails/s | run by run | CPU (s) | peak RSS (MB) "
                  "| sink CPU (s) | ok |",
                  "|---|---|---:|---|---:|---:|---:|---:|"]
        for r in sub:
            fmt = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731
            runs = ", ".join(f"{x:.0f}" for x in r["rates"])
            lines.append(f"| {r['policy']} | {r['impl']} | {fmt(r['rate'], '.0f')} | {runs} | "
                         f"{fmt(r['cpu'], '.2f')} | {fmt(r['rss'], '.1f')} | "
                         f"{fmt(r['sink_cpu'], '.2f')} | {r['good']}/{r['runs']} |")
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
