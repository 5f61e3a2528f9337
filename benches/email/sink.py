#!/usr/bin/env python3
"""A small SMTP sink (asyncio) that counts messages and can delay its reply to each message.

  sink.py --port 2525 --delay-ms 30

Answers EHLO/HELO/MAIL/RCPT/RSET/NOOP with 250, DATA with 354, then reads the message up to
"." (one read to the terminator, so the sink's CPU is not the limit) and, after --delay-ms (the
per-message latency of a real server), replies 250; QUIT 221.
Prints "listening" once bound, and "messages: K" when it gets SIGTERM or SIGINT, then exits.
Used by compare.sh for the runs with latency (Postfix's smtp-sink delays in whole seconds only).
Runs on uvloop when it is installed (compare.sh installs it), asyncio's own loop otherwise.
"""
import argparse
import asyncio
import signal

count = 0


async def session(reader, writer, delay):
    global count
    try:
        writer.write(b"220 sink ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                writer.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif cmd == b"DATA":
                writer.write(b"354 end with .\r\n")
                # The message in one read up to its terminator (line by line, the sink's own
                # CPU was the limit at 100 sessions in flight); an empty message is ".\r\n".
                # Messages are ~1 KiB, well inside the reader's 64 KiB limit.
                try:
                    first = await reader.readline()
                    if first != b".\r\n":
                        await reader.readuntil(b"\r\n.\r\n")
                except asyncio.IncompleteReadError:
                    return
                if delay:
                    await asyncio.sleep(delay)
                count += 1
                writer.write(b"250 2.0.0 queued\r\n")
            elif cmd == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--delay-ms", type=float, default=0)
    a = p.parse_args()
    delay = a.delay_ms / 1000
    server = await asyncio.start_server(lambda r, w: session(r, w, delay), "127.0.0.1", a.port,
                                        backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print("listening", flush=True)
    async with server:
        await stop.wait()
    print(f"messages: {count}", flush=True)


try:
    # libuv's event loop: the sink's own CPU limited 100 sessions in flight to about 1,000
    # messages/s with asyncio's default loop, below what the clients can send.
    import uvloop

    uvloop.run(main())
except ImportError:
    asyncio.run(main())
