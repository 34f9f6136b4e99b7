"""Sustained load test of a whole `diia-inbox serve`: prints figures and checks "stored once".

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--pause 0]
                                   [--max-message-bytes 2000000] [--drain-timeout 3600]
                                   [--seed 1] [--keep]

What it does:
1. Makes a temporary data folder with one branch (its receiving address) and the test PKI's
   root in `trust/`, and starts `diia-inbox serve` on free ports with
   `DIIA_INBOX_INGEST_MAX_MESSAGE_BYTES` set (so that oversize messages stay cheap to send).
2. Runs `--clients` concurrent SMTP clients for `--seconds`: each keeps one connection and sends
   message after message (`--pause` seconds apart), drawn from a fixed mix: Diia-like messages
   with 1-3 copies carrying real ECDSA P-256 CAdES signatures, copies whose PDF was altered
   after signing, broken multiparts whose only "PDF" is not one, junk bytes, messages over the
   size limit, and messages for an address that is not a receiving address. Each message is
   unique (a token in its headers) and its sha256 is remembered with the reply it got.
3. Meanwhile polls `GET /healthz` and `GET /login` every 0.5 s.
4. Waits until the worker has drained the spool, then reads the archive and checks every
   message answered 250 is archived exactly once (by the sha256 of its bytes, the archive's
   own key) with its documents once, that no refused message was stored (a sender would send
   it again: a duplicate), and that nothing is left in the spool.

It prints accepted/rejected counts, throughput, SMTP transaction times (p50/p95/max), how long
the queue took to drain and how the web side answered. Figures only, never a verdict on speed;
the exit status is 1 when a message was lost or duplicated or the web UI failed to answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.datastream import stuff  # noqa: E402
from tests.hardening.material import (  # noqa: E402
    BRANCH_ADDRESS,
    SENDER,
    diia_email,
    malformed_email,
    other_copies,
    signed_copy,
)
from tests.support.serve import clean_env, free_port, start_serve  # noqa: E402

PLACEHOLDER = "ZZTOKENZZ"
UNKNOWN_ADDRESS = "nobody-here@inbox.example.org"
#: Share of each kind of message in the mix (weights).
MIX = {
    "good": 70,
    "tampered": 6,
    "broken_mime": 8,
    "junk": 4,
    "oversize": 5,
    "unknown_rcpt": 7,
}


# -- the messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A message whose head carries PLACEHOLDER; the body is dot-stuffed once, up front."""

    kind: str
    head: bytes  # header lines, each ending in CRLF, without the blank line
    body: bytes  # ends with CRLF (as the server stores it)
    stuffed_body: bytes  # `body` dot-stuffed, with the end-of-data marker
    documents: int
    to: str = BRANCH_ADDRESS

    def render(self, token: str) -> tuple[bytes, str, int]:
        """(DATA payload, sha256 and size of the message exactly as the server stores it)."""
        head = self.head.replace(PLACEHOLDER.encode(), token.encode()) + b"\r\n"
        digest = hashlib.sha256(head)
        digest.update(self.body)
        return head + self.stuffed_body, digest.hexdigest(), len(head) + len(self.body)


def make_templates(max_bytes: int) -> list[Template]:
    """One or more templates per kind (built once; messages differ only in their head)."""
    signed = signed_copy()
    copies = [signed, *other_copies(2)]
    tampered = dataclasses.replace(signed, pdf=signed.pdf.replace(b"000123456", b"000123457"))
    junk = f"Subject: load {PLACEHOLDER}\r\nX-Token: {PLACEHOLDER}\r\n\r\n".encode()
    big = diia_email(copies[:1], PLACEHOLDER)
    big_head, _, big_body = big.partition(b"\r\n\r\n")
    pad = (b"P" * 998 + b"\r\n") * (max_bytes // 1000 + 200)
    raws: list[tuple[str, bytes, int, str]] = [
        ("good", diia_email(copies[:1], PLACEHOLDER), 1, BRANCH_ADDRESS),
        ("good", diia_email(copies[:2], PLACEHOLDER), 2, BRANCH_ADDRESS),
        ("good", diia_email(copies[:3], PLACEHOLDER), 3, BRANCH_ADDRESS),
        ("tampered", diia_email([tampered], PLACEHOLDER), 1, BRANCH_ADDRESS),
        ("broken_mime", malformed_email(PLACEHOLDER), 0, BRANCH_ADDRESS),
        ("junk", junk + random.Random(7).randbytes(40_000), 0, BRANCH_ADDRESS),
        (
            "unknown_rcpt",
            diia_email(copies[:1], PLACEHOLDER, to=UNKNOWN_ADDRESS),
            0,
            UNKNOWN_ADDRESS,
        ),
        ("oversize", big_head + b"\r\n\r\n" + pad + big_body, 0, BRANCH_ADDRESS),
    ]
    templates = []
    for kind, raw, documents, to in raws:
        # The MIME boundary is built from the token: keep it fixed, only the headers vary.
        raw = raw.replace(f"diia-{PLACEHOLDER}".encode(), b"diia-load-boundary")
        head, _, body = raw.partition(b"\r\n\r\n")
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        templates.append(Template(kind, head + b"\r\n", body, stuff(body), documents, to))
    return templates


# -- the SMTP client --------------------------------------------------------------------------


@dataclass
class Result:
    token: str
    kind: str
    sha256: str
    code: int
    seconds: float
    documents: int
    size: int


@dataclass
class Tally:
    results: list[Result] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


async def _reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    while True:
        line = await asyncio.wait_for(reader.readline(), 300)
        if not line:
            raise ConnectionError("server closed the connection")
        if line[3:4] != b"-":
            return int(line[:3]), line


async def client(
    n: int,
    port: int,
    templates: list[Template],
    until: float,
    pause: float,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(seed * 1000 + n)
    by_kind: dict[str, list[Template]] = {}
    for t in templates:
        by_kind.setdefault(t.kind, []).append(t)
    kinds, weights = zip(*MIX.items(), strict=True)
    count = 0
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        template = rng.choice(by_kind[rng.choices(kinds, weights)[0]])
        token = f"c{n:03d}m{count:05d}"
        count += 1
        payload, sha, size = template.render(token)
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                code, _ = await _reply(reader)
                if code != 220:
                    raise ConnectionError(f"greeting {code}")
                writer.write(b"EHLO load.example.net\r\n")
                await _reply(reader)
            assert reader is not None
            started = time.perf_counter()
            writer.write(f"MAIL FROM:<{SENDER}>\r\n".encode())
            code, _ = await _reply(reader)
            if code == 250:
                writer.write(f"RCPT TO:<{template.to}>\r\n".encode())
                code, _ = await _reply(reader)
            if code == 250:
                writer.write(b"DATA\r\n")
                code, _ = await _reply(reader)
                if code == 354:
                    writer.write(payload)
                    await writer.drain()
                    code, _ = await _reply(reader)
            else:
                writer.write(b"RSET\r\n")
                await _reply(reader)
            tally.results.append(
                Result(
                    token,
                    template.kind,
                    sha,
                    code,
                    time.perf_counter() - started,
                    template.documents,
                    size,
                )
            )
            if code == 421:
                raise ConnectionError("421")
        except (OSError, ConnectionError, TimeoutError, ValueError) as exc:
            tally.errors[type(exc).__name__] += 1
            # The message's fate is unknown to this client (as to any MTA); remember it as sent
            # with no reply so the check below does not count it as refused.
            tally.results.append(
                Result(token, template.kind, sha, 0, 0.0, template.documents, size)
            )
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            reader = writer = None
            await asyncio.sleep(0.5)
        if pause:
            await asyncio.sleep(pause)
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.write(b"QUIT\r\n")
            await writer.drain()
            writer.close()
            await writer.wait_closed()


# -- the web side -----------------------------------------------------------------------------


@dataclass
class WebTally:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


async def poll_web(port: int, stop: asyncio.Event, tally: WebTally) -> None:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while not stop.is_set():
            for path in ("/healthz", "/login"):
                started = time.perf_counter()
                tally.requests += 1
                try:
                    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                        await response.read()
                        if response.status != 200:
                            tally.failures.append(f"{path} {response.status}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    tally.failures.append(f"{path} {type(exc).__name__}")
                tally.seconds.append(time.perf_counter() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


# -- the service ------------------------------------------------------------------------------


def prepare(data: Path, root_der: bytes) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "diia_inbox.cli",
            "branch",
            "add",
            "--data",
            str(data),
            "--name",
            "Готель «Дніпро» (навантаження)",
            "--address",
            "Дніпро, вул. Тестова, 1",
            "--email",
            BRANCH_ADDRESS,
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env=clean_env(),
    )
    (data / "trust").mkdir(parents=True, exist_ok=True)
    (data / "trust" / "load-root.der").write_bytes(root_der)


def start_load_serve(
    data: Path, smtp: int, web: int, max_bytes: int, log: Path
) -> subprocess.Popen[bytes]:
    """`serve` with the size limit under test and the connection caps lifted: every simulated
    sender comes from 127.0.0.1, and the per-address cap (default 10) would refuse them."""
    limits = {
        "DIIA_INBOX_INGEST_MAX_MESSAGE_BYTES": str(max_bytes),
        "DIIA_INBOX_INGEST_MAX_CONNECTIONS": "200",
        "DIIA_INBOX_INGEST_MAX_CONNECTIONS_PER_CLIENT": "200",
    }
    return start_serve(data, web=web, smtp=smtp, log=log, env=limits)


def spool_depth(data: Path) -> int:
    return sum(len(os.listdir(data / "spool" / f)) for f in ("new", "work"))


# -- the check --------------------------------------------------------------------------------


@dataclass
class Verdict:
    lost: list[str]
    duplicated: list[str]
    stored_though_refused: list[str]
    wrong_documents: list[str]
    statuses: Counter[str]
    indications: Counter[str]
    left_in_spool: int
    partial_in_tmp: int


def spool_shas(data: Path) -> Counter[str]:
    """sha256 of each message still waiting in the spool (new/ and work/)."""
    found: Counter[str] = Counter()
    for folder in ("new", "work"):
        for item in (data / "spool" / folder).iterdir():
            with contextlib.suppress(FileNotFoundError):
                found[hashlib.sha256((item / "message").read_bytes()).hexdigest()] += 1
    return found


def check_archive(data: Path, results: list[Result]) -> Verdict:
    """Each accepted message must be stored once: archived, or still waiting in the spool."""
    with contextlib.closing(sqlite3.connect(data / "diia-inbox.db")) as db:
        rows = db.execute(
            "SELECT m.raw_sha256, m.status, count(d.id) FROM messages m "
            "LEFT JOIN documents d ON d.message_id = m.id GROUP BY m.id"
        ).fetchall()
        indications = Counter(
            r[0] for r in db.execute("SELECT indication FROM documents").fetchall()
        )
    stored: Counter[str] = Counter(r[0] for r in rows) + spool_shas(data)
    by_sha = {r[0]: (r[1], r[2]) for r in rows}
    accepted = [r for r in results if r.code == 250]
    refused = [r for r in results if r.code not in (250, 0)]
    wrong = [
        r.token
        for r in accepted
        if r.sha256 in by_sha and r.documents and by_sha[r.sha256][1] != r.documents
    ]
    return Verdict(
        lost=[r.token for r in accepted if stored[r.sha256] == 0],
        duplicated=[r.token for r in accepted if stored[r.sha256] > 1],
        stored_though_refused=[r.token for r in refused if stored[r.sha256]],
        wrong_documents=wrong,
        statuses=Counter(status for status, _ in by_sha.values()),
        indications=indications,
        left_in_spool=spool_depth(data),
        partial_in_tmp=len(os.listdir(data / "spool" / "tmp")),
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# -- main -------------------------------------------------------------------------------------


async def run_load(
    args: argparse.Namespace, smtp: int, web: int, templates: list[Template]
) -> tuple[Tally, WebTally, float]:
    tally, web_tally = Tally(), WebTally()
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_web(web, stop, web_tally))
    loop = asyncio.get_running_loop()
    started = loop.time()
    until = started + args.seconds
    await asyncio.gather(
        *(
            client(n, smtp, templates, until, args.pause, args.seed, tally)
            for n in range(args.clients)
        )
    )
    elapsed = loop.time() - started
    stop.set()
    await poller
    return tally, web_tally, elapsed


async def watch_drain(data: Path, web: int, timeout: float, web_tally: WebTally) -> float:
    """Keep polling the web side while the worker drains the spool; returns the seconds."""
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_web(web, stop, web_tally))
    started = time.monotonic()
    try:
        while spool_depth(data) and time.monotonic() - started < timeout:
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await poller
    return time.monotonic() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--pause", type=float, default=0.0, help="seconds between a client's messages")
    ap.add_argument("--max-message-bytes", type=int, default=2_000_000)
    ap.add_argument("--drain-timeout", type=float, default=3600.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--no-drain",
        action="store_true",
        help="stop right after the load and count what waits in the spool as stored",
    )
    ap.add_argument("--keep", action="store_true", help="keep the data folder and serve.log")
    args = ap.parse_args()

    templates = make_templates(args.max_message_bytes)
    tmp = Path(tempfile.mkdtemp(prefix="diia-load-", dir=os.environ.get("TMPDIR")))
    data, log = tmp / "data", tmp / "serve.log"
    smtp, web = free_port(), free_port()
    print(
        f"machine: {os.cpu_count()} cores; {args.clients} SMTP clients for {args.seconds:.0f} s "
        f"(pause {args.pause} s); size limit {args.max_message_bytes} bytes; "
        f"signatures: {signed_copy().source} ECDSA P-256; data: {data}",
        flush=True,
    )
    prepare(data, signed_copy().root_der)
    proc = start_load_serve(data, smtp, web, args.max_message_bytes, log)
    try:
        tally, web_tally, elapsed = asyncio.run(run_load(args, smtp, web, templates))
        depth = spool_depth(data)
        print(
            f"load done after {elapsed:.1f} s; {depth} messages waiting for the worker", flush=True
        )
        drain_timeout = 0.0 if args.no_drain else args.drain_timeout
        drain = asyncio.run(watch_drain(data, web, drain_timeout, web_tally))
        drained = spool_depth(data) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    verdict = check_archive(data, tally.results)

    results = tally.results
    accepted = [r for r in results if r.code == 250]
    codes = Counter(r.code for r in results if r.code != 250)
    by_kind = Counter((r.kind, r.code) for r in results)
    times = [r.seconds for r in results if r.code]
    accepted_bytes = sum(r.size for r in accepted)
    print(
        f"transactions: {len(results)}; accepted (250): {len(accepted)}; "
        f"rejected: {sum(codes.values())} {dict(sorted(codes.items()))}; "
        f"client errors: {dict(tally.errors)}"
    )
    print(
        "by kind (kind, reply): "
        + ", ".join(f"{k}/{c}: {n}" for (k, c), n in sorted(by_kind.items()))
    )
    print(
        f"throughput: {len(accepted) / elapsed:.1f} accepted messages/s, "
        f"{len(results) / elapsed:.1f} transactions/s "
        f"({accepted_bytes / elapsed / 1e6:.2f} MB/s accepted)"
    )
    print(
        f"SMTP transaction time (MAIL to final reply): p50 {percentile(times, 50) * 1000:.0f} "
        f"ms, p95 {percentile(times, 95) * 1000:.0f} ms, max {max(times, default=0) * 1000:.0f}"
        " ms"
    )
    if args.no_drain:
        print(f"queue not drained (--no-drain): {verdict.left_in_spool} messages left waiting")
    else:
        print(
            f"queue drained: {'yes' if drained else 'NO'} in {drain:.1f} s after the load "
            f"({len(accepted) / (elapsed + drain):.2f} messages/s end to end)"
        )
    print(
        f"archive: messages by status {dict(verdict.statuses)}; documents by indication "
        f"{dict(verdict.indications)}"
    )
    print(
        f"check: lost {len(verdict.lost)}, duplicated {len(verdict.duplicated)}, stored "
        f"though refused {len(verdict.stored_though_refused)}, wrong document count "
        f"{len(verdict.wrong_documents)}, partial in spool tmp/ {verdict.partial_in_tmp}"
    )
    print(
        f"web: {web_tally.requests} requests to /healthz and /login, "
        f"{len(web_tally.failures)} failed {Counter(web_tally.failures).most_common(3)}; "
        f"p95 {percentile(web_tally.seconds, 95) * 1000:.0f} ms, "
        f"max {max(web_tally.seconds, default=0) * 1000:.0f} ms"
    )
    if args.keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    bad = (
        verdict.lost
        or verdict.duplicated
        or verdict.stored_though_refused
        or verdict.wrong_documents
        or verdict.partial_in_tmp
        or web_tally.failures
        or not (drained or args.no_drain)
    )
    for name in ("lost", "duplicated", "stored_though_refused", "wrong_documents"):
        tokens = getattr(verdict, name)
        if tokens:
            print(f"  {name}: {tokens[:20]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
