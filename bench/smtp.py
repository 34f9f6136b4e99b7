"""Benchmark of the mail receiver: prints figures, never passes or fails.

    .venv/bin/python bench/smtp.py [--messages 1000] [--connections 8] [--size 300000]
                                   [--big-size 25000000] [--target receiver|serve] [--stock]
                                   [--phases] [--no-fsync] [--postfix]

1. Throughput: messages/s accepted durably (each answered 250 only after fsync and rename)
   for `--size` byte messages over `--connections` connections, beside Postfix's `smtp-sink`
   (Debian's postfix package; it discards what it receives) driven by the same client, as the
   reference ratio for this machine.
2. Memory: peak RSS (VmHWM) of a fresh receiver process while `--connections` messages of
   `--big-size` bytes arrive at once, and its RSS before they did.
3. End-to-end documents/s through the worker pipeline: measured by bench/pipeline.py (ECDSA and
   DSTU copies through parse, verify, extract, archive and index).

`--phases` prints, for each throughput run, the median time the client waited for each reply
(MAIL, RCPT, DATA's 354, and the final 250 after the message, which includes the spool commit).
`--no-fsync` adds a run of the same receiver with `os.fsync` made a no-op in its process: NOT
durable, only to show how much of the gap to `smtp-sink` is the disk's synchronous writes.

`--postfix` adds a real MTA that keeps mail durably, driven by the same client: a private
Postfix instance (tests/support/postfix.py: its own configuration and queue folders in a
temporary folder, `postfix -c`; needs root and Debian's postfix) whose smtpd answers 250
only after its cleanup daemon has fsync'ed the queue file, as ours does after the spool's
fsync; the queue manager then hands each message to the `discard` transport. It shows what
durability costs a C MTA on the same machine, beside `smtp-sink`, which keeps nothing.

`--stock` adds aiosmtpd's stock DATA handling (whole message in memory) feeding the same
spool, the baseline that the streamed DATA replaced. `--target receiver` (default) runs only
the SMTP component in its own process (no worker, no web app, a fixed recipient set), so the
figures are the receiver's; `--target serve` runs the whole `diia-inbox serve` (the worker then
competes for the same cores).

The client is a minimal asyncio SMTP client that sends a pre-stuffed message, so that its own
CPU use stays small next to the server's on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.procs import proc_stat, processes  # noqa: E402
from ingest.datastream import stuff  # noqa: E402
from tests.support.postfix import start_private, stop_private  # noqa: E402
from tests.support.serve import free_port  # noqa: E402

RCPT = "hotel-dnipro@inbox.example.org"


def make_message(size: int, tag: str) -> bytes:
    """A MIME-looking message of about `size` bytes: headers and base64-like 76-char lines."""
    head = (
        f"From: bench@example.net\r\nTo: {RCPT}\r\nSubject: bench {tag}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: application/pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    line = (b"JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PgplbmRv" * 2)[
        :76
    ] + b"\r\n"
    return stuff(head + line * max(1, (size - len(head)) // len(line)))


# -- client -------------------------------------------------------------------------------


async def _reply(reader: asyncio.StreamReader) -> bytes:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        if line[3:4] != b"-":
            return line


async def _expect(reader: asyncio.StreamReader, code: bytes) -> bytes:
    line = await _reply(reader)
    if not line.startswith(code):
        raise RuntimeError(f"expected {code!r}, got {line!r}")
    return line


PHASES = ("MAIL", "RCPT", "DATA 354", "message 250")


async def client(
    port: int,
    payload: bytes,
    count: int,
    counter: list[int],
    phases: dict[str, list[float]] | None = None,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _expect(reader, b"220")
    writer.write(b"EHLO bench.example.net\r\n")
    await _expect(reader, b"250")
    steps = (
        (b"MAIL FROM:<bench@example.net>\r\n", b"250"),
        (f"RCPT TO:<{RCPT}>\r\n".encode(), b"250"),
        (b"DATA\r\n", b"354"),
        (payload, b"250"),
    )
    for _ in range(count):
        for name, (line, code) in zip(PHASES, steps, strict=True):
            start = time.perf_counter()
            writer.write(line)
            await writer.drain()
            await _expect(reader, code)
            if phases is not None:
                phases.setdefault(name, []).append(time.perf_counter() - start)
        counter[0] += 1
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()


async def load(
    port: int,
    payload: bytes,
    total: int,
    connections: int,
    phases: dict[str, list[float]] | None = None,
) -> float:
    """Send `total` messages over `connections` connections; returns the seconds it took."""
    counter = [0]
    per = [total // connections + (1 if i < total % connections else 0) for i in range(connections)]
    start = time.perf_counter()
    await asyncio.gather(*(client(port, payload, n, counter, phases) for n in per if n))
    elapsed = time.perf_counter() - start
    assert counter[0] == total
    return elapsed


# -- servers ------------------------------------------------------------------------------


def wait_greeting(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                if s.recv(200).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def start_receiver(
    target: str, data: Path, port: int, stock: bool = False, fsync: bool = True
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    if target == "serve" and not stock:
        subprocess.run(
            [sys.executable, "-m", "diia_inbox.cli", "branch", "add", "--data", str(data),
             "--name", "Bench", "--address", "Bench", "--email", RCPT],
            check=True, capture_output=True, cwd=ROOT, env=env,
        )  # fmt: skip
        cmd = [sys.executable, "-m", "diia_inbox.cli", "serve", "--data", str(data),
               "--smtp", f"127.0.0.1:{port}", "--web", f"127.0.0.1:{free_port()}"]  # fmt: skip
    else:
        mode = "stock" if stock else "streamed" if fsync else "no-fsync"
        cmd = [sys.executable, __file__, "--_receiver", str(data), str(port), mode]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_greeting(port, proc)
    return proc


def start_smtp_sink(port: int) -> subprocess.Popen[bytes] | None:
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not os.path.exists(sink):
        return None
    cmd = [sink]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    proc = subprocess.Popen(
        [*cmd, f"127.0.0.1:{port}", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_greeting(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a (live) process used so far."""
    stat = proc_stat(pid)
    if stat is None:
        raise ProcessLookupError(pid)
    return stat.cpu


def run_receiver(data: Path, port: int, mode: str) -> None:
    """`--_receiver`: just the SMTP component over a spool in `data`, until SIGTERM.

    `mode` "stock": aiosmtpd's own DATA handling (the whole message in memory) feeding the same
    durable spool, the baseline that the streamed DATA replaced. "no-fsync": os.fsync does
    nothing in this process (not durable; it measures the disk's share only).
    """
    stock = mode == "stock"
    if mode == "no-fsync":
        os.fsync = lambda fd: None
    from ingest.metrics import IngestMetrics
    from ingest.settings import IngestSettings
    from ingest.smtp import SmtpComponent
    from ingest.spool import Spool

    async def main() -> None:
        spool = Spool(data / "spool")
        settings = IngestSettings(hostname="bench.test", max_message_bytes=50 * 1024 * 1024)
        component = SmtpComponent(
            spool, _Addresses(), settings, "127.0.0.1", port, IngestMetrics(spool.depth)
        )
        server: asyncio.AbstractServer | None = None
        if stock:
            server = await asyncio.get_running_loop().create_server(
                lambda: _stock_smtp(spool, settings.max_message_bytes), "127.0.0.1", port
            )
        else:
            await component.start()
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        await stopped.wait()
        if server is not None:
            server.close()
        else:
            await component.stop()

    asyncio.run(main())


class _Addresses:
    """The recipient set as `serve`'s `AddressCache` gives it once read: from memory (`peek`)."""

    def __call__(self) -> frozenset[str]:
        return frozenset({RCPT})

    def peek(self) -> frozenset[str]:
        return frozenset({RCPT})


def _stock_smtp(spool: Any, limit: int) -> asyncio.Protocol:
    import logging

    from aiosmtpd.smtp import SMTP

    from ingest.envelope import Envelope

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            env = Envelope.now(envelope.mail_from, envelope.rcpt_tos)
            await asyncio.to_thread(spool.put, envelope.original_content, env)
            return "250 OK"

    return SMTP(Handler(), data_size_limit=limit, hostname="bench.test")


def postfix_throughput(args: argparse.Namespace, payload: bytes) -> float | None:
    """Messages/s accepted by a private Postfix (queue file fsync'ed before 250, then
    discarded), and the CPU of all its processes per message."""
    if shutil.which("postfix") is None or os.geteuid() != 0:
        print("postfix smtpd: needs Debian's postfix and root")
        return None
    folder = Path(tempfile.mkdtemp(prefix="diia-bench-postfix-"))
    folder.chmod(0o755)  # reachable by user postfix
    try:
        port = start_private(folder, "discard")
        try:
            asyncio.run(load(port, payload, min(50, args.messages), args.connections))
            cpu = _postfix_cpu(folder)
            phases: dict[str, list[float]] = {}
            seconds = asyncio.run(load(port, payload, args.messages, args.connections, phases))
            cpu = _postfix_cpu(folder) - cpu
        finally:
            stop_private(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rate = args.messages / seconds
    print(
        f"{'postfix smtpd:':22s}{rate:7.1f} messages/s accepted durably (queue file fsync'ed; "
        f"its processes' CPU {cpu / seconds:.0%} of a core, "
        f"{cpu / args.messages * 1000:.2f} ms per message)"
    )
    if args.phases:
        print(f"{'':22s}median wait for the reply, ms: {_medians(phases)}")
    return rate


def _postfix_cpu(folder: Path) -> float:
    """CPU seconds used so far by the Postfix processes of this instance's master (its pid
    file) and their children."""
    master = int((folder / "queue" / "pid" / "master.pid").read_text().split()[0])
    return sum(s.cpu for pid, s in processes().items() if master in (pid, s.parent))


# -- the benchmark ------------------------------------------------------------------------


def throughput(
    args: argparse.Namespace, payload: bytes, label: str, *, stock: bool, fsync: bool = True
) -> float:
    phases: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="diia-bench-", dir=os.environ.get("TMPDIR")) as tmp:
        port = free_port()
        proc = start_receiver(args.target, Path(tmp) / "data", port, stock, fsync)
        try:
            asyncio.run(load(port, payload, min(50, args.messages), args.connections))  # warm-up
            cpu = cpu_seconds(proc.pid)
            seconds = asyncio.run(load(port, payload, args.messages, args.connections, phases))
            cpu = cpu_seconds(proc.pid) - cpu
        finally:
            stop(proc)
    rate = args.messages / seconds
    print(
        f"{label + ':':22s}{rate:7.1f} messages/s accepted durably "
        f"({rate * len(payload) / 1e6:.1f} MB/s; server CPU {cpu / seconds:.0%} of a core, "
        f"{cpu / args.messages * 1000:.2f} ms per message)"
    )
    if args.phases:
        print(f"{'':22s}median wait for the reply, ms: {_medians(phases)}")
    return rate


def _medians(phases: dict[str, list[float]]) -> str:
    return ", ".join(f"{k} {statistics.median(v) * 1000:.1f}" for k, v in phases.items())


def sink_throughput(args: argparse.Namespace, payload: bytes) -> float | None:
    port = free_port()
    sink = start_smtp_sink(port)
    if sink is None:
        print("postfix smtp-sink: not installed (Debian package postfix)")
        return None
    try:
        asyncio.run(load(port, payload, min(50, args.messages), args.connections))
        phases: dict[str, list[float]] = {}
        seconds = asyncio.run(load(port, payload, args.messages, args.connections, phases))
    finally:
        stop(sink)
    rate = args.messages / seconds
    print(f"{'postfix smtp-sink:':22s}{rate:7.1f} messages/s (discards, no disk)")
    if args.phases:
        print(f"{'':22s}median wait for the reply, ms: {_medians(phases)}")
    return rate


def memory(args: argparse.Namespace, big: bytes, label: str, *, stock: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="diia-bench-", dir=os.environ.get("TMPDIR")) as tmp:
        port = free_port()
        proc = start_receiver(args.target, Path(tmp) / "data", port, stock)
        try:
            before, _ = rss_kib(proc.pid)
            seconds = asyncio.run(load(port, big, args.connections, args.connections))
            _, peak = rss_kib(proc.pid)
        finally:
            stop(proc)
    print(
        f"memory, {label}: {args.connections} x {len(big) / 1e6:.1f} MB at once in "
        f"{seconds:.1f} s: RSS {before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--size", type=int, default=300_000)
    ap.add_argument("--big-size", type=int, default=25_000_000)
    ap.add_argument("--target", choices=["receiver", "serve"], default="receiver")
    ap.add_argument(
        "--stock", action="store_true", help="also measure aiosmtpd's stock DATA (the baseline)"
    )
    ap.add_argument("--phases", action="store_true", help="median wait for each reply")
    ap.add_argument(
        "--no-fsync",
        action="store_true",
        help="also run the receiver with fsync disabled (not durable: the disk's share)",
    )
    ap.add_argument(
        "--postfix",
        action="store_true",
        help="also a private Postfix (needs root): a C MTA's durable accept rate",
    )
    ap.add_argument("--_receiver", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._receiver:
        run_receiver(Path(args._receiver[0]), int(args._receiver[1]), args._receiver[2])
        return

    payload = make_message(args.size, "throughput")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"{args.messages} messages of {len(payload)} bytes over {args.connections} connections; "
        f"target: {args.target}"
    )
    ours = throughput(args, payload, "diia-inbox receiver", stock=False)
    if args.stock:
        throughput(args, payload, "aiosmtpd stock DATA", stock=True)
    if args.no_fsync:
        unsafe = throughput(args, payload, "receiver, no fsync", stock=False, fsync=False)
    mta = postfix_throughput(args, payload) if args.postfix else None
    theirs = sink_throughput(args, payload)
    if theirs:
        print(f"ratio receiver / smtp-sink: {ours / theirs:.2f}")
        if args.no_fsync:
            print(f"ratio receiver without fsync / smtp-sink: {unsafe / theirs:.2f}")
        if mta:
            print(f"ratio postfix smtpd / smtp-sink: {mta / theirs:.2f}")
    if mta:
        print(f"ratio receiver / postfix smtpd: {ours / mta:.2f}")

    big = make_message(args.big_size, "memory")
    memory(args, big, "diia-inbox receiver", stock=False)
    if args.stock:
        memory(args, big, "aiosmtpd stock DATA", stock=True)

    print("end-to-end documents/s through the pipeline: run bench/pipeline.py")


if __name__ == "__main__":
    main()
