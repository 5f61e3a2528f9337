#!/usr/bin/env python3
"""Sends N emails to a local SMTP server, one connection per email (twin of
examples/email_sender.rs).

  email_sender.py --addr 127.0.0.1:2525 --n 1000 --concurrency 100 [--mode threads|asyncio]

threads: smtplib in a ThreadPoolExecutor of `--concurrency` threads.
asyncio: aiosmtplib, `--concurrency` tasks taking email numbers from a shared iterator.
Each session: EHLO, MAIL FROM, RCPT TO, DATA, QUIT (smtplib's sendmail; no STARTTLS).
Prints what the Rust and Go twins print; exit status 1 if any email failed.
"""
import argparse
import os
import sys
import time


def message(i):
    head = f"From: sender@localhost\r\nTo: rcpt{i}@localhost\r\nSubject: message {i}\r\n\r\n"
    body = "".join(chr(ord("a") + (i + line) % 26) * 70 + "\r\n" for line in range(14))
    return head + body


def send_threads(host, port, i):
    import smtplib

    with smtplib.SMTP(host, port, local_hostname="localhost") as s:
        s.sendmail("sender@localhost", [f"rcpt{i}@localhost"], message(i).encode())


def run_threads(host, port, n, workers):
    from concurrent.futures import ThreadPoolExecutor

    sent = failed = 0
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futures = [ex.submit(send_threads, host, port, i) for i in range(n)]
        for i, f in enumerate(futures):
            try:
                f.result()
                sent += 1
            except Exception as e:  # noqa: BLE001 - report and count every failure
                print(f"email {i}: {e}", file=sys.stderr)
                failed += 1
    return sent, failed


async def run_asyncio(host, port, n, workers):
    import asyncio

    import aiosmtplib

    counts = {"sent": 0, "failed": 0}
    jobs = iter(range(n))

    async def worker():
        for i in jobs:
            try:
                smtp = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False,
                                       use_tls=False, local_hostname="localhost")
                await smtp.connect()
                await smtp.sendmail("sender@localhost", [f"rcpt{i}@localhost"], message(i))
                await smtp.quit()
                counts["sent"] += 1
            except Exception as e:  # noqa: BLE001
                print(f"email {i}: {e}", file=sys.stderr)
                counts["failed"] += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return counts["sent"], counts["failed"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1:2525")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--concurrency", default="cpu")
    p.add_argument("--mode", choices=["threads", "asyncio"], default="threads")
    a = p.parse_args()
    host, port = a.addr.rsplit(":", 1)
    workers = os.cpu_count() if a.concurrency == "cpu" else max(int(a.concurrency), 1)
    start = time.monotonic()
    if a.mode == "threads":
        sent, failed = run_threads(host, int(port), a.n, workers)
    else:
        import asyncio

        sent, failed = asyncio.run(run_asyncio(host, int(port), a.n, workers))
    secs = time.monotonic() - start
    print(f"sent {sent} emails ({failed} failed) with concurrency {workers}")
    print(f"time: {secs:.3f} s")
    print(f"rate: {sent / secs:.1f} emails/s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
